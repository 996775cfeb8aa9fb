"""LlamaIndex `ChatMessage`s and content blocks to the core's neutral `Message`s.

Only translation lives here: which block becomes which neutral part. Every AIML rule
(which roles exist, where images may go, which models take PDFs, how tool calls are sent
back) is enforced by the core's request path (`ernie_aiml.integration.chat_request`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import IOBase
from pathlib import Path
from typing import Any

from ernie_aiml import (
    FilePart,
    ImagePart,
    InvalidToolCall,
    Message,
    ParameterError,
    TextPart,
    ToolCall,
    file_part,
    image_part,
)
from ernie_aiml.integration import Part, entry_fields, parse_arguments
from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

_ROLES: dict[str, str] = {
    "system": "system",
    "developer": "developer",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
    "chatbot": "assistant",
    "model": "assistant",
}


def to_core_messages(messages: Sequence[ChatMessage]) -> list[Message]:
    """Translate a LlamaIndex history to neutral messages, in order."""
    return [to_core_message(message) for message in messages]


def to_core_message(message: ChatMessage) -> Message:
    """One `ChatMessage`: text, images and PDFs as parts, reasoning, tool calls, tool ids."""
    role_value = message.role.value if hasattr(message.role, "value") else str(message.role)
    role = _ROLES.get(role_value)
    if role is None:
        raise ParameterError(
            f"message role {role_value!r} is not supported; use one of {sorted(_ROLES)}"
        )
    if not message.blocks and role in ("user", "system"):  # `content=b"..."` leaves no block
        raise ParameterError(
            f"a {role} message has no content (LlamaIndex drops bytes content: decode it to "
            "text, or send it as an ImageBlock or DocumentBlock)"
        )
    parts: list[Part] = []
    reasoning: list[str] = []
    tool_calls: list[ToolCall | InvalidToolCall] = []
    for block in message.blocks:
        _add_block(block, parts, reasoning, tool_calls)
    if role == "assistant":
        kwarg_calls = _tool_calls_from_kwargs(message.additional_kwargs.get("tool_calls"))
        if tool_calls:
            _attach_extra_content(tool_calls, kwarg_calls)
        else:
            tool_calls = kwarg_calls
    return Message(
        role=role,  # type: ignore[arg-type]
        content=_content(parts),
        tool_calls=tool_calls or None,
        tool_call_id=message.additional_kwargs.get("tool_call_id") if role == "tool" else None,
        reasoning="".join(reasoning) or None,
    )


def _content(parts: list[Part]) -> str | list[Part]:
    """Unmarked all-text content as one string (joined like `ChatMessage.content`), else the
    parts (a cache-marked part keeps the list form, or its mark would be lost)."""
    if all(type(part) is TextPart and part.cache_control is None for part in parts):
        return "\n".join(part.text for part in parts)  # type: ignore[union-attr]
    return parts


def _add_block(
    block: Any,
    parts: list[Part],
    reasoning: list[str],
    tool_calls: list[ToolCall | InvalidToolCall],
) -> None:
    """Route one content block to the part list, the reasoning or the tool calls."""
    if isinstance(block, TextBlock):
        parts.append(TextPart(block.text))
    elif isinstance(block, ThinkingBlock):
        if block.content:
            reasoning.append(block.content)
    elif isinstance(block, ToolCallBlock):
        tool_calls.append(_tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
    elif isinstance(block, ImageBlock):
        parts.append(image_block_part(block))
    elif isinstance(block, DocumentBlock):
        parts.append(document_block_part(block))
    elif isinstance(block, CitableBlock):
        for inner in block.content:  # AIML has no citations: send the cited content itself
            _add_block(inner, parts, reasoning, tool_calls)
    elif isinstance(block, CitationBlock):
        _add_block(block.cited_content, parts, reasoning, tool_calls)
    elif isinstance(block, CachePoint):
        _mark_last(parts, block)
    else:
        raise ParameterError(
            f"{type(block).__name__} is not supported by ERNIE on AI/ML API; "
            "use TextBlock, ImageBlock or DocumentBlock (PDF)"
        )


def _mark_last(parts: list[Part], point: CachePoint) -> None:
    """A `CachePoint` marks the block before it, as llama-index-llms-anthropic reads it."""
    if not parts:
        raise ParameterError(
            "CachePoint must follow a text, image or document block of the same message "
            "(it marks the block before it)"
        )
    control = point.cache_control
    parts[-1].cache_control = {"type": control.type, "ttl": control.ttl}


def image_block_part(block: ImageBlock) -> ImagePart:
    """An `ImageBlock` (bytes, path or URL) as a neutral image; MIME sniffed by the core."""
    if isinstance(block.image, IOBase):
        block.image.seek(0)
        return image_part(
            data=block.image.read(), mime_type=block.image_mimetype, detail=block.detail
        )
    if block.image:
        # ImageBlock keeps its bytes base64-encoded once validated.
        return image_part(
            base64=block.image.decode("ascii"), mime_type=block.image_mimetype, detail=block.detail
        )
    if block.path:
        data = Path(block.path).read_bytes()
        return image_part(data=data, mime_type=block.image_mimetype, detail=block.detail)
    if block.url:
        return image_part(url=str(block.url), detail=block.detail)
    raise ParameterError("ImageBlock needs image bytes, a path or a url (got none)")


def document_block_part(block: DocumentBlock) -> FilePart:
    """A `DocumentBlock` as a neutral file part; the core accepts PDF only."""
    filename = Path(str(block.path)).name if block.path else block.title
    if isinstance(block.data, IOBase):
        block.data.seek(0)
        return file_part(
            data=block.data.read(), mime_type=block.document_mimetype, filename=filename
        )
    if block.data:
        # DocumentBlock keeps its bytes base64-encoded once validated.
        return file_part(
            base64=block.data.decode("ascii"), mime_type=block.document_mimetype, filename=filename
        )
    if block.path:
        data = Path(str(block.path)).read_bytes()
        return file_part(data=data, mime_type=block.document_mimetype, filename=filename)
    if block.url:
        raise ParameterError(
            "DocumentBlock(url=...) is not supported: AI/ML API takes PDF data, not links; "
            "pass data= or path="
        )
    raise ParameterError("DocumentBlock needs data or a path (got none)")


def _tool_call(call_id: str | None, name: str, kwargs: Any) -> ToolCall | InvalidToolCall:
    """A neutral tool call from a block's id, name and dict-or-JSON arguments.

    Arguments that are not a JSON object (a call cut off by `max_tokens`) make an
    `InvalidToolCall`, which the core sends back with the arguments as the model wrote them.
    """
    if isinstance(kwargs, str):
        arguments, error = parse_arguments(kwargs)
        if error is not None:
            return InvalidToolCall(id=call_id, name=name, raw_arguments=kwargs, error=error)
        return ToolCall(id=call_id or "", name=name, arguments=arguments)  # type: ignore[arg-type]
    return ToolCall(id=call_id or "", name=name, arguments=dict(kwargs or {}))


def _attach_extra_content(
    calls: list[ToolCall | InvalidToolCall], kwarg_calls: list[ToolCall | InvalidToolCall]
) -> None:
    """Carry ernie-5.0's opaque `extra_content` (kept in `tool_calls` dicts) onto block calls."""
    extras = {c.id: c.extra_content for c in kwarg_calls if c.extra_content is not None}
    if extras:
        for call in calls:
            call.extra_content = extras.get(call.id)


def _tool_calls_from_kwargs(value: Any) -> list[ToolCall | InvalidToolCall]:
    """Tool calls kept OpenAI-style in `additional_kwargs["tool_calls"]` (dicts or objects)."""
    if not value:
        return []
    calls = []
    for item in value:
        data = item if isinstance(item, Mapping) else _as_mapping(item)
        call_id, name, arguments, extra_content = entry_fields(data)
        call = _tool_call(call_id, name, arguments)
        call.extra_content = extra_content
        calls.append(call)
    return calls


def _as_mapping(obj: Any) -> Mapping[str, Any]:
    """A pydantic object (e.g. an openai tool call) as a dict; anything else as empty."""
    dump = getattr(obj, "model_dump", None)
    return dump() if callable(dump) else {}
