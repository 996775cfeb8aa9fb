"""HTTP/1.1 for the emulator, parsed and framed by h11 (the sans-I/O library under httpcore).

h11 reads every request (keep-alive, `Content-Length` or chunked bodies) and frames every
response (`Content-Length`, or chunked transfer-encoding for event streams). Malformed request
framing (a bad chunk size, a bad head, both `Content-Length` and `Transfer-Encoding`) becomes
`BadRequest` with the status h11 suggests: 400, 431 for a head over 64 KiB, 501 for a transfer
coding other than chunked. The faults a test
scripts (a body cut short, half an event) are h11's framed bytes, truncated on purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

import h11

MAX_HEAD = 64 * 1024
_READ_SIZE = 64 * 1024


class BadRequest(Exception):
    """The bytes on the wire are not an HTTP/1.1 request: answer `status` and close."""

    def __init__(self, status: int, message: str, target: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.target = target


@dataclass
class RawRequest:
    """A request as read from the socket: headers lower-cased (the last of repeated ones)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def reason(status: int) -> bytes:
    """The reason phrase for a status code."""
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b"Unknown"


class HTTPConnection:
    """One client connection: requests in, responses out, through an h11 state machine.

    The framing methods return bytes (the caller writes a whole answer at once);
    `write`/`drain` put them on the socket.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self._target = ""

    async def read_request(self) -> RawRequest | None:
        """The next whole request, or None when the client closed the connection.

        Raises `BadRequest` for malformed framing (also for a request cut short by the client:
        the answer to that goes nowhere, harmlessly).
        """
        request: h11.Request | None = None
        body: list[bytes] = []
        self._target = ""
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Request):
                request = event
                self._target = event.target.decode("latin-1")
                _refuse_two_lengths(request, self._target)
            elif isinstance(event, h11.Data):
                body.append(event.data)
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                return _raw(request, b"".join(body))
            else:  # ConnectionClosed (PAUSED cannot come: a request is read only when idle)
                return None

    async def _next_event(self) -> object:
        """The next h11 event (reading the socket as needed)."""
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise BadRequest(exc.error_status_hint, str(exc), self._target) from exc
            if event is not h11.NEED_DATA:
                return event
            self._h11.receive_data(await self._reader.read(_READ_SIZE))

    def head(self, status: int, headers: Iterable[tuple[str, str]]) -> bytes:
        """Status line and headers; h11 adds `Connection: close` when the client asked for it."""
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        return self._send(h11.Response(status_code=status, headers=raw, reason=reason(status)))

    def body(self, data: bytes) -> bytes:
        """Body bytes, framed (a chunk when the head said chunked)."""
        return self._send(h11.Data(data=data))

    def end(self) -> bytes:
        """The end of the answer (the last chunk of a chunked one)."""
        return self._send(h11.EndOfMessage())

    def _send(self, event: h11.Event) -> bytes:
        return self._h11.send(event) or b""

    @property
    def answering(self) -> bool:
        """True while no head has been sent for the current request (an error can still go)."""
        return self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE)

    def write(self, *parts: bytes) -> None:
        """Queue bytes for the socket (one write for all parts)."""
        self._writer.write(b"".join(parts))

    async def drain(self) -> None:
        """Wait until the socket took what was written."""
        await self._writer.drain()

    def next_cycle(self) -> bool:
        """After a whole answer: True when the connection serves another request (both sides
        kept it alive), False when it must close."""
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        """Close the socket."""
        self._writer.close()


def cut_inside(framed: bytes, data: bytes) -> bytes:
    """The framing of `data` up to the middle of `data` (at least one byte of it)."""
    start = framed.index(data)
    return framed[: start + max(len(data) // 2, 1)]


def _refuse_two_lengths(request: h11.Request, target: str) -> None:
    """Both `Content-Length` and `Transfer-Encoding`: h11 would follow the latter (RFC 9112
    allows it), Node's parser (AIML's) refuses the request, a smuggling sign. So do we."""
    names = {name for name, _ in request.headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        raise BadRequest(400, "both Content-Length and Transfer-Encoding", target)


def _raw(request: h11.Request, body: bytes) -> RawRequest:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in request.headers}
    return RawRequest(
        request.method.decode("latin-1").upper(),
        request.target.decode("latin-1"),
        headers,
        body,
    )
