"""AIML-shaped bodies: completions, stream chunks, usage, error bodies, ids.

Shapes are copied from real AIML answers (the docs' example responses): Qianfan-routed
models answer with `as-…` ids and `choices[].flag`, open-weight ones with 32-hex ids and
`system_fingerprint: ""`; the echoed `model` is often not the requested id.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from .._tokens import count_request_tokens

#: What the server echoes as `model` for ids it renames (keyed by canonical id).
_ECHO_NAMES: dict[str, str] = {
    "baidu/ernie-x1-1-preview": "ernie-x1.1-preview",
    "baidu/ernie-x1-turbo-32k": "ernie-x1-turbo-32k",
    "baidu/ernie-5-0-thinking-preview": "ernie-5.0-thinking-preview",
    "baidu/ernie-5-0-thinking-latest": "ernie-5.0-thinking-latest",
    "baidu/ernie-4.5-21b-a3b": "baidu/ernie-4.5-21B-a3b",
    "baidu/ernie-4.5-21b-a3b-thinking": "baidu/ernie-4.5-21B-a3b-thinking",
    "baidu/ernie-4-5-8k-preview": "ernie-4.5-8k-preview",
    "baidu/ernie-4-5-turbo-128k": "ernie-4.5-turbo-128k",
    "baidu/ernie-4-5-turbo-vl-32k": "ernie-4.5-turbo-vl-32k",
}

#: Models AIML routes through Baidu Qianfan (`as-…` ids, `flag: 0`).
_QIANFAN = frozenset(
    {
        "baidu/ernie-x1-1-preview",
        "baidu/ernie-x1-turbo-32k",
        "baidu/ernie-5-0-thinking-preview",
        "baidu/ernie-5-0-thinking-latest",
        "baidu/ernie-4-5-8k-preview",
        "baidu/ernie-4-5-turbo-128k",
        "baidu/ernie-4-5-turbo-vl-32k",
    }
)

_ALNUM = string.ascii_lowercase + string.digits
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def echo_model(model: str) -> str:
    """The `model` name the server puts in its answer for a requested id."""
    return _ECHO_NAMES.get(model, model)


def is_qianfan(model: str) -> bool:
    """True for models whose answers carry `as-…` ids and a `flag`."""
    return model in _QIANFAN


def completion_id(model: str) -> str:
    """A fresh response id in the style the model's route uses."""
    if is_qianfan(model):
        return "as-" + "".join(secrets.choice(_ALNUM) for _ in range(10))
    return uuid.uuid4().hex


def count_tokens(text: str | None) -> int:
    """A deterministic token estimate: words and punctuation marks."""
    return len(_TOKEN_RE.findall(text)) if text else 0


def _is_text(part: dict[str, Any]) -> bool:
    """A text part (`type` "text", or no type with a `text`): images and files are not."""
    kind: object = part.get("type", "text")
    return kind == "text"


