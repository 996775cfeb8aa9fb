"""Compatibility home of the transport names; the code lives in one-concept modules.

`_client` (`AIMLClient`: preparing, sending, the retry loop), `_stream` (`ChatStream`,
`AsyncChatStream`), `_stream_state` (per-connection stream bookkeeping) and `_http` (pure
HTTP helpers). `from ernie_aiml._transport import AIMLClient` keeps working.
"""

from __future__ import annotations

from ._client import AIMLClient
from ._stream import AsyncChatStream, ChatStream

__all__ = ["AIMLClient", "AsyncChatStream", "ChatStream"]
