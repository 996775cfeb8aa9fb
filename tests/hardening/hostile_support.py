"""A hostile server on 127.0.0.1 and one runner for the twelve ways of calling it.

`HostileServer` answers each request with raw bytes from a Python generator (so it can lie,
drip, flood or never end); `call(mode, url)` makes one call through the core client, the
LangChain model or the LlamaIndex model, sync or async, streamed or not, and returns the text
of everything the caller got back (reprs of answers, chunks and their metadata), so a test
can search it for the key.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hardening_support import BODY, KEY, MODEL, Sleeps

MODES = [
    "core-chat",
    "core-achat",
    "core-stream",
    "core-astream",
    "lc-invoke",
    "lc-ainvoke",
    "lc-stream",
    "lc-astream",
    "li-chat",
    "li-achat",
    "li-stream",
    "li-astream",
]
STREAM_MODES = [m for m in MODES if "stream" in m]
PLAIN_MODES = [m for m in MODES if "stream" not in m]

#: One request as the server saw it: (head, body); `streamed` tells what the caller asked.
Responder = Callable[["Request"], Iterable[bytes]]


class Request:
    """What the hostile server received: the request head and JSON body."""

    def __init__(self, head: bytes, body: bytes) -> None:
        self.head = head
        self.body = json.loads(body) if body else {}

    @property
    def streamed(self) -> bool:
        return self.body.get("stream") is True


class HostileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that sends whatever `respond` yields."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.requests: list[Request] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            data = b""
            while b"\r\n\r\n" not in data:
                piece = conn.recv(65536)
                if not piece:
                    return
                data += piece
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                piece = conn.recv(65536)
                if not piece:
                    return
                body += piece
            request = Request(head, body)
            self.requests.append(request)
            for chunk in self.respond(request):
                if self._stop.is_set():
                    return
                conn.sendall(chunk)

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


def head(status: int = 200, content_type: str = "application/json", **headers: str | int) -> bytes:
    """A response head (status line and headers), `Connection: close` unless given."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}"]
    headers.setdefault("connection", "close")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_reply(body: bytes, status: int = 200, **headers: str | int) -> Iterator[bytes]:
    """A whole JSON answer with its length."""
    yield head(status, content_length=len(body), **headers) + body


def sse_reply(events: Iterable[bytes], **headers: str | int) -> Iterator[bytes]:
    """An event stream (ended by closing the connection)."""
    yield head(200, "text/event-stream", **headers)
    yield from events


def answer(content: str = "Hello.", reasoning: str | None = None, **extra: Any) -> dict[str, Any]:
    """A complete non-streamed AIML answer."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        **extra,
    }


def events(content: str = "Hello.", reasoning: str | None = None, **extra: Any) -> list[bytes]:
    """A complete streamed answer: content (and reasoning) deltas, finish, usage (with
    `extra` fields, `usage` and `meta` included), [DONE]."""
    delta: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    chunks: list[dict[str, Any]] = [
        {"id": "c1", "model": MODEL, "choices": [{"index": 0, "delta": delta}]},
        {
            "id": "c1",
            "model": MODEL,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        },
        {
            "id": "c1",
            "model": MODEL,
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            **extra,
        },
    ]
    return [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]


def either(
    plain: Callable[[], Iterable[bytes]], streamed: Callable[[], Iterable[bytes]]
) -> Responder:
    """A responder that answers a streamed request with `streamed()`, others with `plain()`."""
    return lambda request: streamed() if request.streamed else plain()


def build(mode: str, url: str, key: str = KEY, max_retries: int = 0, **kwargs: Any) -> Any:
    """The client or model a mode calls through (retries recorded, not slept)."""
    policy = Sleeps().policy(max_retries)
    if mode.startswith("core"):
        from ernie_aiml import AIMLClient

        return AIMLClient(api_key=key, base_url=url, retry_policy=policy, **kwargs)
    if mode.startswith("lc"):
        from langchain_ernie_aiml import ChatErnieAIML

        return ChatErnieAIML(
            api_key=key, base_url=url, max_retries=max_retries, retry_policy=policy, **kwargs
        )
    from llama_index_ernie_aiml import ErnieAIML

    return ErnieAIML(api_key=key, base_url=url, retry_policy=policy, **kwargs)


async def run(
    mode: str, target: Any, body: dict[str, Any] | None = None, messages: Any = None, **kw: Any
) -> str:
    """One call in `mode` on `target` (from `build`); the text of all it returned; `kw` go
    to the adapters' call (tools, say)."""
    return "\n".join(_text(item) for item in await results(mode, target, body, messages, **kw))


async def results(
    mode: str, target: Any, body: dict[str, Any] | None = None, messages: Any = None, **kw: Any
) -> list[Any]:
    """Everything one call in `mode` returned: the answer, or every chunk of a stream."""
    out: list[Any] = []
    if mode.startswith("core"):
        body = body or BODY
        if mode == "core-chat":
            out.append(target.chat(body))
        elif mode == "core-achat":
            out.append(await target.achat(body))
        elif mode == "core-stream":
            stream = target.stream(body)
            out.extend(stream)
            out.append(stream.inference_id)
        else:
            stream = target.astream(body)
            out.extend([d async for d in stream])
            out.append(stream.inference_id)
    elif mode.startswith("lc"):
        prompt = messages if messages is not None else "hi"
        if mode == "lc-invoke":
            out.append(target.invoke(prompt, **kw))
        elif mode == "lc-ainvoke":
            out.append(await target.ainvoke(prompt, **kw))
        elif mode == "lc-stream":
            out.extend(target.stream(prompt, **kw))
        else:
            out.extend([c async for c in target.astream(prompt, **kw)])
    else:
        from llama_index.core.base.llms.types import ChatMessage

        msgs = messages if messages is not None else [ChatMessage(role="user", content="hi")]
        if mode == "li-chat":
            out.append(target.chat(msgs, **kw))
        elif mode == "li-achat":
            out.append(await target.achat(msgs, **kw))
        elif mode == "li-stream":
            out.extend(target.stream_chat(msgs, **kw))
        else:
            out.extend([r async for r in await target.astream_chat(msgs, **kw)])
    return out


def sse_chunks(chunks: list[dict[str, Any]], done: bool = True) -> list[bytes]:
    """SSE `data:` events of `chunks` (then `[DONE]`)."""
    out = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks]
    return out + ([b"data: [DONE]\n\n"] if done else [])


def _text(item: Any) -> str:
    """Everything of one answer or chunk a caller can see."""
    parts = [repr(item), str(item)]
    for name in ("raw", "additional_kwargs", "response_metadata", "headers", "message"):
        parts.append(repr(getattr(item, name, None)))
    return "\n".join(parts)
