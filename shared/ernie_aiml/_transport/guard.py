"""The byte-level guard on every response body: size limits, decompression, the deadline.

`guard(response, call, stream)` swaps the response's byte stream for one that decodes gzip
and deflate itself, in bounded pieces (a gzip bomb inflates 1 MiB at a time and stops at the
limit, never all at once), counts decoded bytes as they arrive against the limit for this
kind of body (`Limits.answer_bytes`, `error_bytes` or `stream_bytes`) and checks the call's
total deadline at every read. Everything downstream (`read()`, `iter_raw()`, the SSE decoder)
reads through it unchanged; the `content-encoding` header is dropped since the bytes are
decoded here. A body compressed in a way we did not ask for (`Accept-Encoding: gzip, deflate`)
is refused rather than handed to a decoder without a limit. The SSE stream takes the count
of a plain (not encoded) body over (`take_counter`): its `StreamState` counts each read and
checks the deadline where it decodes it, so those reads pass through no wrapper of ours.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

from .._errors.classes import APITimeoutError, ResponseParseError, ResponseTooLargeError
from .._limits import limits

#: What we accept: the two encodings decoded here in bounded pieces.
ACCEPT_ENCODING = "gzip, deflate"
#: Largest piece one decompression step may produce.
_PIECE = 1024 * 1024
_SSE = "text/event-stream"


def guard(response: httpx.Response, deadline: Deadline | None, stream: bool) -> None:
    """Route `response`'s body through the limits and the deadline (in place, once)."""
    headers = response.headers
    if not response.is_success:
        name = "error_bytes"
    elif stream and headers.get("content-type", "").startswith(_SSE):
        name = "stream_bytes"
    else:
        name = "answer_bytes"
    encoding = headers.get("content-encoding")
    counter = BodyCounter(name, getattr(limits(), name), deadline, encoding)
    if encoding is not None:
        del headers["content-encoding"]  # decoded here, not again by httpx
    body = response.stream
    if isinstance(body, httpx.SyncByteStream):
        response.stream = _Guarded(body, counter)
    elif isinstance(body, httpx.AsyncByteStream):
        response.stream = _AsyncGuarded(body, counter)


def take_counter(response: httpx.Response) -> BodyCounter | None:
    """For a reader that counts its reads itself (the SSE stream's `StreamState`): the counter
    of `response`'s guarded body, which then reads unwrapped (one generator layer less per
    read). None, and the body stays guarded, when it is decoded here (gzip, deflate) or was
    never guarded."""
    body = response.stream
    if isinstance(body, _Guarded | _AsyncGuarded) and body._counter.plain:
        response.stream = body._inner
        return body._counter
    return None


def send(
    client: httpx.Client, request: httpx.Request, deadline: Deadline | None, stream: bool
) -> httpx.Response:
    """`client.send` with the body guarded; a non-streamed 2xx body is read here (within
    the caller's retry handling, as httpx would)."""
    response = client.send(request, stream=True, follow_redirects=False)
    guard(response, deadline, stream)
    if not stream and response.is_success:
        try:
            response.read()
        finally:
            response.close()
    return response


async def asend(
    client: httpx.AsyncClient, request: httpx.Request, deadline: Deadline | None, stream: bool
) -> httpx.Response:
    """Async `send`; under asyncio the deadline also bounds the wait for the status line and
    headers (a server dripping them a byte at a time), by cancelling the wait at the deadline."""
    if deadline is None:
        response = await client.send(request, stream=True, follow_redirects=False)
    else:
        response = await _asend_by(client, request, deadline)
    guard(response, deadline, stream)
    if not stream and response.is_success:
        try:
            await response.aread()
        finally:
            await response.aclose()
    return response


#: The total deadline of one call by default: two hours, far beyond a long reasoning answer
#: (64k tokens at 20 tokens/s is under an hour), yet a server dripping bytes is cut off.
DEFAULT_DEADLINE = 7200.0


