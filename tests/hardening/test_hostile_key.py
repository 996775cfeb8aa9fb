"""The key never leaks to a hostile server's echo, and a malformed key never leaves.

Issue 22 §1 and issue 21 "The key": a key with surrounding whitespace is stripped (with one
warning) and sent as it should be; a `Bearer ` prefix, an inner control character or a
non-ASCII character is a `ParameterError` that names neither the key nor anything of it,
before anything is sent, from the constructor or the environment, in the core and both
adapters. A server that echoes the key in any header, body, escape form or stream event
never gets it into an answer, an error (or its chain), metadata or a span.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import ernie_aiml
import pytest
from hardening_support import KEY, all_text
from hostile_support import (
    MODES,
    STREAM_MODES,
    HostileServer,
    answer,
    build,
    either,
    events,
    head,
    json_reply,
    results,
    run,
    sse_reply,
)

FRAMEWORKS = ["core", "lc", "li"]
#: `KEY` with every character a JSON `\u00XX` escape (what `ensure_ascii`-happy servers may do).
ESCAPED = "".join(f"\\u{ord(c):04x}" for c in KEY)


def ok() -> HostileServer:
    return HostileServer(
        either(lambda: json_reply(json.dumps(answer()).encode()), lambda: sse_reply(events()))
    )


@pytest.fixture
def server() -> Iterator[HostileServer]:
    srv = ok()
    yield srv
    srv.close()


def authorization(server: HostileServer) -> list[str]:
    found = []
    for request in server.requests:
        for line in request.head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"authorization":
                found.append(value.strip().decode())
    return found


# ------------------------------------------------------------------ the key as it is read


@pytest.mark.parametrize("spaced", [KEY + "\n", KEY + "\r\n", f"  {KEY}\t"], ids=repr)
@pytest.mark.parametrize("mode", MODES)
async def test_surrounding_whitespace_is_stripped_once_and_the_key_sent_clean(
    server: HostileServer, mode: str, spaced: str
) -> None:
    with pytest.warns(ernie_aiml.APIKeyWhitespaceWarning, match="stripped") as record:
        target = build(mode, server.base_url, key=spaced)
        await run(mode, target)
    assert len(record) == 1
    assert KEY not in str(record[0].message)
    assert authorization(server) == [f"Bearer {KEY}"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_whitespace_in_the_environment_is_stripped(
    server: HostileServer, framework: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIML_API_KEY", KEY + "\r\n")
    mode = {"core": "core-chat", "lc": "lc-invoke", "li": "li-chat"}[framework]
    with pytest.warns(ernie_aiml.APIKeyWhitespaceWarning, match="AIML_API_KEY"):
        await run(mode, build(mode, server.base_url, key=None))  # type: ignore[arg-type]
    assert authorization(server) == [f"Bearer {KEY}"]


BAD_KEYS = {
    "bearer": (f"Bearer {KEY}", "starts with 'Bearer '"),
    "bearer-lower": (f"bearer {KEY}", "starts with 'Bearer '"),
    "inner-newline": (KEY[:10] + "\n" + KEY[10:], "control character at position 10"),
    "inner-cr": (KEY[:10] + "\r" + KEY[10:], "control character at position 10"),
    "nul": (KEY + "\0", f"control character at position {len(KEY)}"),
    "non-ascii": (KEY + "é", f"non-ASCII character at position {len(KEY)}"),
    "surrogate": (KEY + "\ud800", f"non-ASCII character at position {len(KEY)}"),
    "inner-space": (KEY[:4] + " " + KEY[4:], "space character at position 4"),
    # JSON spells these `\\"` and `\\\\`: an echo would get past the masking
    "quote": (KEY[:6] + '"' + KEY[6:], "quote or backslash character at position 6"),
    "backslash": (KEY[:6] + "\\" + KEY[6:], "quote or backslash character at position 6"),
}


@pytest.mark.parametrize("case", list(BAD_KEYS))
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_malformed_key_is_refused_at_the_constructor(
    server: HostileServer, framework: str, case: str
) -> None:
    bad, what = BAD_KEYS[case]
    mode = {"core": "core-chat", "lc": "lc-invoke", "li": "li-chat"}[framework]
    with pytest.raises(ernie_aiml.ParameterError, match="api_key") as info:
        build(mode, server.base_url, key=bad)
    assert what in str(info.value)
    text = all_text(info.value)
    assert KEY not in text and KEY[10:] not in text and bad not in text
    assert server.requests == []


#: What an environment variable can hold (no NUL, no lone surrogate).
ENV_CASES = [case for case in BAD_KEYS if case not in ("nul", "surrogate")]


@pytest.mark.parametrize("case", ENV_CASES)
@pytest.mark.parametrize("mode", MODES)
async def test_malformed_key_in_the_environment_is_refused_before_sending(
    server: HostileServer, mode: str, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, what = BAD_KEYS[case]
    monkeypatch.setenv("AIMLAPI_API_KEY", bad)
    with pytest.raises(ernie_aiml.ParameterError, match="AIMLAPI_API_KEY") as info:
        await run(mode, build(mode, server.base_url, key=None))  # type: ignore[arg-type]
    assert what in str(info.value)
    assert KEY not in all_text(info.value) and KEY[10:] not in all_text(info.value)
    assert server.requests == []


# ------------------------------------------------------------------ echoes


def echo_headers() -> dict[str, str]:
    return {"x_request_id": f"req-{KEY}", "x_inference_id": f"inf-{KEY}", "x_echo": KEY}


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG (a notebook's `logging.basicConfig(level=logging.DEBUG)`):
    httpcore then traces each response's headers, an echoed key among them."""
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_logs_clean(logs: pytest.LogCaptureFixture) -> None:
    """No record holds the key, and httpcore's trace did show the echoing headers (masked)."""
    assert_clean(logs.text)
    traced = [r.getMessage() for r in logs.records if r.name == "httpcore.http11"]
    assert any("(b'x-echo', b'***')" in line for line in traced), traced


