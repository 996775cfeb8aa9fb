"""Stream assembly: each core `Delta` becomes a LangChain chunk; what is told once goes last."""

from __future__ import annotations

from typing import Any

from ernie_aiml import Delta
from ernie_aiml.integration import ToolCallAccumulator
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from ._messages import TextChunks, answer_metadata, delta_to_chunk, usage_metadata


class StreamEnd:
    """Turns a stream's deltas into chunks; the last chunk maps the core's answer summary."""

    __slots__ = ("calls", "first", "id", "model", "text_chunks")

    def __init__(self, model: str) -> None:
        self.model = model
        self.text_chunks = TextChunks()
        self.first: Delta | None = None
        self.id: str | None = None  # the server's answer id, put on every chunk
        self.calls = ToolCallAccumulator()

    def step(self, delta: Delta) -> ChatGenerationChunk | None:
        """The chunk for one delta (None when it carries no content, reasoning or tool call).

        Every chunk carries the answer's id from the server's chunks (as `ChatOpenAI` does),
        so one streamed answer shows one message id from its first chunk to its last.
        """
        if self.first is None:
            self.first = delta
        if self.id is None:
            self.id = delta.id
        if not delta.tool_call_chunks:
            content = delta.content
            reasoning = delta.reasoning
            if not content and not reasoning:
                return None
            return self.text_chunks(content or "", reasoning, self.id)
        message = delta_to_chunk(delta, self.calls, self.id)
        return None if message is None else ChatGenerationChunk(message=message)

    def last_chunk(self, stream: Any, with_headers: bool) -> ChatGenerationChunk:
        """The final chunk: `chunk_position="last"`, usage (once) and all response metadata
        (the core's summary of the stream: finish reason, ids, credits, fallback)."""
        summary = stream.summary
        meta = answer_metadata(self.first, summary, self.model)
        if with_headers:
            meta["headers"] = dict(stream.headers)
        usage = summary.usage
        message = AIMessageChunk(
            content="",
            usage_metadata=usage_metadata(usage) if usage is not None else None,
            response_metadata=meta,
            chunk_position="last",
            id=self.id,
        )
        return ChatGenerationChunk(message=message)
