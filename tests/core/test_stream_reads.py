"""How a stream reads its body (issue 22's guards, kept cheap per chunk).

A plain SSE body reads through no wrapper of ours: the stream's state counts every read
against `stream_bytes` and checks the total deadline itself; a gzip body stays guarded (it is
decoded in bounded pieces). A read holding several events yields them in order and stops at
the end rule. The key is masked in every event whatever the boundaries of the reads: the
check runs once per read on its bytes (and on what the decoder kept from the read before), so
a key split across reads, or in an event whose lines arrive in several reads, is found too.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import ernie_aiml
import httpx
import pytest
from _transport_helpers import (
    BODY,
    FIRST,
    HELLO,
    STOP,
    USAGE,
    USAGE_BODY,
    WORLD,
    ChunkStream,
    Script,
    make_client,
    sse,
    sse_response,
)
from ernie_aiml import APITimeoutError, ResponseTooLargeError, StreamError
from ernie_aiml._transport import guard

Reads = list[bytes | Exception]


def contents(reads: Reads, body: dict[str, Any] = USAGE_BODY, **kwargs: Any) -> list[Any]:
    script = Script(sse_response(ChunkStream(reads)))
    return [d.content for d in make_client(script, **kwargs).stream(body)]


async def acontents(reads: Reads, body: dict[str, Any] = USAGE_BODY, **kwargs: Any) -> list[Any]:
    script = Script(sse_response(ChunkStream(reads)))
    client = make_client(script, asynchronous=True, **kwargs)
    return [d.content async for d in client.astream(body)]


def one_event_reads(body: bytes) -> Reads:
    return [event + b"\n\n" for event in body.split(b"\n\n") if event]


@pytest.fixture
def stream_limit() -> Iterator[Any]:
    previous = ernie_aiml.configure_limits()
    yield lambda size: ernie_aiml.configure_limits(stream_bytes=size)
    ernie_aiml.configure_limits(stream_bytes=previous.stream_bytes)


# ------------------------------------------------------------------ counting and the deadline


@pytest.mark.parametrize("framing", ["event", "bulk"])
async def test_every_read_of_a_plain_stream_counts_against_stream_bytes(
    framing: str, stream_limit: Any
) -> None:
    body = sse(FIRST, HELLO, STOP, USAGE, done=False)  # the end rule: nothing read after it
    reads: Reads = one_event_reads(body) if framing == "event" else [body]
    stream_limit(len(body))
    expected = ["", "Hello", None, None]
    assert contents(reads) == expected
    assert await acontents(reads) == expected
    stream_limit(len(body) - 1)
    for run in (contents, acontents):
        with pytest.raises(ResponseTooLargeError, match="limit stream_bytes") as info:
            result = run(reads)
            if not isinstance(result, list):
                await result
        assert f"more than {len(body) - 1} decoded bytes" in str(info.value)


def test_a_plain_stream_reads_through_no_wrapper_and_a_gzip_one_stays_guarded() -> None:
    """The per-read wrapper is gone where the stream counts itself (one generator layer less
    per chunk); a compressed body keeps it, since it is decoded there in bounded pieces."""
    plain = make_client(Script(sse_response(ChunkStream([sse(HELLO, STOP)])))).stream(BODY)
    assert next(plain).content == "Hello"
    assert plain.response is not None
    assert not isinstance(plain.response.stream, guard._Guarded)
    assert [d.content for d in plain] == [None]
    compressed = make_client(Script(gzipped(sse(HELLO, STOP)))).stream(BODY)
    assert next(compressed).content == "Hello"
    assert compressed.response is not None
    assert isinstance(compressed.response.stream, guard._Guarded)
    assert [d.content for d in compressed] == [None]


def gzipped(body: bytes) -> httpx.Response:
    """`body` gzipped, in one read (a stream: httpx would decode `content=` bytes itself)."""
    return sse_response(ChunkStream([gzip.compress(body)]), **{"content-encoding": "gzip"})


def test_a_gzip_stream_still_counts_decoded_bytes(stream_limit: Any) -> None:
    body = sse(HELLO, STOP)
    stream_limit(len(body) - 1)
    with pytest.raises(ResponseTooLargeError, match="limit stream_bytes"):
        list(make_client(Script(gzipped(body))).stream(BODY))
    stream_limit(len(body))
    assert [d.content for d in make_client(Script(gzipped(body))).stream(BODY)] == ["Hello", None]


class Clock:
    """`time` for the guard module: a monotonic clock the test moves (no waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_the_total_deadline_is_checked_at_every_read(
    asynchronous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(guard, "time", clock)
    reads = one_event_reads(sse(HELLO, WORLD, STOP))
    script = Script(sse_response(ChunkStream(reads)))
    client = make_client(script, asynchronous=asynchronous, deadline=60)
    match = r"total deadline of 60 s"
    if asynchronous:
        deltas = client.astream(BODY)
        assert (await deltas.__anext__()).content == "Hello"
        clock.now += 61  # the deadline passes between two reads
        with pytest.raises(APITimeoutError, match=match):
            await deltas.__anext__()
    else:
        stream = client.stream(BODY)
        assert next(stream).content == "Hello"
        clock.now += 61
        with pytest.raises(APITimeoutError, match=match):
            next(stream)


# ------------------------------------------------------------------ several events per read


async def test_one_read_of_many_events_yields_them_all_and_stops_at_the_end() -> None:
    after = chunk_text("after the end")
    body = sse(FIRST, HELLO, WORLD, STOP, USAGE, after, done=False)
    assert contents([body]) == ["", "Hello", " world", None, None]
    assert await acontents([body]) == ["", "Hello", " world", None, None]
    # without include_usage the finish reason ends it; `[DONE]` ends it anywhere in a read
    assert contents([sse(HELLO, STOP, after, done=False)], BODY) == ["Hello", None]
    done_first = sse(HELLO) + b"data: [DONE]\n\n" + sse(after, done=False)
    assert contents([done_first], BODY) == ["Hello"]


def test_reads_of_several_events_build_no_event_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """`SSEDecoder.feed_data`: a read of several `data:` events (a bulk read, a gateway's
    buffer), cut anywhere, goes to Deltas with no event object in between."""
    from ernie_aiml._transport import sse as sse_module

    def refuse(*args: Any) -> None:
        raise AssertionError("an event object was built")

    monkeypatch.setattr(sse_module, "ServerSentEvent", refuse)
    body = sse(FIRST, HELLO, WORLD, STOP, USAGE, done=False)
    expected = ["", "Hello", " world", None, None]
    assert contents([body]) == expected
    for cut in range(1, len(body)):
        if b"\n\n" in body[:cut] and b"\n" not in body[:cut].rpartition(b"\n\n")[2]:
            assert contents([body[:cut], body[cut:]]) == expected, cut
    with pytest.raises(AssertionError, match="event object"):  # any other read builds them
        contents([b": ping\n\n" + body])


def chunk_text(text: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


# ------------------------------------------------------------------ the key at any split

KEYS = ["sk-aiml-SECRET-7f3e9b1c5d", "sk-aiml/SECRET/7f3e9b1c5d"]


def escaped(key: str) -> str:
    """`key` as JSON may spell it: every character a `\\u00XX` escape, a `/` as `\\/`."""
    return "".join("\\/" if c == "/" else f"\\u{ord(c):04x}" for c in key)


def echoing_body(key: str) -> bytes:
    """Events echoing `key` raw, JSON-escaped, and in the first line of a two-line event
    whose second line is clean (the event is masked even when that line is read alone)."""
    raw = json.dumps(chunk_text(f"raw {key} end"))
    esc = '{"choices":[{"index":0,"delta":{"content":"esc ' + escaped(key) + ' end"}}]}'
    two = f'data: {{"id":"{key}","choices":[{{"index":0,\ndata: "delta":{{"content":"two"}}}}]}}'
    return f"data: {raw}\n\ndata: {esc}\n\n{two}\n\n".encode() + sse(STOP)


def masked(key: str, reads: Reads) -> list[Any]:
    script = Script(sse_response(ChunkStream(reads)))
    deltas = list(make_client(script, api_key=key).stream(BODY))
    for delta in deltas:
        assert key not in repr(delta.raw) and escaped(key) not in repr(delta.raw)
    return [(d.id, d.content) for d in deltas]


EXPECTED = [(None, "raw *** end"), (None, "esc *** end"), ("***", "two"), ("chatcmpl-1", None)]


@pytest.mark.parametrize("key", KEYS)
def test_the_key_is_masked_at_any_split_of_the_reads(key: str) -> None:
    body = echoing_body(key)
    assert masked(key, [body]) == EXPECTED
    assert masked(key, one_event_reads(body)) == EXPECTED
    assert masked(key, [body[i : i + 1] for i in range(len(body))]) == EXPECTED
    for cut in range(1, len(body)):
        assert masked(key, [body[:cut], body[cut:]]) == EXPECTED, cut


def test_a_long_unfinished_line_is_checked_for_the_key_by_its_tail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A line sent in small reads: each read is checked with the last `Masker.reach` bytes
    kept before it, not with the whole line so far (copied at every read, that is quadratic
    in the line), and the key is still masked wherever it lies: raw across a read boundary,
    escaped, or at the very end."""
    from ernie_aiml._transport.mask import Masker, masker

    key = KEYS[1]
    sizes: list[int] = []
    real = Masker.needed_bytes

    def spy(self: Masker, data: bytes) -> bool:
        sizes.append(len(data))
        return real(self, data)

    monkeypatch.setattr(Masker, "needed_bytes", spy)
    start = f"data: {json.dumps(chunk_text('{}'))}".index("{}")
    run = 100_000 - (start + 100_000) % 1000 - 10  # the first key starts 10 bytes before a cut
    text = "x" * run + key + "y" * 100_000 + escaped(key) + "z" * 50_000 + key
    body = f"data: {json.dumps(chunk_text(text))}\n\n".encode() + sse(STOP)
    reads = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    assert reads[(start + run) // 1000][-10:] == key.encode()[:10]
    want = "x" * run + "***" + "y" * 100_000 + "***" + "z" * 50_000 + "***"
    assert masked(key, reads) == [(None, want), ("chatcmpl-1", None)]
    reach = masker(key).reach  # type: ignore[union-attr]
    assert len(sizes) == len(reads) and max(sizes) <= 1000 + reach


async def test_the_key_is_masked_in_async_reads_too() -> None:
    key = KEYS[1]
    body = echoing_body(key)
    for reads in ([body], one_event_reads(body), [body[:40], body[40:200], body[200:]]):
        script = Script(sse_response(ChunkStream(reads)))
        client = make_client(script, api_key=key, asynchronous=True)
        got = [(d.id, d.content) async for d in client.astream(BODY)]
        assert got == EXPECTED


@pytest.mark.parametrize("cut", [0, 10, 30, 60, 75, 90])
def test_the_key_is_masked_in_an_error_event(cut: int) -> None:
    key = KEYS[0]
    error = b'event: error\ndata: {"error": {"message": "bad ' + key.encode() + b'"}}\n\n'
    body = sse(HELLO, done=False) + error
    cut = len(sse(HELLO, done=False)) + cut
    script = Script(sse_response(ChunkStream([body[:cut], body[cut:]])))
    stream = make_client(script, api_key=key).stream(BODY)
    assert next(stream).content == "Hello"
    with pytest.raises(StreamError, match=r"bad \*\*\*") as info:
        next(stream)
    assert key not in repr(info.value.body) and key not in str(info.value)


def test_transport_errors_between_reads_still_raise() -> None:
    reads: Reads = [sse(HELLO, done=False), httpx.ReadError("reset")]
    with pytest.raises(ernie_aiml.StreamInterruptedError, match="ReadError"):
        contents(reads, BODY)