def assert_clean(text: str) -> None:
    assert KEY not in text
    assert ESCAPED not in text
    assert KEY.encode().hex() not in text


def _echoing_plain() -> Iterator[bytes]:
    body = json.dumps(answer(f"echo {KEY}", reasoning=f"why {KEY}")).replace(KEY, ESCAPED, 1)
    return json_reply(body.encode(), **echo_headers())


def _echoing_stream() -> Iterator[bytes]:
    chunks = events(f"echo {KEY} and {ESCAPED}", reasoning=f"why {KEY}")
    return sse_reply(chunks, **echo_headers())


@pytest.mark.parametrize("mode", MODES)
async def test_echoed_key_never_reaches_answers_metadata_or_spans(
    mode: str, otel: Any, debug_logs: pytest.LogCaptureFixture
) -> None:
    server = HostileServer(either(_echoing_plain, _echoing_stream))
    try:
        text = await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    assert "echo ***" in text and "why ***" in text  # the answer is kept, the key masked
    assert "req-***" in text or "inf-***" in text or mode.startswith("li")
    assert_clean(text)
    spans = [repr(dict(span.attributes or {})) + repr(span.events) for span in otel.spans]
    assert spans and all(KEY not in s for s in spans)
    assert_logs_clean(debug_logs)


ERRORS = {
    "status-json": lambda: json_reply(
        json.dumps({"message": f"bad key {KEY} / {ESCAPED}", "requestId": KEY}).encode(),
        status=401,
        **echo_headers(),
    ),
    "status-text": lambda: json_reply(f"<h1>{KEY}</h1>".encode(), status=500, **echo_headers()),
    "redirect": lambda: json_reply(
        b"", status=307, location=f"https://evil.example/?k={KEY}", **echo_headers()
    ),
    "not-json": lambda: json_reply(f'{{"k": "{KEY}", oops'.encode(), **echo_headers()),
    "escaped-not-json": lambda: json_reply(f'{{"k": "{ESCAPED}", oops'.encode()),
}


