"""The runnable tool calls of a response: lenient while a stream is in progress, strict after.

A stream's snapshots carry raw, maybe half-written arguments; showing them parsed leniently
is what agents expect. Once the answer is finished (it has a finish reason), a call whose
arguments are not a complete JSON object, or that has no name, is never turned into a
`ToolSelection`: running it would run the tool with whatever half of its arguments arrived
(`{"to": "alice", "amount": 10` cut off by `max_tokens`). It raises `InvalidToolCallError`.
"""

from __future__ import annotations

from typing import Any

from ernie_aiml import InvalidToolCallError
from ernie_aiml.integration import parse_arguments, tool_call_id
from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

_CUT_OFF_HINT = "the answer was cut off (finish_reason='length'): raise max_tokens"


def tool_selections(response: ChatResponse, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """The `ToolSelection`s of `response`; see the module docstring for when it raises."""
    finish_reason = response.additional_kwargs.get("finish_reason")
    selections = [
        ToolSelection(
            tool_id=tool_call_id(block.tool_call_id, index),
            tool_name=block.tool_name,
            tool_kwargs=(
                _snapshot(block) if finish_reason is None else _final_kwargs(block, finish_reason)
            ),
        )
        for index, block in enumerate(
            b for b in response.message.blocks if isinstance(b, ToolCallBlock)
        )
    ]
    if not selections and error_on_no_tool_call:
        raise ValueError(
            "Expected at least one tool call, but got 0 tool calls "
            f"(answer: {(response.message.content or '')[:200]!r})"
        )
    return selections


def _snapshot(block: ToolCallBlock) -> dict[str, Any]:
    """In-progress arguments: partial or broken JSON parsed leniently, non-objects as {}."""
    value = block.tool_kwargs
    if isinstance(value, dict):
        return value
    if not value.strip():
        return {}
    try:
        parsed = parse_partial_json(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _final_kwargs(block: ToolCallBlock, finish_reason: str) -> dict[str, Any]:
    """A finished call's arguments, or `InvalidToolCallError` when it cannot be run."""
    value = block.tool_kwargs
    arguments, error = (value, None) if isinstance(value, dict) else parse_arguments(value)
    if not block.tool_name:
        error = "tool call has no function name"
    if error is None and arguments is not None:  # (arguments are None only with an error)
        return arguments
    raise InvalidToolCallError(
        f"tool call {block.tool_name!r} (id {block.tool_call_id}) cannot be run: {error}; "
        f"arguments as sent: {value!r}",
        hint=_CUT_OFF_HINT if finish_reason == "length" else None,
    )
