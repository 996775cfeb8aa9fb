"""`ChatStream` and `AsyncChatStream`: iterators of `Delta`s over one streamed answer.

A stream has ended only when the server said so (`[DONE]`, or EOF after a finish reason or
usage); EOF before that is a `StreamInterruptedError`. It is admitted by the budget (and its
span starts) when it connects, retried (per the client's policy) only before its first Delta,
and its forced-tool-choice fallbacks are the same logical call. The per-chunk loop is one
generator over the raw bytes: no logging, no context variables, no per-chunk attribute
lookups; a traced call's span sees each delta.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Any

import httpx

from .._observe.hooks import stream_recorded
from .._types import Delta
from .._wire.response import parse_completion, parse_delta
from .attempts import Attempts
from .fallback import asend_with_tool_fallback, send_with_tool_fallback
from .http import JSON_TYPE, Call, json_body, transport_error
from .sender import Sender
from .sse import SSEDecoder
from .stream_state import StreamState


class _BaseStream:
    """What both stream kinds share: headers, inference id, usage recording, retry checks."""

    def __init__(self, sender: Sender, attempts: Attempts) -> None:
        self._sender = sender
        self._attempts = attempts
        self._call = attempts.first
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
            stream_recorded(self._attempts.observer, state)  # usage into the tallies and span

    def _see(self) -> Callable[[Delta], None] | None:
        """What each delta is shown to: the span of a traced call, else nothing."""
        observer = self._attempts.observer
        return observer.see if observer is not None and observer.trace is not None else None

    def _finished(self) -> None:
        """The stream ended or was closed: the call is counted and its span ends."""
        attempts = self._attempts
        if attempts.started and attempts.observer is not None:
            attempts.observer.finished()

    def _json_body(self, response: httpx.Response, state: StreamState) -> None:
        """Read a JSON answer's body; a network failure is the stream's read error."""
        try:
            response.read()
        except httpx.TransportError as exc:
            raise state.read_error(exc) from None
        finally:
            response.close()

    async def _ajson_body(self, response: httpx.Response, state: StreamState) -> None:
        """Async `_json_body`."""
        try:
            await response.aread()
        except httpx.TransportError as exc:
            raise state.read_error(exc) from None
        finally:
            await response.aclose()

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

    def __init__(self, sender: Sender, attempts: Attempts) -> None:
        super().__init__(sender, attempts)
        self._iterator: Generator[Delta, None, None] | None = None

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
            self._attempts.note(exc)
            raise

    def _connect(self, call: Call) -> None:
        self._response, self._attempt = self._sender.send(call, stream=True, attempt=self._attempt)
        self._call = call

    def __iter__(self) -> Iterator[Delta]:
        if self._iterator is None:
            self._iterator = self._deltas()
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
        self._finished()

    def _deltas(self) -> Generator[Delta, None, None]:
        try:
            yield from self._read()
        except GeneratorExit:
            raise
        except BaseException as exc:  # counted and traced as far as the server reported
            self._attempts.failed(exc)
            raise
        self._finished()

    def _read(self) -> Generator[Delta, None, None]:
        yielded = False
        while not self._closed:
            response = self.open()._response
            assert response is not None
            state = self._state = StreamState(self._call, response)
            if _is_json(response):
                self._json_body(response, state)
                yield self._json_answer(response, state)
                return
            see = self._see()
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
                            if see is not None:
                                see(delta)
                            yield delta
                        elif state.done:
                            _drain(chunks)
                            return
                for event in decoder.flush():
                    delta = convert(event)
                    if delta is not None:
                        yielded = True
                        if see is not None:
                            see(delta)
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

    def __init__(self, sender: Sender, attempts: Attempts) -> None:
        super().__init__(sender, attempts)
        self._iterator: AsyncGenerator[Delta, None] | None = None

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
            self._attempts.note(exc)
            raise

    async def _connect(self, call: Call) -> None:
        self._response, self._attempt = await self._sender.asend(
            call, stream=True, attempt=self._attempt
        )
        self._call = call

    def __aiter__(self) -> AsyncIterator[Delta]:
        if self._iterator is None:
            self._iterator = self._deltas()
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
        self._finished()

    async def _deltas(self) -> AsyncGenerator[Delta, None]:
        # One generator (no wrapping layer per chunk): failures and the end are reported here.
        try:
            yielded = False
            while not self._closed:
                response = (await self.open())._response
                assert response is not None
                state = self._state = StreamState(self._call, response)
                if _is_json(response):
                    await self._ajson_body(response, state)
                    yield self._json_answer(response, state)
                    self._finished()
                    return
                see = self._see()
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
                                if see is not None:
                                    see(delta)
                                yield delta
                            elif state.done:
                                await _adrain(chunks)
                                self._record()  # before the end is reported (once)
                                self._finished()
                                return
                    for event in decoder.flush():
                        delta = convert(event)
                        if delta is not None:
                            yielded = True
                            if see is not None:
                                see(delta)
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
                self._finished()
                return
        except GeneratorExit:
            raise
        except BaseException as exc:  # counted and traced as far as the server reported
            self._attempts.failed(exc)
            raise


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
