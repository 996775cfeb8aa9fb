"""LangChain messages to the core's neutral `Message`s, and the core's answers back.

Outbound: text, images and PDFs (LangChain standard blocks, legacy `source_type` blocks,
OpenAI `image_url`/`file` parts), assistant tool calls, tool results. Reasoning travels as
`Message.reasoning`; the core decides whether it goes on the wire.
Inbound: `Completion` to `AIMessage`, `Delta` to `AIMessageChunk` (the per-chunk path: plain
attribute reads, one `AIMessageChunk`, nothing else).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import ernie_aiml
from ernie_aiml import Completion, Delta, InvalidToolCall, Message, ToolCall, Usage, integration
from ernie_aiml.integration import AnswerSummary, Part, ToolCallAccumulator
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

#: `response_metadata["model_provider"]`: selects this package's content-block translator.
MODEL_PROVIDER = "ernie_aiml"
#: Where an ernie-5.0 tool call's opaque `extra_content` is kept, by tool call id.
EXTRA_CONTENT_KEY = "tool_call_extra_content"
REASONING_KEY = "reasoning_content"

_TEXT_TYPES = frozenset({"text", "input_text", "output_text"})


# ----------------------------------------------------------------- outbound


def to_core_messages(messages: Sequence[BaseMessage]) -> list[Message]:
    """The neutral history for the core's request path (`ernie_aiml.integration.chat_request`)."""
    return [_to_core(m) for m in messages]


def _to_core(message: BaseMessage) -> Message:
    if isinstance(message, HumanMessage):
        return Message("user", _user_content(message.content), name=message.name)
    if isinstance(message, AIMessage):
        return _assistant(message)
    if isinstance(message, SystemMessage):
        return Message(_system_role(message), _text_content(message.content), name=message.name)
    if isinstance(message, ToolMessage):
        content = _marked_text(message.content) or _tool_text(message.content)
        return Message("tool", content, tool_call_id=message.tool_call_id)
    if isinstance(message, ChatMessage):
        if message.role == "user":
            return Message("user", _user_content(message.content), name=message.name)
        return Message(message.role, _text_content(message.content), name=message.name)  # type: ignore[arg-type]
    raise ernie_aiml.ParameterError(
        f"message type {type(message).__name__} is not supported: use System, Human, AI, "
        "Tool or ChatMessage"
    )


def _system_role(message: SystemMessage) -> Any:
    """ "system", or "developer" for a message langchain-core made from a developer turn.

    Asked of langchain-core's public `convert_to_openai_messages` (which knows how it marks
    such a message), only when the message carries any `additional_kwargs`.
    """
    if not message.additional_kwargs:
        return "system"
    return convert_to_openai_messages(message)["role"]


def _assistant(message: AIMessage) -> Message:
    """An AI turn; invalid tool calls go back too (raw arguments), as langchain-openai does,
    so a `ToolMessage` answering one never follows an assistant turn that lacks it."""
    extras = message.additional_kwargs.get(EXTRA_CONTENT_KEY) or {}
    calls: list[ToolCall | InvalidToolCall] = [
        ToolCall(
            id=tc.get("id") or "",
            name=tc["name"],
            arguments=tc["args"],
            extra_content=extras.get(tc.get("id")),
        )
        for tc in message.tool_calls
    ]
    calls += [
        InvalidToolCall(
            id=bad.get("id"),
            name=bad.get("name"),
            raw_arguments=bad.get("args"),
            error=bad.get("error") or "",
            extra_content=extras.get(bad.get("id")),
        )
        for bad in message.invalid_tool_calls
    ]
    return Message(
        "assistant",
        _text_content(message.content),
        tool_calls=calls or None,
        reasoning=_reasoning_of(message),
        name=message.name,
    )


def _reasoning_of(message: AIMessage) -> str | None:
    """Reasoning from `additional_kwargs`, else from v1 `reasoning` blocks."""
    reasoning: str | None = message.additional_kwargs.get(REASONING_KEY)
    if reasoning:
        return reasoning
    if isinstance(message.content, list):
        texts = [
            b.get("reasoning") or ""
            for b in message.content
            if isinstance(b, dict) and b.get("type") == "reasoning"
        ]
        return "".join(texts) or None
    return None


