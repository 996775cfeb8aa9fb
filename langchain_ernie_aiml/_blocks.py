"""Standard content blocks for ERNIE answers: `[reasoning, text, tool_call…]`.

Registered with langchain-core for `model_provider="ernie_aiml"`. Streamed blocks get
string indexes (`lc_rs_0`, `lc_txt_0`, `lc_tc_<n>`) so that merging chunks never folds a
reasoning block and a tool call into one (the ChatDeepSeek `output_version="v1"` bug,
where both carry the integer index 0).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from ._messages import MODEL_PROVIDER, REASONING_KEY

_TEXT_TYPES = frozenset({"text", "output_text"})
# Re-derived from the message's tool-call fields, never copied from content.
_DERIVED_TYPES = frozenset({"reasoning", "tool_call", "tool_call_chunk", "invalid_tool_call"})


def _text_blocks(content: Any) -> list[types.ContentBlock]:
    """Text of `content` (a string, or a list of strings and blocks) as text blocks."""
    if isinstance(content, str):
        return [types.TextContentBlock(type="text", text=content)] if content else []
    blocks: list[types.ContentBlock] = []
    for item in content:
        if isinstance(item, str):
            if item:
                blocks.append(types.TextContentBlock(type="text", text=item))
        elif isinstance(item, dict) and item.get("type") in _TEXT_TYPES:
            blocks.append(types.TextContentBlock(type="text", text=item.get("text", "")))
        elif isinstance(item, dict) and item.get("type") not in _DERIVED_TYPES:
            blocks.append(item)  # type: ignore[arg-type]
    return blocks


def _reasoning_block(message: AIMessage) -> list[types.ContentBlock]:
    reasoning = message.additional_kwargs.get(REASONING_KEY)
    if not reasoning:
        return []
    return [types.ReasoningContentBlock(type="reasoning", reasoning=reasoning)]


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Blocks of a complete answer: reasoning, text, then tool calls and invalid ones."""
    blocks = [*_reasoning_block(message), *_text_blocks(message.content)]
    for call in message.tool_calls:
        blocks.append(
            types.ToolCall(
                type="tool_call", id=call.get("id"), name=call["name"], args=call["args"]
            )
        )
    for bad in message.invalid_tool_calls:
        blocks.append(
            types.InvalidToolCall(
                type="invalid_tool_call",
                id=bad.get("id"),
                name=bad.get("name"),
                args=bad.get("args"),
                error=bad.get("error"),
            )
        )
    return blocks


def translate_content_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    """Blocks of a streamed chunk, each with a stable index distinct across block kinds."""
    if chunk.chunk_position == "last":
        # The end of a stream (or the whole stream aggregated): tool calls are parsed.
        return translate_content(chunk)
    blocks: list[types.ContentBlock] = []
    reasoning = chunk.additional_kwargs.get(REASONING_KEY)
    if reasoning:
        blocks.append(
            types.ReasoningContentBlock(type="reasoning", reasoning=reasoning, index="lc_rs_0")
        )
    for block in _text_blocks(chunk.content):
        if block.get("type") == "text":
            block["index"] = "lc_txt_0"
        blocks.append(block)
    for fragment in chunk.tool_call_chunks:
        block = types.ToolCallChunk(
            type="tool_call_chunk",
            id=fragment.get("id"),
            name=fragment.get("name"),
            args=fragment.get("args"),
        )
        index = fragment.get("index")
        if index is not None:
            block["index"] = f"lc_tc_{index}"
        blocks.append(block)
    return blocks


def register() -> None:
    """Make `content_blocks` use these translators for this package's messages."""
    register_translator(MODEL_PROVIDER, translate_content, translate_content_chunk)
