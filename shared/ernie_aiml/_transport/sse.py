"""An incremental Server-Sent-Events decoder: bytes in as they arrive, events out.

It follows the WHATWG event-stream rules: LF, CRLF and CR line ends (a CR that ends one
read and an LF that starts the next are one line end), `:` comments, multi-line `data`
joined with newlines, `event`, `id` and `retry` fields. Only complete lines are decoded,
so a UTF-8 character split across reads is never mangled. It sits on the streaming hot
path: line ends are found with `bytes` methods, never a per-byte loop, and a read that is
exactly one `data: ...` event (what AIML sends), or only such events (a bulk read),
skips line splitting altogether. An
unfinished line is kept as a list of reads (joined once its end arrives: linear, never
quadratic), and a line or event longer than `Limits.event_bytes` is a
`ResponseTooLargeError`, so a line that never ends cannot exhaust memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._errors.classes import ResponseTooLargeError
from .._limits import limits

_BOM = "\ufeff"


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event: `data` lines joined with newlines, `event` None when unnamed."""

    event: str | None = None
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Turns a byte stream into `ServerSentEvent`s, one network read at a time."""

    __slots__ = (
        "_buffer",
        "_buffered",
        "_data",
        "_data_size",
        "_event",
        "_last_id",
        "_max",
        "_pending_cr",
        "_retry",
        "_started",
    )

    def __init__(self, *, max_event_bytes: int | None = None) -> None:
        self._max = max_event_bytes or limits().event_bytes
        self._buffer: list[bytes] = []  # the reads of an incomplete line (no line end)
        self._buffered = 0  # their length
        self._data_size = 0  # characters in `_data`
        self._pending_cr = False  # the last read ended in CR: an LF next is part of it
        self._started = False  # past the first line (a leading BOM is dropped)
        self._data: list[str] = []
        self._event: str | None = None
        self._last_id: str | None = None
        self._retry: int | None = None

    @property
    def held(self) -> bytes:
        """The unfinished line kept from earlier reads (it goes on in the next read)."""
        return b"".join(self._buffer)

    def held_tail(self, size: int) -> bytes:
        """The last `size` bytes of the unfinished line (all of it when shorter), copying no
        more of it than that: a line that never ends is not copied at every read."""
        buffer = self._buffer
        if len(buffer) <= 1:
            return buffer[0][-size:] if buffer else b""
        parts: list[bytes] = []
        total = 0
        for piece in reversed(buffer):
            parts.append(piece)
            total += len(piece)
            if total >= size:
                break
        parts.reverse()
        return b"".join(parts)[-size:]

    @property
    def in_event(self) -> bool:
        """Whether data lines of an event not yet dispatched are kept from earlier reads."""
        return bool(self._data)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one read; returns the events it completed (often none or one)."""
        retry = self._retry
        data = self.feed_one(chunk)
        if data is not None:
            return [ServerSentEvent(None, data, self._last_id, retry)]
        return self._feed(chunk)

    def feed_one(self, chunk: bytes) -> str | None:
        """The data of a read that is exactly one unnamed one-line `data: ...` event (what
        AIML sends per read), decoded without building the event; None (nothing consumed)
        for any other read, which then goes to `feed`. The per-chunk hot path of a stream."""
        if (
            chunk[:6] == b"data: "
            and chunk[-2:] == b"\n\n"
            and chunk.find(b"\n", 6) == len(chunk) - 2  # no other line in it (a memchr)
            and b"\r" not in chunk
            and len(chunk) <= self._max  # else `_feed` says which limit it passed
            and self._started
            and not (self._buffer or self._pending_cr or self._data)
            and self._event is None  # a named event (`event: error`) goes through `feed`
        ):
            self._retry = None  # the event's fields are reset as `_dispatch` does
            return chunk[6:-2].decode("utf-8", "replace")
        return None

    def feed_data(self, chunk: bytes) -> list[str] | None:
        """The data of the events a read completes when the read (after the unfinished line
        kept from the reads before) is only unnamed one-line `data: ...` events, then at most
        the start of the next line: what a read of several AIML events is. Decoded in one
        piece and split once, with no line loop and no event objects; None (nothing consumed)
        for any other read, which then goes to `feed`."""
        # the kept line has no line end, so an event's end is in this read: until one comes,
        # nothing is joined (a line that never ends costs no copy per read)
        end = chunk.rfind(b"\n\n")
        if end < 0 or self._data or self._pending_cr or self._event is not None:
            return None
        buffer = self._buffer
        data = chunk
        if buffer:
            data = b"".join((*buffer, chunk))
            end += len(data) - len(chunk)
        if data[:6] != b"data: " or len(data) > self._max or b"\r" in data:
            return None  # (over the limit: `feed` says which limit it passed)
        rest = data[end + 2 :]
        events = data[6:end]
        # every line end is in an event's end and the next one's `data: `: no other line
        if b"\n" in rest or events.count(b"\n") != 2 * events.count(b"\n\ndata: "):
            return None
        self._buffer = [rest] if rest else []
        self._buffered = len(rest)
        self._started = True  # (a first read led by a BOM does not start with `data: `)
        self._retry = None  # the events' fields are reset as `_dispatch` does
        return events.decode("utf-8", "replace").split("\n\ndata: ")

    def _feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """`feed` for any read; `feed` itself takes the common one-event read directly."""
        if not chunk:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:  # the line goes on: keep the read
            if chunk:
                self._buffer.append(chunk)
                self._buffered += len(chunk)
                if self._buffered > self._max:
                    raise self._too_large("line")
            return []
        data = b"".join((*self._buffer, chunk)) if self._buffer else chunk
        if b"\r" in data:
            if data[-1:] == b"\r":
                self._pending_cr = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = data.rfind(b"\n")
        rest = data[end + 1 :]
        self._buffer = [rest] if rest else []
        self._buffered = len(rest)
        text = data[:end].decode("utf-8", errors="replace")
        if not self._started:
            self._started = True
            text = text.removeprefix(_BOM)
        # counted line by line only where a line or event of this read could pass the limit
        return self._lines(text.split("\n"), len(text) + self._data_size > self._max)

    def flush(self) -> list[ServerSentEvent]:
        """At end of stream: the last line and an event left without its blank line."""
        lines = []
        if self._buffer:
            text = b"".join(self._buffer).decode("utf-8", errors="replace")
            if not self._started:
                text = text.removeprefix(_BOM)
            lines.append(text)
            self._buffer = []
            self._buffered = 0
        self._started = True
        self._pending_cr = False
        lines.append("")
        return self._lines(lines)

    def _lines(self, lines: list[str], counted: bool = True) -> list[ServerSentEvent]:
        """The events `lines` complete. `counted=False`: the lines cannot pass the limit
        together with the event they go on (the usual read), so none is counted one by one."""
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if counted and len(line) > self._max:
                raise self._too_large("line")
            if line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])
                if counted:
                    self._data_size += len(line)
                    if self._data_size > self._max:
                        raise self._too_large("event")
            elif not line:
                if data:
                    events.append(self._dispatch("\n".join(data)))
                    data.clear()
                    self._data_size = 0
                self._event = None
                self._retry = None
            elif line[0] != ":":
                self._field(line)
        if data and not counted:  # an event goes on in the next read: count what it has
            last = len(lines) - lines[::-1].index("") if "" in lines else 0
            self._data_size += sum(len(line) for line in lines[last:] if line.startswith("data:"))
        return events

    def _too_large(self, what: str) -> ResponseTooLargeError:
        """The error for a line or event past the limit (nothing more of it is kept)."""
        self._buffer = []
        self._data.clear()
        return ResponseTooLargeError(
            f"an SSE {what} longer than {self._max} bytes (limit event_bytes; raise it with "
            "ernie_aiml.configure_limits(event_bytes=...))"
        )

    def _dispatch(self, data: str) -> ServerSentEvent:
        """The event with `data` and the fields seen since the last one, which are reset."""
        event = ServerSentEvent(self._event, data, self._last_id, self._retry)
        self._event = self._retry = None
        return event

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":  # a bare `data` line: an empty data line
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
