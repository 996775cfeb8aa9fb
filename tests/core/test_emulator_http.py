"""The emulator's HTTP/1.1 on raw sockets: framing by h11, and malformed framing answered.

A request the server cannot read gets a status (400 for bad framing) in AIML's flat error
body and the connection closes; the server logs no error and keeps serving.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from ernie_aiml.emulator import Emulator, SSEReply, stream_events

BODY = json.dumps(
    {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "hi"}]}
).encode()
HEAD = (
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Authorization: Bearer test-key\r\nContent-Type: application/json\r\n"
)
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
ANSWER = 'You said: "hi"'


@pytest.fixture
def server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Errors asyncio logged from the emulator's loop (an exception no handler caught)."""
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        yield caplog.records


def exchange(emu: Emulator, data: bytes) -> bytes:
    """Send `data` on a fresh connection; everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=30) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def parse(response: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-cased names) and raw body of one response."""
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def dechunk(body: bytes) -> bytes:
    """A chunked body's data (asserting its framing), up to the last chunk."""
    data = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert body == b"\r\n"
            return data
        data, body = data + body[:size], body[size:]
        assert body.startswith(b"\r\n")
        body = body[2:]


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


# ------------------------------------------------------------------ malformed framing


@pytest.mark.parametrize(
    ("request_bytes", "status", "detail"),
    [
        (CHUNKED + b"zz\r\n" + BODY + b"\r\n0\r\n\r\n", 400, "illegal chunk header"),
        (CHUNKED + b"-5\r\n" + BODY + b"\r\n0\r\n\r\n", 400, "illegal chunk header"),
        (CHUNKED + b"f" * 30 + b"\r\n", 400, "illegal chunk header"),
        (CHUNKED + b"%x\r\n" % len(BODY) + BODY + b"XX0\r\n\r\n", 400, "malformed chunk footer"),
        (HEAD + b"Content-Length: abc\r\n\r\n" + BODY, 400, "bad Content-Length"),
        (HEAD + b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n", 400, "Content-Length"),
        (
            HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(BODY),
            400,
            "both Content-Length and Transfer-Encoding",
        ),
        (b"HELLO\r\n\r\n", 400, "illegal request line"),
        (b"POST /v1/chat/completions HTTP/1.1\r\n\r\n", 400, "Missing mandatory Host"),
        (HEAD + b"Bad Header: x\r\n\r\n", 400, "illegal header line"),
        (HEAD + b"Transfer-Encoding: gzip\r\n\r\n", 501, "Transfer-Encoding: chunked"),
        # a head still unfinished past 64 KiB (all of it read: no reset from unread bytes)
        (HEAD + b"X-Big: " + b"a" * 100_000, 431, "Receive buffer too long"),
    ],
    ids=[
        "chunk-size-not-hex",
        "chunk-size-negative",
        "chunk-size-too-long",
        "chunk-without-crlf",
        "content-length-not-a-number",
        "content-length-twice",
        "both-lengths",
        "request-line",
        "no-host",
        "header-name-with-space",
        "unknown-transfer-coding",
        "head-over-64-kib",
    ],
)
def test_malformed_framing_is_answered_not_raised(
    emulator: Emulator,
    server_errors: list[logging.LogRecord],
    request_bytes: bytes,
    status: int,
    detail: str,
) -> None:
    code, headers, body = parse(exchange(emulator, request_bytes))
    assert code == status
    assert headers["connection"] == "close"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-inference-id"]
    error = json.loads(body)
    assert error["statusCode"] == str(status)
    assert error["message"].startswith("Bad HTTP/1.1 request: ")
    assert detail in error["message"]
    assert emulator.requests == []  # nothing half-read reaches the log
    assert server_errors == []
    # the server goes on serving
    code, _, body = parse(exchange(emulator, HEAD + b"Connection: close\r\n" + _length(BODY)))
    assert (code, json.loads(body)["choices"][0]["message"]["content"]) == (201, ANSWER)


def _length(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_bad_chunk_after_a_good_one_keeps_no_partial_body(
    emulator: Emulator, server_errors: list[logging.LogRecord]
) -> None:
    bad = CHUNKED + b"%x\r\n%s\r\nnot-hex\r\n" % (len(BODY[:10]), BODY[:10])
    code, _, _ = parse(exchange(emulator, bad))
    assert code == 400
    assert emulator.requests == []
    assert server_errors == []


def test_a_client_gone_mid_body_leaves_the_server_well(
    emulator: Emulator, server_errors: list[logging.LogRecord]
) -> None:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=30) as sock:
        sock.sendall(HEAD + b"Content-Length: 500\r\n\r\n" + BODY)
    code, _, _ = parse(exchange(emulator, HEAD + b"Connection: close\r\n" + _length(BODY)))
    assert code == 201
    assert len(emulator.requests) == 1
    assert server_errors == []


# ------------------------------------------------------------------ framing that works


def test_chunked_request_body_with_extensions_and_trailers(emulator: Emulator) -> None:
    body = b"5;ext=1\r\n%s\r\n%x\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n" % (
        BODY[:5],
        len(BODY) - 5,
        BODY[5:],
    )
    code, _, answer = parse(
        exchange(emulator, CHUNKED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n") + body)
    )
    assert code == 201
    assert json.loads(answer)["choices"][0]["message"]["content"] == ANSWER
    assert emulator.requests[-1].body == BODY
    assert emulator.requests[-1].headers["transfer-encoding"] == "chunked"


def test_keep_alive_and_pipelined_requests_are_answered_in_order(emulator: Emulator) -> None:
    first = json.dumps({**json.loads(BODY), "messages": [{"role": "user", "content": "one"}]})
    second = json.dumps({**json.loads(BODY), "messages": [{"role": "user", "content": "two"}]})
    pipelined = (
        HEAD
        + _length(first.encode())
        + CHUNKED
        + chunked(second.encode())
        + b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    received = exchange(emulator, pipelined)
    answers = []
    for _ in range(3):
        code, headers, rest = parse(received)
        size = int(headers["content-length"])
        answers.append((code, headers["connection"], json.loads(rest[:size])))
        received = rest[size:]
    assert received == b""
    assert [(code, connection) for code, connection, _ in answers] == [
        (201, "keep-alive"),
        (201, "keep-alive"),
        (200, "close"),
    ]
    assert answers[0][2]["choices"][0]["message"]["content"] == 'You said: "one"'
    assert answers[1][2]["choices"][0]["message"]["content"] == 'You said: "two"'
    assert [r.path for r in emulator.requests] == ["/v1/chat/completions"] * 2 + ["/v1/models"]


def test_http_1_0_is_answered_then_closed(emulator: Emulator) -> None:
    code, headers, body = parse(exchange(emulator, b"GET /v1/models HTTP/1.0\r\n\r\n"))
    assert (code, headers["connection"]) == (200, "close")
    assert json.loads(body)["data"][0]["id"] == "baidu/ernie-5.0"


def test_event_stream_is_chunked_one_event_per_chunk(emulator: Emulator) -> None:
    streamed = json.dumps({**json.loads(BODY), "stream": True}).encode()
    code, headers, body = parse(
        exchange(emulator, HEAD + b"Connection: close\r\n" + _length(streamed))
    )
    assert code == 201
    assert headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == "text/event-stream"
    assert "content-length" not in headers
    events = dechunk(body).split(b"\n\n")[:-1]
    assert events[-1] != b"data: [DONE]"  # AIML sends no [DONE]
    first = body.split(b"\r\n", 2)[1]  # the first chunk holds exactly one event
    assert first.startswith(b"data: {") and first.endswith(b"\n\n")


def test_cut_inside_announces_a_chunk_and_sends_half_of_it(emulator: Emulator) -> None:
    events: list[Any] = stream_events("Hello there", chunk_size=4)
    emulator.enqueue(SSEReply(events, done=False, cut_after=1, cut_inside=True))
    streamed = json.dumps({**json.loads(BODY), "stream": True}).encode()
    code, headers, body = parse(exchange(emulator, HEAD + _length(streamed)))
    assert (code, headers["connection"]) == (200, "close")
    whole = b"data: " + json.dumps(events[0]).encode() + b"\n\n"
    assert body.startswith(b"%x\r\n%s\r\n" % (len(whole), whole))
    second = b"data: " + json.dumps(events[1]).encode() + b"\n\n"
    tail = body[len(whole) + len(b"%x\r\n" % len(whole)) + 2 :]
    assert tail == b"%x\r\n%s" % (len(second), second[: len(second) // 2])
