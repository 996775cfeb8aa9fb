"""Stream assembly: each core `Delta` becomes a LangChain chunk; what is told once goes last."""

from __future__ import annotations

from typing import Any

import ernie_aiml
from ernie_aiml import Delta
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from ._messages import (
    MODEL_PROVIDER,
    StreamCalls,
    TextChunks,
    answer_metadata,
    delta_to_chunk,
    usage_metadata,
)


class StreamEnd:
    """Turns a stream's deltas into chunks; keeps what is told once for the last chunk."""

    __slots__ = ("calls", "first", "id", "model", "text_chunks", "usage", "values")

    def __init__(self, model: str) -> None:
        self.model = model
        self.text_chunks = TextChunks()
        self.first: Delta | None = None
        self.id: str | None = None  # the server's answer id, put on every chunk
        self.usage: ernie_aiml.Usage | None = None
        self.values: dict[str, Any] = {}
        self.calls = StreamCalls()

    def step(self, delta: Delta) -> ChatGenerationChunk | None:
        """The chunk for one delta (None when it carries no content, reasoning or tool call).

        Every chunk carries the answer's id from the server's chunks (as `ChatOpenAI` does),
        so one streamed answer shows one message id from its first chunk to its last.
        """
        if self.first is None:
            self.first = delta
        if self.id is None:
            self.id = delta.id
        if (
            delta.finish_reason is not None
            or delta.usage is not None
            or delta.credits_used is not None
        ):
            self._absorb(delta)
        if not delta.tool_call_chunks:
            content = delta.content
            reasoning = delta.reasoning
            if not content and not reasoning:
                return None
            return self.text_chunks(content or "", reasoning, self.id)
        message = delta_to_chunk(delta, self.calls, self.id)
        return None if message is None else ChatGenerationChunk(message=message)

    def _absorb(self, delta: Delta) -> None:
        if delta.usage is not None:
            self.usage = delta.usage
        values = self.values
        for key in ("finish_reason", "inference_id", "credits_used", "usd_spent", "flag"):
            value = getattr(delta, key)
            if value is not None:
                values[key] = value

    def last_chunk(
        self, stream: Any, with_headers: bool, fallback: str | None
    ) -> ChatGenerationChunk:
        """The final chunk: `chunk_position="last"`, usage (once) and all response metadata."""
        first = self.first
        if first is not None:
            meta = answer_metadata(first, self.model)
            meta.pop("finish_reason", None)
        else:
            meta = {"model_provider": MODEL_PROVIDER, "model_name": self.model}
        meta.update(self.values)
        meta.setdefault("inference_id", stream.inference_id)
        if with_headers:
            meta["headers"] = dict(stream.headers)
        if fallback:
            meta["tool_choice_fallback"] = fallback
        message = AIMessageChunk(
            content="",
            usage_metadata=usage_metadata(self.usage) if self.usage is not None else None,
            response_metadata=meta,
            chunk_position="last",
            id=self.id,
        )
        return ChatGenerationChunk(message=message)
