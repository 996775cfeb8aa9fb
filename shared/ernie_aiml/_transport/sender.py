"""`Sender`: the pooled httpx clients and the package's one retry loop.

It owns (or borrows) the HTTP clients: one sync `httpx.Client`, built under a lock on
first use, and one `httpx.AsyncClient` per running event loop. Clients made here are
closed by `close()`/`aclose()`, when the `Sender` is garbage-collected, and (async ones)
when their event loop shuts down; caller-supplied clients are never closed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator

import httpx

from .._errors.classes import AIMLError
from .._observe.fleet_call import ahold, hold
from .guard import asend as guarded_asend
from .guard import send as guarded_send
from .http import (
    Call,
    aread_and_close,
    log_response,
    read_and_close,
    retry_delay,
    status_error,
    transport_error,
)
from .retry import RetryPolicy

#: Pool of the clients made here: many concurrent streams without queueing (as openai's).
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


class _LoopClient:
    """One event loop's `httpx.AsyncClient` and the guard that closes it with the loop.

    The guard is an async generator parked at its first `yield`, kept alive by `_GUARDS`
    until it has run: asyncio closes the async generators of a loop when the loop shuts down
    (`loop.shutdown_asyncgens()`, run by `asyncio.run` and `asyncio.Runner`), so the client
    is closed with its loop even when nobody calls `aclose()` and its `Sender` is long gone.
    """

    __slots__ = ("_loop", "client", "guard", "made", "started")

    def __init__(
        self,
        client: httpx.AsyncClient,
        loop: asyncio.AbstractEventLoop,
        made: list[_LoopClient],
    ) -> None:
        self.client = client
        self._loop = weakref.ref(loop)  # never keeps a finished loop alive
        self.made = made  # the owning Sender's list, left once this client is closed
        self.guard = _close_at_exit(self)
        self.started = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop this client belongs to (None once it is gone)."""
        return self._loop()

    def forget(self) -> None:
        """Drop this entry from the registries once its client is closed."""
        loop = self.loop
        if loop is not None:
            _GUARDS.get(loop, set()).discard(self)
        with contextlib.suppress(ValueError):
            self.made.remove(self)


#: The started guards of each loop, until they have closed their client.
_GUARDS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[_LoopClient]] = (
    weakref.WeakKeyDictionary()
)


