"""`ChatStream` and `AsyncChatStream`: iterators of `Delta`s over one streamed answer.

A stream has ended only when the server said so (`[DONE]`, or EOF after a finish reason or
usage); EOF before that is a `StreamInterruptedError`. It is retried (per the client's
policy) only before its first Delta. The per-chunk loop is one generator over the raw
bytes: no logging, no context variables, no per-chunk attribute lookups or closures.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Any

import httpx

from .._observe.hooks import awatch, call_failed, stream_closed, stream_recorded, watch
from .._types import Delta
from .._wire.response import parse_completion, parse_delta
from .fallback import asend_with_tool_fallback, send_with_tool_fallback
from .http import JSON_TYPE, Call, json_body, transport_error
from .sender import Sender
from .sse import SSEDecoder
from .stream_state import StreamState

#: Turns a (fallback) request body into a prepared `Call` (the client's request options).
Prepare = Callable[[dict[str, Any]], Call]


class _BaseStream:
    """What both stream kinds share: headers, inference id, usage recording, retry checks."""

    def __init__(self, sender: Sender, call: Call, body: dict[str, Any], prepare: Prepare) -> None:
        self._sender = sender
        self._call = call
        self._body = body
        self._prepare = prepare
        #: The forced-tool-choice fallback the server accepted (None: the request as sent).
        self.tool_choice_fallback: str | None = None
        self._response: httpx.Response | None = None
        self._state: StreamState | None = None
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

    def _record(self) -> None:
        state = self._state
        if not self._recorded and state is not None and state.recordable:
            self._recorded = True
            stream_recorded(self._call, state)  # usage into the tallies and the span

    def _may_retry(self, exc: httpx.TransportError, yielded: bool) -> bool:
        """Whether a read error may be retried: never once a Delta was yielded."""
        if yielded:
            return False
        error = transport_error(exc, self._call, self._attempt)
        return self._sender.retry_policy.should_retry(error, self._attempt)

    def _json_answer(self, response: httpx.Response, state: StreamState) -> Delta:
        """A JSON body where a stream was asked for: its error raised, or its answer as the one
        Delta a stream would have carried (then recorded like a stream's usage)."""
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
        state.ended = True
        state.usage = completion.usage
        state.credits_used = completion.credits_used
        state.usd_spent = completion.usd_spent
        self._record()
        return delta

    def _next_attempt(self) -> float:
        """Forget the failed connection; returns the wait before the next one."""
        delay = self._sender.retry_policy.delay(self._attempt, None)
        if self._call.observer is not None:  # the retry, as a span event
            self._call.observer.retry(None, self._attempt, delay)
        self._attempt += 1
        self._response = None
        return delay


def _is_json(response: httpx.Response) -> bool:
    """Whether a stream request was answered with one JSON body instead of events."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith(JSON_TYPE)


def _is_raw(response: httpx.Response) -> bool:
    """Whether the body is unread and not content-encoded: `iter_raw` skips a decoder layer."""
    return not response.is_stream_consumed and "content-encoding" not in response.headers


class ChatStream(_BaseStream):
    """Iterator of `Delta`s over one streamed answer; also a context manager.

    Ends normally on `[DONE]`, or at EOF after a finish reason or usage; otherwise raises
    `StreamInterruptedError`. Retried (per policy) only before the first Delta is yielded.
    Usage is recorded into `track_usage()` once, when the stream ends.
    """

    def __init__(self, sender: Sender, call: Call, body: dict[str, Any], prepare: Prepare) -> None:
        super().__init__(sender, call, body, prepare)
        self._iterator: Generator[Delta, None, None] | None = None

    def open(self) -> ChatStream:
        """Connect now (retrying per policy, then the tool-choice fallbacks) so that status
        errors raise here."""
        if self._response is None and not self._closed:
            if self._attempt or self.tool_choice_fallback is not None:
                self._connect(self._call)
            else:
                _, self.tool_choice_fallback = send_with_tool_fallback(
                    self._connect_body, self._body
                )
        return self

    def _connect_body(self, body: dict[str, Any]) -> None:
        self._connect(self._call if body is self._body else self._prepare(body))

    def _connect(self, call: Call) -> None:
        try:
            self._response, self._attempt = self._sender.send(
                call, stream=True, attempt=self._attempt
            )
        except BaseException as exc:  # a failed connection is counted and traced
            call_failed(call, exc)
            raise
        self._call = call

    def __iter__(self) -> Iterator[Delta]:
        if self._iterator is None:
            self._iterator = watch(self._call, self._deltas())  # the span sees the deltas
        return self._iterator

    def __next__(self) -> Delta:
        return next(self.__iter__())

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
        self._closed = True
        if self._iterator is not None:
            self._iterator.close()
        if self._response is not None:
            self._response.close()
        self._record()
        stream_closed(self._call)  # ends the span of a closed stream

    def _deltas(self) -> Generator[Delta, None, None]:
        yielded = False
        while not self._closed:
            response = self.open()._response
            assert response is not None
            state = self._state = StreamState(self._call, response)
            if _is_json(response):
                try:
                    response.read()
                finally:
                    response.close()
                yield self._json_answer(response, state)
                return
            convert = state.delta
            decoder = SSEDecoder()
            feed = decoder.feed
            chunks = response.iter_raw() if _is_raw(response) else response.iter_bytes()
            try:
                for raw in chunks:
                    for event in feed(raw):
                        delta = convert(event)
                        if delta is not None:
                            yielded = True
                            yield delta
                        elif state.done:
                            _drain(chunks)
                            return
                for event in decoder.flush():
                    delta = convert(event)
                    if delta is not None:
                        yielded = True
                        yield delta
            except httpx.TransportError as exc:
                response.close()
                if not self._may_retry(exc, yielded):
                    raise state.read_error(exc) from exc
                self._sender.retry_policy.sleep(self._next_attempt())
                continue
            finally:
                response.close()
                self._record()
            state.end()
            return


class AsyncChatStream(_BaseStream):
    """Async iterator of `Delta`s over one streamed answer; also an async context manager.

    The same rules as `ChatStream`; `aclose()` releases the connection.
    """

    def __init__(self, sender: Sender, call: Call, body: dict[str, Any], prepare: Prepare) -> None:
        super().__init__(sender, call, body, prepare)
        self._iterator: AsyncGenerator[Delta, None] | None = None

    async def open(self) -> AsyncChatStream:
        """Connect now (retrying per policy, then the tool-choice fallbacks) so that status
        errors raise here."""
        if self._response is None and not self._closed:
            if self._attempt or self.tool_choice_fallback is not None:
                await self._connect(self._call)
            else:
                _, self.tool_choice_fallback = await asend_with_tool_fallback(
                    self._connect_body, self._body
                )
        return self

    async def _connect_body(self, body: dict[str, Any]) -> None:
        await self._connect(self._call if body is self._body else self._prepare(body))

    async def _connect(self, call: Call) -> None:
        try:
            self._response, self._attempt = await self._sender.asend(
                call, stream=True, attempt=self._attempt
            )
        except BaseException as exc:  # a failed connection is counted and traced
            call_failed(call, exc)
            raise
        self._call = call

    def __aiter__(self) -> AsyncIterator[Delta]:
        if self._iterator is None:
            self._iterator = awatch(self._call, self._deltas())  # the span sees the deltas
        return self._iterator

    async def __anext__(self) -> Delta:
        return await self.__aiter__().__anext__()

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
        self._closed = True
        if self._iterator is not None:
            await self._iterator.aclose()
        if self._response is not None:
            await self._response.aclose()
        self._record()
        stream_closed(self._call)  # ends the span of a closed stream

    async def _deltas(self) -> AsyncGenerator[Delta, None]:
        yielded = False
        while not self._closed:
            response = (await self.open())._response
            assert response is not None
            state = self._state = StreamState(self._call, response)
            if _is_json(response):
                try:
                    await response.aread()
                finally:
                    await response.aclose()
                yield self._json_answer(response, state)
                return
            convert = state.delta
            decoder = SSEDecoder()
            feed = decoder.feed
            chunks = response.aiter_raw() if _is_raw(response) else response.aiter_bytes()
            try:
                async for raw in chunks:
                    for event in feed(raw):
                        delta = convert(event)
                        if delta is not None:
                            yielded = True
                            yield delta
                        elif state.done:
                            await _adrain(chunks)
                            return
                for event in decoder.flush():
                    delta = convert(event)
                    if delta is not None:
                        yielded = True
                        yield delta
            except httpx.TransportError as exc:
                await response.aclose()
                if not self._may_retry(exc, yielded):
                    raise state.read_error(exc) from exc
                await self._sender.retry_policy.async_sleep(self._next_attempt())
                continue
            finally:
                await response.aclose()
                self._record()
            state.end()
            return


def _drain(chunks: Iterator[bytes]) -> None:
    """Read what follows `[DONE]` (normally nothing) so the connection can be kept alive."""
    try:
        for _ in chunks:
            pass
    except httpx.TransportError:
        pass


async def _adrain(chunks: AsyncIterator[bytes]) -> None:
    """Async `_drain`."""
    try:
        async for _ in chunks:
            pass
    except httpx.TransportError:
        pass
