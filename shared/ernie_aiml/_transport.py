"""The one place that talks HTTP to AIML: pooled httpx clients, retries, streams, errors.

`AIMLClient` sends request bodies built by `_request`, retries per `RetryPolicy`, turns
non-2xx answers into typed errors (`_status`) and parses answers (`_response`). Streams are
`ChatStream`/`AsyncChatStream`: iterators of `Delta`s that end only when the server said so.
The key travels only in the `Authorization` header of requests to the configured base URL:
never to a redirect target, never over plain http to a remote host, never into a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from ._errors import (
    AIMLError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ParameterError,
    ResponseParseError,
    StreamError,
    StreamInterruptedError,
)
from ._response import parse_completion, parse_delta
from ._retry import RetryPolicy
from ._settings import (
    check_transport_security,
    find_api_key,
    resolve_api_key,
    resolve_base_url,
    resolve_timeout,
)
from ._sse import ServerSentEvent, SSEDecoder
from ._status import error_from_response
from ._tally import record_usage
from ._types import Completion, Delta
from ._version import __version__

logger = logging.getLogger("ernie_aiml")

USER_AGENT = f"ernie-aiml/{__version__}"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_JSON = "application/json"
_SSE = "text/event-stream"
_TIMEOUT_KINDS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "connect"),
    (httpx.ReadTimeout, "read"),
    (httpx.WriteTimeout, "write"),
    (httpx.PoolTimeout, "pool"),
)
_SNIPPET = 200

TimeoutTypes = float | httpx.Timeout | None


@dataclass(slots=True, repr=False)
class _Call:
    """Everything needed to (re)send one request; `key` only to scrub it from messages."""

    method: str
    url: str
    content: bytes | None
    headers: dict[str, str]
    timeout: Any  # httpx.Timeout or httpx.USE_CLIENT_DEFAULT
    model: str | None
    key: str | None

    def __repr__(self) -> str:
        return f"_Call({self.method} {self.url})"

    def scrub(self, text: str) -> str:
        """`text` with the key masked, should a server or library ever echo it."""
        key = self.key
        return text.replace(key, "***") if key and key in text else text


class AIMLClient:
    """Sync and async client for AIML chat completions and the model list.

    One pooled `httpx.Client` (made on first use) and one `httpx.AsyncClient` per running
    event loop; caller-supplied clients are used as they are and never closed here. The
    key is resolved at the first request (`MissingAPIKeyError` if there is none).
    `retry_policy`, when given, is used as is and `max_retries` is ignored.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        allow_insecure_http: bool = False,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.allow_insecure_http = allow_insecure_http
        self.default_headers = _check_headers(default_headers)
        self._api_key_arg = _secret_text(api_key)
        self._api_key: str | None = None
        self._timeout_given = timeout is not None
        self._http_client = http_client
        self._http_async_client = http_async_client
        self._own_client: httpx.Client | None = None
        self._own_async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._base_headers = {"User-Agent": USER_AGENT, **self.default_headers}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"max_retries={self.retry_policy.max_retries})"
        )

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt (2 → 3 attempts in all)."""
        return self.retry_policy.max_retries

    # ------------------------------------------------------------------ public API

    def chat(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> Completion:
        """POST a non-streamed chat completion; retries per policy; records usage."""
        call = self._prepare(
            "POST", "/chat/completions", _non_stream(body), _JSON, client_request_id, timeout
        )
        response, _ = self._send(call, stream=False)
        return _completion(response, call)

    async def achat(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> Completion:
        """Async `chat`."""
        call = self._prepare(
            "POST", "/chat/completions", _non_stream(body), _JSON, client_request_id, timeout
        )
        response, _ = await self._asend(call, stream=False)
        return _completion(response, call)

    def stream(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> ChatStream:
        """A streamed chat completion; connects on first iteration or on entering `with`."""
        call = self._prepare(
            "POST", "/chat/completions", _streaming(body), _SSE, client_request_id, timeout
        )
        return ChatStream(self, call)

    def astream(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncChatStream:
        """Async `stream`; connects on first iteration or on entering `async with`."""
        call = self._prepare(
            "POST", "/chat/completions", _streaming(body), _SSE, client_request_id, timeout
        )
        return AsyncChatStream(self, call)

    def list_models(self, *, timeout: TimeoutTypes = None) -> list[dict[str, Any]]:
        """GET `{base_url}/models` and return its `data` list (the key is sent if known)."""
        call = self._prepare("GET", "/models", None, _JSON, None, timeout, require_key=False)
        response, _ = self._send(call, stream=False)
        return _models(response, call)

    async def alist_models(self, *, timeout: TimeoutTypes = None) -> list[dict[str, Any]]:
        """Async `list_models`."""
        call = self._prepare("GET", "/models", None, _JSON, None, timeout, require_key=False)
        response, _ = await self._asend(call, stream=False)
        return _models(response, call)

    def close(self) -> None:
        """Close the clients this object made (never a caller-supplied one)."""
        with self._lock:
            client, self._own_client = self._own_client, None
            self._own_async = weakref.WeakKeyDictionary()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close this loop's async client and the sync client made here."""
        loop = asyncio.get_running_loop()
        client = self._own_async.pop(loop, None)
        if client is not None:
            await client.aclose()
        self.close()

    def __enter__(self) -> AIMLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> AIMLClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ preparing

    def _key(self, required: bool) -> str | None:
        if self._api_key is None:
            if required:
                self._api_key = resolve_api_key(self._api_key_arg)
            else:
                return find_api_key(self._api_key_arg)
        return self._api_key

    def _prepare(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        accept: str,
        client_request_id: str | None,
        timeout: TimeoutTypes,
        *,
        require_key: bool = True,
    ) -> _Call:
        headers = dict(self._base_headers)
        if client_request_id is not None:
            headers["X-Client-Request-Id"] = _check_client_request_id(client_request_id)
        headers["Accept"] = accept
        content = None
        if body is not None:
            content = _encode(body)
            headers["Content-Type"] = _JSON
        key = self._key(require_key)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.base_url + path
        check_transport_security(url, allow_insecure_http=self.allow_insecure_http)
        return _Call(
            method, url, content, headers, self._timeout_for(timeout), _model_of(body), key
        )

    def _timeout_for(self, timeout: TimeoutTypes) -> Any:
        if timeout is not None:
            return resolve_timeout(timeout)
        if self._timeout_given or (self._http_client is None and self._http_async_client is None):
            return self.timeout
        return httpx.USE_CLIENT_DEFAULT

    def _sync_client(self) -> httpx.Client:
        if self._http_client is not None:
            return self._http_client
        client = self._own_client
        if client is None:
            with self._lock:
                client = self._own_client
                if client is None:
                    client = self._own_client = httpx.Client(
                        timeout=self.timeout, follow_redirects=False
                    )
        return client

    def _async_client(self) -> httpx.AsyncClient:
        if self._http_async_client is not None:
            return self._http_async_client
        loop = asyncio.get_running_loop()
        client = self._own_async.get(loop)
        if client is None:
            client = self._own_async[loop] = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False
            )
        return client

    # ------------------------------------------------------------------ sending

    def _send(self, call: _Call, *, stream: bool, attempt: int = 0) -> tuple[httpx.Response, int]:
        """Send with retries; returns the 2xx response and the 0-based attempt that got it."""
        client = self._sync_client()
        policy = self.retry_policy
        while True:
            request = client.build_request(
                call.method,
                call.url,
                content=call.content,
                headers=call.headers,
                timeout=call.timeout,
            )
            retry_headers: httpx.Headers | None = None
            try:
                response = client.send(request, stream=stream, follow_redirects=False)
            except httpx.TransportError as exc:
                error: AIMLError = _transport_error(exc, call, attempt, request)
                cause: BaseException | None = exc
            else:
                if 200 <= response.status_code < 300:
                    _log(call, response, attempt)
                    return response, attempt
                try:
                    body = response.read()
                except httpx.TransportError:
                    body = b""
                finally:
                    response.close()
                error, cause, retry_headers = (
                    _status_error(response, body, call),
                    None,
                    response.headers,
                )
                _log(call, response, attempt)
            if not policy.should_retry(error, attempt):
                raise error from cause
            policy.sleep(_retry_delay(policy, call, error, attempt, retry_headers))
            attempt += 1

    async def _asend(
        self, call: _Call, *, stream: bool, attempt: int = 0
    ) -> tuple[httpx.Response, int]:
        """Async `_send`."""
        client = self._async_client()
        policy = self.retry_policy
        while True:
            request = client.build_request(
                call.method,
                call.url,
                content=call.content,
                headers=call.headers,
                timeout=call.timeout,
            )
            retry_headers: httpx.Headers | None = None
            try:
                response = await client.send(request, stream=stream, follow_redirects=False)
            except httpx.TransportError as exc:
                error: AIMLError = _transport_error(exc, call, attempt, request)
                cause: BaseException | None = exc
            else:
                if 200 <= response.status_code < 300:
                    _log(call, response, attempt)
                    return response, attempt
                try:
                    body = await response.aread()
                except httpx.TransportError:
                    body = b""
                finally:
                    await response.aclose()
                error, cause, retry_headers = (
                    _status_error(response, body, call),
                    None,
                    response.headers,
                )
                _log(call, response, attempt)
            if not policy.should_retry(error, attempt):
                raise error from cause
            await policy.async_sleep(_retry_delay(policy, call, error, attempt, retry_headers))
            attempt += 1


