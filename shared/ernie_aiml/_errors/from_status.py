"""HTTP status and error body → the typed error, with the server's message and request id.

AIML answers errors with a flat `{message, path, requestId, statusCode, timestamp}` body
(`statusCode` often a string); OpenAI-style proxies wrap it as `{"error": {...}}`; gateways
in front of either send HTML. All three become one `APIStatusError` subclass.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from .._catalog import deprecation_hint
from .classes import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContextOverflowError,
    DeprecatedModelError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutStatusError,
    ServerError,
)

_TEXT_LIMIT = 200
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_CONTEXT_OVERFLOW = re.compile(
    r"context[ _]length|context[ _]window|maximum context|too many tokens|"
    r"prompt is too long|context_length_exceeded",
    re.IGNORECASE,
)
_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutStatusError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}
_REQUEST_ID_HEADERS = ("x-request-id", "x-inference-id")


def error_from_response(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str] | None = None,
    *,
    model: str | None = None,
) -> APIStatusError:
    """The typed error for a non-2xx answer; `model` (the requested id) feeds the deprecation hint."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    obj = _json_object(text)
    if obj is not None:
        return error_from_body(obj, status, headers, model=model)
    return _build(status, _text_message(status, text), _header_request_id(headers), text, model)


def error_from_body(
    obj: Mapping[str, Any],
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    model: str | None = None,
) -> APIStatusError:
    """The typed error for a decoded error body (flat AIML or OpenAI `{"error": {...}}`)."""
    inner = obj.get("error")
    inner = inner if isinstance(inner, Mapping) else {}
    if status is None:
        status = _as_status(obj.get("statusCode")) or _as_status(inner.get("code"))
    message = _body_message(obj, inner) or _text_message(status, "")
    request_id = (
        _as_text(obj.get("requestId"))
        or _as_text(obj.get("request_id"))
        or _as_text(inner.get("request_id"))
        or _header_request_id(headers)
    )
    if model is None and isinstance(obj.get("model"), str):
        model = obj["model"]
    code = inner.get("code")
    kind = f"{message} {code}" if isinstance(code, str) else message
    return _build(status, message, request_id, dict(obj), model, kind)


def _build(
    status: int | None,
    message: str,
    request_id: str | None,
    body: Any,
    model: str | None,
    kind: str | None = None,
) -> APIStatusError:
    cls = _class_for(status, kind or message)
    hint = deprecation_hint(model or "the requested model") if cls is DeprecatedModelError else None
    return cls(message, status_code=status, request_id=request_id, body=body, hint=hint)


def _class_for(status: int | None, message: str) -> type[APIStatusError]:
    if status is None:
        return APIStatusError
    if status >= 500:
        return ServerError
    cls = _BY_STATUS.get(status, APIStatusError)
    if cls is BadRequestError and _CONTEXT_OVERFLOW.search(message):
        return ContextOverflowError
    if cls is NotFoundError and "deprecated" in message.lower():
        return DeprecatedModelError
    return cls


def _json_object(text: str) -> Mapping[str, Any] | None:
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return None
    try:
        obj = json.loads(stripped)
    except (ValueError, RecursionError):  # shown as text instead
        return None
    return obj if isinstance(obj, dict) else None


def _body_message(obj: Mapping[str, Any], inner: Mapping[str, Any]) -> str | None:
    for candidate in (obj.get("message"), inner.get("message"), obj.get("error")):
        text = _message_text(candidate)
        if text:
            return text
    return None


def _message_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    return None


def _text_message(status: int | None, text: str) -> str:
    cleaned = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()[:_TEXT_LIMIT]
    if not cleaned:
        cleaned = _reason(status) or "(empty body)"
    prefix = f"HTTP {status} from the server" if status is not None else "Error from the server"
    return f"{prefix}: {cleaned}"


def _reason(status: int | None) -> str | None:
    try:
        return HTTPStatus(status).phrase if status is not None else None
    except ValueError:
        return None


def _as_status(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 100 <= value <= 599 else None
    if isinstance(value, str) and value.strip().isdigit():
        return _as_status(int(value.strip()))
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    return None


def _header_request_id(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value is None and not hasattr(headers, "multi_items"):
            value = next((v for k, v in headers.items() if k.lower() == name), None)
        if value:
            return value
    return None