def message_text(content: Any) -> str:
    """The text of a message `content`: a string, or its text parts joined by newlines.

    Image and file parts add nothing, not even a separator.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and _is_text(p)]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def prompt_tokens(messages: Sequence[Any], tools: Sequence[Any] | None = None) -> int:
    """Prompt tokens as the client estimates them (`ernie_aiml`'s `count_request_tokens`):
    the template, every message's text, tool calls and tools."""
    return count_request_tokens(messages, tools)


#: Cached prompt tokens cost a tenth of fresh ones (rounded up), as prompt caches commonly do.
CACHED_TOKENS_PER_CREDIT = 10


def credits_for(prompt: int, completion: int, cached: int | None = None) -> int:
    """Deterministic integer credits for a call, like AIML's `meta.usage.credits_used`:
    a fresh prompt token 1, a cached one 1/10 (rounded up over the call), an output token 2."""
    cached = cached or 0
    return prompt - cached + -(-cached // CACHED_TOKENS_PER_CREDIT) + 2 * completion


#: AIML's documented rate (docs FAQ "How can I track my funds?"): $1 = 2,000,000 credits.
CREDITS_PER_USD = 2_000_000


def usd_for(credits: float) -> float:
    """What `credits` cost in USD, rounded to 10 decimals."""
    return round(credits / CREDITS_PER_USD, 10)


def usd_header(credits: float) -> str:
    """The `x-aimlapi-usd-spent` header value for `credits`, in plain decimal notation."""
    return f"{usd_for(credits):.10f}".rstrip("0").rstrip(".") or "0"


def usage_block(
    prompt: int, completion: int, reasoning: int | None, model: str, cached: int | None = None
) -> dict[str, Any]:
    """The `usage` object: reasoning tokens in `completion_tokens_details` when any, and
    `prompt_tokens_details.cached_tokens` when the request carried cache marks."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    elif not is_qianfan(model):
        usage["prompt_tokens_details"] = None
        usage["completion_tokens_details"] = None
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return usage


def tool_call_dict(call: Mapping[str, Any]) -> dict[str, Any]:
    """`{"id","name","arguments"}` (arguments a dict or a JSON string) → OpenAI wire form."""
    arguments = call.get("arguments", "")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": arguments},
    }


def completion_body(
    *,
    model: str,
    content: str,
    reasoning: str | None = None,
    tool_calls: Sequence[Mapping[str, Any]] = (),
    finish_reason: str = "stop",
    prompt: int = 1,
    cached: int | None = None,
) -> dict[str, Any]:
    """A non-streamed `chat.completion` body in AIML's shape, with usage and `meta.usage`."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    wire_calls = [tool_call_dict(c) for c in tool_calls]
    if wire_calls:
        message["tool_calls"] = wire_calls
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish_reason}
    completion = _completion_tokens(content, reasoning, wire_calls)
    reasoning_tokens = _reasoning_tokens(reasoning)
    body: dict[str, Any] = {
        "id": completion_id(model),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": echo_model(model),
        "choices": [choice],
        "usage": usage_block(prompt, completion, reasoning_tokens, model, cached),
    }
    if is_qianfan(model):
        choice["flag"] = 0
    else:
        body["system_fingerprint"] = ""
    body["meta"] = {"usage": {"credits_used": credits_for(prompt, completion, cached)}}
    return body


def _reasoning_tokens(reasoning: str | None) -> int | None:
    """Reasoning tokens for `completion_tokens_details`: None when there is no reasoning or it
    is empty (x1.1 answers `reasoning_content: ""` without a details object)."""
    return count_tokens(reasoning) if reasoning else None


def _completion_tokens(content: str, reasoning: str | None, calls: Iterable[dict[str, Any]]) -> int:
    args = sum(count_tokens(c["function"]["arguments"]) + 1 for c in calls)
    return count_tokens(content) + count_tokens(reasoning) + args


def split_text(text: str, chunk_size: int) -> list[str]:
    """Split text into pieces of at least `chunk_size` characters at word boundaries.

    Joining the pieces gives the text back exactly.
    """
    pieces: list[str] = []
    current = ""
    for token in re.findall(r"\s+|\S+", text):
        current += token
        if len(current) >= chunk_size:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def stream_events(
    content: str = "",
    *,
    reasoning: str | None = None,
    tool_calls: Sequence[Mapping[str, Any]] = (),
    model: str = "baidu/ernie-5.0",
    chunk_size: int = 12,
    finish_reason: str | None = None,
    prompt: int = 1,
    include_usage: bool = True,
    repeat_call_ids: bool = True,
    usd_spent: bool = True,
    cached: int | None = None,
) -> list[dict[str, Any]]:
    """The chunk dicts AIML streams for an answer, ready for `SSEReply(events=...)`.

    Order: a first chunk with the role (and the first reasoning piece; `reasoning=""` sends
    `reasoning_content: ""`), reasoning deltas (content null), content deltas, tool-call
    deltas, a finish chunk `delta: {}`, then a `choices: []` chunk with usage and
    `meta.usage` (`credits_used` and, as the docs say for streams, `usd_spent`; without it
    when `usd_spent=False`). Every tool-call fragment carries `id`, `type` and `name` (the spec's chunk
    schema requires them; `repeat_call_ids=False`: only the first). `[DONE]` is not
    included: `SSEReply(done=True)` adds it.
    """
    base = _ChunkFactory(model)
    reasoning_pieces = split_text(reasoning, chunk_size) if reasoning else []
    first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
    if reasoning is not None:
        first["reasoning_content"] = reasoning_pieces.pop(0) if reasoning_pieces else ""
    events = [base.chunk(first)]
    events += [base.chunk({"content": None, "reasoning_content": p}) for p in reasoning_pieces]
    content_delta = {"reasoning_content": None} if reasoning else {}
    events += [base.chunk({"content": p, **content_delta}) for p in split_text(content, chunk_size)]
    wire_calls = [tool_call_dict(c) for c in tool_calls]
    for index, call in enumerate(wire_calls):
        fragments = _call_fragments(index, call, chunk_size, repeat_call_ids)
        events += [base.chunk({"tool_calls": [fragment]}) for fragment in fragments]
    if finish_reason is None:
        finish_reason = "tool_calls" if wire_calls else "stop"
    events.append(base.chunk({}, finish_reason))
    if include_usage:
        completion = _completion_tokens(content, reasoning, wire_calls)
        reasoning_tokens = _reasoning_tokens(reasoning)
        events.append(base.usage_chunk(prompt, completion, reasoning_tokens, usd_spent, cached))
    return events


def _call_fragments(
    index: int, call: dict[str, Any], chunk_size: int, repeat: bool
) -> list[dict[str, Any]]:
    function = call["function"]
    head = {
        "index": index,
        "id": call["id"],
        "type": "function",
        "function": {"name": function["name"], "arguments": ""},
    }
    pieces = split_text(function["arguments"], chunk_size)
    if repeat:
        return [head] + [{**head, "function": {**head["function"], "arguments": p}} for p in pieces]
    return [head] + [{"index": index, "function": {"arguments": p}} for p in pieces]


class _ChunkFactory:
    """Builds `chat.completion.chunk` dicts sharing one id, timestamp and model name."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.common: dict[str, Any] = {
            "id": completion_id(model),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": echo_model(model),
        }
        if not is_qianfan(model):
            self.common["system_fingerprint"] = ""

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {**self.common, "choices": [choice], "usage": None}

    def usage_chunk(
        self,
        prompt: int,
        completion: int,
        reasoning: int | None,
        usd: bool,
        cached: int | None = None,
    ) -> dict[str, Any]:
        credits = credits_for(prompt, completion, cached)
        cost: dict[str, Any] = {"credits_used": credits}
        if usd:
            cost["usd_spent"] = usd_for(credits)
        return {
            **self.common,
            "choices": [],
            "usage": usage_block(prompt, completion, reasoning, self.model, cached),
            "meta": {"usage": cost},
        }


def error_body(status: int, message: str, path: str = "/v1/chat/completions") -> dict[str, Any]:
    """AIML's flat error body (`statusCode` is a string, as the server sends it)."""
    now = datetime.now(timezone.utc)
    return {
        "message": message,
        "path": path,
        "requestId": str(uuid.uuid4()),
        "statusCode": str(status),
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
    }