def _flat_text(content: str | list[Any]) -> str:
    """Text blocks joined; reasoning, tool-call and other non-text blocks are not content."""
    if isinstance(content, str):
        return content
    return "".join(
        b if isinstance(b, str) else b.get("text", "")
        for b in content
        if isinstance(b, str) or (isinstance(b, dict) and b.get("type") in _TEXT_TYPES)
    )


def cache_control_of(block: Any) -> Any:
    """A block's prompt-caching mark: `cache_control` (as for Anthropic) or in v1 `extras`."""
    if not isinstance(block, Mapping):
        return None
    mark = block.get("cache_control")
    if mark is None and isinstance(block.get("extras"), Mapping):
        mark = block["extras"].get("cache_control")
    return mark


def _marked_text(content: str | list[Any]) -> list[Part] | None:
    """Text blocks as parts, marks kept, when one carries `cache_control`; else None."""
    if isinstance(content, str) or not any(cache_control_of(b) is not None for b in content):
        return None
    return [
        ernie_aiml.TextPart(b if isinstance(b, str) else b.get("text", ""), cache_control_of(b))
        for b in content
        if isinstance(b, str) or (isinstance(b, dict) and b.get("type") in _TEXT_TYPES)
    ]


def _text_content(content: str | list[Any]) -> str | list[Part]:
    """Content of a non-user turn: its text, kept as parts when a block is cache-marked."""
    return _marked_text(content) or _flat_text(content)


def _tool_text(content: str | list[Any]) -> str:
    """A tool result as the string AIML wants: text joined, anything richer JSON-dumped."""
    if isinstance(content, str):
        return content
    if all(
        isinstance(b, str) or (isinstance(b, dict) and b.get("type") in _TEXT_TYPES)
        for b in content
    ):
        return _flat_text(content)
    return json.dumps(content, ensure_ascii=False)


def _user_content(content: str | list[Any]) -> str | list[Part]:
    if isinstance(content, str):
        return content
    parts = [_part(block) for block in content]
    if all(isinstance(p, ernie_aiml.TextPart) and p.cache_control is None for p in parts):
        return "".join(p.text for p in parts)  # type: ignore[union-attr]
    return parts


def _part(block: Any) -> Part:
    """One user content block as a core part, with its cache mark (checked by the core)."""
    part = _plain_part(block)
    part.cache_control = cache_control_of(block)
    return part


def _plain_part(block: Any) -> Part:
    """One user content block as a core part (images and PDFs checked by the core)."""
    if isinstance(block, str):
        return ernie_aiml.TextPart(block)
    kind = block.get("type") if isinstance(block, Mapping) else None
    if kind in _TEXT_TYPES:
        return ernie_aiml.TextPart(block.get("text", ""))
    if kind == "image_url":
        return _openai_image(block)
    if kind == "image":
        return _image(block)
    if kind == "file":
        return _file(block)
    raise ernie_aiml.ParameterError(
        f"content block type {kind!r} is not supported: AIML takes text, images "
        "(JPEG, PNG, GIF, WEBP) and PDF files"
    )


def _openai_image(block: Mapping[str, Any]) -> Part:
    image = block.get("image_url")
    if isinstance(image, str):
        return ernie_aiml.image_part(url=image)
    if not isinstance(image, Mapping):
        raise ernie_aiml.ParameterError(f"image_url block needs an 'image_url' (got {image!r})")
    return ernie_aiml.image_part(url=image.get("url"), detail=image.get("detail"))


def _image(block: Mapping[str, Any]) -> Part:
    """Standard v1 image block, or the legacy `source_type` form."""
    detail = (block.get("extras") or {}).get("detail") or block.get("detail")
    source = block.get("source_type")
    if source == "url" or (source is None and block.get("url") is not None):
        return ernie_aiml.image_part(
            url=block["url"], mime_type=block.get("mime_type"), detail=detail
        )
    data = block.get("base64") if source is None else block.get("data")
    if source in (None, "base64") and data is not None:
        return ernie_aiml.image_part(base64=data, mime_type=block.get("mime_type"), detail=detail)
    raise ernie_aiml.ParameterError(
        "image block needs 'url' or 'base64' data (AIML takes no image file ids)"
    )


