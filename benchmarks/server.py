"""A minimal, fast loopback HTTP/1.1 server for the benchmark, run in its own process.

`POST [/event|/bulk][/nN]/v1/chat/completions` answers pre-encoded ERNIE-shaped bytes: a
stream of N + N chunks when the body says `"stream": true` (N from the optional `/nN` path
prefix, default 500; `/bulk` sends the SSE body as one HTTP chunk instead of one per event),
else a non-streamed completion. Keep-alive, no JSON parsing, one `write` per answer, so
the server costs a small fraction of what the clients being measured cost.

Usage: `python benchmarks/server.py [--port 0] [--n 500]`; prints `PORT <port>` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys

import payloads

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_PATH_RE = re.compile(rb"^(?:/(event|bulk))?(?:/n(\d+))?/v1/chat/completions$")
_NOT_FOUND_BODY = b'{"message":"Not found","statusCode":404}'
_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
    b"connection: keep-alive\r\n\r\n%s" % (len(_NOT_FOUND_BODY), _NOT_FOUND_BODY)
)
_MODELS_BODY = b'{"data":[{"id":"baidu/ernie-5.0","type":"openai/chat-completions","info":{"contextLength":128000}}]}'
_MODELS = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
    b"connection: keep-alive\r\n\r\n%s" % (len(_MODELS_BODY), _MODELS_BODY)
)


class _Answers:
    """Pre-encoded answers, one per stream length, built on first use."""

    def __init__(self, default_n: int, framing: str) -> None:
        self.default_n = default_n
        self.framing = framing
        self.completion = payloads.completion_response()
        self.streams: dict[tuple[int, str], bytes] = {}

    def stream(self, n: int, framing: str | None = None) -> bytes:
        key = (n, framing or self.framing)
        data = self.streams.get(key)
        if data is None:
            data = self.streams[key] = payloads.stream_response(*key)
        return data

    def answer(self, method: bytes, path: bytes, body: bytes) -> bytes:
        if method == b"GET" and path.endswith(b"/models"):
            return _MODELS
        match = _PATH_RE.match(path.split(b"?", 1)[0])
        if method != b"POST" or match is None:
            return _NOT_FOUND
        if _STREAM_RE.search(body):
            framing = match.group(1)
            n = int(match.group(2) or self.default_n)
            return self.stream(n, framing.decode() if framing else None)
        return self.completion


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parse request heads and bodies, write answers."""

    def __init__(self, answers: _Answers) -> None:
        self.answers = answers
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self._handle_one():
            pass

    def _handle_one(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.buffer[:end]
        length = 0
        close = False
        lines = head.split(b"\r\n")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        total = end + 4 + length
        if len(self.buffer) < total:
            return False
        body = self.buffer[end + 4 : total]
        self.buffer = self.buffer[total:]
        method, path, _ = lines[0].split(b" ", 2)
        assert self.transport is not None
        self.transport.write(self.answers.answer(method, path, body))
        if close:
            self.transport.close()
            return False
        return True


async def serve(port: int, default_n: int, framing: str = "event") -> None:
    """Serve until killed; print the bound port on stdout once listening."""
    answers = _Answers(default_n, framing)
    answers.stream(default_n)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(answers), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--n", type=int, default=500, help="default reasoning/content chunks")
    parser.add_argument(
        "--framing",
        choices=("event", "bulk"),
        default="event",
        help="one HTTP chunk per SSE event (default) or the whole stream in one",
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.n, args.framing))


if __name__ == "__main__":
    main()
