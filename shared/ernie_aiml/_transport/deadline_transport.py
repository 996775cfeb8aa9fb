"""`DeadlineTransport` and `AsyncDeadlineTransport`: the transports of the clients we build,
whose every socket wait ends at the call's total deadline.

httpx waits for the status line, the headers and each body read with the read timeout
alone, so a server sending one byte per timeout (or going silent after a late byte) holds a
call long past its deadline. These are httpx's default HTTP/1.1 transports rebuilt on
httpcore's public pool and network-backend API, with each socket read, write, connect and
TLS handshake of a call given at most the time its `Deadline` has left, and the deadline's
`APITimeoutError` raised when the deadline is what cut the wait.

The call's deadline travels in the request extension `http.DEADLINE_EXTENSION`; the
network stream, which never sees the request, reads it from a context variable set around
each step that touches the socket (the send up to the headers, then each body read: the
caller runs between reads, and may run other calls there).
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

import httpcore
import httpx

from .guard import Deadline
from .http import DEADLINE_EXTENSION

_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "ernie_aiml_deadline", default=None
)

#: httpcore's errors as httpx's, most specific first (what `httpx.HTTPTransport` raises).
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


def _httpx_error(exc: Exception) -> Exception:
    """httpx's error for an httpcore one (any other is returned as it is)."""
    for source, target in _ERRORS:
        if isinstance(exc, source):
            error = target(str(exc))
            error.__cause__ = exc
            return error
    return exc


def _core_request(request: httpx.Request) -> httpcore.Request:
    """`request` as httpcore's (what `httpx.HTTPTransport` hands its pool)."""
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        ),
        headers=request.headers.raw,
        content=request.stream,
        extensions=request.extensions,
    )


def _pool_options(limits: httpx.Limits, ssl_context: ssl.SSLContext | None) -> dict[str, Any]:
    return {
        # as httpx's default: certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set
        "ssl_context": ssl_context or httpx.create_ssl_context(),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


def _bounded(timeout: float | None) -> tuple[float | None, Deadline | None]:
    """`timeout` capped at the current call's time left, and the deadline if it capped it."""
    deadline = _CURRENT.get()
    if deadline is None:
        return timeout, None
    left = deadline.at - time.monotonic()
    if left <= 0:
        raise deadline.error()
    if timeout is None or timeout >= left:
        return left, deadline
    return timeout, None


@contextlib.contextmanager
def _cut_at(deadline: Deadline | None) -> Iterator[None]:
    """A timeout raised inside becomes `deadline`'s error when the deadline set it."""
    try:
        yield
    except httpcore.TimeoutException:
        if deadline is not None:
            raise deadline.error() from None
        raise


# ---------------------------------------------------------------------- sync


class DeadlineTransport(httpx.BaseTransport):
    """httpx's HTTP/1.1 transport with every socket wait bounded by the call's deadline."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            **_pool_options(limits, ssl_context), network_backend=_Backend()
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and wait for its headers, by the deadline if it has one."""
        deadline = request.extensions.get(DEADLINE_EXTENSION)
        token = _CURRENT.set(deadline)
        try:  # httpcore's errors as httpx's (`_httpx_error`)
            response = self._pool.handle_request(_core_request(request))
        except Exception as exc:
            error = _httpx_error(exc)
            if error is exc:
                raise
            raise error from exc
        finally:
            _CURRENT.reset(token)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, deadline),  # type: ignore[arg-type]  # sync pool
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()


class _Body(httpx.SyncByteStream):
    """A response body whose reads run under the call's deadline."""

    def __init__(self, inner: Iterable[bytes], deadline: Deadline | None) -> None:
        self._inner = inner
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        parts = iter(self._inner)
        deadline = self._deadline
        while True:
            token = _CURRENT.set(deadline)
            try:  # httpcore's errors as httpx's, once per read
                part = next(parts, None)
            except Exception as exc:
                error = _httpx_error(exc)
                if error is exc:
                    raise
                raise error from exc
            finally:
                _CURRENT.reset(token)
            if part is None:
                return
            yield part

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class _Stream(httpcore.NetworkStream):
    """A socket stream whose reads and writes end by the current call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout, capped = _bounded(timeout)
        try:  # `_cut_at`, inline: once per socket read
            return self._inner.read(max_bytes, timeout)
        except httpcore.ReadTimeout:
            if capped is not None:
                raise capped.error() from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout, capped = _bounded(timeout)
        try:  # `_cut_at`, inline: once per request written
            self._inner.write(buffer, timeout)
        except httpcore.WriteTimeout:
            if capped is not None:
                raise capped.error() from None
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's sync backend, its streams wrapped in `_Stream`."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _Stream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# ---------------------------------------------------------------------- async


class AsyncDeadlineTransport(httpx.AsyncBaseTransport):
    """`DeadlineTransport` for asyncio: the same bounds on anyio's sockets.

    `guard._asend_by` also cancels the wait for the headers at the deadline (for any client,
    a caller's too); this transport bounds what comes after them as well: a server that goes
    silent after a late byte is cut at the deadline, not a read timeout after it.
    """

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            **_pool_options(limits, ssl_context), network_backend=_AsyncBackend()
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and wait for its headers, by the deadline if it has one."""
        deadline = request.extensions.get(DEADLINE_EXTENSION)
        token = _CURRENT.set(deadline)
        try:  # httpcore's errors as httpx's (`_httpx_error`)
            response = await self._pool.handle_async_request(_core_request(request))
        except Exception as exc:
            error = _httpx_error(exc)
            if error is exc:
                raise
            raise error from exc
        finally:
            _CURRENT.reset(token)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_AsyncBody(response.stream, deadline),  # type: ignore[arg-type]  # async pool
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()


class _AsyncBody(httpx.AsyncByteStream):
    """An async response body whose reads run under the call's deadline."""

    def __init__(self, inner: AsyncIterable[bytes], deadline: Deadline | None) -> None:
        self._inner = inner
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parts = self._inner.__aiter__()
        deadline = self._deadline
        while True:
            token = _CURRENT.set(deadline)
            try:  # httpcore's errors as httpx's, once per read
                part = await parts.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:
                error = _httpx_error(exc)
                if error is exc:
                    raise
                raise error from exc
            finally:
                _CURRENT.reset(token)
            yield part

    async def aclose(self) -> None:
        aclose = getattr(self._inner, "aclose", None)
        if aclose is not None:
            await aclose()


class _AsyncStream(httpcore.AsyncNetworkStream):
    """An anyio socket stream whose reads and writes end by the current call's deadline."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout, capped = _bounded(timeout)
        try:  # `_cut_at`, inline: once per socket read
            return await self._inner.read(max_bytes, timeout)
        except httpcore.ReadTimeout:
            if capped is not None:
                raise capped.error() from None
            raise

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout, capped = _bounded(timeout)
        try:  # `_cut_at`, inline: once per request written
            await self._inner.write(buffer, timeout)
        except httpcore.WriteTimeout:
            if capped is not None:
                raise capped.error() from None
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _AsyncStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend (our async clients run on asyncio), streams wrapped."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            stream = await self._inner.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return _AsyncStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
