"""A fault-injecting TCP proxy on 127.0.0.1, between our client and the emulator.

`ChaosProxy(upstream_port)` runs its own event loop in a thread (sync clients need it to
run while they block). Every client connection it accepts opens one connection upstream
and takes the next `Plan` from `proxy.plans` (an iterator; the default plan forwards
faithfully). Requests go upstream untouched; the plan shapes the response bytes:

- `latency` + `jitter`: a pause before every write (seeded random jitter);
- `bandwidth`: bytes per second, as pauses between writes;
- `split=1`: every byte written on its own, with a pause so the client reads it alone
  (SSE lines, `data:` prefixes, JSON and multi-byte UTF-8 cut across reads);
- `reset_at=N`: after N response bytes the client socket is reset (RST, or FIN when
  `rst=False`);
- `half_open_at=N`: after N bytes nothing more is sent, yet the socket stays open;
- `drip`: one byte per `drip` seconds.

`connections` counts the client connections accepted, `sent` the response bytes forwarded
per connection, `received` the bytes upstream sent per connection; `offset_after(data,
marker)` finds the offset just past a marker (to reset there).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Plan:
    """How one connection's response bytes are shaped (see the module docstring)."""

    latency: float = 0.0
    jitter: float = 0.0
    bandwidth: float | None = None
    split: int | None = None
    reset_at: int | None = None
    rst: bool = True
    half_open_at: int | None = None
    drip: float | None = None
    name: str = "clean"

    @property
    def faulty(self) -> bool:
        """Whether this plan can end a connection early (reset or half-open)."""
        return self.reset_at is not None or self.half_open_at is not None


CLEAN = Plan()
#: Read size upstream; pieces are re-cut per plan before they are written.
_READ = 65536


class ChaosProxy:
    """The proxy: `with ChaosProxy(port) as proxy:` then point clients at `proxy.base_url`."""

    def __init__(self, upstream_port: int, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.random = random.Random(seed)
        self.plans: Iterator[Plan] = iter(())
        self.used: list[Plan] = []
        self.sent: list[int] = []
        self.received: list[bytearray] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The `/v1` base URL through the proxy."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def connections(self) -> int:
        """Client connections accepted so far."""
        with self._lock:
            return len(self.used)

    def script(self, *plans: Plan, then: Plan = CLEAN) -> None:
        """The next connections' plans, in order, then `then` for every later one."""

        def plans_then() -> Iterator[Plan]:
            yield from plans
            while True:
                yield then

        self.plans = plans_then()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> ChaosProxy:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the chaos proxy did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()

        async def start() -> None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]

        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    # ------------------------------------------------------------ relaying

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            plan = next(self.plans, CLEAN)
            self.used.append(plan)
            self.sent.append(0)
            self.received.append(bytearray())
            index = len(self.sent) - 1
        up_reader = up_writer = None
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            upstream = asyncio.ensure_future(_pipe(reader, up_writer))
            try:
                await self._respond(plan, index, up_reader, writer)
            finally:
                upstream.cancel()
                with contextlib.suppress(BaseException):
                    await upstream
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.transport.abort()
            self._tasks.discard(task)

    async def _respond(
        self, plan: Plan, index: int, up: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Forward the response bytes per `plan`, until upstream ends or the plan cuts."""
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = await up.read(_READ)
            if not data:  # upstream closed: so do we
                return
            self.received[index] += data
            for piece in self._pieces(plan, data):
                sent = self.sent[index]
                cut = _first(plan.reset_at, plan.half_open_at)
                if cut is not None and sent + len(piece) >= cut:
                    piece = piece[: cut - sent]
                    if piece:
                        writer.write(piece)
                        await writer.drain()
                        self.sent[index] += len(piece)
                    if plan.reset_at is not None and cut == plan.reset_at:
                        _reset(writer, plan.rst)
                        return
                    await asyncio.Event().wait()  # half-open: silent until cancelled
                await self._pause(plan, len(piece))
                writer.write(piece)
                await writer.drain()
                self.sent[index] += len(piece)

    def _pieces(self, plan: Plan, data: bytes) -> Iterator[bytes]:
        size = 1 if plan.drip is not None else plan.split
        if size is None:
            yield data
            return
        for start in range(0, len(data), size):
            yield data[start : start + size]

    async def _pause(self, plan: Plan, size: int) -> None:
        wait = plan.latency + (self.random.uniform(0, plan.jitter) if plan.jitter else 0.0)
        if plan.bandwidth:
            wait += size / plan.bandwidth
        if plan.drip is not None:
            wait += plan.drip
        # a split piece at least yields to the loop: written (TCP_NODELAY) as its own segment
        await asyncio.sleep(wait)


def _first(*offsets: int | None) -> int | None:
    values = [o for o in offsets if o is not None]
    return min(values) if values else None


def _reset(writer: asyncio.StreamWriter, rst: bool) -> None:
    """Close the client socket: RST (SO_LINGER 0) or a plain FIN."""
    sock = writer.get_extra_info("socket")
    if rst and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort() if rst else writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Client → upstream, unchanged."""
    try:
        while data := await reader.read(_READ):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()


def offset_after(data: bytes, marker: bytes, occurrence: int = 1) -> int:
    """The offset just past the `occurrence`-th `marker` in `data` (for a reset there)."""
    at = -1
    for _ in range(occurrence):
        at = data.index(marker, at + 1)
    return at + len(marker)
