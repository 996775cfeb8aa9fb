"""`AIMLClient`: the one place that sends requests to AIML.

It prepares a `Call` (headers, encoded body, timeout, key) and hands it to its `Sender`
(pooled httpx clients and the one retry loop); a forced `tool_choice` that a thinking model
refuses is retried here with the fallback bodies (`fallback.py`), once, for chats and streams
alike. 2xx answers are parsed into `Completion`s. The key travels only in the
`Authorization` header of requests to the configured base URL: never to a redirect target,
never over plain http to a remote host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from .._errors.classes import ParameterError, ResponseParseError
from .._observe.hooks import call_completed
from .._observe.ratelimit import RateLimiter
from .._settings import (
    DEFAULT_MAX_RETRIES,
    check_api_key,
    check_deadline,
    check_transport_security,
    find_api_key,
    resolve_api_key,
    resolve_base_url,
    resolve_timeout,
)
from .._types import Completion
from .._wire.response import parse_completion
from .attempts import Attempts
from .fallback import asend_with_tool_fallback, send_with_tool_fallback
from .guard import ACCEPT_ENCODING, DEFAULT_DEADLINE, Deadline
from .http import (
    JSON_TYPE,
    SSE_TYPE,
    USER_AGENT,
    Call,
    TimeoutTypes,
    check_client_request_id,
    check_headers,
    encode,
    json_body,
    model_of,
    non_stream,
    secret_text,
    streaming,
)
from .mask import masker
from .retry import RetryPolicy
from .sender import Sender
from .stream import AsyncChatStream, ChatStream

_CHAT = "/chat/completions"


class AIMLClient:
    """Sync and async client for AIML chat completions and the model list.

    One pooled `httpx.Client` (made on first use, under a lock) and one `httpx.AsyncClient`
    per running event loop; caller-supplied clients are used as they are and never closed
    here. The key is resolved at the first request (`MissingAPIKeyError` if there is none).
    `retry_policy`, when given, is used as is and `max_retries` is ignored. `rate_limiter`
    (`ernie_aiml.RateLimiter`) gives every chat call a turn on a rate limit shared by a fleet.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        allow_insecure_http: bool = False,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        deadline: float | None = None,
    ) -> None:
        if rate_limiter is not None and not isinstance(rate_limiter, RateLimiter):
            raise ParameterError(
                f"rate_limiter must be an ernie_aiml.RateLimiter (got {type(rate_limiter).__name__})"
            )
        self.rate_limiter = rate_limiter
        self.base_url = resolve_base_url(base_url)
        #: Seconds one whole call may take, retries and every byte of the answer included.
        self.deadline = check_deadline(deadline) or DEFAULT_DEADLINE
        self.timeout = resolve_timeout(timeout)
        self.allow_insecure_http = allow_insecure_http
        self.default_headers = check_headers(default_headers)
        key = secret_text(api_key)
        self._api_key_arg = check_api_key(key) if key and key.strip() else None
        self._api_key: str | None = None
        self._timeout_given = timeout is not None
        self._base_headers = {"User-Agent": USER_AGENT, **self.default_headers}
        self._sender = Sender(
            timeout=self.timeout,
            retry_policy=retry_policy or RetryPolicy(max_retries=max_retries),
            http_client=http_client,
            http_async_client=http_async_client,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"max_retries={self.retry_policy.max_retries})"
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry budget and backoff of every request."""
        return self._sender.retry_policy

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
        deadline: float | None = None,
    ) -> Completion:
        """POST a non-streamed chat completion; retries per policy; records usage.

        A refused forced `tool_choice` is retried with the fallback bodies; the label of
        the one that worked is `Completion.tool_choice_fallback`.
        """
        attempts = self._attempts(non_stream(body), JSON_TYPE, client_request_id, timeout, deadline)

        def send(wire: dict[str, Any]) -> Completion:
            call = attempts.call_for(wire)
            try:
                return _completion(self._sender.send(call, stream=False)[0], call)
            except BaseException as exc:
                attempts.note(exc)
                raise

        try:
            completion, fallback = send_with_tool_fallback(send, attempts.body)
        except BaseException as exc:  # the call failed: counted and traced as far as it got
            attempts.failed(exc)
            raise
        completion.tool_choice_fallback = fallback
        return completion

    async def achat(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
        deadline: float | None = None,
    ) -> Completion:
        """Async `chat`."""
        attempts = self._attempts(non_stream(body), JSON_TYPE, client_request_id, timeout, deadline)

        async def send(wire: dict[str, Any]) -> Completion:
            call = attempts.call_for(wire)
            try:
                return _completion((await self._sender.asend(call, stream=False))[0], call)
            except BaseException as exc:
                attempts.note(exc)
                raise

        try:
            completion, fallback = await asend_with_tool_fallback(send, attempts.body)
        except BaseException as exc:  # the call failed: counted and traced as far as it got
            attempts.failed(exc)
            raise
        completion.tool_choice_fallback = fallback
        return completion

    def stream(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
        deadline: float | None = None,
    ) -> ChatStream:
        """A streamed chat completion; connects on first iteration or on entering `with`.

        A refused forced `tool_choice` is retried at connection with the fallback bodies
        (`ChatStream.tool_choice_fallback` names the one that worked).
        """
        return ChatStream(
            self._sender,
            self._attempts(streaming(body), SSE_TYPE, client_request_id, timeout, deadline),
        )

    def astream(
        self,
        body: dict[str, Any],
        *,
        client_request_id: str | None = None,
        timeout: TimeoutTypes = None,
        deadline: float | None = None,
    ) -> AsyncChatStream:
        """Async `stream`; connects on first iteration or on entering `async with`."""
        return AsyncChatStream(
            self._sender,
            self._attempts(streaming(body), SSE_TYPE, client_request_id, timeout, deadline),
        )

    def list_models(self, *, timeout: TimeoutTypes = None) -> list[dict[str, Any]]:
        """GET `{base_url}/models` and return its `data` list (the key is sent if known)."""
        call = self._prepare("GET", "/models", None, JSON_TYPE, None, timeout, require_key=False)
        response, _ = self._sender.send(call, stream=False)
        return _models(response, call)

    async def alist_models(self, *, timeout: TimeoutTypes = None) -> list[dict[str, Any]]:
        """Async `list_models`."""
        call = self._prepare("GET", "/models", None, JSON_TYPE, None, timeout, require_key=False)
        response, _ = await self._sender.asend(call, stream=False)
        return _models(response, call)

    def close(self) -> None:
        """Close the HTTP clients this object made (never a caller-supplied one)."""
        self._sender.close()

    async def aclose(self) -> None:
        """Close the HTTP clients this object made, awaiting this loop's async one."""
        await self._sender.aclose()

    def __enter__(self) -> AIMLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> AIMLClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ preparing

    def _attempts(
        self,
        body: dict[str, Any],
        accept: str,
        client_request_id: str | None,
        timeout: TimeoutTypes,
        deadline: float | None = None,
    ) -> Attempts:
        """One chat call, prepared now (bad input fails here, before anything is sent); its
        deadline runs from now, across retries and fallbacks."""
        total = Deadline(check_deadline(deadline) or self.deadline)

        def prepare(wire: dict[str, Any]) -> Call:
            call = self._prepare("POST", _CHAT, wire, accept, client_request_id, timeout)
            call.deadline = total
            return call

        return Attempts(prepare(body), body, prepare)

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
        masker(key)  # known to the log mask before httpcore traces the response's headers
        url = self.base_url + path
        check_transport_security(url, allow_insecure_http=self.allow_insecure_http)
        headers = self._headers(accept, content is not None, key, client_request_id)
        call = Call(method, url, content, headers, self._timeout_for(timeout), model_of(body), key)
        if path == _CHAT:
            call.limiter = self.rate_limiter
        return call

    def _headers(
        self, accept: str, has_body: bool, key: str | None, client_request_id: str | None
    ) -> dict[str, str]:
        """Every header of one request, in the order they have always been set."""
        headers = dict(self._base_headers)
        if client_request_id is not None:
            headers["X-Client-Request-Id"] = client_request_id
        headers["Accept"] = accept
        headers["Accept-Encoding"] = ACCEPT_ENCODING  # what `guard` decodes with a limit
        if has_body:
            headers["Content-Type"] = JSON_TYPE
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _timeout_for(self, timeout: TimeoutTypes) -> Any:
        if timeout is not None:
            return resolve_timeout(timeout)
        if self._timeout_given or not (self._sender.borrows_sync or self._sender.borrows_async):
            return self.timeout
        return httpx.USE_CLIENT_DEFAULT


def _completion(response: httpx.Response, call: Call) -> Completion:
    completion = parse_completion(json_body(response, call), response.headers)
    call_completed(call.observer, completion)  # usage into the tallies, the span's end
    return completion


def _models(response: httpx.Response, call: Call) -> list[dict[str, Any]]:
    data = json_body(response, call).get("data")
    if not isinstance(data, list):
        raise ResponseParseError(
            "the model list has no 'data' array", status_code=response.status_code
        )
    return data