@pytest.mark.parametrize("case", list(ERRORS))
@pytest.mark.parametrize("mode", MODES)
async def test_echoed_key_never_reaches_errors(
    mode: str, case: str, otel: Any, debug_logs: pytest.LogCaptureFixture
) -> None:
    reply = ERRORS[case]
    server = HostileServer(lambda request: reply())
    try:
        with pytest.raises(Exception) as info:
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    assert isinstance(info.value, ernie_aiml.AIMLError) or mode.startswith("lc")
    text = all_text(info.value)
    current: BaseException | None = info.value
    while current is not None:  # JSONDecodeError.doc and any other attribute of the chain
        text += repr(vars(current)) + repr(getattr(current, "doc", ""))
        current = current.__cause__ or current.__context__
    assert_clean(text)
    spans = [repr(dict(span.attributes or {})) + repr(span.events) for span in otel.spans]
    assert all(KEY not in s for s in spans)
    assert_clean(debug_logs.text)
    if case != "escaped-not-json":  # the one reply without echoing headers
        assert_logs_clean(debug_logs)


@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_echoed_key_in_a_bad_stream_event_is_masked(mode: str) -> None:
    bad = [b'data: {"k": "' + KEY.encode() + b'", oops\n\n']
    server = HostileServer(lambda request: sse_reply(bad, **echo_headers()))
    try:
        with pytest.raises(Exception) as info:
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    text = all_text(info.value)
    current: BaseException | None = info.value
    while current is not None:
        text += repr(vars(current)) + repr(getattr(current, "doc", ""))
        current = current.__cause__ or current.__context__
    assert_clean(text)


def test_headers_never_reach_the_sent_request_unchecked(server: HostileServer) -> None:
    for headers in ({"X-A": "a\r\nb"}, {"X-A": "\ud800"}, {"X A": "v"}, {"X-A": "é"}):
        with pytest.raises(ernie_aiml.ParameterError, match="default_headers"):
            ernie_aiml.AIMLClient(api_key=KEY, base_url=server.base_url, default_headers=headers)
    assert server.requests == []


def test_head_helper_is_http() -> None:
    assert head(200).startswith(b"HTTP/1.1 200")


def _joined(mode: str, items: list[Any]) -> tuple[str, str]:
    """The streamed answer's content and reasoning as the caller would join them."""
    if mode.startswith("core"):
        deltas = [d for d in items if isinstance(d, ernie_aiml.Delta)]
        return "".join(d.content or "" for d in deltas), "".join(d.reasoning or "" for d in deltas)
    if mode.startswith("lc"):
        text = "".join(c.text for c in items)
        return text, "".join(c.additional_kwargs.get("reasoning_content", "") for c in items)
    text = "".join(r.delta or "" for r in items)
    reasoning = "".join(r.additional_kwargs.get("thinking_delta", "") or "" for r in items)
    return text, reasoning


