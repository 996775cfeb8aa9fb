"""`AIMLClient`: the one place that sends requests to AIML, with the one retry loop.

It prepares a `Call` (headers, encoded body, timeout, key), sends it on a pooled httpx
client (one sync client, one async client per event loop; caller-supplied ones are used as
they are), retries per `RetryPolicy`, turns non-2xx answers into typed errors and parses
2xx answers. The key travels only in the `Authorization` header of requests to the
configured base URL: never to a redirect target, never over plain http to a remote host.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import httpx

from .._errors.classes import AIMLError, ResponseParseError
from .._observe import call_completed, call_failed, start_call  # [spend hook]
from .._settings import (
    check_transport_security,
    find_api_key,
    resolve_api_key,
    resolve_base_url,
    resolve_timeout,
)
from .._types import Completion
from .._wire.response import parse_completion
from .http import (
    JSON_TYPE,
    SSE_TYPE,
    USER_AGENT,
    Call,
    TimeoutTypes,
    aread_and_close,
    check_client_request_id,
    check_headers,
    encode,
    json_body,
    log_response,
    model_of,
    non_stream,
    read_and_close,
    retry_delay,
    secret_text,
    status_error,
    streaming,
    transport_error,
)
from .retry import RetryPolicy
from .stream import AsyncChatStream, ChatStream

_CHAT = "/chat/completions"
#: Pool of the clients made here: many concurrent streams without queueing (as openai's).
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


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
        self.default_headers = check_headers(default_headers)
        self._api_key_arg = secret_text(api_key)
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
        # The headers the clients made here carry (fixed at the first one), so that only
        # the per-request ones are merged per request. None until then.
        self._owned_headers: dict[str, str] | None = None
        self._header_cache: dict[tuple[str, bool, str | None], dict[str, str]] = {}

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
        call = self._prepare("POST", _CHAT, non_stream(body), JSON_TYPE, client_request_id, timeout)
        try:
            response, _ = self._send(call, stream=False)
            return _completion(response, call)
        except BaseException as exc:  # [spend hook] a failed call is counted and traced
            call_failed(call, exc)
            raise

    async def achat(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> Completion:
        """Async `chat`."""
        call = self._prepare("POST", _CHAT, non_stream(body), JSON_TYPE, client_request_id, timeout)
        try:
            response, _ = await self._asend(call, stream=False)
            return _completion(response, call)
        except BaseException as exc:  # [spend hook] a failed call is counted and traced
            call_failed(call, exc)
            raise

    def stream(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> ChatStream:
        """A streamed chat completion; connects on first iteration or on entering `with`."""
        call = self._prepare("POST", _CHAT, streaming(body), SSE_TYPE, client_request_id, timeout)
        return ChatStream(self, call)

    def astream(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncChatStream:
        """Async `stream`; connects on first iteration or on entering `async with`."""
        call = self._prepare("POST", _CHAT, streaming(body), SSE_TYPE, client_request_id, timeout)
        return AsyncChatStream(self, call)

    def list_models(self, *, timeout: TimeoutTypes = None) -> list[dict[str, Any]]:
        """GET `{base_url}/models` and return its `data` list (the key is sent if known)."""
        call = self._prepare("GET", "/models", None, JSON_TYPE, None, timeout, require_key=False)
        response, _ = self._send(call, stream=False)
        return _models(response, call)

    async def alist_models(self, *, timeout: TimeoutTypes = None) -> list[dict[str, Any]]:
        """Async `list_models`."""
        call = self._prepare("GET", "/models", None, JSON_TYPE, None, timeout, require_key=False)
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
        if self._api_key is not None:
            return self._api_key
        if not required:
            return find_api_key(self._api_key_arg)
        self._api_key = resolve_api_key(self._api_key_arg)
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
    ) -> Call:
        if client_request_id is not None:
            client_request_id = check_client_request_id(client_request_id)
        content = None if body is None else encode(body)
        key = self._key(require_key)
        url = self.base_url + path
        check_transport_security(url, allow_insecure_http=self.allow_insecure_http)
        if client_request_id is None:
            headers = self._shared_headers(accept, content is not None, key)
        else:
            headers = self._headers(accept, content is not None, key, client_request_id)
        call = Call(method, url, content, headers, self._timeout_for(timeout), model_of(body), key)
        if body is not None:  # [spend hook] budget check (may raise) and span start
            call.observer = start_call(call, body)
        return call

    def _headers(
        self, accept: str, has_body: bool, key: str | None, client_request_id: str | None
    ) -> dict[str, str]:
        """Every header of one request, in the order they have always been set."""
        headers = dict(self._base_headers)
        if client_request_id is not None:
            headers["X-Client-Request-Id"] = client_request_id
        headers["Accept"] = accept
        if has_body:
            headers["Content-Type"] = JSON_TYPE
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _shared_headers(self, accept: str, has_body: bool, key: str | None) -> dict[str, str]:
        """`_headers` without a client request id, built once per kind (never mutated)."""
        cache_key = (accept, has_body, key)
        headers = self._header_cache.get(cache_key)
        if headers is None:
            headers = self._header_cache[cache_key] = self._headers(accept, has_body, key, None)
        return headers

    def _fixed_headers(self) -> dict[str, str]:
        """The headers of the clients made here: those of a chat request (decided once)."""
        fixed = self._owned_headers
        if fixed is None:
            fixed = self._owned_headers = self._headers(JSON_TYPE, True, self._api_key, None)
        return fixed

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
        if client is not None:  # made already: no lock needed to read it
            return client
        with self._lock:
            if self._own_client is None:
                self._own_client = httpx.Client(
                    timeout=self.timeout,
                    follow_redirects=False,
                    headers=self._fixed_headers(),
                    limits=_LIMITS,
                )
            return self._own_client

    def _async_client(self) -> httpx.AsyncClient:
        if self._http_async_client is not None:
            return self._http_async_client
        loop = asyncio.get_running_loop()
        client = self._own_async.get(loop)
        if client is None:
            client = self._own_async[loop] = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                headers=self._fixed_headers(),
                limits=_LIMITS,
            )
        return client

    # ------------------------------------------------------------------ sending

    def _send(self, call: Call, *, stream: bool, attempt: int = 0) -> tuple[httpx.Response, int]:
        """Send with retries; returns the 2xx response and the 0-based attempt that got it."""
        client = self._sync_client()
        fixed = self._owned_headers if self._http_client is None else None
        policy = self.retry_policy
        while True:
            request = call.request(client, fixed)
            retry_headers: httpx.Headers | None = None
            cause: BaseException | None = None
            try:
                response = client.send(request, stream=stream, follow_redirects=False)
            except httpx.TransportError as exc:
                error: AIMLError = transport_error(exc, call, attempt, request)
                cause = exc
            else:
                log_response(call, response, attempt)
                if response.is_success:
                    return response, attempt
                error = status_error(response, read_and_close(response), call)
                retry_headers = response.headers
            if not policy.should_retry(error, attempt):
                raise error from cause
            policy.sleep(retry_delay(policy, call, error, attempt, retry_headers))
            attempt += 1

    async def _asend(
        self, call: Call, *, stream: bool, attempt: int = 0
    ) -> tuple[httpx.Response, int]:
        """Async `_send`."""
        client = self._async_client()
        fixed = self._owned_headers if self._http_async_client is None else None
        policy = self.retry_policy
        while True:
            request = call.request(client, fixed)
            retry_headers: httpx.Headers | None = None
            cause: BaseException | None = None
            try:
                response = await client.send(request, stream=stream, follow_redirects=False)
            except httpx.TransportError as exc:
                error: AIMLError = transport_error(exc, call, attempt, request)
                cause = exc
            else:
                log_response(call, response, attempt)
                if response.is_success:
                    return response, attempt
                error = status_error(response, await aread_and_close(response), call)
                retry_headers = response.headers
            if not policy.should_retry(error, attempt):
                raise error from cause
            await policy.async_sleep(retry_delay(policy, call, error, attempt, retry_headers))
            attempt += 1


def _completion(response: httpx.Response, call: Call) -> Completion:
    completion = parse_completion(json_body(response, call), response.headers)
    call_completed(call, completion)  # [spend hook] usage into tallies, span end
    return completion


def _models(response: httpx.Response, call: Call) -> list[dict[str, Any]]:
    data = json_body(response, call).get("data")
    if not isinstance(data, list):
        raise ResponseParseError(
            "the model list has no 'data' array", status_code=response.status_code
        )
    return data