class Deadline:
    """The total time one call may take, from its start: `APITimeoutError` once it passed."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (0 when passed)."""
        return max(self.at - time.monotonic(), 0.0)

    def check(self) -> None:
        """Raise `APITimeoutError` with the figure once the deadline has passed."""
        if time.monotonic() > self.at:
            raise self.error()

    def error(self) -> APITimeoutError:
        """The error for a call that ran past its deadline."""
        return APITimeoutError(
            f"the call ran past its total deadline of {self.seconds:g} s (deadline=; a server "
            "that keeps sending slowly never resets it)"
        )

    def cap(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """`timeout` with no field above the time left (so a silent server is cut at the
        deadline, not a read timeout later)."""
        left = self.remaining()
        if left <= 0:
            raise self.error()
        if left >= _longest(timeout):  # the usual case: nothing to cap
            return timeout
        return httpx.Timeout(
            connect=_min(timeout.connect, left),
            read=_min(timeout.read, left),
            write=_min(timeout.write, left),
            pool=_min(timeout.pool, left),
        )


def _longest(timeout: httpx.Timeout) -> float:
    connect, read, write, pool = timeout.connect, timeout.read, timeout.write, timeout.pool
    if connect is None or read is None or write is None or pool is None:
        return _INF  # None: no limit
    return max(connect, read, write, pool)


def _min(value: float | None, left: float) -> float:
    return left if value is None else min(value, left)


async def _asend_by(
    client: httpx.AsyncClient, request: httpx.Request, deadline: Deadline
) -> httpx.Response:
    """`client.send`, cancelled at the deadline (an outside cancellation stays one)."""
    try:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio): the per-read checks still hold
        task = None
    if task is None:
        return await client.send(request, stream=True, follow_redirects=False)
    fired: list[bool] = []

    def fire() -> None:
        fired.append(True)
        task.cancel()

    handle = loop.call_later(deadline.remaining(), fire)
    try:
        return await client.send(request, stream=True, follow_redirects=False)
    except asyncio.CancelledError:
        if not fired:
            raise
        uncancel = getattr(task, "uncancel", None)  # Python 3.11+: undo our own cancel
        if uncancel is not None:
            uncancel()
        raise deadline.error() from None
    finally:
        handle.cancel()


def _codings(header: str | None) -> list[str]:
    """The codings to undo, last applied first."""
    if not header:
        return []
    codings = [c.strip().lower() for c in header.split(",")]
    return [c for c in codings if c and c != "identity"][::-1]


