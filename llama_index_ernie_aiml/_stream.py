"""Streamed `Delta`s folded into the cumulative `ChatResponse`s LlamaIndex expects.

Per chunk this does only what the framework's contract needs: extend the one text that
grew, rebuild the block it lives in (unchanged blocks are reused), and build the
`ChatMessage`/`ChatResponse`. Reasoning rides in `additional_kwargs["thinking_delta"]`
on every chunk that carries some, the first one included.
"""

from __future__ import annotations

from typing import Any

from ernie_aiml import Delta, Usage
from ernie_aiml.integration import AnswerSummary, ToolCallAccumulator
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from ._responses import TOOL_CHOICE_FALLBACK, summary_kwargs, tool_call_dict, tool_call_parts

# Every streamed message is a copy of this one with fresh `blocks` and `additional_kwargs`:
# `model_copy` skips `ChatMessage.__init__`'s validation of the blocks on every chunk, and
# the result is the same model with the same fields set (guarded by
# tests/test_library_assumptions.py). Never mutated.
_MESSAGE = ChatMessage(role=MessageRole.ASSISTANT, blocks=[], additional_kwargs={})
_copy_message = _MESSAGE.model_copy


class StreamFolder:
    """Turns each `Delta` of one stream into the `ChatResponse` to yield for it."""

    __slots__ = (
        "_acc",
        "_call_blocks",
        "_call_dicts",
        "_extra",
        "_fallback",
        "_finish",
        "_reasoning_tokens",
        "_text",
        "_text_block",
        "_thinking",
        "_thinking_block",
        "_usage_kwargs",
    )

    def __init__(self, fallback: str | None = None) -> None:
        """`fallback`: the retry that got a refused forced tool choice answered, if any."""
        self._fallback = {TOOL_CHOICE_FALLBACK: fallback} if fallback is not None else None
        self._finish: dict[str, Any] | None = None
        # What every chunk from now on adds to `additional_kwargs`: fallback, the finish
        # reason (so the last response says the answer is finished), then usage.
        self._extra: dict[str, Any] | None = self._fallback
        self._text = ""
        self._thinking = ""
        self._text_block = TextBlock(text="")
        self._thinking_block: ThinkingBlock | None = None
        self._reasoning_tokens: int | None = None
        self._acc: ToolCallAccumulator | None = None
        self._call_blocks: list[ToolCallBlock] = []
        self._call_dicts: list[dict[str, Any]] = []
        self._usage_kwargs: dict[str, Any] | None = None

    def fold(self, delta: Delta) -> ChatResponse:
        """The cumulative response after `delta`; `delta` text is the answer's new text only."""
        reasoning = delta.reasoning
        if reasoning:
            self._thinking += reasoning
            self._thinking_block = ThinkingBlock(
                content=self._thinking, num_tokens=self._reasoning_tokens
            )
            extra: dict[str, Any] = {"thinking_delta": reasoning}
        else:
            extra = {}
        content = delta.content
        if content:
            self._text += content
            text_block = self._text_block = TextBlock(text=self._text)
        else:
            content = ""
            text_block = self._text_block
        if (
            delta.tool_call_chunks
            or delta.finish_reason is not None
            or delta.usage is not None
            or delta.credits_used is not None
            or self._extra is not None
        ):
            raw = self._fold_rare(delta, extra)
        else:
            raw = delta.raw
        thinking_block = self._thinking_block
        blocks: list[TextBlock | ThinkingBlock | ToolCallBlock] = (
            [text_block] if thinking_block is None else [thinking_block, text_block]
        )
        if self._call_blocks:
            blocks += self._call_blocks
            message = _copy_message(
                update={"blocks": blocks, "additional_kwargs": {"tool_calls": [*self._call_dicts]}}
            )
        else:
            message = _copy_message(update={"blocks": blocks, "additional_kwargs": {}})
        return ChatResponse(message=message, delta=content, raw=raw, additional_kwargs=extra)

    def _fold_rare(self, delta: Delta, extra: dict[str, Any]) -> dict[str, Any] | None:
        """Tool-call fragments, finish reason, usage and the kept extras; the chunk's raw."""
        if delta.tool_call_chunks:
            self._add_tool_chunks(delta)
        if delta.finish_reason is not None:
            extra["finish_reason"] = delta.finish_reason
            self._finish = {"finish_reason": delta.finish_reason}
            self._extra = {**(self._extra or {}), **self._finish}
            if self._acc:
                self._finish_tool_calls()
        if delta.usage is not None or delta.credits_used is not None:
            self._take_usage(delta)
        if self._extra is not None:
            extra.update(self._extra)
        return delta.raw

    def _add_tool_chunks(self, delta: Delta) -> None:
        """Merge tool-call fragments; blocks carry the arguments so far as a raw JSON string.

        Nothing is parsed here: `get_tool_calls_from_response` parses leniently until the
        finish reason, which swaps in the parsed calls. ernie-5.0's `extra_content` rides in
        the OpenAI-style dicts, where the non-streamed answer keeps it too.
        """
        if self._acc is None:
            self._acc = ToolCallAccumulator()
        self._acc.add(delta.tool_call_chunks)
        snapshot = self._acc.snapshot()
        self._call_blocks = [
            ToolCallBlock(tool_call_id=call_id, tool_name=name or "", tool_kwargs=arguments)
            for call_id, name, arguments in snapshot
        ]
        self._call_dicts = [
            tool_call_dict(call_id, name, arguments, extra)
            for (call_id, name, arguments), extra in zip(
                snapshot, self._acc.extra_contents(), strict=True
            )
        ]

    def _finish_tool_calls(self) -> None:
        """At the finish reason: the calls with parsed arguments, in the server's order."""
        assert self._acc is not None
        self._call_blocks, self._call_dicts = tool_call_parts(self._acc.ordered())

    def _take_usage(self, delta: Delta) -> None:
        """Token counts, credits and inference id; the reasoning block gets its token count."""
        usage: Usage | None = delta.usage
        previous = self._usage_kwargs or {}
        kwargs = summary_kwargs(
            AnswerSummary(
                usage=usage,
                credits_used=delta.credits_used,
                usd_spent=delta.usd_spent,
                inference_id=delta.inference_id,
            )
        )
        self._usage_kwargs = {**previous, **kwargs}
        self._extra = {**(self._fallback or {}), **(self._finish or {}), **self._usage_kwargs}
        if usage is not None and usage.reasoning_tokens is not None:
            self._reasoning_tokens = usage.reasoning_tokens
            if self._thinking_block is not None:
                self._thinking_block = ThinkingBlock(
                    content=self._thinking, num_tokens=usage.reasoning_tokens
                )
