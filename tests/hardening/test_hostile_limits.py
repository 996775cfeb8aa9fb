"""A hostile server cannot exhaust memory or time (issue 22 §2 and §3's total deadline).

Each memory case runs every mode in a subprocess against a hostile loopback server and
asserts the typed error and that peak RSS stayed under 100 MiB above the baseline (the
bound, never a time). The deadline cases drip bytes slowly enough that only a total
deadline can stop them, and assert `APITimeoutError` naming the figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ernie_aiml
import pytest
from hostile_limits_support import MIB, gzip_bomb
from hostile_support import (
    MODES,
    PLAIN_MODES,
    STREAM_MODES,
    HostileServer,
    answer,
    build,
    either,
    events,
    head,
    json_reply,
    run,
    sse_reply,
)

HERE = Path(__file__).parent
#: Peak RSS a hostile answer may add, in MiB (issue 22: "under 100 MB above baseline").
BOUND = 100

EXPECTED: dict[str, dict[str, str]] = {
    "gzip-bomb": dict.fromkeys(MODES, "ResponseTooLargeError"),
    "gzip-bomb-error": dict.fromkeys(MODES, "ServerError"),
    "huge-answer": dict.fromkeys(MODES, "ResponseTooLargeError"),
    "huge-error": dict.fromkeys(MODES, "ServerError"),
    "endless-line": dict.fromkeys(MODES, "ResponseTooLargeError"),
    "endless-events": dict.fromkeys(PLAIN_MODES, "ResponseTooLargeError"),
}


def probe(case: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)])}
    done = subprocess.run(
        [sys.executable, str(HERE / "rss_probe.py"), case],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("case", list(EXPECTED))
def test_hostile_bodies_stay_bounded_in_every_mode(case: str) -> None:
    result = probe(case)
    got = {mode: text.split(":")[0] for mode, text in result["errors"].items()}
    # LangChain raises its dual classes (ErnieAIML...Error): both name the same kind
    got = {mode: name.removeprefix("ErnieAIML") for mode, name in got.items()}
    expected = {m: e.removeprefix("ErnieAIML") for m, e in EXPECTED[case].items()}
    expected = {
        m: {"ResponseTooLargeError": "ResponseParseError"}.get(e, e) if m.startswith("lc") else e
        for m, e in expected.items()
    }
    assert got == expected, result["errors"]
    assert result["peak_mib"] < BOUND, result


def test_the_gzip_bomb_is_what_the_issue_describes() -> None:
    assert len(gzip_bomb()) < 2 * MIB  # ~1 MiB that inflates to 1 GiB


@pytest.mark.parametrize("mode", MODES)
async def test_limit_errors_name_the_limit_and_a_raised_limit_passes(mode: str) -> None:
    content = "z" * (2 * MIB)
    body = json.dumps(answer(content)).encode()
    server = HostileServer(either(lambda: json_reply(body), lambda: sse_reply(events(content))))
    name = "event_bytes" if "stream" in mode else "answer_bytes"
    previous = ernie_aiml.configure_limits(**{name: MIB})
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match=f"limit {name}") as info:
            await run(mode, build(mode, server.base_url))
        assert f"configure_limits({name}=...)" in str(info.value)
        ernie_aiml.configure_limits(**{name: 4 * MIB})
        assert content in await run(mode, build(mode, server.base_url))
    finally:
        ernie_aiml.configure_limits(**{name: getattr(previous, name)})
        server.close()


@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_a_whole_stream_is_bounded_too(mode: str) -> None:
    chunk = b'data: {"choices": [{"index": 0, "delta": {"content": "' + b"y" * 1000 + b'"}}]}\n\n'

    def endless() -> Iterator[bytes]:
        yield head(200, "text/event-stream")
        while True:
            yield chunk * 16

    server = HostileServer(lambda request: endless())
    previous = ernie_aiml.configure_limits(stream_bytes=MIB)
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match="limit stream_bytes"):
            await run(mode, build(mode, server.base_url))
    finally:
        ernie_aiml.configure_limits(stream_bytes=previous.stream_bytes)
        server.close()


@pytest.mark.parametrize("mode", MODES)
async def test_gzip_answers_still_parse(mode: str) -> None:
    import gzip

    plain = gzip.compress(json.dumps(answer("Zipped hello.")).encode())
    streamed = gzip.compress(b"".join(events("Zipped hello.")))
    server = HostileServer(
        either(
            lambda: json_reply(plain, content_encoding="gzip"),
            lambda: sse_reply([streamed], content_encoding="gzip"),
        )
    )
    try:
        assert "Zipped hello." in await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    accept = [
        line
        for line in server.requests[0].head.split(b"\r\n")
        if line.lower().startswith(b"accept-encoding")
    ]
    assert accept == [b"Accept-Encoding: gzip, deflate"]


@pytest.mark.parametrize("mode", MODES)
async def test_an_encoding_not_asked_for_is_refused(mode: str) -> None:
    server = HostileServer(
        either(
            lambda: json_reply(b"\x28\xb5\x2f\xfd" + b"\0" * 20, content_encoding="zstd"),
            lambda: sse_reply([b"\x28\xb5\x2f\xfd"], content_encoding="zstd"),
        )
    )
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match="'zstd', which was not asked for"):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


# ------------------------------------------------------------------ the total deadline


def drip_json() -> Iterator[bytes]:
    """A JSON answer padded with one space every 20 ms: never idle long enough to time out."""
    yield head(200, content_length=10_000_000)
    while True:
        time.sleep(0.02)
        yield b" "


def drip_sse() -> Iterator[bytes]:
    """An event stream of SSE comments, one every 20 ms."""
    yield head(200, "text/event-stream")
    while True:
        time.sleep(0.02)
        yield b": ping\n"


@pytest.mark.parametrize("mode", MODES)
async def test_a_dripping_server_meets_the_total_deadline(mode: str) -> None:
    server = HostileServer(either(drip_json, drip_sse))
    try:
        target = build(mode, server.base_url, deadline=0.5)
        with pytest.raises(ernie_aiml.APITimeoutError, match=r"total deadline of 0\.5 s"):
            await run(mode, target)
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["core-chat", "core-achat", "core-stream", "core-astream"])
async def test_a_per_call_deadline_overrides_the_client_one(mode: str) -> None:
    server = HostileServer(either(drip_json, drip_sse))
    client = build(mode, server.base_url, deadline=3600)
    body = {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "hi"}]}
    try:
        with pytest.raises(ernie_aiml.APITimeoutError, match=r"total deadline of 0\.3 s"):
            if mode == "core-chat":
                client.chat(body, deadline=0.3)
            elif mode == "core-achat":
                await client.achat(body, deadline=0.3)
            elif mode == "core-stream":
                list(client.stream(body, deadline=0.3))
            else:
                [d async for d in client.astream(body, deadline=0.3)]
    finally:
        server.close()


def drip_head() -> Iterator[bytes]:
    """A status line and a header that never ends, one byte every 20 ms (h11 would wait
    for 16 KiB of it: five minutes, then a protocol error, not a timeout)."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Pad: ":
        time.sleep(0.02)
        yield bytes([byte])
    while True:
        time.sleep(0.02)
        yield b"a"


