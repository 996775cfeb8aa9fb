"""Neutral messages and options to the JSON body of `POST /chat/completions`.

Everything AIML would refuse with a 400 is refused here first, with a message naming the
message index or parameter. Reasoning from earlier turns is stripped unless asked for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._catalog import MODELS, ModelInfo, canonical_id, get_model, warn_if_unknown
from .._errors.classes import ParameterError
from .._types import FilePart, ImagePart, InvalidToolCall, Message, TextPart, ToolCall, tool_call_id
from .cache import cache_mark
from .content import check_detail, file_payload, image_url
from .extra import split_extra
from .params import validate_params
from .response_format import normalize_response_format
from .tool_calls import tool_call_entry
from .tools import check_tool_choice_for, normalize_tool, normalize_tool_choice

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})

_VISION_MODELS = ", ".join(m.id for m in MODELS if m.vision and not m.deprecated)
_PDF_MODELS = ", ".join(m.id for m in MODELS if m.pdf_input and not m.deprecated)


def _text_of(content: str | list[Any], where: str) -> str:
    """Content of a non-user message as one string; images and files are refused."""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, str):
            texts.append(part)
        else:
            raise ParameterError(
                f"{where}: images and files can only be sent in user messages "
                f"(got {type(part).__name__})"
            )
    return "".join(texts)


def _marked(part: Any) -> bool:
    """Whether a part carries a `cache_control` mark (plain strings never do)."""
    return getattr(part, "cache_control", None) is not None


def _text_content(content: str | list[Any], info: ModelInfo | None, where: str) -> Any:
    """Non-user content: one string, or text parts when a part carries a cache mark."""
    text = _text_of(content, where)
    if isinstance(content, str) or not any(_marked(p) for p in content):
        return text
    return [_user_part(p, info, where) for p in content]


def _user_part(part: Any, info: ModelInfo | None, where: str) -> dict[str, Any]:
    """One content part on the wire, with its cache mark, checked against the model."""
    wire = _wire_part(part, info, where)
    if _marked(part):
        wire["cache_control"] = cache_mark(part.cache_control, info, where)
    return wire


def _wire_part(part: Any, info: ModelInfo | None, where: str) -> dict[str, Any]:
    """One part of user content on the wire, checked against the model's capabilities."""
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if isinstance(part, ImagePart):
        if info is not None and not info.vision:
            raise ParameterError(
                f"{where}: {info.id} does not accept images; models that do: {_VISION_MODELS}"
            )
        image: dict[str, Any] = {"url": image_url(part)}
        if part.detail is not None:
            image["detail"] = check_detail(part.detail)
        return {"type": "image_url", "image_url": image}
    if isinstance(part, FilePart):
        if info is not None and not info.pdf_input:
            raise ParameterError(
                f"{where}: {info.id} does not accept PDF files; models that do: {_PDF_MODELS}"
            )
        if part.file_id is not None and info is not None and not info.thinking_switch:
            raise ParameterError(
                f"{where}: {info.id} takes files as data only (file_id is an ernie-5.0 field)"
            )
        return {"type": "file", "file": file_payload(part)}
    raise ParameterError(
        f"{where}: a content part must be TextPart, ImagePart or FilePart "
        f"(got {type(part).__name__})"
    )


def _user_content(content: str | list[Any], info: ModelInfo | None, where: str) -> Any:
    """A plain string when all parts are unmarked text, else the list of wire parts."""
    if isinstance(content, str):
        return content
    if all(isinstance(p, (TextPart, str)) and not _marked(p) for p in content):
        return "".join(p if isinstance(p, str) else p.text for p in content)
    return [_user_part(p, info, where) for p in content]


def _tool_call(call: ToolCall | InvalidToolCall, index: int) -> dict[str, Any]:
    """An earlier tool call as the assistant message's `tool_calls` entry.

    An invalid call goes back as the model sent it (raw arguments), so that its tool result
    still answers a call of the assistant turn; a call without an id gets `call_<index>`.
    """
    if isinstance(call, InvalidToolCall):
        name, arguments = call.name or "", call.raw_arguments or ""
    else:
        name, arguments = call.name, json.dumps(call.arguments, ensure_ascii=False)
    return tool_call_entry(tool_call_id(call.id, index), name, arguments, call.extra_content)


def _message(
    i: int, msg: Message, info: ModelInfo | None, keep_developer: bool, preserve_reasoning: bool
) -> dict[str, Any]:
    """One neutral message as a wire message."""
    where = f"messages[{i}]"
    if not isinstance(msg, Message):
        raise ParameterError(f"{where} must be an ernie_aiml.Message (got {type(msg).__name__})")
    role = msg.role
    if role not in ROLES:
        raise ParameterError(
            f"{where}: unknown role {role!r} (expected system, developer, user, assistant or tool)"
        )
    if role == "developer" and not keep_developer:
        role = "system"
    content = msg.content if msg.content is not None else ""
    out: dict[str, Any] = {"role": role}
    if role == "user":
        out["content"] = _user_content(content, info, where)
    else:
        out["content"] = _text_content(content, info, where)
    if msg.name:
        out["name"] = msg.name
    if role == "assistant":
        if msg.tool_calls:
            out["tool_calls"] = [_tool_call(c, n) for n, c in enumerate(msg.tool_calls)]
        if preserve_reasoning and msg.reasoning:
            out["reasoning_content"] = msg.reasoning
    elif role == "tool":
        if not msg.tool_call_id:
            raise ParameterError(f"{where}: a tool message needs tool_call_id")
        out["tool_call_id"] = msg.tool_call_id
    return out


