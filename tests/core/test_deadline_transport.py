"""`deadline_transport.DeadlineTransport` and `AsyncDeadlineTransport`: calls cut at
`deadline=` inside the status line and headers and after them, over plain TCP, TLS and a
reused keep-alive connection, sync and async, and errors mapped as httpx's own transports
map them.

The servers here are raw sockets on 127.0.0.1 so they can drip a response head one byte at
a time (under the read timeout, so only the total deadline can end the wait).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from ernie_aiml import AIMLClient, APIConnectionError, APITimeoutError
from support import mock_transport

SEED = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "seeds" / "ernie-4.5-21b-a3b.json").read_text()
)
ANSWER = json.dumps(SEED).encode()
BODY = {"model": "baidu/ernie-4.5-21b-a3b", "messages": [{"role": "user", "content": "Hi"}]}
KEY = "sk-test-key-000000"


def whole_answer() -> Iterator[bytes]:
    """The seed's real answer, on a connection that stays open for the next request."""
    yield (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(ANSWER)}\r\n\r\n".encode()
        + ANSWER
    )


def dripped_head() -> Iterator[bytes]:
    """A status line and a header that does not end, one byte every 20 ms, for 4 s (then the
    connection closes: a client that missed its deadline fails, rather than hangs, a test)."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Pad: ":
        time.sleep(0.02)
        yield bytes([byte])
    for _ in range(200):
        time.sleep(0.02)
        yield b"a"


def silence() -> Iterator[bytes]:
    """Nothing for 5 s, then the connection closes."""
    time.sleep(5)
    yield b""


class Server:
    """Keep-alive HTTP/1.1 on 127.0.0.1 (TLS when given a context): the n-th request on
    any connection is answered by `answers[n]`."""

    def __init__(
        self, answers: list[Callable[[], Iterator[bytes]]], tls: ssl.SSLContext | None = None
    ) -> None:
        self.answers = answers
        self.tls = tls
        self.requests = 0
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self._open.append(conn)
            with conn:
                while self._read_request(conn):
                    answer = self.answers[min(self.requests, len(self.answers) - 1)]
                    self.requests += 1
                    for piece in answer():
                        if self._stop.is_set():
                            return
                        conn.sendall(piece)

    @staticmethod
    def _read_request(conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(65536)
            if not piece:
                return False
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += conn.recv(65536)
        return True

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.close()


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A throwaway CA the client trusts through `SSL_CERT_FILE` (as httpx's default does)."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


def server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def client(server: Server, **options: Any) -> AIMLClient:
    options.setdefault("max_retries", 0)
    return AIMLClient(api_key=KEY, base_url=server.base_url, **options)


@pytest.mark.parametrize("secure", [False, True], ids=["tcp", "tls"])
def test_sync_chat_is_cut_inside_a_dripped_head(secure: bool, request: Any) -> None:
    """The read timeout (0.5 s) never fires on a byte every 20 ms; `deadline=0.3` does,
    for a plain and a TLS connection (the TLS stream is the wrapped one too)."""
    tls = server_context(request.getfixturevalue("ca")) if secure else None
    server = Server([dripped_head], tls=tls)
    try:
        with client(server, timeout=0.5, deadline=0.3) as aiml:
            with pytest.raises(APITimeoutError, match=r"total deadline of 0\.3 s"):
                aiml.chat(BODY)
            with pytest.raises(APITimeoutError, match=r"total deadline of 0\.3 s"):
                list(aiml.stream(BODY))
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_tls_answer_is_read_whole_through_the_transport(mode: str, ca: trustme.CA) -> None:
    """A real answer over TLS arrives exactly (the seed's text, usage and id), through the
    sync and the async transport."""
    server = Server([whole_answer], tls=server_context(ca))
    try:
        aiml = client(server)
        if mode == "sync":
            with aiml:
                answer = aiml.chat(BODY)
        else:
            async with aiml:
                answer = await aiml.achat(BODY)
        assert answer.content == SEED["choices"][0]["message"]["content"]
        assert answer.usage.total_tokens == SEED["usage"]["total_tokens"]
        assert answer.id == SEED["id"]
    finally:
        server.close()


def test_a_reused_connection_is_cut_at_the_deadline_too() -> None:
    """The second call rides the first call's pooled connection (one TCP connection in
    all), and its dripped head is still cut at its own deadline."""
    server = Server([whole_answer, dripped_head])
    try:
        with client(server, timeout=0.5, deadline=0.3) as aiml:
            assert aiml.chat(BODY).id == SEED["id"]
            with pytest.raises(APITimeoutError, match=r"total deadline of 0\.3 s"):
                aiml.chat(BODY)
        assert server.connections == 1
        assert server.requests == 2
    finally:
        server.close()


async def test_async_tls_late_byte_then_silence_is_cut_at_the_deadline(ca: trustme.CA) -> None:
    """Async over TLS: the head at once, a body byte at 0.4 s, then silence; the read
    after it is cut at `deadline=0.6`, not at the 5 s read timeout."""

    def late_byte() -> Iterator[bytes]:
        yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n"
        time.sleep(0.4)
        yield b"{"
        time.sleep(4)

    server = Server([late_byte], tls=server_context(ca))
    try:
        aiml = client(server, timeout=5, deadline=0.6)
        with pytest.raises(APITimeoutError, match=r"total deadline of 0\.6 s"):
            await aiml.achat(BODY)
        await aiml.aclose()
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_read_timeout_under_the_deadline_names_the_read_timeout(mode: str) -> None:
    """A silent server with a far deadline: the read timeout fires, and says so."""
    server = Server([silence])
    try:
        aiml = client(server, timeout=0.2, deadline=3600)
        with pytest.raises(APITimeoutError) as caught:
            if mode == "sync":
                aiml.chat(BODY)
            else:
                await aiml.achat(BODY)
        aiml.close()
        assert "total deadline" not in str(caught.value)
        assert str(caught.value).startswith("Read timeout of 0.2 s")
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_refused_connection_is_an_httpx_connect_error_underneath(mode: str) -> None:
    """httpcore's errors reach the retry loop as httpx's (here `ConnectError`)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    aiml = AIMLClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        if mode == "sync":
            aiml.chat(BODY)
        else:
            await aiml.achat(BODY)
    aiml.close()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_a_callers_client_keeps_its_own_transport() -> None:
    """A caller's `http_client` is used as given (its transport is theirs)."""
    mine = httpx.Client(transport=mock_transport(lambda r: httpx.Response(200, json=SEED)))
    aiml = AIMLClient(api_key=KEY, base_url="http://127.0.0.1:9/v1", http_client=mine)
    assert aiml.chat(BODY).id == SEED["id"]
    assert not mine.is_closed
    mine.close()