@pytest.mark.parametrize("mode", MODES)
async def test_deadline_bounds_a_dripping_status_line(mode: str) -> None:
    """Every mode: async cancels the wait for the head at the deadline, sync reads the
    socket through `deadline_transport.DeadlineTransport` (each read capped at the time left)."""
    server = HostileServer(lambda request: drip_head())
    try:
        target = build(mode, server.base_url, deadline=0.5)
        with pytest.raises(ernie_aiml.APITimeoutError, match=r"total deadline of 0\.5 s"):
            await run(mode, target)
    finally:
        server.close()


def late_byte_then_silence(request: Any) -> Iterator[bytes]:
    """The head at once, one piece of the body at 0.6 s, then nothing for 5 s."""
    if request.streamed:
        yield head(200, "text/event-stream")
        time.sleep(0.6)
        yield b": still here\n"
    else:
        yield head(200, content_length=1000)
        time.sleep(0.6)
        yield b"{"
    time.sleep(5)


@pytest.mark.parametrize("mode", MODES)
async def test_a_server_silent_after_a_late_byte_is_cut_at_the_deadline(mode: str) -> None:
    """Every read after the headers gets at most the time left too (a read timeout fixed
    when the request was built would wait until 0.6 s + 1 s, and name the read timeout)."""
    server = HostileServer(late_byte_then_silence)
    try:
        target = build(mode, server.base_url, deadline=1.0)
        with pytest.raises(ernie_aiml.APITimeoutError, match=r"total deadline of 1 s"):
            await run(mode, target)
    finally:
        server.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("retry_after", "requests"), [("20", 1), ("1", 3)])
