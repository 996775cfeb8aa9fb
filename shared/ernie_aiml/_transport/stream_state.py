"""What one stream connection has seen: how it ended, its usage and cost, its inference id.

`StreamState.delta` turns one SSE event into a `Delta` (the per-chunk hot path: one
`json.loads`, one `parse_delta`, no other work) and builds the errors a stream can end
with. Any error raised from a chunk is rebuilt with the key masked and the inference id.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx

from .._errors.classes import AIMLError, ResponseParseError, StreamInterruptedError
from .._types import Delta, Usage
from .._wire.accumulate import ToolCallIndexes
from .._wire.response import error_event, parse_delta
from .http import SNIPPET, Call, timeout_kind
from .mask import masker
from .sse import ServerSentEvent

# the C scanner `json.loads` ends up in (set by `JSONDecoder.__init__`: typeshed omits it)
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class StreamState:
    """Per-connection bookkeeping of a stream: how it ended, its usage, its inference id."""

    __slots__ = (
        "call",
        "credits_used",
        "done",
        "ended",
        "indexes",
        "inference_id",
        "mask",
        "usage",
        "usd_spent",
    )

    def __init__(self, call: Call, response: httpx.Response) -> None:
        self.call = call
        self.inference_id: str | None = response.headers.get("x-inference-id")
        self.done = False  # `[DONE]` seen
        self.ended = False  # a finish reason or usage seen: EOF is a normal end
        self.usage: Usage | None = None
        self.credits_used: float | None = None
        self.usd_spent: float | None = None
        self.mask = masker(call.key)  # an echoed key never reaches a Delta, error or span
        self.indexes: ToolCallIndexes | None = None  # made at the first tool-call fragment

    @property
    def finished(self) -> bool:
        """Whether the server said the answer is complete (`[DONE]`, finish reason or usage)."""
        return self.done or self.ended

    @property
    def recordable(self) -> bool:
        """Whether anything worth recording arrived: an end, usage or cost."""
        return self.done or self.ended or self.usage is not None or self.credits_used is not None

    def delta(self, event: ServerSentEvent) -> Delta | None:
        """The Delta of one event, or None for an empty event or `[DONE]`."""
        data = event.data
        if not data:
            return None
        if self.mask is not None:
            data = self.mask.text(data)
        if event.event == "error":
            raise error_event(data, self.inference_id)
        if data == "[DONE]":
            self.done = True
            self._check_usage()
            return None
        chunk = self._decode(data)
        try:
            delta = parse_delta(chunk)
        except AIMLError as exc:
            error = self._scrubbed(exc, data)
        else:
            if delta.tool_call_chunks:
                if self.indexes is None:
                    self.indexes = ToolCallIndexes()
                self.indexes.fix(delta.tool_call_chunks)
            if delta.finish_reason is not None or delta.usage is not None:
                delta.inference_id = self.inference_id
                self.ended = True
                if delta.usage is not None:
                    self.usage = delta.usage
            if delta.credits_used is not None:
                self.credits_used = delta.credits_used
            if delta.usd_spent is not None:
                self.usd_spent = delta.usd_spent
            return delta
        # Raised outside the handler so that the unscrubbed original is not its __context__.
        raise error

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            chunk = _loads(data)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond reason
            raise self._parse_error("not valid JSON", data) from exc
        if type(chunk) is not dict:
            raise self._parse_error("not a JSON object", data)
        return chunk

    def _parse_error(self, what: str, data: str) -> ResponseParseError:
        snippet = self.call.scrub(data[:SNIPPET])
        return ResponseParseError(
            f"stream event is {what}: {snippet!r}", request_id=self.inference_id
        )

    def _scrubbed(self, exc: AIMLError, data: str) -> AIMLError:
        """`exc` rebuilt with the key masked in message and body, and this stream's id."""
        body = exc.body
        clean = self.call.scrub(data)
        if clean is not data and body is not None:
            body = _loads_or_none(clean)
        return type(exc)(
            self.call.scrub(exc.message),
            status_code=exc.status_code,
            request_id=exc.request_id or self.inference_id,
            body=body,
            hint=exc.hint,
        )

    def end(self) -> None:
        """At EOF: `StreamInterruptedError` if the server never finished, else `_check_usage`."""
        if not self.finished:
            raise self.eof_error()
        self._check_usage()

    def _check_usage(self) -> None:
        """Warn when usage was asked for (`stream_options.include_usage`) and never came.

        The usage stays None (unknown), never zero: a tally must not count it as free.
        """
        if self.usage is None and _asks_for_usage(self.call.content):
            warnings.warn(
                "the stream ended without the usage chunk that stream_options.include_usage "
                f"asked for: usage of this answer is unknown (inference id {self.inference_id})",
                MissingUsageWarning,
                stacklevel=2,
            )

    def eof_error(self) -> StreamInterruptedError:
        """The error for an EOF before the server finished."""
        return StreamInterruptedError(
            "stream ended before the server finished (no finish reason, usage or [DONE]); "
            "the answer is incomplete",
            request_id=self.inference_id,
        )

    def read_error(self, exc: httpx.TransportError) -> StreamInterruptedError:
        """The error for a network failure mid-stream."""
        kind = timeout_kind(exc)
        what = f"{kind} timeout" if kind else type(exc).__name__
        detail = self.call.scrub(str(exc))
        return StreamInterruptedError(
            f"stream interrupted by a {what}{': ' + detail if detail else ''}; "
            "the answer is incomplete",
            request_id=self.inference_id,
        )


class MissingUsageWarning(RuntimeWarning):
    """A stream asked for usage and ended without it: its usage is unknown, not zero."""


def _asks_for_usage(content: bytes | None) -> bool:
    """Whether the request body set `stream_options.include_usage` (read once per stream)."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        return False
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _loads(data: str) -> Any:
    """`json.loads` minus its Python-level layers for the usual event (no outer whitespace)."""
    try:
        value, end = _SCAN(data, 0)
    except StopIteration:
        return json.loads(data)
    return value if end == len(data) else json.loads(data)


def _loads_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