async def _close_at_exit(entry: _LoopClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        entry.forget()
        # Closed already (by `aclose()`/`close()`): nothing to await, so a loop shutting down
        # never finds this generator still running.
        if not entry.client.is_closed:
            await entry.client.aclose()


class Sender:
    """Sends prepared `Call`s with retries per `RetryPolicy` on pooled httpx clients."""

    def __init__(
        self,
        *,
        timeout: httpx.Timeout,
        retry_policy: RetryPolicy,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.retry_policy = retry_policy
        self._timeout = timeout
        self._http_client = http_client
        self._http_async_client = http_async_client
        self._own_client: httpx.Client | None = None
        self._lock = threading.Lock()
        # The async clients made here and not yet closed, one per event loop (an entry leaves
        # once its client is closed, so finished loops are not kept); the finalizer holds this
        # list, not the Sender, to close them when this Sender is dropped unclosed.
        self._made: list[_LoopClient] = []
        weakref.finalize(self, _release, self._made)

    @property
    def borrows_sync(self) -> bool:
        """Whether the sync client is the caller's (its headers are not ours to know)."""
        return self._http_client is not None

    @property
    def borrows_async(self) -> bool:
        """Whether the async client is the caller's."""
        return self._http_async_client is not None

    # ------------------------------------------------------------------ clients

    def sync_client(self) -> httpx.Client:
        """The caller's sync client, else ours (built once, under the lock)."""
        if self._http_client is not None:
            return self._http_client
        client = self._own_client
        if client is not None:
            return client
        with self._lock:
            if self._own_client is None:
                from .deadline_transport import DeadlineTransport  # imports httpcore: on use

                self._own_client = httpx.Client(
                    timeout=self._timeout,
                    follow_redirects=False,
                    limits=_LIMITS,  # for the proxies httpx mounts from the environment
                    transport=DeadlineTransport(_LIMITS),
                )
                # Close the pool if this Sender is dropped unclosed (no socket left to
                # the garbage collector); the finalizer holds the client, not the Sender.
                weakref.finalize(self, self._own_client.close)
            return self._own_client

    def async_client(self) -> httpx.AsyncClient:
        """The caller's async client, else this event loop's own one."""
        if self._http_async_client is not None:
            return self._http_async_client
        loop = asyncio.get_running_loop()
        entry = self._entry(loop)
        if entry is None:
            with self._lock:
                entry = self._entry(loop)
                if entry is None:
                    from .deadline_transport import AsyncDeadlineTransport

                    entry = _LoopClient(
                        httpx.AsyncClient(
                            timeout=self._timeout,
                            follow_redirects=False,
                            limits=_LIMITS,  # for the proxies httpx mounts from the environment
                            transport=AsyncDeadlineTransport(_LIMITS),
                        ),
                        loop,
                        self._made,
                    )
                    self._made.append(entry)
        return entry.client

    def _entry(self, loop: asyncio.AbstractEventLoop) -> _LoopClient | None:
        """This loop's entry (a Sender meets one or two loops: a scan is cheapest)."""
        for entry in self._made:
            if entry.loop is loop:
                return entry
        return None

    async def _guarded_async_client(self) -> httpx.AsyncClient:
        """`async_client()`, with this loop's close-at-shutdown guard started."""
        client = self.async_client()
        if self._http_async_client is None:
            entry = self._entry(asyncio.get_running_loop())
            if entry is not None and not entry.started:
                entry.started = True
                _GUARDS.setdefault(asyncio.get_running_loop(), set()).add(entry)
                await entry.guard.asend(None)
        return client

    def close(self) -> None:
        """Close the clients made here; async ones of a live loop are closed on that loop."""
        with self._lock:
            client, self._own_client = self._own_client, None
            entries = list(self._made)
            self._made.clear()
        if client is not None:
            client.close()
        for entry in entries:
            _close_on_loop(entry)

    async def aclose(self) -> None:
        """Close this loop's async client now, and everything `close()` closes."""
        entry = self._entry(asyncio.get_running_loop())
        if entry is not None:
            await _aclose_entry(entry)
        self.close()

    # ------------------------------------------------------------------ sending

    def send(self, call: Call, *, stream: bool, attempt: int = 0) -> tuple[httpx.Response, int]:
        """Send with retries; returns the 2xx response and the 0-based attempt that got it."""
        client = self.sync_client()
        hold(call.observer)  # a shared rate limit's turn, or a 429 window another process opened
        while True:
            request = call.request(client)
            try:
                response = guarded_send(client, request, call.deadline, stream)
            except httpx.TransportError as exc:
                delay = self._failed(
                    transport_error(exc, call, attempt, request), exc, call, attempt
                )
            else:
                call.scrub_headers(response)
                log_response(call, response, attempt)
                if response.is_success:
                    return response, attempt
                error = status_error(response, read_and_close(response), call)
                delay = self._failed(error, None, call, attempt, response.headers)
            self.retry_policy.sleep(delay)
            attempt += 1

    async def asend(
        self, call: Call, *, stream: bool, attempt: int = 0
    ) -> tuple[httpx.Response, int]:
        """Async `send`: the same decisions (`_failed`), awaiting only the I/O."""
        client = await self._guarded_async_client()
        await ahold(call.observer)
        while True:
            request = call.request(client)
            try:
                response = await guarded_asend(client, request, call.deadline, stream)
            except httpx.TransportError as exc:
                delay = self._failed(
                    transport_error(exc, call, attempt, request), exc, call, attempt
                )
            else:
                call.scrub_headers(response)
                log_response(call, response, attempt)
                if response.is_success:
                    return response, attempt
                error = status_error(response, await aread_and_close(response), call)
                delay = self._failed(error, None, call, attempt, response.headers)
            await self.retry_policy.async_sleep(delay)
            attempt += 1

    def _failed(
        self,
        error: AIMLError,
        cause: BaseException | None,
        call: Call,
        attempt: int,
        headers: httpx.Headers | None = None,
    ) -> float:
        """The retry decision after a failed attempt: the wait before the next, or raise."""
        if not self.retry_policy.should_retry(error, attempt):
            raise error from cause
        delay = retry_delay(self.retry_policy, call, error, attempt, headers)
        deadline = call.deadline
        if deadline is not None and delay >= deadline.remaining():
            # the wait alone (a long Retry-After) would pass the deadline: this answer stands
            raise error from cause
        return delay


async def _aclose_entry(entry: _LoopClient) -> None:
    """Close one loop's client (its parked guard then has nothing left to do)."""
    entry.forget()
    await entry.client.aclose()


def _close_on_loop(entry: _LoopClient) -> None:
    """Close `entry` on its own loop: there if it runs, now if it is idle, else at its end."""
    loop = entry.loop
    if loop is None or loop.is_closed():
        return  # its shutdown already ran the guard
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _spawn_close(entry)
    elif loop.is_running():
        asyncio.run_coroutine_threadsafe(_aclose_entry(entry), loop)
    elif running is None:
        loop.run_until_complete(_aclose_entry(entry))
    # else: an idle loop cannot be run from inside another one; its shutdown runs the guard


def _release(entries: list[_LoopClient]) -> None:
    """A dropped Sender's async clients: closed on their loops, or at their loops' shutdown."""
    for entry in list(entries):
        loop = entry.loop
        if entry.started and loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed meanwhile, and its shutdown ran the guard
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_spawn_close, entry)


def _spawn_close(entry: _LoopClient) -> None:
    """On the entry's loop: close it in a task (kept until done)."""
    loop = entry.loop
    if loop is not None:
        _PENDING.add(task := loop.create_task(_aclose_entry(entry)))
        task.add_done_callback(_PENDING.discard)


#: Close tasks scheduled from a sync `close()` inside a running loop, kept until done.
_PENDING: set[asyncio.Task[None]] = set()
