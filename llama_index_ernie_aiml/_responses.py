"""The core's parsed `Completion` as a LlamaIndex `ChatResponse`.

Blocks come in the order `[ThinkingBlock?, TextBlock, ToolCallBlock…]`, so
`message.content` is the answer alone; token counts, credits and the inference id go in
`ChatResponse.additional_kwargs`, where `TokenCountingHandler` and users find them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ernie_aiml import Completion, InvalidToolCall, ToolCall
from ernie_aiml.integration import AnswerSummary, tool_call_entry, tool_call_id
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

#: `ChatResponse.additional_kwargs` key naming the fallback that answered a refused forced
#: tool choice (the same key as ChatErnieAIML's `response_metadata`).
TOOL_CHOICE_FALLBACK = "tool_choice_fallback"


def summary_kwargs(summary: AnswerSummary) -> dict[str, Any]:
    """The core's answer summary as `ChatResponse.additional_kwargs`: token counts (the keys
    `TokenCountingHandler` reads), then finish reason, credits, USD, ids and fallback."""
    out: dict[str, Any] = summary.usage.counts() if summary.usage is not None else {}
    out.update(summary.metadata())
    return out


def tool_call_dict(
    call_id: str, name: str | None, arguments: str, extra_content: Any = None
) -> dict[str, Any]:
    """One entry of `message.additional_kwargs["tool_calls"]`: the core's wire entry.

    `call_id` is the core's (the server's, else `tool_call_id(None, index)`), never guessed here.
    """
    return tool_call_entry(call_id, name or "", arguments, extra_content)


def tool_call_block(call: ToolCall | InvalidToolCall) -> ToolCallBlock:
    """A finished tool call as a block: parsed arguments, or the raw text if they were invalid."""
    if isinstance(call, ToolCall):
        return ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=call.arguments)
    return ToolCallBlock(
        tool_call_id=call.id, tool_name=call.name or "", tool_kwargs=call.raw_arguments or ""
    )


def raw_arguments(call: ToolCall | InvalidToolCall) -> str:
    """The arguments as JSON text: the model's own for an invalid call, else re-encoded."""
    if isinstance(call, ToolCall):
        return json.dumps(call.arguments, ensure_ascii=False)
    return call.raw_arguments or ""


def tool_call_parts(
    calls: Sequence[ToolCall | InvalidToolCall],
) -> tuple[list[ToolCallBlock], list[dict[str, Any]]]:
    """Blocks and OpenAI-style dicts for finished tool calls, in the order given."""
    blocks = [tool_call_block(call) for call in calls]
    dicts = [
        tool_call_dict(
            tool_call_id(call.id, index),
            call.name,
            raw_arguments(call),
            getattr(call, "extra_content", None),
        )
        for index, call in enumerate(calls)
    ]
    return blocks, dicts


def completion_to_chat_response(
    completion: Completion, fallback: str | None = None
) -> ChatResponse:
    """A non-streamed answer: reasoning block with its token count, answer, tool calls, usage.

    `fallback` names the retry that got a refused forced tool choice answered, if any.
    """
    blocks: list[Any] = []
    usage = completion.usage
    if completion.reasoning is not None:
        blocks.append(
            ThinkingBlock(
                content=completion.reasoning,
                num_tokens=usage.reasoning_tokens if usage is not None else None,
            )
        )
    blocks.append(TextBlock(text=completion.content))
    message_kwargs: dict[str, Any] = {}
    if completion.tool_calls or completion.invalid_tool_calls:
        call_blocks, dicts = tool_call_parts(
            [*completion.tool_calls, *completion.invalid_tool_calls]
        )
        blocks.extend(call_blocks)
        message_kwargs["tool_calls"] = dicts
    summary = completion.summary()
    summary.tool_choice_fallback = fallback
    extra = summary_kwargs(summary)
    return ChatResponse(
        message=ChatMessage(
            role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_kwargs
        ),
        raw=completion.raw,
        additional_kwargs=extra,
    )
