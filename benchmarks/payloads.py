"""ERNIE-shaped answers, built once and pre-encoded: the bytes the benchmark server sends.

Shapes follow AIML's documented ERNIE answers: a `chat.completion` with `reasoning_content`,
usage with `reasoning_tokens`, `meta.usage.credits_used` and the credit headers; streams of
N reasoning + N content chunks (the first carries `role` and reasoning), a finish chunk, a
`choices: []` usage chunk with `meta.usage`, then `data: [DONE]`.
"""

from __future__ import annotations

import json
from functools import cache

MODEL = "baidu/ernie-5.0"
RESPONSE_ID = "as-bench0001"
INFERENCE_ID = "bench-inference-0001"
CREATED = 1768830891
CREDITS = 391
USD = 0.000203

#: Token texts, cycled: mixed ASCII and CJK, as ERNIE answers are.
_WORDS = (" the", " answer", " 是", " 模型", " step", ",", " 思考", " done", ".", " 42")


def reasoning_token(i: int) -> str:
    """The i-th reasoning token."""
    return _WORDS[(i * 3) % len(_WORDS)]


def content_token(i: int) -> str:
    """The i-th content token."""
    return _WORDS[i % len(_WORDS)]


@cache
def expected_content(n: int) -> str:
    """The full answer text of a stream with n content chunks."""
    return "".join(content_token(i) for i in range(n))


@cache
def expected_reasoning(n: int) -> str:
    """The full reasoning text of a stream with n reasoning chunks."""
    return "".join(reasoning_token(i) for i in range(n))


def _usage(n: int) -> dict:
    return {
        "prompt_tokens": 13,
        "completion_tokens": 2 * n,
        "total_tokens": 13 + 2 * n,
        "completion_tokens_details": {"reasoning_tokens": n},
        "prompt_tokens_details": {"cached_tokens": 0},
    }


def completion_body(n: int = 50) -> dict:
    """A non-streamed `chat.completion` with reasoning, usage and `meta.usage`."""
    return {
        "id": RESPONSE_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "flag": 0,
                "message": {
                    "role": "assistant",
                    "content": expected_content(n),
                    "refusal": None,
                    "reasoning_content": expected_reasoning(n),
                },
            }
        ],
        "usage": _usage(n),
        "meta": {"usage": {"credits_used": CREDITS}},
    }


def _chunk(delta: dict, finish_reason: str | None = None) -> dict:
    return {
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        "usage": None,
    }


def stream_chunks(n: int) -> list[dict]:
    """The 2n + 2 chunks of a stream: n reasoning, n content, finish, usage."""
    chunks = [
        _chunk({"role": "assistant", "content": None, "reasoning_content": reasoning_token(0)})
    ]
    chunks += [
        _chunk({"content": None, "reasoning_content": reasoning_token(i)}) for i in range(1, n)
    ]
    chunks += [_chunk({"content": content_token(i), "reasoning_content": None}) for i in range(n)]
    chunks.append(_chunk({}, "stop"))
    chunks.append(
        {
            "id": RESPONSE_ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "choices": [],
            "usage": _usage(n),
            "meta": {"usage": {"credits_used": CREDITS, "usd_spent": USD}},
        }
    )
    return chunks


def stream_event_count(n: int) -> int:
    """JSON chunks on the wire for a stream of n + n (the divisor of "per chunk")."""
    return 2 * n + 2


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def completion_response(n: int = 50) -> bytes:
    """The whole HTTP/1.1 response for a non-streamed call (keep-alive)."""
    body = _dumps(completion_body(n))
    head = (
        "HTTP/1.1 200 OK\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-inference-id: {INFERENCE_ID}\r\n"
        f"x-aimlapi-credits-used: {CREDITS}\r\n"
        f"x-aimlapi-usd-spent: {USD}\r\n"
        "connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def stream_response(n: int, framing: str = "event") -> bytes:
    """The whole HTTP/1.1 response for a stream.

    `framing="event"`: one HTTP chunk per SSE event, as gateways send tokens (the default);
    `"bulk"`: the whole SSE body in one HTTP chunk (cheaper for the client's HTTP layer).
    """
    head = (
        "HTTP/1.1 200 OK\r\n"
        "content-type: text/event-stream; charset=utf-8\r\n"
        "transfer-encoding: chunked\r\n"
        "cache-control: no-cache\r\n"
        f"x-inference-id: {INFERENCE_ID}\r\n"
        "connection: keep-alive\r\n\r\n"
    ).encode()
    events = [b"data: " + _dumps(c) + b"\n\n" for c in stream_chunks(n)]
    events.append(b"data: [DONE]\n\n")
    if framing == "bulk":
        return head + _http_chunk(b"".join(events)) + b"0\r\n\r\n"
    return head + b"".join(_http_chunk(e) for e in events) + b"0\r\n\r\n"
