"""The stream end rule (issue 22 §3): a stream is over at `data: [DONE]`, or once the finish
reason and (when `stream_options.include_usage` asked for it) the usage have arrived; what
the server sends after that is neither read nor yielded.

A loopback server that keeps sending after the end checks the rule for `stream` and
`astream`; the seeds' real answers, streamed as AIML streams them (no `[DONE]`, usage after
the finish chunk), still parse to exactly their values.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ernie_aiml import AIMLClient, Delta
from ernie_aiml._wire.response import parse_completion
from ernie_aiml.emulator import Emulator, SSEReply, stream_events
from support import load_fixture

KEY = "sk-end-rule-0123456789"
MODEL = "baidu/ernie-5.0"
#: Deltas the server sends after the end: a reader that ignores the rule yields them all.
AFTER = 100_000
ANSWER = stream_events("Hello there", model=MODEL, chunk_size=5)  # role, 3 pieces, finish, usage


def _frame(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _event(obj: Any) -> bytes:
    return _frame(
        b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
    )


class EndlessServer:
    """Answers one chat request with `events`, then keeps sending junk deltas (`AFTER` of
    them) in the same body: only a reader that stops at the end sees a clean answer."""

    def __init__(self, events: list[Any]) -> None:
        self.events = events
        self.sent_after = 0
        self.peer_closed = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._sock.accept()
        with conn:
            buffered = b""
            while b"\r\n\r\n" not in buffered:
                buffered += conn.recv(65536)
            head, _, rest = buffered.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":", 1)[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            try:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"x-inference-id: inf-end\r\ntransfer-encoding: chunked\r\n\r\n"
                )
                conn.sendall(b"".join(_event(e) for e in self.events))
                junk = _event({**ANSWER[1], "choices": [{"index": 0, "delta": {"content": "x"}}]})
                for _ in range(AFTER):
                    conn.sendall(junk)
                    self.sent_after += 1
                conn.sendall(b"0\r\n\r\n")
            except OSError:  # the client closed the connection: what the rule wants
                self.peer_closed.set()

    def close(self) -> None:
        self._sock.close()
        self._thread.join(10)


@pytest.fixture
def body() -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "stream_options": {"include_usage": True},
    }


CASES = {
    "finish-then-usage": ANSWER,
    "done-before-a-finish-reason": [*ANSWER[:-2], ANSWER[-1], b"[DONE]"],
    "finish-and-usage-in-one-chunk": [
        *ANSWER[:-2],
        {**ANSWER[-2], "usage": ANSWER[-1]["usage"], "meta": ANSWER[-1]["meta"]},
    ],
}


def _texts(deltas: list[Delta]) -> list[str | None]:
    return [d.content for d in deltas]


@pytest.mark.parametrize("events", CASES.values(), ids=CASES.keys())
def test_stream_reads_nothing_after_the_end(events: list[Any], body: dict[str, Any]) -> None:
    server = EndlessServer(events)
    try:
        with AIMLClient(api_key=KEY, base_url=server.base_url) as client:
            stream = client.stream(body)
            deltas = list(stream)
        expected = sum(1 for e in events if not isinstance(e, bytes))
        assert len(deltas) == expected
        assert "".join(d.content or "" for d in deltas) == "Hello there"
        assert (
            stream.summary.usage
            == parse_completion({"choices": [{"message": {}}], "usage": ANSWER[-1]["usage"]}).usage
        )
        assert server.peer_closed.wait(10)  # closed by us long before the junk ran out
        assert server.sent_after < AFTER
    finally:
        server.close()


@pytest.mark.parametrize("events", CASES.values(), ids=CASES.keys())
async def test_astream_reads_nothing_after_the_end(events: list[Any], body: dict[str, Any]) -> None:
    server = EndlessServer(events)
    try:
        async with AIMLClient(api_key=KEY, base_url=server.base_url) as client:
            deltas = [d async for d in client.astream(body)]
        assert len(deltas) == sum(1 for e in events if not isinstance(e, bytes))
        assert "".join(d.content or "" for d in deltas) == "Hello there"
        assert server.peer_closed.wait(10)
        assert server.sent_after < AFTER
    finally:
        server.close()


def test_without_include_usage_the_stream_ends_at_the_finish_reason(body: dict[str, Any]) -> None:
    del body["stream_options"]
    server = EndlessServer(ANSWER)
    try:
        with AIMLClient(api_key=KEY, base_url=server.base_url) as client:
            deltas = list(client.stream(body))
        assert [d.finish_reason for d in deltas][-1] == "stop"
        assert len(deltas) == len(ANSWER) - 1  # the usage chunk was not asked for
    finally:
        server.close()


# ------------------------------------------------------------------ the seeds, streamed


SEEDS = sorted(load_fixture("seeds/index.json"))  # every real answer we have


def _seed_stream(seed: dict[str, Any]) -> list[dict[str, Any]]:
    """The seed's answer as AIML streams it: no `[DONE]`, usage and cost after the finish."""
    message = seed["choices"][0]["message"]
    events = stream_events(
        message["content"], reasoning=message.get("reasoning_content"), model=seed["model"]
    )
    events[-1]["usage"] = seed["usage"]
    events[-1]["meta"] = seed["meta"]
    return events


def _read(deltas: Iterator[Delta]) -> tuple[str, str, list[Delta]]:
    seen = list(deltas)
    return (
        "".join(d.content or "" for d in seen),
        "".join(d.reasoning or "" for d in seen),
        seen,
    )


@pytest.mark.parametrize("name", SEEDS)
def test_seed_streams_parse_exactly(name: str, body: dict[str, Any]) -> None:
    seed = load_fixture(f"seeds/{name}.json")
    expected = parse_completion(seed)
    with Emulator(require_key=False) as emu:
        emu.enqueue(SSEReply(_seed_stream(seed), done=False))
        with AIMLClient(api_key=KEY, base_url=emu.base_url) as client:
            model = load_fixture("seeds/index.json")[name]
            stream = client.stream({**body, "model": model})
            content, reasoning, deltas = _read(iter(stream))
    assert content == expected.content
    assert (reasoning or None) == expected.reasoning
    summary = stream.summary
    assert summary.finish_reason == "stop"
    assert summary.usage == expected.usage
    assert summary.wire_usage == seed["usage"]
    assert summary.credits_used == seed["meta"]["usage"]["credits_used"]
    assert deltas[-1].usage == expected.usage
