"""`ChatStream` and `AsyncChatStream`: iterators of `Delta`s over one streamed answer.

Each is a thin I/O shell around the same decisions: `StreamState` (`stream_state.py`) turns
the bytes read into Deltas and says when the answer is over; `_BaseStream` connects, retries
and reports. A shell only connects (`open`, `_connect_stream`), reads raw bytes (the line marked
"the one read" in `__next__`/`__anext__`: the only place that reads from httpx) and closes, so the sync and async streams cannot drift. Neither is a
generator: an abandoned stream has no generator of ours for the event loop to finalise, so
breaking out of a loop at any point closes quietly.

A stream is admitted by the budget (and its span starts) when it connects, retried (per the
client's policy) only before its first Delta, and its forced-tool-choice fallbacks are the
same logical call. Per chunk: no logging, no context variables, no allocation beyond the
decoder's events and the Delta; a traced call's span sees each delta.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

import httpx

from .._observe.hooks import stream_recorded
from .._types import AnswerSummary, Delta
from .._wire.response import parse_completion, parse_delta
from .attempts import Attempts
from .fallback import asend_with_tool_fallback, send_with_tool_fallback
from .guard import take_counter
from .http import JSON_TYPE, Call, json_body, transport_error
from .sender import Sender
from .stream_state import StreamState


class _BaseStream:
    """What both stream kinds share: connection state, retry decisions, usage recording."""

    def __init__(self, sender: Sender, attempts: Attempts) -> None:
        self._sender = sender
        self._attempts = attempts
        self._call = attempts.first
        #: The forced-tool-choice fallback the server accepted (None: the request as sent).
        self.tool_choice_fallback: str | None = None
        self._response: httpx.Response | None = None
        self._state: StreamState | None = None
        #: `self._state` while it is read (None: connect or reconnect first, or closed).
        self._live: StreamState | None = None
        self._attempt = 0
        self._closed = False
        self._recorded = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._call.method} {self._call.url}>"

    @property
    def headers(self) -> httpx.Headers:
        """Response headers (empty until connected)."""
        return self._response.headers if self._response is not None else httpx.Headers()

    @property
    def inference_id(self) -> str | None:
        """AIML's `x-inference-id` of this answer (None until connected)."""
        inference_id: str | None = self.headers.get("x-inference-id")
        return inference_id

    @property
    def response(self) -> httpx.Response | None:
        """The underlying httpx response, once connected."""
        return self._response

    @property
    def summary(self) -> AnswerSummary:
        """What is known about the answer so far (all of it once the stream has ended)."""
        state = self._state
        if state is None:
            return AnswerSummary(
                inference_id=self.inference_id, tool_choice_fallback=self.tool_choice_fallback
            )
        return state.summary(self.tool_choice_fallback)

    # ------------------------------------------------------------------ decisions

    def _begin(self, response: httpx.Response) -> bool:
        """A new connection's state; True when the answer is one JSON body (read it whole)."""
        state = self._state = StreamState(self._call, response.headers, self._attempts.wants_usage)
        observer = self._attempts.observer
        if observer is not None and observer.trace is not None:
            state.see = observer.see
        if _is_json(response):
            return True
        state.counter = take_counter(response)  # the state counts the reads: no wrapper
        self._live = state
        return False

    def _answered(self, response: httpx.Response) -> Delta:
        """A JSON body where a stream was asked for (already read): its error raised, or its
        answer as the one Delta a stream would have carried (then recorded as a stream's);
        the stream is over after it."""
        state = self._state
        assert state is not None
        body = json_body(response, self._call)
        completion = parse_completion(body, response.headers)  # an error body raises here
        choice = body["choices"][0]
        chunk: dict[str, Any] = {
            "id": body.get("id"),
            "model": body.get("model"),
            "choices": [{**choice, "delta": choice.get("message") or {}}],
            "usage": body.get("usage"),
        }
        delta = parse_delta(chunk)
        delta.raw = body
        delta.credits_used = completion.credits_used
        delta.usd_spent = completion.usd_spent
        delta.inference_id = completion.inference_id
        state.answer(delta, completion.usage)
        self._record()
        self._live = state
        return delta

    def _read_failed(self, exc: httpx.TransportError) -> float:
        """A read error (the response is closed): the wait before reconnecting, or raise the
        stream's error. Never retried once a Delta was handed out."""
        state = self._state
        assert state is not None
        if state.yielded or not self._sender.retry_policy.should_retry(
            transport_error(exc, self._call, self._attempt), self._attempt
        ):
            raise state.read_error(exc) from exc
        delay = self._sender.retry_policy.delay(self._attempt, None)
        if self._call.observer is not None:  # the retry, as a span event; a shared 429 window
            delay = self._call.observer.retry(None, self._attempt, delay)
        deadline = self._call.deadline
        if deadline is not None and delay >= deadline.remaining():  # as `Sender._failed`
            raise state.read_error(exc) from exc
        self._attempt += 1
        self._response = self._state = self._live = None
        return delay

    def _record(self) -> None:
        state = self._state
        if not self._recorded and state is not None and state.recordable:
            self._recorded = True
            # usage into the tallies and the span
            stream_recorded(self._attempts.observer, state.summary(self.tool_choice_fallback))

    def _released(self) -> None:
        """The connection is closed: the stream is over, its usage recorded, its span ended."""
        self._closed = True
        self._live = None
        self._record()
        attempts = self._attempts
        if attempts.started and attempts.observer is not None:
            attempts.observer.finished()

    def _failed(self, exc: BaseException) -> None:
        """Iteration raised (the connection is closed): counted and traced as far as the
        server reported."""
        self._closed = True
        self._live = None
        self._record()
        self._attempts.failed(exc)

    def _connect_failed(self, exc: BaseException) -> None:
        """Connecting raised: a refusal is kept for the fallback's span event."""
        self._attempts.note(exc)


