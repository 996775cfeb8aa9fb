"""Neutral types shared by the core and both adapters.

Slotted dataclasses, not pydantic models: a `Delta` is built for every streamed chunk,
and per-chunk cost is a goal of this package. Adapters translate these to and from
their framework's own types; nothing here knows LangChain or LlamaIndex.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "developer", "user", "assistant", "tool"]


# ---------------------------------------------------------------- request side


@dataclass(slots=True)
class TextPart:
    """A text part of a message. `cache_control` marks the end of a cached prefix (ernie-5.0)."""

    text: str
    cache_control: dict[str, Any] | None = None


@dataclass(slots=True)
class ImagePart:
    """An image: either `url` (http(s) or a `data:` URL) or `base64` with its `mime_type`.

    Build it with `ernie_aiml.image_part(...)`, which sniffs the MIME type of raw bytes
    and rejects what AIML cannot take, rather than by hand.
    """

    url: str | None = None
    base64: str | None = None
    mime_type: str | None = None
    detail: str | None = None
    cache_control: dict[str, Any] | None = None


@dataclass(slots=True)
class FilePart:
    """A document (AIML takes PDF only): `base64` data, or a server-side `file_id`."""

    base64: str | None = None
    mime_type: str = "application/pdf"
    filename: str | None = None
    file_id: str | None = None
    cache_control: dict[str, Any] | None = None


Part = TextPart | ImagePart | FilePart


@dataclass(slots=True)
class ToolCall:
    """A complete tool call: `arguments` parsed to a dict (re-encoded when sent back)."""

    id: str
    name: str
    arguments: dict[str, Any]
    extra_content: Any = None  # ernie-5.0 opaque field, echoed back unchanged


def tool_call_id(id: str | None, index: int) -> str:
    """The id of a tool call: the server's, else `call_<index>` (never empty, never None).

    The one naming scheme for calls sent without an id, used by every snapshot, every final
    answer and every request, so a tool result can always name its call.
    """
    return id or f"call_{index}"


@dataclass(slots=True)
class InvalidToolCall:
    """A tool call whose arguments are not a JSON object: the raw text and the parse error."""

    id: str | None
    name: str | None
    raw_arguments: str | None
    error: str
    extra_content: Any = None  # ernie-5.0 opaque field, echoed back unchanged


@dataclass(slots=True)
class Message:
    """One turn of history in neutral form.

    `content` is a string or a list of parts (parts only in user messages).
    `tool_calls` may hold `InvalidToolCall`s: they are sent back with their raw arguments.
    `reasoning` is what the model thought on an earlier assistant turn; the core strips
    it from the request unless the caller opts in (`preserve_reasoning_in_history`).
    """

    role: Role
    content: str | list[Part] = ""
    tool_calls: list[ToolCall | InvalidToolCall] | None = None
    tool_call_id: str | None = None
    reasoning: str | None = None
    name: str | None = None


# --------------------------------------------------------------- response side


@dataclass(slots=True)
class Usage:
    """Token counts of one call. Details are None when the server did not send them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None

    def counts(self) -> dict[str, int]:
        """The token counts under their wire names; a detail only when the server sent it.

        The one list of usage keys: both adapters' metadata is built from it.
        """
        out = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.reasoning_tokens is not None:
            out["reasoning_tokens"] = self.reasoning_tokens
        if self.cached_tokens is not None:
            out["cached_tokens"] = self.cached_tokens
        return out


@dataclass(slots=True)
class AnswerSummary:
    """What is told once about a whole answer, streamed or not: how it ended, what it cost,
    which ids name it. The core fills it; both adapters map it into their metadata.

    `wire_usage` is the `usage` object exactly as the server sent it; `request_id` is the
    `x-request-id` header, `inference_id` AIML's `x-inference-id`; `tool_choice_fallback`
    names the fallback used after a refused forced `tool_choice`.
    """

    finish_reason: str | None = None
    usage: Usage | None = None
    wire_usage: dict[str, Any] | None = None
    credits_used: float | None = None
    usd_spent: float | None = None
    inference_id: str | None = None
    request_id: str | None = None
    tool_choice_fallback: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The answer's metadata that is known, by its one name (usage apart: `Usage.counts`).

        The one list of these keys: both adapters put exactly these in their metadata.
        """
        out: dict[str, Any] = {}
        for key in _SUMMARY_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


_SUMMARY_KEYS = (
    "finish_reason",
    "credits_used",
    "usd_spent",
    "inference_id",
    "request_id",
    "tool_choice_fallback",
)


@dataclass(slots=True)
class Completion:
    """A parsed non-streamed answer.

    `reasoning` is None when the server sent none or an empty string.
    `model` is the name the server echoed (often not the requested id).
    `credits_used`/`usd_spent` come from `meta.usage` or the `x-aimlapi-*` headers.
    `headers` are the response headers (lower-case keys), None when none were given.
    `tool_calls` and `invalid_tool_calls` each keep the server's relative order.
    `tool_choice_fallback` names the fallback the client used after a refused forced
    `tool_choice` (None: the request went through as built).
    """

    content: str
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None
    inference_id: str | None = None
    credits_used: float | None = None
    usd_spent: float | None = None
    flag: int | None = None
    system_fingerprint: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] | None = None
    tool_choice_fallback: str | None = None

    def summary(self) -> AnswerSummary:
        """This answer's `AnswerSummary` (built on each call: a few attribute reads)."""
        headers = self.headers
        usage = self.raw.get("usage")
        return AnswerSummary(
            self.finish_reason,
            self.usage,
            usage if isinstance(usage, dict) else None,
            self.credits_used,
            self.usd_spent,
            self.inference_id,
            headers.get("x-request-id") if headers else None,
            self.tool_choice_fallback,
        )


@dataclass(slots=True)
class ToolCallChunk:
    """A fragment of a streamed tool call, as it arrived (keyed by `index`)."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str | None = None
    extra_content: Any = None  # ernie-5.0 opaque field, echoed back unchanged


_NO_CHUNKS: tuple[ToolCallChunk, ...] = ()


@dataclass(slots=True)
class Delta:
    """One parsed stream event.

    `content`/`reasoning` are None when the event carries none (an empty-string reasoning
    is reported as None too). `usage`, credits and `inference_id` appear on the event that
    carries them (usually the last). `raw` is the decoded chunk.
    """

    content: str | None = None
    reasoning: str | None = None
    tool_call_chunks: tuple[ToolCallChunk, ...] | list[ToolCallChunk] = _NO_CHUNKS
    finish_reason: str | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None
    role: str | None = None
    credits_used: float | None = None
    usd_spent: float | None = None
    flag: int | None = None
    inference_id: str | None = None
    raw: dict[str, Any] | None = None