# ---------------------------------------------------------------------- streams


class _StreamState:
    """Per-connection bookkeeping of a stream: how it ended, its usage, its inference id."""

    __slots__ = ("call", "credits_used", "done", "ended", "inference_id", "usage", "usd_spent")

    def __init__(self, call: _Call, response: httpx.Response) -> None:
        self.call = call
        self.inference_id: str | None = response.headers.get("x-inference-id")
        self.done = False  # `[DONE]` seen
        self.ended = False  # a finish reason or usage seen: EOF is a normal end
        self.usage = None
        self.credits_used: float | None = None
        self.usd_spent: float | None = None

    def delta(self, event: ServerSentEvent) -> Delta | None:
        """The Delta of one event, or None for an empty event or `[DONE]`."""
        data = event.data
        if not data:
            return None
        if data == "[DONE]":
            self.done = True
            return None
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise ResponseParseError(
                f"stream event is not valid JSON: {self.call.scrub(data[:_SNIPPET])!r}",
                request_id=self.inference_id,
            ) from exc
        if type(chunk) is not dict:
            raise ResponseParseError(
                f"stream event is not a JSON object: {self.call.scrub(data[:_SNIPPET])!r}",
                request_id=self.inference_id,
            )
        delta = parse_delta(chunk)
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

    def eof_error(self) -> StreamInterruptedError:
        """The error for an EOF before the server finished."""
        return StreamInterruptedError(
            "stream ended before the server finished (no finish reason, usage or [DONE]); "
            "the answer is incomplete",
            request_id=self.inference_id,
        )

    def read_error(self, exc: httpx.TransportError) -> StreamInterruptedError:
        """The error for a network failure mid-stream."""
        kind = _timeout_kind(exc)
        what = f"{kind} timeout" if kind else type(exc).__name__
        detail = self.call.scrub(str(exc))
        return StreamInterruptedError(
            f"stream interrupted by a {what}{': ' + detail if detail else ''}; "
            "the answer is incomplete",
            request_id=self.inference_id,
        )

    def tag(self, exc: StreamError) -> StreamError:
        """`exc` carrying this stream's inference id when it has no request id of its own."""
        if exc.request_id or not self.inference_id:
            return exc
        return type(exc)(
            exc.message,
            status_code=exc.status_code,
            request_id=self.inference_id,
            body=exc.body,
            hint=exc.hint,
        )


