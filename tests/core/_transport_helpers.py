"""Helpers for the transport tests: a scripted MockTransport (through `support.mock_transport`,
so bodies are held to AIML's spec), SSE bodies, stream chunks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
from ernie_aiml import DEFAULT_BASE_URL, AIMLClient
from ernie_aiml._transport.retry import RetryPolicy
from support import mock_transport

KEY = "sk-aiml-SECRET-7f3e9b1c5d"
URL = f"{DEFAULT_BASE_URL}/chat/completions"  # the default base URL (see test_settings)
BODY: dict[str, Any] = {
    "model": "baidu/ernie-5.0",
    "messages": [{"role": "user", "content": "Hi, 文心"}],
    "temperature": 0.2,
}
#: `BODY` asking for the usage chunk: its stream ends once usage follows the finish reason.
USAGE_BODY: dict[str, Any] = {**BODY, "stream_options": {"include_usage": True}}

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class ChunkStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body sent in the given reads; an exception in the list is raised there."""

    def __init__(self, reads: list[bytes | Exception]) -> None:
        self.reads = reads
        self.closed = False
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for read in self.reads:
            if isinstance(read, Exception):
                raise read
            self.sent += 1
            yield read

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for read in self.reads:
            if isinstance(read, Exception):
                raise read
            self.sent += 1
            yield read

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class Script:
    """A MockTransport handler answering with scripted replies, recording every request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def make_client(
    script: Script,
    *,
    sleeps: list[float] | None = None,
    asynchronous: bool = False,
    **kwargs: Any,
) -> AIMLClient:
    """An AIMLClient on a MockTransport, with an instant recording sleep and no jitter."""
    recorded = sleeps if sleeps is not None else []

    async def async_sleep(delay: float) -> None:
        recorded.append(delay)

    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault(
        "retry_policy",
        RetryPolicy(sleep=recorded.append, async_sleep=async_sleep, random=lambda: 0.0),
    )
    transport = mock_transport(script)
    if asynchronous:
        kwargs.setdefault("http_async_client", httpx.AsyncClient(transport=transport))
    else:
        kwargs.setdefault("http_client", httpx.Client(transport=transport))
    return AIMLClient(**kwargs)


def sse(*events: dict[str, Any] | str, done: bool = True) -> bytes:
    """An SSE body: dicts as JSON `data:` events, strings verbatim."""
    out = []
    for event in events:
        if isinstance(event, str):
            out.append(event)
        else:
            out.append(f"data: {json.dumps(event, ensure_ascii=False)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict:
    """One chat.completion.chunk as AIML streams it."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1768830891,
        "model": "baidu/ernie-5.0",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish, "logprobs": None}],
        "usage": None,
    }
    body.update(extra)
    return body


FIRST = chunk(
    {"role": "assistant", "content": "", "reasoning_content": "Let me think.", "refusal": None}
)
HELLO = chunk({"content": "Hello"})
WORLD = chunk({"content": " world"})
STOP = chunk({}, "stop")
USAGE = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1768830891,
    "model": "baidu/ernie-5.0",
    "choices": [],
    "usage": {
        "prompt_tokens": 13,
        "completion_tokens": 601,
        "total_tokens": 614,
        "completion_tokens_details": {"reasoning_tokens": 323},
        "prompt_tokens_details": {"cached_tokens": 0},
    },
    "meta": {"usage": {"credits_used": 391, "usd_spent": 0.000195}},
}
STREAM_HEADERS = {"content-type": "text/event-stream", "x-inference-id": "inf-stream-1"}


def sse_response(body: bytes | ChunkStream, status: int = 200, **headers: str) -> httpx.Response:
    """A streamed response with the SSE content type and an inference id."""
    all_headers = {**STREAM_HEADERS, **headers}
    if isinstance(body, ChunkStream):
        return httpx.Response(status, headers=all_headers, stream=body)
    return httpx.Response(status, headers=all_headers, content=body)


def aiml_error(status: int, message: str, **headers: str) -> httpx.Response:
    """AIML's flat error body."""
    return httpx.Response(
        status,
        headers=headers,
        json={
            "message": message,
            "path": "/v1/chat/completions",
            "requestId": f"req-{status}",
            "statusCode": str(status),
            "timestamp": "2025-03-11T07:13:27.813Z",
        },
    )


def summary(delta: Any) -> tuple[Any, ...]:
    """The fields the stream tests compare."""
    return (delta.role, delta.content, delta.reasoning, delta.finish_reason, delta.inference_id)
