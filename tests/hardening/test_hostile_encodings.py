"""Compressed bodies a hostile or broken server can send: every one ends in our typed error
or the exact answer, with bounded work (issue 22 §2, §5).

Corrupt gzip is a `ResponseParseError` (an error status keeps its class, its body dropped);
more stacked codings than `guard.MAX_CODINGS` are refused before decoding (no recursion per
layer); bytes after the end of a gzip body are another gzip member (decoded, as RFC 1952
allows) or refused, never buffered; every layer's output and the compressed bytes count
against the body's limit, so a layer that inflates to little cannot hide a huge one.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

import ernie_aiml
import pytest
from hostile_support import MODES, HostileServer, answer, build, events, head, run

PLAIN = json.dumps(answer("Zipped hello.")).encode()
STREAMED = b"".join(events("Zipped hello."))
CORRUPT = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 64


def reply(status: int, content_type: str, body: bytes, encoding: str) -> Iterator[bytes]:
    yield head(status, content_type, content_encoding=encoding, content_length=len(body))
    yield body


def serve(plain: bytes, streamed: bytes, encoding: str, status: int = 200) -> HostileServer:
    return HostileServer(
        lambda request: (
            reply(status, "text/event-stream", streamed, encoding)
            if request.streamed and status == 200
            else reply(status, "application/json", plain, encoding)
        )
    )


def layers(data: bytes, count: int) -> bytes:
    for _ in range(count):
        data = gzip.compress(data, compresslevel=1)
    return data


@pytest.mark.parametrize("mode", MODES)
async def test_corrupt_gzip_is_a_parse_error(mode: str) -> None:
    server = serve(CORRUPT, CORRUPT, "gzip")
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match="gzip data is corrupt"):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


@pytest.mark.parametrize("mode", MODES)
async def test_corrupt_gzip_in_an_error_body_keeps_the_status_error(mode: str) -> None:
    server = serve(CORRUPT, CORRUPT, "gzip", status=500)
    try:
        with pytest.raises(ernie_aiml.ServerError) as info:
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    assert info.value.status_code == 500


@pytest.mark.parametrize("mode", MODES)
async def test_two_stacked_gzips_parse(mode: str) -> None:
    server = serve(layers(PLAIN, 2), layers(STREAMED, 2), "gzip, gzip")
    try:
        assert "Zipped hello." in await run(mode, build(mode, server.base_url))
    finally:
        server.close()


@pytest.mark.parametrize("count", [3, 1500])
@pytest.mark.parametrize("mode", MODES)
async def test_more_stacked_codings_are_refused(mode: str, count: int) -> None:
    """1,500 layers of valid gzip used to recurse once per layer (`RecursionError`)."""
    encoding = ", ".join(["gzip"] * count)
    server = serve(layers(PLAIN, min(count, 3)), layers(STREAMED, min(count, 3)), encoding)
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match=f"{count} stacked content codings"):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


@pytest.mark.parametrize("mode", MODES)
async def test_concatenated_gzip_members_are_one_body(mode: str) -> None:
    half = len(PLAIN) // 2
    plain = gzip.compress(PLAIN[:half]) + gzip.compress(PLAIN[half:])
    cut = len(STREAMED) // 2
    streamed = gzip.compress(STREAMED[:cut]) + gzip.compress(STREAMED[cut:])
    server = serve(plain, streamed, "gzip")
    try:
        assert "Zipped hello." in await run(mode, build(mode, server.base_url))
    finally:
        server.close()


@pytest.mark.parametrize("mode", MODES)
async def test_bytes_after_the_gzip_body_are_refused_not_buffered(mode: str) -> None:
    """zlib keeps whatever follows the end of a member in `unused_data`, growing without a
    limit: 64 MiB of zeros there used to pass unread and uncounted."""
    unfinished = events("Zipped hello.")[0]  # a stream reads on past it, into the zeros
    server = serve(
        gzip.compress(PLAIN) + b"\0" * 4096, gzip.compress(unfinished) + b"\0" * 4096, "gzip"
    )
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match="after the end of its gzip"):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


def empty_blocks(total: int) -> bytes:
    """A valid gzip member of about `total` bytes of empty deflate blocks: it inflates to
    nothing, however long it is."""
    z = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    start = z.compress(b"") + z.flush(zlib.Z_FULL_FLUSH)  # byte-aligned after a full flush
    block = b"\x00\x00\x00\xff\xff"  # an empty stored block: not final, length 0
    return start + block * (total // len(block)) + z.flush()


@pytest.mark.parametrize("mode", ["core-chat", "core-astream", "lc-invoke", "li-astream"])
async def test_an_inner_layer_inflating_to_little_counts_against_the_limit(mode: str) -> None:
    """`gzip, gzip` whose outer layer inflates to 4 MiB of empty deflate blocks (the inner
    layer yields nothing): the outer layer's output counts, so a 1 MiB limit stops it."""
    inner = empty_blocks(4 * 1024 * 1024)
    body = gzip.compress(inner)
    assert len(body) < 64 * 1024 and zlib.decompress(inner, zlib.MAX_WBITS | 16) == b""
    server = serve(body, body, "gzip, gzip")
    name = "stream_bytes" if "stream" in mode else "answer_bytes"
    previous = ernie_aiml.configure_limits(**{name: 1024 * 1024})
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match=f"limit {name}"):
            await run(mode, build(mode, server.base_url))
    finally:
        ernie_aiml.configure_limits(**{name: getattr(previous, name)})
        server.close()