class _BaseStream:
    """What both stream kinds share: headers, inference id, usage recording."""

    def __init__(self, client: AIMLClient, call: _Call) -> None:
        self._client = client
        self._call = call
        self._response: httpx.Response | None = None
        self._state: _StreamState | None = None
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
        return self.headers.get("x-inference-id")

    @property
    def response(self) -> httpx.Response | None:
        """The underlying httpx response, once connected."""
        return self._response

    def _record(self) -> None:
        state = self._state
        if self._recorded or state is None:
            return
        if state.done or state.ended or state.usage is not None or state.credits_used is not None:
            self._recorded = True
            record_usage(state.usage, state.credits_used, state.usd_spent)

    def _can_retry(self, exc: httpx.TransportError, yielded: bool) -> bool:
        if yielded:
            return False
        return self._client.retry_policy.should_retry(
            _transport_error(exc, self._call, self._attempt), self._attempt
        )

    def _retry_delay(self) -> float:
        policy = self._client.retry_policy
        return policy.delay(self._attempt, None)


class ChatStream(_BaseStream):
    """Iterator of `Delta`s over one streamed answer; also a context manager.

    Ends normally on `[DONE]`, or at EOF after a finish reason or usage; otherwise raises
    `StreamInterruptedError`. Retried (per policy) only before the first Delta is yielded.
    Usage is recorded into `track_usage()` once, when the stream ends.
    """

    def __init__(self, client: AIMLClient, call: _Call) -> None:
        super().__init__(client, call)
        self._iterator: Iterator[Delta] | None = None

    def open(self) -> ChatStream:
        """Connect now (retrying per policy) so that status errors raise here."""
        if self._response is None and not self._closed:
            self._response, self._attempt = self._client._send(
                self._call, stream=True, attempt=self._attempt
            )
        return self

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

    def _deltas(self) -> Iterator[Delta]:
        yielded = False
        while not self._closed:
            self.open()
            response = self._response
            assert response is not None
            state = self._state = _StreamState(self._call, response)
            convert = state.delta
            decoder = SSEDecoder()
            feed = decoder.feed
            try:
                chunks = response.iter_bytes()
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
                    elif state.done:
                        return
            except httpx.TransportError as exc:
                response.close()
                if not self._can_retry(exc, yielded):
                    raise state.read_error(exc) from exc
                self._client.retry_policy.sleep(self._retry_delay())
                self._attempt += 1
                self._response = None
                continue
            except StreamError as exc:
                raise state.tag(exc) from exc
            finally:
                response.close()
                self._record()
            if not state.ended:
                raise state.eof_error()
            return


