"""The incremental SSE decoder: line ends, comments, fields, split reads, flush at EOF, the
one-event fast path and the line and event size limits."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from ernie_aiml import ResponseTooLargeError
from ernie_aiml._transport.sse import ServerSentEvent, SSEDecoder
from hypothesis import given
from hypothesis import strategies as st


def decode(*reads: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for read in reads:
        events.extend(decoder.feed(read))
    events.extend(decoder.flush())
    return events


def ev(data: str, event: str | None = None, id: str | None = None, retry: int | None = None):
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


def test_lf_events() -> None:
    assert decode(b'data: {"a":1}\n\ndata: [DONE]\n\n') == [ev('{"a":1}'), ev("[DONE]")]


def test_crlf_and_cr_line_ends() -> None:
    assert decode(b"data: a\r\n\r\ndata: b\r\rdata: c\n\n") == [ev("a"), ev("b"), ev("c")]


def test_cr_at_end_of_read_then_lf_at_start_of_next_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r") == [ev("a")]
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [ev("b")]
    assert decoder.flush() == []


def test_empty_read_keeps_a_pending_cr() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []  # the LF belongs to the CR: no blank line yet
    assert decoder.feed(b"\n") == [ev("a")]


def test_comments_and_keep_alives_produce_no_event() -> None:
    assert decode(b": keep-alive\n\n:ping\n\ndata: x\n: inside\n\n") == [ev("x")]


def test_multi_line_data_joined_with_newline() -> None:
    assert decode(b"data: one\ndata: two\ndata:three\ndata\n\n") == [ev("one\ntwo\nthree\n")]


def test_only_one_leading_space_is_stripped() -> None:
    assert decode(b"data:  two spaces\n\n") == [ev(" two spaces")]


def test_event_id_retry_fields() -> None:
    events = decode(b"event: error\nid: 7\nretry: 1500\ndata: {}\n\ndata: next\n\n")
    assert events == [ev("{}", "error", "7", 1500), ev("next", None, "7", None)]


def test_invalid_retry_and_id_with_nul_are_ignored() -> None:
    assert decode(b"retry: 1.5\nid: a\x00b\ndata: x\n\n") == [ev("x")]


def test_unknown_fields_ignored_and_event_without_data_not_dispatched() -> None:
    assert decode(b"foo: bar\n\nevent: ping\n\ndata: y\n\n") == [ev("y")]


def test_empty_data_line_dispatches_an_empty_event() -> None:
    assert decode(b"data:\n\n") == [ev("")]


def test_utf8_split_across_reads() -> None:
    payload = 'data: {"content":"文心一言 ✓"}\n\n'.encode()
    cut = payload.index("心".encode()) + 1  # inside the 3-byte character
    decoder = SSEDecoder()
    assert decoder.feed(payload[:cut]) == []
    assert decoder.feed(payload[cut:]) == [ev('{"content":"文心一言 ✓"}')]


def test_flush_dispatches_event_without_trailing_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: last") == [ev("a")]
    assert decoder.flush() == [ev("last")]
    assert decoder.flush() == []


def test_flush_after_complete_line_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: tail\n") == []
    assert decoder.flush() == [ev("tail")]


def test_leading_bom_is_dropped() -> None:
    assert decode(b"\xef\xbb\xbfdata: a\n\n") == [ev("a")]
    assert decode(b"\xef\xbb", b"\xbfdata: a\n\n") == [ev("a")]


def test_one_byte_reads() -> None:
    stream = b'event: x\r\ndata: {"k":"\xc3\xa9"}\r\n\r\ndata: 2\r\r'
    assert decode(*[stream[i : i + 1] for i in range(len(stream))]) == [
        ev('{"k":"é"}', "x"),
        ev("2"),
    ]


# ------------------------------------------------------------------ properties

_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=20,
)
_line = st.one_of(
    st.builds(lambda v: f"data: {v}", _values),
    st.builds(lambda v: f"data:{v}", _values),
    st.builds(lambda v: f": {v}", _values),
    st.builds(lambda v: f"event: {v}", _values),
    st.builds(lambda v: f"id: {v}", _values),
    st.builds(lambda n: f"retry: {n}", st.integers(0, 10**6)),
    st.just(""),
)
_stream_lines = st.lists(_line, max_size=30)


def _encode(lines: list[str], end: str) -> bytes:
    return "".join(line + end for line in lines).encode("utf-8")


@st.composite
def _split(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return pieces


@given(lines=_stream_lines, end=st.sampled_from(["\n", "\r\n", "\r"]), data=st.data())
def test_any_split_into_reads_yields_the_same_events(
    lines: list[str], end: str, data: st.DataObject
) -> None:
    stream = _encode(lines, end)
    reads = data.draw(_split(stream))
    assert b"".join(reads) == stream
    assert decode(*reads) == decode(stream)


@given(lines=_stream_lines)
def test_crlf_cr_and_lf_streams_are_equivalent(lines: list[str]) -> None:
    expected = decode(_encode(lines, "\n"))
    assert decode(_encode(lines, "\r\n")) == expected
    assert decode(_encode(lines, "\r")) == expected


def test_one_event_reads_keep_fields_from_earlier_reads() -> None:
    """A read that is exactly one `data:` event still gets the event name, id and retry."""
    assert decode(
        b": hi\n", b"event: delta\nid: 7\nretry: 5\n", b"data: {}\n\n", b"data: x\n\n"
    ) == [
        ev("{}", event="delta", id="7", retry=5),
        ev("x", id="7"),
    ]


def test_one_event_read_after_a_partial_line_or_data_is_joined() -> None:
    assert decode(b"data: a", b"data: b\n\n") == [ev("adata: b")]
    assert decode(b"data: a\n", b"data: b\n\n") == [ev("a\nb")]
    assert decode(b"data: a\r", b"data: b\n\n") == [ev("a\nb")]


def test_one_read_with_two_events_or_a_first_read_with_a_bom() -> None:
    assert decode(b"data: a\n\ndata: b\n\n") == [ev("a"), ev("b")]
    assert decode("\ufeffdata: a\n\n".encode(), b"data: \xc3\xa9\n\n") == [ev("a"), ev("é")]


# ------------------------------------------------------------------ the one-event fast path


def test_feed_one_decodes_a_read_that_is_one_unnamed_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b": hello\n") == []  # past the first line (a BOM may lead it)
    assert decoder.feed_one('data: {"k": "é"}\n\n'.encode()) == '{"k": "é"}'
    assert decoder.feed_one(b"data: \n\n") == ""  # an empty event: skipped by the stream


def test_feed_one_leaves_every_other_read_to_feed() -> None:
    """Nothing is consumed when it says None: `feed` then decodes the read in full."""
    for read in (
        b"data: a\ndata: b\n\n",  # two lines
        b"data: a\n\ndata: b\n\n",  # two events
        b"data: a\r\n\r\n",  # CR line ends
        b"data: a\n",  # no blank line
        b"event: error\n",
        b"data:a\n\n",  # no space: `_lines` strips nothing
    ):
        decoder = SSEDecoder()
        decoder.feed(b": hello\n")
        assert decoder.feed_one(read) is None, read
    named = SSEDecoder()
    assert named.feed(b"event: error\n") == []
    assert named.feed_one(b"data: {}\n\n") is None  # the name belongs to this event
    assert named.feed(b"data: {}\n\n") == [ev("{}", "error")]
    first = SSEDecoder()
    assert first.feed_one(b"data: a\n\n") is None  # the first read may start with a BOM
    held = SSEDecoder()
    assert held.feed(b"data: a\n") == []
    assert held.in_event and held.held == b""
    assert held.feed_one(b"data: b\n\n") is None
    assert held.feed(b"data: b\n\n") == [ev("a\nb")]
    partial = SSEDecoder(max_event_bytes=100)
    assert partial.feed(b"data: a\n\ndata: b") == [ev("a")]
    assert partial.held == b"data: b" and not partial.in_event


# ------------------------------------------------------------------ the size limits


def _too_large(decoder: SSEDecoder, *reads: bytes) -> str:
    with pytest.raises(ResponseTooLargeError, match="limit event_bytes") as info:
        for read in reads:
            decoder.feed(read)
        decoder.flush()
    return str(info.value)


def test_a_one_event_read_past_the_limit_is_refused() -> None:
    decoder = SSEDecoder(max_event_bytes=50)
    decoder.feed(b": hello\n")
    read = b"data: " + b"x" * 60 + b"\n\n"
    assert decoder.feed_one(read) is None  # too long for the fast path: `feed` says why
    assert "an SSE line longer than 50 bytes" in _too_large(decoder, read)
    assert SSEDecoder(max_event_bytes=50).feed(b": hello\ndata: " + b"x" * 44 + b"\n\n") == [
        ev("x" * 44)  # the line is 50 characters: at the limit, not past it
    ]


def test_an_event_of_lines_over_several_reads_is_counted_across_them() -> None:
    """Each read's lines fit (no line is checked alone), the event they make does not."""
    line = b"data: " + b"y" * 40 + b"\n"  # 46 characters counted per data line
    assert "an SSE event longer than 100 bytes" in _too_large(
        SSEDecoder(max_event_bytes=100), line, line, line
    )
    assert "an SSE event longer than 100 bytes" in _too_large(
        SSEDecoder(max_event_bytes=100), b"data: a\n\n" + line + line, line
    )
    # 2 lines: 92 characters, under the limit in any split
    two = line + line + b"\n"
    for cut in range(len(two) + 1):
        assert decode_max(100, two[:cut], two[cut:]) == [ev("y" * 40 + "\n" + "y" * 40)]