class BodyCounter:
    """Decodes and counts one body's bytes; raises once the limit or the deadline passed.

    A compressed body counts its compressed bytes and each layer's output against the limit
    (a layer that inflates to little cannot hide a huge one below it)."""

    __slots__ = ("deadline", "decoders", "limit", "name", "raw", "refusal", "seen")

    def __init__(
        self, name: str, limit: int, deadline: Deadline | None, encoding: str | None
    ) -> None:
        self.name = name
        self.limit = limit
        self.deadline = deadline
        self.seen = 0
        self.raw = 0  # compressed bytes read (a decoded body only)
        self.refusal: ResponseParseError | None = None
        self.decoders: list[_Inflater] = []
        if encoding is None:  # the usual case
            return
        codings = _codings(encoding)
        self.refusal = _refusal(codings)
        if self.refusal is None:
            self.decoders = [_Inflater(coding) for coding in codings]

    @property
    def plain(self) -> bool:
        """Whether reads pass as they are (nothing to decode or refuse)."""
        return not self.decoders and self.refusal is None

    def check(self, raw: bytes) -> None:
        """Count one read that passes as it is; raise past the deadline or the limit."""
        deadline = self.deadline
        if deadline is not None and time.monotonic() > deadline.at:
            raise deadline.error()
        self.seen += len(raw)
        if self.seen > self.limit:
            self.count(b"")

    def pieces(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw read, each counted."""
        if self.refusal is not None:
            raise self.refusal
        if self.deadline is not None:
            self.deadline.check()
        if not self.decoders:
            self.count(raw)
            yield raw
            return
        self.raw += len(raw)
        if self.raw > self.limit:
            raise self._too_large("compressed ")
        yield from self._decode(raw, 0)

    def _decode(self, data: bytes, level: int) -> Iterator[bytes]:
        """`data` through the decoders from `level` on (at most `MAX_CODINGS` deep)."""
        if level == len(self.decoders):
            yield data
            return
        for piece in self.decoders[level].feed(data):
            self.count(piece)
            yield from self._decode(piece, level + 1)

    def tail(self) -> Iterator[bytes]:
        """What the decoders still hold at the end of the body."""
        for level, decoder in enumerate(self.decoders):
            rest = decoder.flush()
            if rest:
                self.count(rest)
                yield from self._decode(rest, level + 1)

    def count(self, data: bytes) -> None:
        self.seen += len(data)
        if self.seen > self.limit:
            raise self._too_large("decoded ")

    def _too_large(self, what: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"the server sent more than {self.limit} {what}bytes (limit {self.name}; "
            f"raise it with ernie_aiml.configure_limits({self.name}=...)); nothing more "
            "is read"
        )


_INF = float("inf")
_INFLATERS = frozenset({"gzip", "x-gzip", "deflate"})
#: Most content codings undone one over another (one is the norm); more are refused.
MAX_CODINGS = 2
_GZIP_MAGIC = b"\x1f\x8b"


def _refusal(codings: list[str]) -> ResponseParseError | None:
    """Why a body with these codings is not decoded at all, if it is not."""
    odd = [c for c in codings if c not in _INFLATERS]
    if odd:  # never handed to a decoder without a size limit
        return ResponseTooLargeError(
            f"the answer is compressed with {odd[0]!r}, which was not asked for "
            f"(Accept-Encoding: {ACCEPT_ENCODING}); it is not decoded without a size limit"
        )
    if len(codings) > MAX_CODINGS:
        return ResponseParseError(
            f"the answer has {len(codings)} stacked content codings; at most {MAX_CODINGS} "
            "are decoded"
        )
    return None


class _Inflater:
    """gzip or deflate, undone at most `_PIECE` bytes at a time.

    What follows the end of a gzip member is another member (RFC 1952 allows several) or
    refused: zlib would keep it in `unused_data`, growing without a limit."""

    __slots__ = ("_coding", "_first", "_z")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._z = self._start()
        self._first = True

    def _start(self) -> zlib._Decompress:
        wbits = zlib.MAX_WBITS | 16 if self._coding != "deflate" else zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            while data:
                z = self._z
                if z.eof:
                    self._next_member(data)
                    continue
                out = z.decompress(data, _PIECE)
                self._first = False
                data = z.unconsumed_tail or z.unused_data
                if out:
                    yield out
        except zlib.error as exc:
            if self._coding == "deflate" and self._first:  # raw deflate, as some servers send
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                yield from self.feed(data)
                return
            raise ResponseParseError(
                f"the answer's {self._coding} data is corrupt: {exc}"
            ) from None

    def _next_member(self, data: bytes) -> None:
        """Bytes after the end of the compressed data: a new gzip member, or refused."""
        if self._coding == "deflate" or not _GZIP_MAGIC.startswith(data[:2]):
            raise ResponseParseError(
                f"the answer has bytes after the end of its {self._coding} data; they are not read"
            )
        self._z = self._start()

    def flush(self) -> bytes:
        return self._z.flush(_PIECE)


class _Guarded(httpx.SyncByteStream):
    """A sync body read through a `BodyCounter`."""

    def __init__(self, inner: httpx.SyncByteStream, counter: BodyCounter) -> None:
        self._inner = inner
        self._counter = counter

    def __iter__(self) -> Iterator[bytes]:
        counter = self._counter
        if counter.plain:  # the usual case: `BodyCounter.check` inlined, once per read
            deadline, limit, now = counter.deadline, counter.limit, time.monotonic
            at = deadline.at if deadline is not None else _INF
            for raw in self._inner:
                if now() > at:
                    raise deadline.error()  # type: ignore[union-attr]  # at < inf: a deadline
                counter.seen += len(raw)
                if counter.seen > limit:
                    counter.count(b"")
                yield raw
            return
        for raw in self._inner:
            yield from counter.pieces(raw)
        yield from counter.tail()

    def close(self) -> None:
        self._inner.close()


class _AsyncGuarded(httpx.AsyncByteStream):
    """An async body read through a `BodyCounter`."""

    def __init__(self, inner: httpx.AsyncByteStream, counter: BodyCounter) -> None:
        self._inner = inner
        self._counter = counter

    async def __aiter__(self) -> AsyncIterator[bytes]:
        counter = self._counter
        if counter.plain:  # as in `_Guarded.__iter__`
            deadline, limit, now = counter.deadline, counter.limit, time.monotonic
            at = deadline.at if deadline is not None else _INF
            async for raw in self._inner:
                if now() > at:
                    raise deadline.error()  # type: ignore[union-attr]  # at < inf: a deadline
                counter.seen += len(raw)
                if counter.seen > limit:
                    counter.count(b"")
                yield raw
            return
        async for raw in self._inner:
            for piece in counter.pieces(raw):
                yield piece
        for piece in counter.tail():
            yield piece

    async def aclose(self) -> None:
        await self._inner.aclose()