class AsyncChatStream(_BaseStream):
    """Async iterator of `Delta`s over one streamed answer; also an async context manager.

    The same rules as `ChatStream`; `aclose()` releases the connection.
    """

    def __init__(self, client: AIMLClient, call: _Call) -> None:
        super().__init__(client, call)
        self._iterator: AsyncIterator[Delta] | None = None

    async def open(self) -> AsyncChatStream:
        """Connect now (retrying per policy) so that status errors raise here."""
        if self._response is None and not self._closed:
            self._response, self._attempt = await self._client._asend(
                self._call, stream=True, attempt=self._attempt
            )
        return self

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
            await self._iterator.aclose()  # type: ignore[attr-defined]
        if self._response is not None:
            await self._response.aclose()
        self._record()

    async def _deltas(self) -> AsyncIterator[Delta]:
        yielded = False
        while not self._closed:
            await self.open()
            response = self._response
            assert response is not None
            state = self._state = _StreamState(self._call, response)
            convert = state.delta
            decoder = SSEDecoder()
            feed = decoder.feed
            try:
                chunks = response.aiter_bytes()
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
                    elif state.done:
                        return
            except httpx.TransportError as exc:
                await response.aclose()
                if not self._can_retry(exc, yielded):
                    raise state.read_error(exc) from exc
                await self._client.retry_policy.async_sleep(self._retry_delay())
                self._attempt += 1
                self._response = None
                continue
            except StreamError as exc:
                raise state.tag(exc) from exc
            finally:
                await response.aclose()
                self._record()
            if not state.ended:
                raise state.eof_error()
            return


# ---------------------------------------------------------------------- helpers


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


def _secret_text(api_key: Any) -> str | None:
    """The key as text; pydantic `SecretStr` is unwrapped so adapters can pass it as is."""
    if api_key is None:
        return None
    getter = getattr(api_key, "get_secret_value", None)
    value = getter() if callable(getter) else api_key
    if not isinstance(value, str):
        raise ParameterError(f"api_key must be a string (got {type(value).__name__})")
    return value or None


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ParameterError(
                f"default_headers must map strings to strings (got {name!r}: "
                f"{type(value).__name__})"
            )
        result[name] = value
    return result


def _check_client_request_id(value: Any) -> str:
    if isinstance(value, str) and _CLIENT_REQUEST_ID.fullmatch(value):
        return value
    raise ParameterError(
        f"client_request_id must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got {value!r})"
    )