def _tools_part(
    tools: Any,
    tool_choice: Any,
    parallel_tool_calls: Any,
    info: ModelInfo | None,
) -> dict[str, Any]:
    """`tools`, and `tool_choice`/`parallel_tool_calls` only alongside them."""
    if not isinstance(tools, (list, tuple)):
        raise ParameterError(f"tools must be a list of tool dicts (got {tools!r})")
    wire_tools = [normalize_tool(t) for t in tools]
    for n, tool in enumerate(wire_tools):
        if "cache_control" in tool:
            tool["cache_control"] = cache_mark(tool["cache_control"], info, f"tools[{n}]")
    out: dict[str, Any] = {"tools": wire_tools}
    names = [t["function"]["name"] for t in wire_tools]
    choice = normalize_tool_choice(tool_choice, names)
    if choice is not None:
        check_tool_choice_for(choice, info)
        out["tool_choice"] = choice
    if parallel_tool_calls is not None:
        if not isinstance(parallel_tool_calls, bool):
            raise ParameterError(
                f"parallel_tool_calls must be True or False (got {parallel_tool_calls!r})"
            )
        out["parallel_tool_calls"] = parallel_tool_calls
    return out


def request_options_part(options: Mapping[str, Any], info: ModelInfo | None) -> dict[str, Any]:
    """`tools` (with `tool_choice`, `parallel_tool_calls`) and `response_format`, normalised."""
    out: dict[str, Any] = {}
    tools = options.get("tools")
    if tools:
        out.update(
            _tools_part(tools, options.get("tool_choice"), options.get("parallel_tool_calls"), info)
        )
    response_format = options.get("response_format")
    if response_format is not None:
        out["response_format"] = normalize_response_format(response_format)
    return out


def build_chat_request(
    model: str,
    messages: Sequence[Message],
    *,
    params: Mapping[str, Any] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: str | Mapping[str, Any] | bool | None = None,
    parallel_tool_calls: bool | None = None,
    response_format: Mapping[str, Any] | None = None,
    stream: bool = False,
    stream_usage: bool = True,
    preserve_reasoning_in_history: bool = False,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body for `POST /chat/completions`, validated before any network traffic.

    `extra_body` is applied last: its generation parameters and body options go through
    the same checks as the arguments (and win over them), `model`/`messages`/`stream` are
    refused, any other field is sent as given, a None value removing the key. Deprecated
    models are warned about by the adapters at construction; an id the catalog does not
    know is sent as given and warned about once per process.
    """
    fields: Mapping[str, Any] = {}
    if extra_body:
        extra = split_extra(extra_body, "extra_body")
        if extra.params:
            params = {**(params or {}), **extra.params}
        if extra.options:
            tools, tool_choice, parallel_tool_calls, response_format, stream_usage = _with_options(
                extra.options,
                tools,
                tool_choice,
                parallel_tool_calls,
                response_format,
                stream_usage,
            )
        fields = extra.body
    return request_body(
        model,
        messages,
        params,
        tools,
        tool_choice,
        parallel_tool_calls,
        response_format,
        stream,
        stream_usage,
        preserve_reasoning_in_history,
        fields,
        stacklevel=4,
    )


def request_body(
    model: str,
    messages: Sequence[Message],
    params: Mapping[str, Any] | None,
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
    parallel_tool_calls: Any,
    response_format: Mapping[str, Any] | None,
    stream: bool,
    stream_usage: bool,
    preserve_reasoning_in_history: bool,
    fields: Mapping[str, Any],
    *,
    stacklevel: int = 3,
) -> dict[str, Any]:
    """`build_chat_request` once its `extra_body` is sorted: `fields` are free-form body
    fields only (`split_extra`'s `body`), set last, a None value removing the key."""
    if not messages:
        raise ParameterError("messages must not be empty")
    info = get_model(model)
    if info is None:
        warn_if_unknown(model, stacklevel=stacklevel)
    keep_developer = info is None or info.thinking_switch
    body: dict[str, Any] = {
        "model": info.id if info is not None else canonical_id(model),
        "messages": [
            _message(i, m, info, keep_developer, preserve_reasoning_in_history)
            for i, m in enumerate(messages)
        ],
    }
    if params:
        body.update(validate_params(model, **params))
    if tools:
        body.update(_tools_part(tools, tool_choice, parallel_tool_calls, info))
    if response_format is not None:
        body["response_format"] = normalize_response_format(response_format)
    if stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    for key, value in fields.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _with_options(options: Mapping[str, Any], *given: Any) -> tuple[Any, ...]:
    """The body options (`tools` … `stream_usage`, in that order) with `options` winning."""
    names = ("tools", "tool_choice", "parallel_tool_calls", "response_format", "stream_usage")
    return tuple(options.get(name, value) for name, value in zip(names, given, strict=True))