async def test_a_retry_wait_past_the_deadline_is_not_taken(
    mode: str, retry_after: str, requests: int
) -> None:
    """A 429 whose `Retry-After` (20 s) would outlast `deadline=5` is the answer (one
    request); one that fits (1 s) is waited out and retried, twice."""
    server = HostileServer(
        lambda request: json_reply(b'{"message": "slow down"}', 429, retry_after=retry_after)
    )
    try:
        target = build(mode, server.base_url, max_retries=2, deadline=5)
        with pytest.raises(ernie_aiml.RateLimitError, match="slow down"):
            await run(mode, target)
        assert len(server.requests) == requests
    finally:
        server.close()


def test_a_silent_server_is_cut_at_the_deadline_not_the_read_timeout() -> None:
    server = HostileServer(lambda request: iter([time.sleep(30) or b""]))
    client = ernie_aiml.AIMLClient(
        api_key="sk-test-key-000000", base_url=server.base_url, max_retries=0, deadline=0.3
    )
    body = {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "hi"}]}
    try:
        with pytest.raises(ernie_aiml.APITimeoutError, match=r"total deadline of 0\.3 s"):
            client.chat(body)
    finally:
        server.close()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "10", True])
def test_deadline_is_checked(bad: Any) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="deadline must be a number of seconds > 0"):
        ernie_aiml.AIMLClient(api_key="k", deadline=bad)
    from langchain_ernie_aiml import ChatErnieAIML
    from llama_index_ernie_aiml import ErnieAIML

    if isinstance(bad, (str, bool)):
        return  # pydantic coerces "10" and True for the adapters' float field, as it does
    with pytest.raises(ernie_aiml.ParameterError, match="deadline"):
        assert ChatErnieAIML(api_key="k", deadline=bad).aiml_client is None
    with pytest.raises(ernie_aiml.ParameterError, match="deadline"):
        assert ErnieAIML(api_key="k", deadline=bad).aiml_client is None


def test_default_deadline_is_two_hours() -> None:
    assert ernie_aiml.AIMLClient(api_key="k").deadline == 7200


def cut_after_the_head(request: Any) -> Iterator[bytes]:
    """An event stream's head with a body length it never sends: a read error, no output."""
    yield head(200, "text/event-stream", content_length=1000)


@pytest.mark.parametrize("mode", ["core-stream", "core-astream"])
@pytest.mark.parametrize(("initial_delay", "requests"), [(30.0, 1), (0.01, 3)])
async def test_a_reconnect_wait_past_the_deadline_is_not_taken(
    mode: str, initial_delay: float, requests: int
) -> None:
    """A stream cut before any output reconnects after a backoff; a backoff (30 s) that
    would outlast `deadline=5` is not waited: the cut stream's error is the answer."""
    server = HostileServer(cut_after_the_head)
    waits: list[float] = []

    async def asleep(seconds: float) -> None:
        waits.append(seconds)

    policy = ernie_aiml.RetryPolicy(
        max_retries=2, initial_delay=initial_delay, jitter=0, sleep=waits.append, async_sleep=asleep
    )
    client = ernie_aiml.AIMLClient(
        api_key="sk-test-key-000000", base_url=server.base_url, retry_policy=policy, deadline=5
    )
    try:
        with pytest.raises(ernie_aiml.StreamInterruptedError):
            await run(mode, client)
        assert len(server.requests) == requests
        assert all(wait < 5 for wait in waits)
    finally:
        client.close()
        server.close()
