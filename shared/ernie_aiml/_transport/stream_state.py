"""The state of one stream connection, without I/O: bytes in, `Delta`s out.

As h11 and httpcore split protocol from I/O, `StreamState` holds everything a stream decides
(the SSE decoder, each event's `Delta`, when the answer has ended, its usage, cost and ids,
the errors it can end with) and the sync and async shells in `stream.py` only move bytes.
`feed` is the per-chunk hot path: one call per read; a read that is one event (what AIML
sends) is one `json.loads` and one `parse_delta`, no event object and no other work; a
read of several `data:` events is split once into their data (`SSEDecoder.feed_data`).

The end rule: the stream is over at `data: [DONE]`, or once the finish reason and (when the
request asked for it with `stream_options.include_usage`) the usage have arrived; nothing
after that is read or yielded. EOF before the server finished is a `StreamInterruptedError`.
Any error raised from a chunk is rebuilt with the key masked and the inference id.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from .._errors.classes import AIMLError, ResponseParseError, StreamInterruptedError
from .._types import AnswerSummary, Delta, Usage
from .._wire.accumulate import ToolCallIndexes
from .._wire.response import error_event, parse_delta
from .guard import BodyCounter
from .http import SNIPPET, Call, timeout_kind
from .mask import masker
from .sse import ServerSentEvent, SSEDecoder

# the C scanner `json.loads` ends up in (set by `JSONDecoder.__init__`: typeshed omits it)
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
#: The events of a read once the stream is over: none (exhausted iterators, shared).
_NO_EVENTS: Iterator[ServerSentEvent] = iter(())
_NO_DATA: Iterator[str] = iter(())


class StreamState:
    """One stream connection's bookkeeping and decisions; the shells feed it what they read.

    `feed(raw)` hands it each read (None at EOF) and returns the read's first `Delta`;
    while `pending`, `next_delta()` returns the next one. None from either: read more, or,
    once `over`, stop reading.
    """

    __slots__ = (
        "_data",
        "_decoder",
        "_eof",
        "_events",
        "_scan",
        "call",
        "counter",
        "credits_used",
        "done",
        "ended",
        "finish_reason",
        "held_content",
        "held_reasoning",
        "indexes",
        "inference_id",
        "mask",
        "over",
        "pending",
        "request_id",
        "see",
        "usage",
        "usd_spent",
        "wants_usage",
        "wire_usage",
        "yielded",
    )

    def __init__(self, call: Call, headers: Mapping[str, str], wants_usage: bool) -> None:
        self.call = call
        self.inference_id: str | None = headers.get("x-inference-id")
        self.request_id: str | None = headers.get("x-request-id")
        self.wants_usage = wants_usage  # the request set `stream_options.include_usage`
        self.done = False  # `[DONE]` seen
        self.ended = False  # a finish reason or usage seen: EOF is a normal end
        self.over = False  # the end rule is met: read nothing more
        self.yielded = False  # a Delta was handed out: the connection can no longer be retried
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.wire_usage: dict[str, Any] | None = None
        self.credits_used: float | None = None
        self.usd_spent: float | None = None
        #: What each delta is shown to (a traced call's span), else None.
        self.see: Callable[[Delta], None] | None = None
        self._decoder = SSEDecoder()
        self._events: Iterator[ServerSentEvent] = _NO_EVENTS
        #: The data of a read's events, where the decoder took them without event objects.
        self._data: Iterator[str] = _NO_DATA
        self._eof = False
        #: The events of the last read may hold the key (`Masker.needed_bytes` of the read).
        self._scan = False
        #: Events of the last read wait for `next_delta`.
        self.pending = False
        #: Counts the reads against `Limits.stream_bytes` and checks the call's deadline, where
        #: the shell took this over from the body's guard (`guard.take_counter`).
        self.counter: BodyCounter | None = None
        self.mask = masker(call.key)  # an echoed key never reaches a Delta, error or span
        #: The tail of the content and reasoning so far that could begin the key, held back
        #: until the next piece settles it (`Masker.settle`) or the answer ends.
        self.held_content = ""
        self.held_reasoning = ""
        self.indexes: ToolCallIndexes | None = None  # made at the first tool-call fragment

    @property
    def finished(self) -> bool:
        """Whether the server said the answer is complete (`[DONE]`, finish reason or usage)."""
        return self.done or self.ended

    @property
    def recordable(self) -> bool:
        """Whether anything worth recording arrived: an end, usage or cost."""
        return self.done or self.ended or self.usage is not None or self.credits_used is not None

    def summary(self, tool_choice_fallback: str | None) -> AnswerSummary:
        """What this connection learnt about the answer, as the core's summary."""
        return AnswerSummary(
            self.finish_reason,
            self.usage,
            self.wire_usage,
            self.credits_used,
            self.usd_spent,
            self.inference_id,
            self.request_id,
            tool_choice_fallback,
        )

    # ------------------------------------------------------------------ bytes in

    def feed(self, raw: bytes | None) -> Delta | None:
        """One read of the body (None at its end); returns its first Delta, or None when it
        completed none or the stream is `over`. Further Deltas of the same read wait for
        `next_delta` (`pending` says so).

        The per-chunk hot path, one call per read: the read counted against the limit and
        the deadline checked (`counter`), and a read that is one `data:` event (what AIML
        sends) goes straight to its Delta, with no event object in between.
        """
        if raw is None:
            self._events = iter(self._decoder.flush())
            self._eof = self.pending = True
            return self.next_delta()
        counter = self.counter
        if counter is not None:
            counter.check(raw)
        decoder = self._decoder
        data = decoder.feed_one(raw)
        if data is not None:
            mask = self.mask
            # `Masker.needed`, inlined: this runs per event and almost never finds anything
            if mask is not None and (
                mask.key in data
                or ("\\" in data and ("\\u00" in data or (mask.slash and "\\/" in data)))
            ):
                data = mask.text(data)
            return self._delta(data) if data else None
        mask = self.mask
        if mask is not None:  # once per read: mask the events it completes only if needed
            # a key may go on from the unfinished line into this read: its last `reach` bytes
            # are checked with the read (a key before them was found when they arrived)
            tail = decoder.held_tail(mask.reach)
            self._scan = mask.needed_bytes(tail + raw if tail else raw) or (
                # data lines, or a line, that needed it and go on in this read
                self._scan and (decoder.in_event or bool(tail))
            )
        data_only = decoder.feed_data(raw)
        if data_only is not None:
            self._data = iter(data_only)
        else:
            self._events = iter(decoder.feed(raw))
        self.pending = True
        return self.next_delta()

    def answer(self, delta: Delta, completion_usage: Usage | None) -> None:
        """A JSON body where a stream was asked for: `delta` is the whole answer."""
        self.ended = self.over = True
        self.usage = completion_usage
        self.credits_used = delta.credits_used
        self.usd_spent = delta.usd_spent
        self.finish_reason = delta.finish_reason
        raw = delta.raw.get("usage") if delta.raw else None
        self.wire_usage = raw if isinstance(raw, dict) else None

    # ------------------------------------------------------------------ deltas out

    def next_delta(self) -> Delta | None:
        """The next Delta of what was fed; None: feed more (`pending` is then False), or
        (`over`) stop reading."""
        for data in self._data:
            if not data:
                continue
            if self._scan:
                data = self.mask.text(data)  # type: ignore[union-attr]  # scan: a mask
            delta = self._delta(data)
            if delta is not None or self.over:  # `[DONE]` is None and over
                return delta
        for event in self._events:
            data = event.data
            if not data:
                continue
            if self._scan:
                data = self.mask.text(data)  # type: ignore[union-attr]  # scan: a mask
            if event.event is not None and event.event == "error":
                raise error_event(data, self.inference_id)
            delta = self._delta(data)
            if delta is not None or self.over:  # `[DONE]` is None and over
                return delta
        self.pending = False
        if self._eof and not self.over:
            self.end()
            return self._released()
        return None

    def _released(self) -> Delta | None:
        """What was held back, as a last Delta, once the answer ended without an ending
        chunk to carry it (`[DONE]` or EOF); None when nothing was."""
        if not (self.held_content or self.held_reasoning):
            return None
        delta = Delta(self.held_content or None, self.held_reasoning or None)
        self.held_content = self.held_reasoning = ""
        self.yielded = True
        if self.see is not None:
            self.see(delta)
        return delta

    def _delta(self, data: str) -> Delta | None:
        """The Delta of one event's (non-empty, masked) data; None at `[DONE]`.

        One `json.loads`, one `parse_delta`, the end rule.
        """
        if data == "[DONE]":
            self._done()
            return self._released()
        try:  # `_decode`, inlined: one call less per chunk
            chunk = _loads(data)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond reason
            if data.strip() == "[DONE]":  # spaced by a sloppy proxy: the end all the same
                self._done()
                return self._released()
            raise self._parse_error("not valid JSON", data) from exc
        if type(chunk) is not dict:
            raise self._parse_error("not a JSON object", data)
        try:
            delta = parse_delta(chunk)
        except AIMLError as exc:
            error = self._scrubbed(exc, data)
        else:
            if delta.tool_call_chunks:
                indexes = self.indexes
                if indexes is None:
                    indexes = self.indexes = ToolCallIndexes()
                indexes.fix(delta.tool_call_chunks)
            mask = self.mask
            if mask is not None:  # a key cut across deltas: `Masker.settle`, when it may be
                content = delta.content
                if content is not None and (
                    self.held_content or (mask.first in content and content.endswith(mask.prefixes))
                ):
                    delta.content, self.held_content = mask.settle(self.held_content, content)
                reasoning = delta.reasoning
                if reasoning is not None and (
                    self.held_reasoning
                    or (mask.first in reasoning and reasoning.endswith(mask.prefixes))
                ):
                    delta.reasoning, self.held_reasoning = mask.settle(
                        self.held_reasoning, reasoning
                    )
            if delta.finish_reason is not None or delta.usage is not None:
                self._ending(delta, chunk)
            if delta.credits_used is not None:
                self.credits_used = delta.credits_used
            if delta.usd_spent is not None:
                self.usd_spent = delta.usd_spent
            self.yielded = True
            see = self.see
            if see is not None:
                see(delta)
            return delta
        # Raised outside the handler so that the unscrubbed original is not its __context__.
        raise error

    def _done(self) -> None:
        """`data: [DONE]`: the stream is over; what follows it is dropped."""
        self.done = self.over = True
        self._drop_rest()
        self._check_usage()

    def _drop_rest(self) -> None:
        """The answer is over: what the same read holds after its end is dropped."""
        self._events, self._data = _NO_EVENTS, _NO_DATA
        self.pending = False

    def _ending(self, delta: Delta, chunk: dict[str, Any]) -> None:
        """A chunk with the finish reason or the usage: the stream may now be over."""
        delta.inference_id = self.inference_id
        self.ended = True
        if self.held_content or self.held_reasoning:  # the answer is whole: nothing to wait for
            if self.held_content:
                delta.content = (delta.content or "") + self.held_content
            if self.held_reasoning:
                delta.reasoning = (delta.reasoning or "") + self.held_reasoning
            self.held_content = self.held_reasoning = ""
        if delta.finish_reason is not None:
            self.finish_reason = delta.finish_reason
        if delta.usage is not None:
            self.usage = delta.usage
            self.wire_usage = chunk.get("usage")
        if self.finish_reason is not None and (self.usage is not None or not self.wants_usage):
            self.over = True
            self._drop_rest()

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
        self.over = True
        self._check_usage()

    def _check_usage(self) -> None:
        """Warn when usage was asked for (`stream_options.include_usage`) and never came.

        The usage stays None (unknown), never zero: a tally must not count it as free.
        """
        if self.usage is None and self.wants_usage:
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