def _file(block: Mapping[str, Any]) -> Part:
    """Standard v1 file block, legacy `source_type`, or the OpenAI `{"file": {...}}` part."""
    nested = block.get("file")
    if isinstance(nested, Mapping):
        if nested.get("file_id"):
            return ernie_aiml.file_part(file_id=nested["file_id"], filename=nested.get("filename"))
        return ernie_aiml.file_part(base64=nested.get("file_data"), filename=nested.get("filename"))
    extras = block.get("extras") or {}
    filename = (
        block.get("filename")
        or extras.get("filename")
        or (block.get("metadata") or {}).get("filename")
    )
    source = block.get("source_type")
    if block.get("file_id") or source == "id":
        return ernie_aiml.file_part(
            file_id=block.get("file_id") or block.get("id"), filename=filename
        )
    data = block.get("base64") if source is None else block.get("data")
    if data is not None:
        return ernie_aiml.file_part(
            base64=data, mime_type=block.get("mime_type"), filename=filename
        )
    raise ernie_aiml.ParameterError(
        "file block needs base64 PDF data or a file_id (AIML does not fetch file URLs)"
    )


def text_tokens(
    messages: Sequence[BaseMessage], preserve_reasoning: bool
) -> tuple[int, list[BaseMessage]]:
    """Tokens of the messages that go out as a plain string, and the others to build.

    The fast path of `get_num_tokens_from_messages`: a string content with no tool calls
    (nor reasoning sent back) is that string on the wire, so it is counted as it stands.
    """
    texts: list[str] = []
    names: list[str] = []
    rest: list[BaseMessage] = []
    for message in messages:
        content = message.content
        if type(content) is str and _sent_as_text(message, preserve_reasoning):
            texts.append(content)
            if message.name:
                names.append(message.name)
        else:
            rest.append(message)
    return integration.text_message_tokens(texts, names), rest


def _sent_as_text(message: BaseMessage, preserve_reasoning: bool) -> bool:
    """Whether a message with string content goes out as that string and nothing else."""
    if type(message) in _PLAIN_TYPES:
        return True
    return (
        type(message) is AIMessage
        and not message.tool_calls
        and not message.invalid_tool_calls
        and not (preserve_reasoning and _reasoning_of(message))
    )


_PLAIN_TYPES = frozenset({HumanMessage, SystemMessage, ToolMessage})