def _is_json(response: httpx.Response) -> bool:
    """Whether a stream request was answered with one JSON body instead of events."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith(JSON_TYPE)


def _is_raw(response: httpx.Response) -> bool:
    """Whether the body is unread and not content-encoded: `iter_raw` skips a decoder layer."""
    return not response.is_stream_consumed and "content-encoding" not in response.headers


class ChatStream(_BaseStream):
    """Iterator of `Delta`s over one streamed answer; also a context manager.

    Over at `[DONE]`, or once the finish reason and the usage asked for have arrived; EOF
    before the server finished raises `StreamInterruptedError`. Retried (per policy) only
    before the first Delta. Usage is recorded into `track_usage()` once, when it ends.
    """

    def __init__(self, sender: Sender, attempts: Attempts) -> None:
        super().__init__(sender, attempts)
        self._chunks: Iterator[bytes] | None = None

    def open(self) -> ChatStream:
        """Connect now (admitted by the budget, retried per policy, then the tool-choice
        fallbacks) so that status errors raise here."""
        if self._response is None and not self._closed:
            try:
                if self._attempts.sent:  # a reconnection: the request that was accepted
                    self._connect(self._call)
                else:
                    _, self.tool_choice_fallback = send_with_tool_fallback(
                        self._connect_body, self._attempts.body
                    )
            except BaseException as exc:  # counted and traced as far as it got
                self._attempts.failed(exc)
                raise
        return self

    def _connect_body(self, wire: dict[str, Any]) -> None:
        try:
            self._connect(self._attempts.call_for(wire))
        except BaseException as exc:
            self._connect_failed(exc)
            raise

    def _connect(self, call: Call) -> None:
        self._response, self._attempt = self._sender.send(call, stream=True, attempt=self._attempt)
        self._call = call

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> Delta:
        try:
            while True:
                state = self._live
                if state is None:  # not connected, or closed
                    if self._closed:
                        raise StopIteration
                    delta = self._connect_stream()
                    if delta is not None:  # a JSON answer: its one Delta
                        return delta
                    continue
                if state.pending:  # more events of the last read
                    delta = state.next_delta()
                    if delta is not None:
                        return delta
                if state.over:
                    self.close()
                    raise StopIteration
                try:
                    raw = next(self._chunks, None)  # type: ignore[arg-type]  # the one read
                except httpx.TransportError as exc:
                    self._close_response()
                    self._sender.retry_policy.sleep(self._read_failed(exc))
                    continue
                delta = state.feed(raw)
                if delta is not None:
                    return delta
        except StopIteration:
            raise
        except BaseException as exc:
            self._close_response()
            self._failed(exc)
            raise

    def _connect_stream(self) -> Delta | None:
        """Connect (or reconnect) and start reading the raw bytes; a JSON answer's Delta."""
        response = self.open()._response
        assert response is not None
        if self._begin(response):
            self._json_body(response)
            return self._answered(response)
        self._chunks = response.iter_raw() if _is_raw(response) else response.iter_bytes()
        return None

    def _json_body(self, response: httpx.Response) -> None:
        """Read a JSON answer's body; a network failure is the stream's read error."""
        try:
            response.read()
        except httpx.TransportError as exc:
            assert self._state is not None
            raise self._state.read_error(exc) from None
        finally:
            response.close()

    def _close_response(self) -> None:
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> ChatStream:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection; records usage if it was already seen."""
        self._close_response()
        self._released()


class AsyncChatStream(_BaseStream):
    """Async iterator of `Delta`s over one streamed answer; also an async context manager.

    The same rules as `ChatStream`; `aclose()` releases the connection.
    """

    def __init__(self, sender: Sender, attempts: Attempts) -> None:
        super().__init__(sender, attempts)
        self._chunks: AsyncIterator[bytes] | None = None

    async def open(self) -> AsyncChatStream:
        """Connect now (admitted by the budget, retried per policy, then the tool-choice
        fallbacks) so that status errors raise here."""
        if self._response is None and not self._closed:
            try:
                if self._attempts.sent:  # a reconnection: the request that was accepted
                    await self._connect(self._call)
                else:
                    _, self.tool_choice_fallback = await asend_with_tool_fallback(
                        self._connect_body, self._attempts.body
                    )
            except BaseException as exc:  # counted and traced as far as it got
                self._attempts.failed(exc)
                raise
        return self

    async def _connect_body(self, wire: dict[str, Any]) -> None:
        try:
            await self._connect(self._attempts.call_for(wire))
        except BaseException as exc:
            self._connect_failed(exc)
            raise

    async def _connect(self, call: Call) -> None:
        self._response, self._attempt = await self._sender.asend(
            call, stream=True, attempt=self._attempt
        )
        self._call = call

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> Delta:
        try:
            while True:
                state = self._live
                if state is None:  # not connected, or closed
                    if self._closed:
                        raise StopAsyncIteration
                    delta = await self._connect_stream()
                    if delta is not None:  # a JSON answer: its one Delta
                        return delta
                    continue
                if state.pending:  # more events of the last read
                    delta = state.next_delta()
                    if delta is not None:
                        return delta
                if state.over:
                    await self.aclose()
                    raise StopAsyncIteration
                try:
                    raw = await self._chunks.__anext__()  # type: ignore[union-attr]  # the one read
                except StopAsyncIteration:
                    raw = None
                except httpx.TransportError as exc:
                    await self._close_response()
                    await self._sender.retry_policy.async_sleep(self._read_failed(exc))
                    continue
                delta = state.feed(raw)
                if delta is not None:
                    return delta
        except StopAsyncIteration:
            raise
        except BaseException as exc:
            await self._close_response()
            self._failed(exc)
            raise

    async def _connect_stream(self) -> Delta | None:
        """Connect (or reconnect) and start reading the raw bytes; a JSON answer's Delta."""
        response = (await self.open())._response
        assert response is not None
        if self._begin(response):
            await self._json_body(response)
            return self._answered(response)
        self._chunks = response.aiter_raw() if _is_raw(response) else response.aiter_bytes()
        return None

    async def _json_body(self, response: httpx.Response) -> None:
        """Read a JSON answer's body; a network failure is the stream's read error."""
        try:
            await response.aread()
        except httpx.TransportError as exc:
            assert self._state is not None
            raise self._state.read_error(exc) from None
        finally:
            await response.aclose()

    async def _close_response(self) -> None:
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection; records usage if it was already seen."""
        await self._close_response()
        self._released()
