"""AIML answers to neutral types: `Completion` for a JSON body, `Delta` per stream chunk.

`parse_delta` runs once per streamed chunk, so it does plain dict lookups and nothing for
a field that is absent. Every `meta`/details field is optional: AIML omits them freely.
"""

from __future__ import annotations

import json
import reprlib
import sys
from collections.abc import Mapping
from typing import Any

import httpx

from .._errors.classes import AIMLError, ResponseParseError, StreamError
from .._types import (
    Completion,
    Delta,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    Usage,
    tool_call_id,
)

CREDITS_HEADER = "x-aimlapi-credits-used"
USD_HEADER = "x-aimlapi-usd-spent"
INFERENCE_ID_HEADER = "x-inference-id"


# ------------------------------------------------------------------ tool calls


def parse_arguments(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """Arguments text to a dict: `""` is `{}`; not JSON or not an object gives an error text."""
    if not raw or raw.isspace():
        return {}, None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond reason
        return None, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"arguments are not a JSON object (got {type(value).__name__})"
    return value, None


def make_tool_call(
    index: int, id: str | None, name: str | None, raw: Any, extra_content: Any = None
) -> ToolCall | InvalidToolCall:
    """A `ToolCall` when the name is known and the arguments are a JSON object, else invalid.

    Either way a call the server sent without an id is named `tool_call_id(None, index)`.
    """
    if raw is None:
        raw = ""
    elif not isinstance(raw, str):  # an object (some gateways), or a wrong JSON type
        raw = json.dumps(raw, ensure_ascii=False)
    arguments, error = parse_arguments(raw)
    if not name:
        error = "tool call has no function name"
    if error is not None:
        return InvalidToolCall(
            id=tool_call_id(id, index),
            name=name,
            raw_arguments=raw,
            error=error,
            extra_content=extra_content,
        )
    assert name and arguments is not None  # for mypy: both follow from `error is None`
    return ToolCall(
        id=tool_call_id(id, index),
        name=name,
        arguments=arguments,
        extra_content=extra_content,
    )


def _tool_calls(entries: Any) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """`message.tool_calls` split into valid and invalid calls, in order."""
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for position, entry in enumerate(entries):
        function = entry.get("function") or {}
        call = make_tool_call(
            position,
            entry.get("id"),
            function.get("name"),
            function.get("arguments"),
            entry.get("extra_content"),
        )
        (valid if isinstance(call, ToolCall) else invalid).append(call)  # type: ignore[arg-type]
    return valid, invalid


# ----------------------------------------------------------------- usage, cost


_SHAPE_ERRORS = (AttributeError, TypeError, KeyError)


def _shape_error(what: str, obj: Any, exc: Exception) -> ResponseParseError:
    """A value of the wrong JSON type somewhere in an answer (`choices: [null]`, `usage: 1`)."""
    return ResponseParseError(
        f"{what} does not have the documented shape ({type(exc).__name__}: {exc})", body=obj
    )


def parse_usage(obj: Mapping[str, Any] | None) -> Usage | None:
    """`usage` to `Usage`, with reasoning and cached tokens when the details say so.

    A `usage` of the wrong JSON type raises `ResponseParseError`.
    """
    try:
        return _usage(obj)
    except _SHAPE_ERRORS as exc:
        raise _shape_error("usage", obj, exc) from None


def _usage(obj: Mapping[str, Any] | None) -> Usage | None:
    """`parse_usage` without the shape guard (its callers have their own).

    A count that is not an integer (`"12"`, `1.5`, `true`) raises `ResponseParseError`.
    """
    if not obj:
        return None
    prompt = obj.get("prompt_tokens")
    completion = obj.get("completion_tokens")
    total = obj.get("total_tokens")
    if (
        type(prompt) is not int
        or type(completion) is not int
        or type(total) is not int
        or (prompt | completion | total) < 0  # any negative: a lying server's count
        or (prompt | completion | total) > _MAX_TOKENS  # beyond any float (a budget's sums)
    ):
        prompt = _count(obj, "prompt_tokens", prompt)
        completion = _count(obj, "completion_tokens", completion)
        total = _count(obj, "total_tokens", total)
    completion_details = obj.get("completion_tokens_details")
    reasoning = completion_details.get("reasoning_tokens") if completion_details else None
    if reasoning is not None and (type(reasoning) is not int or not 0 <= reasoning <= _MAX_TOKENS):
        _count(obj, "completion_tokens_details.reasoning_tokens", reasoning)
    prompt_details = obj.get("prompt_tokens_details")
    cached = prompt_details.get("cached_tokens") if prompt_details else None
    if cached is None:
        cached = obj.get("prompt_cache_hit_tokens")
        if cached is not None and (type(cached) is not int or not 0 <= cached <= _MAX_TOKENS):
            _count(obj, "prompt_cache_hit_tokens", cached)
    elif type(cached) is not int or not 0 <= cached <= _MAX_TOKENS:
        _count(obj, "prompt_tokens_details.cached_tokens", cached)
    # positional: prompt, completion, total, reasoning, cached (cheaper than keywords)
    return Usage(prompt or 0, completion or 0, total or 0, reasoning, cached)


def _count(usage: Mapping[str, Any], name: str, value: Any) -> int | None:
    """A token count as sent: an int >= 0 or null; anything else is a parse error (a
    negative count would lower a budget's running total)."""
    if value is None or (type(value) is int and 0 <= value <= _MAX_TOKENS):
        return value
    raise ResponseParseError(
        f"usage.{name} must be an integer >= 0 and <= 2**53 (got {type(value).__name__} "
        f"{_shown(value)})",
        body=usage,
    )


def _meta_cost(obj: Mapping[str, Any]) -> tuple[Any, Any]:
    """`meta.usage.credits_used` and `usd_spent`, each None when absent.

    A value that is not a JSON number raises `ResponseParseError`.
    """
    meta = obj.get("meta")
    usage = meta.get("usage") if meta else None
    if not usage:
        return None, None
    credits = usage.get("credits_used")
    usd = usage.get("usd_spent")
    # `not 0 <= x <= _MAX` also catches NaN, which makes every budget comparison false, and
    # an integer beyond any float (a budget's message would fail to format it)
    if credits is not None and (type(credits) not in _NUMBER_TYPES or not 0 <= credits <= _MAX):
        _amount("meta.usage.credits_used", credits, usage)
    if usd is not None and (type(usd) not in _NUMBER_TYPES or not 0 <= usd <= _MAX):
        _amount("meta.usage.usd_spent", usd, usage)
    return credits, usd


_NUMBER_TYPES = (int, float)
#: The largest finite float: a cost above it cannot be summed or shown as a number.
_MAX = sys.float_info.max
#: The largest token count kept exactly by a float (the tallies sum into floats too).
_MAX_TOKENS = 2**53


def _shown(value: Any) -> str:
    """`value` for a message: a huge integer by its size, not its 400 digits."""
    if type(value) is int and value.bit_length() > 64:
        return f"of {len(str(value))} digits"
    return repr(value)


def _amount(name: str, value: Any, body: Any) -> None:
    """The error for a cost that is not a finite number >= 0 (a lying server's budget)."""
    raise ResponseParseError(
        f"{name} must be a finite number >= 0 (got {type(value).__name__} {_shown(value)})",
        body=body,
    )


def _number(text: str | None, kind: type, name: str) -> Any:
    """A header value as int/float; None when absent or not a number; a NaN, infinite or
    negative one is a `ResponseParseError` (it would switch a budget off or lower it)."""
    if text is None:
        return None
    try:
        value = kind(text.strip())
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
    if not 0 <= value <= _MAX:
        _amount(f"the {name} header", text[:40], None)
    return value


# ------------------------------------------------------------------ completion


def _is_error(body: Mapping[str, Any]) -> bool:
    """An `error` object, or AIML's flat `{message, statusCode}` error shape."""
    return bool(body.get("error")) or ("statusCode" in body and "message" in body)


def _body_error(body: Mapping[str, Any], headers: Mapping[str, str] | None) -> AIMLError:
    """The typed error for an error object that came with a 2xx status."""
    from .._errors.from_status import error_from_body

    return error_from_body(body, None, headers)


def parse_completion(
    body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Completion:
    """A non-streamed `/chat/completions` body (plus its headers) to a `Completion`.

    Raises the typed error for an error body, `ResponseParseError` when there is no choice.
    """
    if not isinstance(body, Mapping):
        raise ResponseParseError(f"expected a JSON object, got {type(body).__name__}", body=body)
    if _is_error(body):
        raise _body_error(body, headers)
    try:
        return _completion(body, headers)
    except _SHAPE_ERRORS as exc:
        raise _shape_error("the response", body, exc) from None


def _completion(body: Mapping[str, Any], headers: Mapping[str, str] | None) -> Completion:
    """`parse_completion` for a body that is not an error (shape errors leak from here)."""
    choices = body.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], Mapping):
        raise ResponseParseError("the response has no choices", body=body)
    choice = choices[0]
    message = choice.get("message") or {}
    content = message.get("content")
    entries = message.get("tool_calls")
    tool_calls, invalid = _tool_calls(entries) if entries else ([], [])
    credits, usd = _meta_cost(body)
    lowered = _lower_keys(headers)
    found = lowered.get if lowered else _absent
    if credits is None:
        credits = _number(found(CREDITS_HEADER), int, CREDITS_HEADER)
    if usd is None:
        usd = _number(found(USD_HEADER), float, USD_HEADER)
    reasoning = message.get("reasoning_content") or message.get("reasoning") or None
    if type(reasoning) not in _TEXT_OR_NONE:
        raise _odd_text("message.reasoning_content", reasoning)
    return Completion(
        content=_text(content),
        reasoning=reasoning,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        finish_reason=choice.get("finish_reason"),
        usage=_usage(body.get("usage")),
        id=body.get("id"),
        model=body.get("model"),
        inference_id=found(INFERENCE_ID_HEADER),
        credits_used=credits,
        usd_spent=usd,
        flag=choice.get("flag"),
        system_fingerprint=body.get("system_fingerprint"),
        raw=body if isinstance(body, dict) else dict(body),
        headers=lowered,
    )