# ------------------------------------------------------------------ inbound


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain usage: totals plus reasoning and cache-read details when the server sent them."""
    out = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )
    if usage.cached_tokens is not None:
        out["input_token_details"] = InputTokenDetails(cache_read=usage.cached_tokens)
    if usage.reasoning_tokens is not None:
        out["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning_tokens)
    return out


def answer_metadata(
    answer: Completion | Delta | None, summary: AnswerSummary, model: str
) -> dict[str, Any]:
    """`response_metadata` of a finished answer: requested model, the server's echo, answer id
    and flag (from `answer`: the completion or the stream's first delta), then the core's
    summary (finish reason, ids, credits, fallback) and the usage as the server sent it."""
    meta: dict[str, Any] = {"model_provider": MODEL_PROVIDER, "model_name": model}
    if answer is not None:
        if answer.model is not None:
            meta["server_model_name"] = answer.model
        if answer.id is not None:
            meta["id"] = answer.id
        if answer.flag is not None:
            meta["flag"] = answer.flag
    meta.update(summary.metadata())
    if summary.wire_usage:
        meta["token_usage"] = summary.wire_usage
    return meta


def completion_to_message(completion: Completion, model: str) -> AIMessage:
    """The `AIMessage` of a non-streamed answer."""
    kwargs: dict[str, Any] = {}
    if completion.reasoning:
        kwargs[REASONING_KEY] = completion.reasoning
    answered: tuple[ToolCall | InvalidToolCall, ...] = (
        *completion.tool_calls,
        *completion.invalid_tool_calls,
    )
    extras = {tc.id: tc.extra_content for tc in answered if tc.extra_content is not None}
    if extras:
        kwargs[EXTRA_CONTENT_KEY] = extras
    meta = answer_metadata(completion, completion.summary(), model)
    if completion.system_fingerprint:
        meta["system_fingerprint"] = completion.system_fingerprint
    calls: dict[str, Any] = {}  # left out when empty: an empty list is validated too
    if completion.tool_calls:
        calls["tool_calls"] = [
            tool_call(name=tc.name, args=tc.arguments, id=tc.id) for tc in completion.tool_calls
        ]
    if completion.invalid_tool_calls:
        calls["invalid_tool_calls"] = [
            invalid_tool_call(name=bad.name, args=bad.raw_arguments, id=bad.id, error=bad.error)
            for bad in completion.invalid_tool_calls
        ]
    return AIMessage(
        content=completion.content,
        additional_kwargs=kwargs,
        usage_metadata=usage_metadata(completion.usage) if completion.usage else None,
        response_metadata=meta,
        id=completion.id,
        **calls,
    )


def delta_to_chunk(
    delta: Delta, calls: ToolCallAccumulator, message_id: str | None
) -> AIMessageChunk | None:
    """The chunk for one delta's content, reasoning and tool-call fragments (None if it has none).

    Metadata and usage are not put here: the stream's final chunk carries them, once.
    `calls` (the core's accumulator, per stream) gives each call its id on its first fragment
    and drops what the server repeats on later ones, which LangChain's chunk merging would
    otherwise concatenate.
    `message_id` is the answer's id, the same on every chunk.
    """
    content = delta.content
    reasoning = delta.reasoning
    kwargs: dict[str, Any] = {REASONING_KEY: reasoning} if reasoning else {}
    if delta.tool_call_chunks:
        fragments = [_fragment(calls, f, kwargs) for f in delta.tool_call_chunks]
        return AIMessageChunk(
            content=content or "",
            additional_kwargs=kwargs,
            tool_call_chunks=fragments,
            response_metadata={"model_provider": MODEL_PROVIDER},
            id=message_id,
        )
    if not content and not reasoning:
        return None
    return AIMessageChunk(
        content=content or "",
        additional_kwargs=kwargs,
        response_metadata={"model_provider": MODEL_PROVIDER},
        id=message_id,
    )


class TextChunks:
    """Per stream: the `ChatGenerationChunk` of a text/reasoning-only delta, built by copying.

    Equal to `ChatGenerationChunk(message=AIMessageChunk(content=..., additional_kwargs=...,
    response_metadata={"model_provider": ...}, id=...))` (same fields, same fields-set), but
    without validating two models per chunk: one template of each is validated once per stream,
    and each chunk is a shallow copy of it with fresh containers (none shared between chunks).
    Guarded by tests/test_library_assumptions.py (the measured gain is in benchmarks/README.md).
    """

    __slots__ = ("_copy_generation", "_copy_message", "_mutable")

    def __init__(self) -> None:
        message = AIMessageChunk(
            content="",
            additional_kwargs={},
            response_metadata={"model_provider": MODEL_PROVIDER},
            id=None,
        )
        self._copy_message = message.__copy__
        self._copy_generation = ChatGenerationChunk(message=message).__copy__
        self._mutable = tuple(
            (name, type(value))
            for name, value in message.__dict__.items()
            if type(value) in (list, dict)
        )

    def __call__(
        self, content: str, reasoning: str | None, message_id: str | None = None
    ) -> ChatGenerationChunk:
        """The chunk for `content` (a string, maybe empty), optional reasoning, the answer's id."""
        message = self._copy_message()
        fields = message.__dict__
        for name, kind in self._mutable:
            fields[name] = kind()
        fields["content"] = content
        fields["id"] = message_id
        fields["response_metadata"]["model_provider"] = MODEL_PROVIDER
        if reasoning:
            fields["additional_kwargs"][REASONING_KEY] = reasoning
        generation = self._copy_generation()
        slots = generation.__dict__
        slots["message"] = message
        slots["text"] = content
        return generation


def _fragment(
    calls: ToolCallAccumulator, fragment: integration.ToolCallChunk, kwargs: dict[str, Any]
) -> Any:
    """The LangChain tool-call chunk of one fragment: the id, name and ernie-5.0's
    `extra_content` only the first time the core's accumulator sees them (the last under
    `additional_kwargs["tool_call_extra_content"][id]`, where the non-streamed path keeps it)."""
    call_id, name, extra = calls.merge(fragment)
    if extra is not None:
        kwargs.setdefault(EXTRA_CONTENT_KEY, {})[calls.id_of(fragment.index)] = extra
    return tool_call_chunk(name=name, args=fragment.arguments, id=call_id, index=fragment.index)