def test_a_line_that_never_ends_is_refused_across_reads() -> None:
    assert "an SSE line longer than 100 bytes" in _too_large(
        SSEDecoder(max_event_bytes=100), *[b"data: " + b"z" * 30] * 4
    )


def decode_max(limit: int, *reads: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder(max_event_bytes=limit)
    events: list[ServerSentEvent] = []
    for read in reads:
        events.extend(decoder.feed(read))
    return events + decoder.flush()


# ------------------------------------------------------------------ the data-only fast path


def fast_decode(*reads: bytes) -> list[tuple[str | None, str]]:
    """What `StreamState` gets: each read through `feed_one`, else `feed_data`, else `feed`."""
    decoder = SSEDecoder()
    out: list[tuple[str | None, str]] = []
    for read in reads:
        one = decoder.feed_one(read)
        many = decoder.feed_data(read) if one is None else [one]
        if many is not None:
            out.extend((None, data) for data in many)
        else:
            out.extend((e.event, e.data) for e in decoder.feed(read))
    out.extend((e.event, e.data) for e in decoder.flush())
    return out


def test_feed_data_decodes_a_read_of_data_only_events_and_keeps_the_next_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed_data(b"data: a\n\ndata: \xc3\xa9\n\ndata: c") == ["a", "é"]
    assert decoder.held == b"data: c" and not decoder.in_event
    assert decoder.feed_data(b"d\n\ndata: \n\ndata: e\n\n") == ["cd", "", "e"]
    assert decoder.held == b""
    assert decoder.feed(b"event: x\ndata: f\n\n") == [ev("f", "x")]  # the decoder goes on
    assert decoder.feed_data(b"data: g\n\nda") == ["g"]
    assert decoder.flush() == []  # a line that never ended is no event


def test_feed_data_leaves_every_other_read_to_feed() -> None:
    """Nothing is consumed when it says None: `feed` then decodes the read in full."""
    for read in (
        b"data: a\n\n: ping\n\n",  # a comment
        b"data: a\n\nevent: x\ndata: b\n\n",  # a named event
        b"data: a\n\nid: 3\n\n",  # another field
        b"data:a\n\ndata: b\n\n",  # no space: `_lines` strips nothing
        b"data: a\n\ndata:b\n\n",
        b"data: a\ndata: b\n\n",  # an event of two lines
        b"data: a\n\n\ndata: b\n\n",  # a stray line end
        b"data: a\r\n\r\n",  # CR line ends
        b"data: a\n\ndata: b\n",  # a whole line after the last event
        b"data: a",  # no event ends in it
        "\ufeffdata: a\n\n".encode(),  # a BOM: the first line is decoded by `feed`
    ):
        decoder = SSEDecoder()
        assert decoder.feed_data(read) is None, read
        assert decoder.held == b"" and not decoder.in_event
        expected = decode(read)
        assert [(e.event, e.data) for e in decoder.feed(read) + decoder.flush()] == [
            (e.event, e.data) for e in expected
        ]
    held = SSEDecoder()
    assert held.feed(b": pi") == []
    assert held.feed_data(b"ng\n\ndata: a\n\n") is None  # joined, it starts with a comment
    assert held.held == b": pi"
    assert held.feed(b"ng\n\ndata: a\n\n") == [ev("a")]
    named = SSEDecoder()
    assert named.feed(b"event: error\n") == []
    assert named.feed_data(b"data: {}\n\ndata: x\n\n") is None  # the name belongs to `{}`
    small = SSEDecoder(max_event_bytes=10)
    assert small.feed_data(b"data: a\n\ndata: b\n\n") is None  # past the limit: `feed` says


@given(lines=_stream_lines, end=st.sampled_from(["\n", "\r\n"]), data=st.data())
def test_the_fast_paths_yield_what_feed_does_at_any_split(
    lines: list[str], end: str, data: st.DataObject
) -> None:
    stream = _encode(lines, end)
    reads = data.draw(_split(stream))
    assert fast_decode(*reads) == [(e.event, e.data) for e in decode(stream)]


_data_events = st.lists(st.builds(lambda v: f"data: {v}\n\n", _values), min_size=1, max_size=20)


@given(events=_data_events, data=st.data())
def test_data_only_streams_split_anywhere_yield_every_event(
    events: list[str], data: st.DataObject
) -> None:
    stream = "".join(events).encode("utf-8")
    reads = data.draw(_split(stream))
    assert fast_decode(*reads) == [(None, e[6:-2]) for e in events]


def test_a_line_that_never_ends_is_not_copied_at_every_read() -> None:
    """Its reads are kept as a list and joined once (linear): counted with a profile hook on
    every `bytes.join`, both the fast paths and `feed` join nothing until the line ends."""
    joins = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal joins
        if event == "c_call" and getattr(arg, "__name__", "") == "join":
            joins += 1

    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    reads = [b"data: "] + [b"x" * 1000] * 200
    sys.setprofile(count)
    try:
        for read in reads:
            assert decoder.feed_one(read) is None
            assert decoder.feed_data(read) is None
            assert decoder.feed(read) == []
    finally:
        sys.setprofile(None)
    assert joins == 0
    assert decoder.feed_data(b"x\n\n") == ["x" * 200_000 + "x"]
