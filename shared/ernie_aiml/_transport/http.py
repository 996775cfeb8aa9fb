"""Pure HTTP helpers of the transport: checking and encoding what is sent, reading and
mapping what comes back, and DEBUG logging that never shows a header value.

`Call` is one prepared request; it knows the key only to scrub it from anything a server
or library echoes back.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .._errors.classes import (
    AIMLError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ParameterError,
    ResponseParseError,
)
from .._errors.from_status import error_from_response
from .._observe.hooks import CallObserver
from .._observe.ratelimit import RateLimiter
from .._version import __version__
from .guard import Deadline
from .mask import masker
from .retry import RetryPolicy

logger = logging.getLogger("ernie_aiml")

USER_AGENT = f"ernie-aiml/{__version__}"
JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream"
SNIPPET = 200
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_TIMEOUT_KINDS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "connect"),
    (httpx.ReadTimeout, "read"),
    (httpx.WriteTimeout, "write"),
    (httpx.PoolTimeout, "pool"),
)

#: The request extension that carries a call's `Deadline` to the sync transport.
DEADLINE_EXTENSION = "ernie_aiml.deadline"
TimeoutTypes = float | httpx.Timeout | None
#: Compact UTF-8 JSON, made once (`json.dumps` with options builds an encoder per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(slots=True, repr=False)
class Call:
    """Everything needed to (re)send one request; `key` only to scrub it from messages."""

    method: str
    url: str
    content: bytes | None
    headers: dict[str, str]
    timeout: Any  # httpx.Timeout or httpx.USE_CLIENT_DEFAULT
    model: str | None
    key: str | None
    observer: CallObserver | None = None  # budget and telemetry of this call
    limiter: RateLimiter | None = None  # the client's shared rate limit
    deadline: Deadline | None = None  # the whole logical call's (`guard.Deadline`)

    def __repr__(self) -> str:
        return f"_Call({self.method} {self.url})"

    def scrub(self, text: str) -> str:
        """`text` with the key masked in every form, should a server or library echo it
        (`mask.Masker`; a key shorter than `mask.MIN_SCRUB_LENGTH` is no credential)."""
        mask = masker(self.key)
        return text if mask is None else mask.text(text)

    def scrub_bytes(self, data: bytes) -> bytes:
        """`scrub` for a raw body."""
        mask = masker(self.key)
        return data if mask is None else mask.bytes(data)

    def scrub_headers(self, response: httpx.Response) -> None:
        """Mask the key in `response`'s headers in place, before anything reads them."""
        mask = masker(self.key)
        if mask is not None:
            mask.headers(response)

    def request(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """A fresh httpx request for one attempt, with every header of this call; the
        deadline rides along as an extension for `deadline_transport.DeadlineTransport`."""
        timeout = self.timeout
        extensions = None
        if self.deadline is not None:  # no single wait may outlast the call's deadline
            base = client.timeout if timeout is httpx.USE_CLIENT_DEFAULT else timeout
            capped = self.deadline.cap(base)
            if capped is not base:  # else left as it was: httpx copies any timeout it is given
                timeout = capped
            extensions = {DEADLINE_EXTENSION: self.deadline}
        return client.build_request(
            self.method,
            self.url,
            content=self.content,
            headers=self.headers,
            timeout=timeout,
            extensions=extensions,
        )


# ---------------------------------------------------------------------- what is sent


def secret_text(api_key: Any) -> str | None:
    """The key as text; pydantic `SecretStr` is unwrapped so adapters can pass it as is."""
    if api_key is None:
        return None
    getter = getattr(api_key, "get_secret_value", None)
    value = getter() if callable(getter) else api_key
    if not isinstance(value, str):
        raise ParameterError(f"api_key must be a string (got {type(value).__name__})")
    return value or None


def check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """`default_headers` as a plain dict, after checking it maps strings to strings."""
    result: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ParameterError(
                f"default_headers must map strings to strings (got {name!r}: "
                f"{type(value).__name__})"
            )
        if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
            raise ParameterError(
                f"default_headers[{name!a}] must be a token name and a value of printable "
                "ASCII without line breaks (its value is not shown)"
            )
        result[name] = value
    return result


def check_client_request_id(value: Any) -> str:
    """`value` if it is a valid `X-Client-Request-Id`, else ParameterError."""
    if isinstance(value, str) and _CLIENT_REQUEST_ID.fullmatch(value):
        return value
    raise ParameterError(
        f"client_request_id must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got {value!r})"
    )


def encode(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a request body; ParameterError if it is not serialisable."""
    try:
        text = _ENCODER.encode(body)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ParameterError(f"the request body is not JSON-serialisable: {exc}") from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") in a prompt, tool, model
        raise ParameterError(
            f"the request holds a lone surrogate ({text[exc.start : exc.end]!a}), which is not "
            "valid Unicode text: fix the string it came from"
        ) from None


def model_of(body: Mapping[str, Any] | None) -> str | None:
    """The requested model id, for deprecation hints in errors."""
    model = body.get("model") if body else None
    return model if isinstance(model, str) else None


def non_stream(body: dict[str, Any]) -> dict[str, Any]:
    """`body` without `stream`/`stream_options` (copied only when it has them)."""
    if "stream" in body or "stream_options" in body:
        body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    return body


def streaming(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with `stream: true` (copied only when it lacks it)."""
    return body if body.get("stream") is True else {**body, "stream": True}


# ---------------------------------------------------------------------- what comes back


def timeout_kind(exc: BaseException) -> str | None:
    """ "connect"/"read"/"write"/"pool" for a timeout ("" if unknown), None for other errors."""
    for cls, kind in _TIMEOUT_KINDS:
        if isinstance(exc, cls):
            return kind
    return "" if isinstance(exc, httpx.TimeoutException) else None


def transport_error(
    exc: httpx.TransportError, call: Call, attempt: int, request: httpx.Request | None = None
) -> APIConnectionError:
    """A typed error for a request that got no answer; names the timeout that fired."""
    kind = timeout_kind(exc)
    where = f"{call.method} {call.url} (attempt {attempt + 1})"
    if kind is not None:
        return _timeout_error(kind, _timeout_seconds(request, kind), where)
    detail = call.scrub(str(exc))
    return APIConnectionError(
        f"Connection error on {where}: {type(exc).__name__}" + (f": {detail}" if detail else "")
    )


def _timeout_error(kind: str, seconds: Any, where: str) -> APITimeoutError:
    limit = f" of {seconds:g} s" if isinstance(seconds, (int, float)) else ""
    label = f"{kind} timeout" if kind else "timeout"
    advice = "; pass a larger timeout= for long reasoning" if kind == "read" else ""
    return APITimeoutError(f"{label.capitalize()}{limit} on {where}{advice}")


def _timeout_seconds(request: httpx.Request | None, kind: str) -> float | None:
    timeouts = request.extensions.get("timeout") if request is not None else None
    return timeouts.get(kind) if isinstance(timeouts, dict) and kind else None


def status_error(response: httpx.Response, body: bytes, call: Call) -> APIStatusError:
    """The typed error for a non-2xx answer (a redirect is refused, never followed)."""
    status = response.status_code
    if 300 <= status < 400:
        return APIStatusError(
            f"HTTP {status} redirect to {response.headers.get('location')!r} not followed: "
            "the API key is never sent to a redirect target; set base_url to the final address",
            status_code=status,
            request_id=response.headers.get("x-request-id"),
        )
    return error_from_response(status, call.scrub_bytes(body), response.headers, model=call.model)


def read_and_close(response: httpx.Response) -> bytes:
    """The body of an error answer (empty if the connection broke, it passed
    `Limits.error_bytes` or its compression is corrupt) and release it."""
    try:
        return response.read()
    except (httpx.TransportError, ResponseParseError):
        return b""
    finally:
        response.close()


async def aread_and_close(response: httpx.Response) -> bytes:
    """Async `read_and_close`."""
    try:
        return await response.aread()
    except (httpx.TransportError, ResponseParseError):
        return b""
    finally:
        await response.aclose()


def json_body(response: httpx.Response, call: Call) -> dict[str, Any]:
    """A 2xx answer's JSON object, with an echoed key masked before it is parsed."""
    raw = call.scrub_bytes(response.content)
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond reason
        snippet = raw[:SNIPPET].decode("utf-8", errors="replace")
        raise _parse_error(response, f"answer is not JSON: {snippet!r}") from exc
    if not isinstance(obj, dict):
        raise _parse_error(response, "answer is not a JSON object")
    return obj


def _parse_error(response: httpx.Response, what: str) -> ResponseParseError:
    return ResponseParseError(
        f"HTTP {response.status_code} {what}",
        status_code=response.status_code,
        request_id=response.headers.get("x-inference-id"),
    )


# ---------------------------------------------------------------------- logging


def retry_delay(
    policy: RetryPolicy,
    call: Call,
    error: AIMLError,
    attempt: int,
    headers: httpx.Headers | None,
) -> float:
    """The wait before the next attempt, logged at DEBUG."""
    delay = policy.delay(attempt, headers)
    if call.observer is not None:  # the retry, as a span event; a shared 429 window
        delay = call.observer.retry(error, attempt, delay)
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


def log_response(call: Call, response: httpx.Response, attempt: int) -> None:
    """One DEBUG line per answer: method, URL, status, attempt, request id."""
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