def _encode(body: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"the request body is not JSON-serialisable: {exc}") from exc
    return text.encode("utf-8")


def _model_of(body: Mapping[str, Any] | None) -> str | None:
    model = body.get("model") if body else None
    return model if isinstance(model, str) else None


def _non_stream(body: dict[str, Any]) -> dict[str, Any]:
    if "stream" in body or "stream_options" in body:
        body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    return body


def _streaming(body: dict[str, Any]) -> dict[str, Any]:
    return body if body.get("stream") is True else {**body, "stream": True}


def _timeout_kind(exc: BaseException) -> str | None:
    for cls, kind in _TIMEOUT_KINDS:
        if isinstance(exc, cls):
            return kind
    return "" if isinstance(exc, httpx.TimeoutException) else None


def _transport_error(
    exc: httpx.TransportError, call: _Call, attempt: int, request: httpx.Request | None = None
) -> APIConnectionError:
    """A typed error for a request that got no answer; names the timeout that fired."""
    kind = _timeout_kind(exc)
    where = f"{call.method} {call.url}"
    tries = f" (attempt {attempt + 1})"
    if kind is not None:
        seconds = _timeout_seconds(request, kind)
        limit = f" of {seconds:g} s" if isinstance(seconds, (int, float)) else ""
        label = f"{kind} timeout" if kind else "timeout"
        advice = "; pass a larger timeout= for long reasoning" if kind == "read" else ""
        return APITimeoutError(f"{label.capitalize()}{limit} on {where}{tries}{advice}")
    detail = call.scrub(str(exc))
    return APIConnectionError(
        f"Connection error on {where}{tries}: {type(exc).__name__}"
        + (f": {detail}" if detail else "")
    )


def _timeout_seconds(request: httpx.Request | None, kind: str) -> float | None:
    timeouts = request.extensions.get("timeout") if request is not None else None
    return timeouts.get(kind) if isinstance(timeouts, dict) and kind else None


def _status_error(response: httpx.Response, body: bytes, call: _Call) -> APIStatusError:
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location")
        return APIStatusError(
            f"HTTP {status} redirect to {location!r} not followed: the API key is never sent "
            "to a redirect target; set base_url to the final address",
            status_code=status,
            request_id=response.headers.get("x-request-id"),
        )
    if call.key and call.key.encode() in body:
        body = body.replace(call.key.encode(), b"***")
    return error_from_response(status, body, response.headers, model=call.model)


def _retry_delay(
    policy: RetryPolicy,
    call: _Call,
    error: AIMLError,
    attempt: int,
    headers: httpx.Headers | None,
) -> float:
    delay = policy.delay(attempt, headers)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "retrying %s %s in %.3f s after %s (attempt %d of %d)",
            call.method,
            call.url,
            delay,
            type(error).__name__,
            attempt + 2,
            policy.max_attempts,
        )
    return delay


def _log(call: _Call, response: httpx.Response, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        headers = response.headers
        logger.debug(
            "%s %s -> %d (attempt %d, request id %s)",
            call.method,
            call.url,
            response.status_code,
            attempt + 1,
            headers.get("x-request-id") or headers.get("x-inference-id"),
        )


def _json_body(response: httpx.Response, call: _Call) -> dict[str, Any]:
    raw = response.content
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        snippet = call.scrub(raw[:_SNIPPET].decode("utf-8", errors="replace"))
        raise ResponseParseError(
            f"HTTP {response.status_code} answer is not JSON: {snippet!r}",
            status_code=response.status_code,
            request_id=response.headers.get("x-inference-id"),
        ) from exc
    if not isinstance(obj, dict):
        raise ResponseParseError(
            f"HTTP {response.status_code} answer is not a JSON object",
            status_code=response.status_code,
            request_id=response.headers.get("x-inference-id"),
        )
    return obj


def _completion(response: httpx.Response, call: _Call) -> Completion:
    completion = parse_completion(_json_body(response, call), response.headers)
    record_usage(completion.usage, completion.credits_used, completion.usd_spent)
    return completion


def _models(response: httpx.Response, call: _Call) -> list[dict[str, Any]]:
    data = _json_body(response, call).get("data")
    if not isinstance(data, list):
        raise ResponseParseError(
            "the model list has no 'data' array", status_code=response.status_code
        )
    return data