def _lower_keys(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """Response headers as a plain dict with lower-case keys (None stays None)."""
    if headers is None:
        return None
    if isinstance(headers, httpx.Headers):
        # httpx's own: lower-case keys, a repeated header's values joined with ", "
        return dict(headers.items())
    return {key.lower(): value for key, value in headers.items()}


def _absent(name: str) -> None:
    """The header lookup when there are no headers."""
    return None


def _text(content: Any) -> str:
    """Message content as text: None is "", a list of parts is its text parts joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text") or ""
            for p in content
            if isinstance(p, Mapping) and p.get("type") == "text"
        )
    raise _odd_text("message.content", content)


# ----------------------------------------------------------------------- delta


def _stream_error(chunk: Mapping[str, Any]) -> StreamError:
    """`StreamError` with the server's message, status and request id when it sent them."""
    error = chunk.get("error")
    if isinstance(error, Mapping):
        message = error.get("message") or json.dumps(dict(error), ensure_ascii=False)
        status = error.get("code") if isinstance(error.get("code"), int) else None
    elif error:
        message, status = str(error), None
    else:
        message, status = str(chunk.get("message")), chunk.get("statusCode")
    if isinstance(status, str):
        status = int(status) if status.isdigit() else None
    return StreamError(
        message or "error in stream",
        status_code=status,
        request_id=chunk.get("requestId"),
        body=chunk,
    )


def error_event(data: str, inference_id: str | None = None) -> StreamError:
    """The `StreamError` of an SSE `event: error`: the server's message (JSON or plain text)."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        obj = None
    if isinstance(obj, Mapping):
        if not obj.get("error") and "message" not in obj:
            obj = {"error": dict(obj)}
        error = _stream_error(obj)
        if error.request_id is None and inference_id is not None:
            error = StreamError(
                error.message, status_code=error.status_code, request_id=inference_id, body=obj
            )
        return error
    return StreamError(data[:_EVENT_TEXT] or "error in stream", request_id=inference_id)


#: How much of a plain-text error event is kept in the message.
_EVENT_TEXT = 1000


def _tool_call_chunks(entries: list[Any]) -> list[ToolCallChunk]:
    """Every `delta.tool_calls` entry as a fragment keyed by `index` (position if missing).

    An index that is not an integer >= 0 (`"0"`, `1.5`), an id or name that is not text, or a
    type other than "function" is a `ResponseParseError`: no fragment lands in the wrong call.
    """
    out = []
    for position, entry in enumerate(entries):
        index = entry.get("index")
        if (
            (index is not None and (type(index) is not int or index < 0))
            or entry.get("type", "function") not in _CALL_TYPES
            or type(entry.get("id", "")) not in _TEXT_OR_NONE
        ):
            raise _odd_fragment(entry)
        function = entry.get("function")
        if function:
            arguments = function.get("arguments")
            if arguments is not None and not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            name = function.get("name")
            if type(name) not in _TEXT_OR_NONE:
                raise _odd_fragment(entry)
        else:
            arguments = name = None
        out.append(
            ToolCallChunk(
                position if index is None else index,
                entry.get("id"),
                name,
                arguments,
                entry.get("extra_content"),
            )
        )
    return out


_CALL_TYPES = frozenset({"function", None})
_TEXT_OR_NONE = frozenset({str, type(None)})


def _odd_fragment(entry: Any) -> ResponseParseError:
    """A tool-call fragment whose index, type, id or name has the wrong JSON type."""
    return ResponseParseError(
        "stream tool-call fragment must have an integer index >= 0, type 'function' and text "
        f"id and name (got {reprlib.repr(entry)})",
        body=entry,
    )


def _odd_text(field: str, value: Any) -> ResponseParseError:
    """A stream delta's text field (`content`, `reasoning_content`) that is not text."""
    return ResponseParseError(
        f"{field} must be a string or null (got {type(value).__name__})", body={field: value}
    )


def parse_delta(chunk: Mapping[str, Any]) -> Delta:
    """One decoded stream chunk to a `Delta` (cheap: runs once per chunk).

    An error object raises `StreamError`; a chunk of the wrong shape `ResponseParseError`.
    """
    try:
        return _delta(chunk)
    except _SHAPE_ERRORS as exc:
        raise _shape_error("stream chunk", chunk, exc) from None


def _delta(chunk: Mapping[str, Any]) -> Delta:
    """`parse_delta` without the shape guard.

    Fields by name: the constructor gets the three every chunk has, the others are set only
    where the chunk has them (passing all thirteen as keywords costs more per chunk).
    """
    if chunk.get("error") or ("statusCode" in chunk and "message" in chunk):
        raise _stream_error(chunk)
    out = Delta(id=chunk.get("id"), model=chunk.get("model"), raw=chunk)  # type: ignore[arg-type]
    choices = chunk.get("choices")
    if choices:
        choice = choices[0]
        delta = choice.get("delta")
        if delta:
            content = out.content = delta.get("content")
            reasoning = out.reasoning = (
                delta.get("reasoning_content") or delta.get("reasoning") or None
            )
            # per chunk: two identity tests are cheaper than `type(...) in _TEXT_OR_NONE`
            if content is not None and type(content) is not str:
                raise _odd_text("delta.content", content)
            if reasoning is not None and type(reasoning) is not str:
                raise _odd_text("delta.reasoning_content", reasoning)
            out.role = delta.get("role")
            entries = delta.get("tool_calls")
            if entries:
                out.tool_call_chunks = _tool_call_chunks(entries)
        out.finish_reason = choice.get("finish_reason")
        out.flag = choice.get("flag")
    raw_usage = chunk.get("usage")
    if raw_usage:
        out.usage = _usage(raw_usage)
    if "meta" in chunk:
        out.credits_used, out.usd_spent = _meta_cost(chunk)
    return out


def wire_usage(body: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The `usage` object of an answer or chunk exactly as the server sent it, if any."""
    usage = body.get("usage") if body else None
    return usage if isinstance(usage, dict) else None