def _split_stream(pieces: list[str], reasoning: list[str]) -> list[bytes]:
    chunks: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": {"reasoning_content": piece}}]} for piece in reasoning
    ]
    chunks += [{"choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces]
    chunks += [
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
    ]
    return [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks]


SPLITS = {
    "two": (["echo " + KEY[:9], KEY[9:] + " done"], "echo *** done"),
    "one-char-each": (["echo ", *KEY, " done"], "echo *** done"),
    "at-the-end": (["echo " + KEY[:5], KEY[5:]], "echo ***"),
    "a-prefix-that-is-not-the-key": (["yes " + KEY[:3], "and no"], "yes " + KEY[:3] + "and no"),
}


@pytest.mark.parametrize("case", list(SPLITS))
@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_a_key_split_across_stream_deltas_is_masked(mode: str, case: str) -> None:
    """A server that cuts the echoed key across deltas: each delta alone holds no key, the
    joined answer would. The stream holds back a tail that could begin the key until the
    next delta settles it, so the joined content and reasoning are masked and nothing else
    is lost or changed."""
    pieces, expected = SPLITS[case]
    streamed = _split_stream(pieces, ["why " + KEY[:12], KEY[12:]])
    server = HostileServer(lambda request: sse_reply(streamed))
    try:
        items = await results(mode, build(mode, server.base_url))
    finally:
        server.close()
    content, reasoning = _joined(mode, items)
    assert content == expected
    assert reasoning == "why ***"


@pytest.mark.parametrize("mode", ["lc-invoke", "lc-stream"])
async def test_a_key_echoed_as_a_header_name_is_masked(mode: str) -> None:
    """LangChain's `include_response_headers=True` copies every header, names too."""
    server = HostileServer(
        either(
            lambda: json_reply(json.dumps(answer()).encode(), **{KEY.lower(): "1"}),
            lambda: sse_reply(events(), **{KEY.lower(): "1"}),
        )
    )
    try:
        model = build(mode, server.base_url, key=KEY.lower(), include_response_headers=True)
        text = await run(mode, model)
    finally:
        server.close()
    assert KEY.lower() not in text
    assert "***" in text


def test_masking_a_hostile_run_of_backslashes_is_linear() -> None:
    """A body of a million backslashes before `u0073` (the escape of a key's first
    character): the escape pattern may not backtrack over the run (quadratic: about 17
    minutes for 1 MiB, holding the GIL). Run in a child process with a liveness bound, not
    a timing: linear work is milliseconds."""
    import subprocess
    import sys

    script = (
        "from ernie_aiml._transport.mask import masker\n"
        f"mask = masker({KEY!r})\n"
        "hostile = '\\\\' * (1024 * 1024) + 'u0073'\n"
        "assert mask.text(hostile) == hostile\n"
        f"escaped = ''.join(f'\\\\\\\\u{{ord(c):04x}}' for c in {KEY!r})\n"
        "assert mask.text(f'x {escaped} y') == 'x *** y', mask.text(f'x {escaped} y')\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_log_mask_masks_formatted_records_and_passes_malformed_ones() -> None:
    """`LogMask` on a record whose key arrives through `%` args (as a third-party library
    may log a header), and on a record whose args do not match its format: the first is
    masked in place, the second passed on untouched for its handler to report."""
    from ernie_aiml._transport.mask import LOGGERS, masker

    assert masker(KEY) is not None
    log_filter = next(f for f in logging.getLogger("httpcore.http11").filters)
    assert all(log_filter in logging.getLogger(name).filters for name in LOGGERS)

    def record(msg: str, args: tuple[Any, ...]) -> logging.LogRecord:
        return logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1, msg, args, None)

    echoed = record("headers=%r", ([(b"x-echo", KEY.encode())],))
    assert log_filter.filter(echoed) is True
    assert echoed.getMessage() == "headers=[(b'x-echo', b'***')]"
    bad = record("two %s %s", ("one",))
    assert log_filter.filter(bad) is True
    assert (bad.msg, bad.args) == ("two %s %s", ("one",))
    quiet = record("nothing to mask %s", ("here",))
    assert log_filter.filter(quiet) is True
    assert (quiet.msg, quiet.args) == ("nothing to mask %s", ("here",))
    # hpack prints the HTTP/2 headers it decodes (a caller's `httpx.Client(http2=True)`)
    decoded = logging.LogRecord(
        "hpack.hpack", logging.DEBUG, __file__, 1, "Decoded %s", ((b"x-echo", KEY.encode()),), None
    )
    assert log_filter.filter(decoded) is True
    assert decoded.getMessage() == "Decoded (b'x-echo', b'***')"


def test_a_key_in_use_stays_masked_in_logs_however_many_keys_come_after() -> None:
    """A multi-tenant process: every call makes its key known again before it is sent, so
    the key of a call in flight is masked in its log lines whatever keys came before."""
    from ernie_aiml._transport.mask import masker

    log_filter = next(f for f in logging.getLogger("httpcore.http11").filters)
    for i in range(600):
        masker(f"sk-tenant-{i:024d}")
        if i % 7 == 0:
            assert masker(KEY) is not None  # this tenant's calls keep coming
    masker(KEY)
    echoed = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1, KEY, (), None)
    assert log_filter.filter(echoed) is True
    assert echoed.getMessage() == "***"
