"""`DeadlineTransport`: the sync transport of the clients we build, whose socket reads end
at the call's total deadline.

Sync httpx waits for the status line, the headers and every body read with the read
timeout alone, so a server sending one byte per timeout holds a call for ever; asyncio
cancels such a wait at the deadline (`guard._asend_by`), which sync code cannot. This is
httpx's default transport (one httpcore connection pool, through httpcore's public network
backend API) with each socket read and write of a call given at most the time its
`Deadline` has left, and `APITimeoutError` naming the deadline once it has passed.

The call's deadline travels in the request's `http.DEADLINE_EXTENSION`; the network stream,
which never sees the request, reads it from a context variable set around each step that
touches the socket (the send up to the headers, then each body read).
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from .guard import Deadline
from .http import DEADLINE_EXTENSION

_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "ernie_aiml_sync_deadline", default=None
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


def _as_httpx(exc: Exception) -> httpx.TransportError | None:
    """The httpx error for an httpcore one (None for any other)."""
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc))
    return None


@contextlib.contextmanager
def _cut_at(deadline: Deadline | None) -> Iterator[None]:
    """A timeout raised inside becomes `deadline`'s error when the deadline set it."""
    try:
        yield
    except httpcore.TimeoutException:
        if deadline is not None:
            raise deadline.error() from None
        raise


class DeadlineTransport(httpx.BaseTransport):
    """httpx's HTTP/1.1 transport with every socket wait bounded by the call's deadline."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            # as httpx's default: certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and wait for its headers, by the deadline if it has one."""
        deadline = request.extensions.get(DEADLINE_EXTENSION)
        core = httpcore.Request(
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
        token = _CURRENT.set(deadline)
        try:
            response = self._pool.handle_request(core)
        except Exception as exc:
            mapped = _as_httpx(exc)
            if mapped is None:
                raise
            raise mapped from exc
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
            token = _CURRENT.set(deadline)  # set per read: the caller runs between reads
            try:
                part = next(parts, None)
            except Exception as exc:
                mapped = _as_httpx(exc)
                if mapped is None:
                    raise
                raise mapped from exc
            finally:
                _CURRENT.reset(token)
            if part is None:
                return
            yield part

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


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


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes end by the current call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout, capped = _bounded(timeout)
        try:  # inline `_cut_at`: once per socket read
            return self._inner.read(max_bytes, timeout)
        except httpcore.ReadTimeout:
            if capped is not None:
                raise capped.error() from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            self._inner.write(buffer, timeout)

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
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, its streams wrapped in `_DeadlineStream`."""

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
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout, capped = _bounded(timeout)
        with _cut_at(capped):
            stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
