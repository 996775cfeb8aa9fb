"""Scripted replies: what the emulator answers to the next chat request, in FIFO order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union


@dataclass
class JSONReply:
    """A JSON body with a status (any status: a 2xx answer or an error in any shape).

    `cut_after=N` announces the whole body's length but sends only its first N bytes, then
    closes the connection: a reset in the middle of the body.
    """

    body: Any
    status: int = 200
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    cut_after: int | None = None


@dataclass
class SSEReply:
    """A `text/event-stream` answer.

    `events` are dicts (sent as `data: <json>`) or strings sent verbatim (write the blank
    line yourself). `done` appends `data: [DONE]`. `cut_after=N` closes the connection
    abruptly after N events; with `cut_inside=True` it also sends half of the next event.
    """

    events: Sequence[Mapping[str, Any] | str]
    done: bool = True
    cut_after: int | None = None
    cut_inside: bool = False
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    event_delay: float = 0.0
    status: int = 200


@dataclass
class ErrorReply:
    """An error status with AIML's flat body `{message, path, requestId, statusCode, timestamp}`."""

    status: int
    message: str
    headers: Mapping[str, str] | None = None
    delay: float = 0.0


@dataclass
class RawReply:
    """Bytes as they are, e.g. a gateway's HTML error page."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] | None = None
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0


@dataclass
class DropConnection:
    """Close the connection without answering (after `delay` seconds)."""

    delay: float = 0.0


@dataclass
class Hang:
    """Accept the request and never answer, until the emulator stops: for timeout tests."""


Reply = Union[JSONReply, SSEReply, ErrorReply, RawReply, DropConnection, Hang]  # noqa: UP007


@dataclass
class RecordedRequest:
    """One request the emulator received: headers lower-cased, `json` None if not JSON.

    `problem` is the spec's 400 detail for a chat body that fails validation (None when it
    validates, or was not checked). `received` is when it arrived (`time.monotonic()`).
    """

    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    body: bytes = b""
    query: str = ""
    problem: str | None = None
    received: float = 0.0
