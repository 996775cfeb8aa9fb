"""A loopback AI/ML API for tests, notebooks and benchmarks: `ernie_aiml.emulator`.

```python
from ernie_aiml.emulator import Emulator, SSEReply, stream_events

with Emulator() as emu:                       # 127.0.0.1, a free port
    client = AIMLClient(api_key="test", base_url=emu.base_url)
    emu.enqueue(SSEReply(stream_events("Hello!", reasoning="Greet back.")))
    ...
    emu.requests[-1].json                     # the body the client sent
```

With nothing queued a deterministic responder answers like a model would (reasoning,
tool calls with arguments from the prompt, structured output, quoting RAG context).
`ernie-aiml emulator --port 8000` serves one from the command line.
"""

from __future__ import annotations

from ._replies import (
    DropConnection,
    ErrorReply,
    Hang,
    JSONReply,
    RawReply,
    RecordedRequest,
    Reply,
    SSEReply,
)
from ._responder import Answer, respond
from ._server import Emulator, serve_forever
from ._shapes import completion_body, echo_model, error_body, stream_events

__all__ = [
    "Answer",
    "DropConnection",
    "Emulator",
    "ErrorReply",
    "Hang",
    "JSONReply",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "SSEReply",
    "completion_body",
    "echo_model",
    "error_body",
    "respond",
    "serve_forever",
    "stream_events",
]
