"""The hostile servers of the memory cases (issue 22 §2), shared by the tests and the RSS
probe they run in a subprocess. Each streams its body in pieces: the server never holds it."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterator
from typing import Any

from hostile_support import Responder, head

MIB = 1024 * 1024


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 1 MiB of gzip that inflates to 1 GiB of spaces (valid JSON padding)."""
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b" " * MIB
    out = [z.compress(b'{"pad": "')] + [z.compress(block) for _ in range(1024)]
    return b"".join([*out, z.compress(b'"}'), z.flush()])


def bomb(status: int, content_type: str) -> Iterator[bytes]:
    body = gzip_bomb()
    yield head(status, content_type, content_encoding="gzip", content_length=len(body))
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


def huge_json(status: int = 200, total: int = 200 * MIB) -> Iterator[bytes]:
    """A `total`-byte JSON answer sent 1 MiB at a time, with its true length."""
    prefix = b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "'
    suffix = b'"}, "finish_reason": "stop"}]}'
    yield head(status, content_length=total)
    yield prefix
    left = total - len(prefix) - len(suffix)
    while left > 0:
        piece = min(left, MIB)
        yield b"a" * piece
        left -= piece
    yield suffix


def endless_line() -> Iterator[bytes]:
    """An SSE line that never ends (and a JSON answer that never ends, for non-streams)."""
    yield head(200, "text/event-stream")
    yield b"data: "
    while True:
        yield b"x" * MIB


def endless_events() -> Iterator[bytes]:
    """An event stream that never finishes, answering even a non-streamed call."""
    yield head(200, "text/event-stream")
    chunk = b'data: {"choices": [{"index": 0, "delta": {"content": "' + b"y" * 4000 + b'"}}]}\n\n'
    while True:
        yield chunk * 64


def _by_kind(plain: Any, streamed: Any) -> Responder:
    return lambda request: streamed() if request.streamed else plain()


CASES: dict[str, Responder] = {
    "gzip-bomb": _by_kind(
        lambda: bomb(200, "application/json"), lambda: bomb(200, "text/event-stream")
    ),
    "gzip-bomb-error": lambda request: bomb(500, "application/json"),
    "huge-answer": lambda request: huge_json(),
    "huge-error": lambda request: huge_json(500, 300 * MIB),
    "endless-line": lambda request: endless_line(),
    "endless-events": lambda request: endless_events(),
}
