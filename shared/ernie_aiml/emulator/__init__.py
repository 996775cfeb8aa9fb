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
Every chat body is validated against the request schema AIML publishes for its model
(package data under `specs/`; needs `pip install "ernie-aiml[emulator]"`). For unit tests
on `httpx.MockTransport`, `ValidatingTransport(handler)` applies the same check before the
handler answers. `watch_bodies(callback)` sees every verdict either of them reaches in the
process, for suites that prove their bodies conform. `ernie-aiml emulator --port 8000`
serves one from the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_module_exports
from ._checks import BodyCheck, watch_bodies
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
from ._specs import ModelSpec, model_spec, model_specs, request_schema, response_schema
from ._validate import validation_error

# imports httpx: loaded on first use, so the emulator alone stays light
__getattr__, __dir__ = lazy_module_exports(__name__, {"ValidatingTransport": "_transport"})

if TYPE_CHECKING:  # pragma: no cover
    from ._transport import ValidatingTransport as ValidatingTransport

__all__ = [
    "Answer",
    "BodyCheck",
    "DropConnection",
    "Emulator",
    "ErrorReply",
    "Hang",
    "JSONReply",
    "ModelSpec",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "SSEReply",
    "ValidatingTransport",
    "completion_body",
    "echo_model",
    "error_body",
    "model_spec",
    "model_specs",
    "request_schema",
    "respond",
    "response_schema",
    "serve_forever",
    "stream_events",
    "validation_error",
    "watch_bodies",
]
