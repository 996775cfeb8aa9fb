"""AIMLClient (sync) on httpx.MockTransport: wire format, retries, errors, streams, usage."""

from __future__ import annotations

import json
import logging

import ernie_aiml
import httpx
import pytest
from _transport_helpers import (
    BODY,
    FIRST,
    HELLO,
    KEY,
    STOP,
    URL,
    USAGE,
    USAGE_BODY,
    WORLD,
    ChunkStream,
    Script,
    aiml_error,
    chunk,
    make_client,
    sse,
    sse_response,
    summary,
)
from ernie_aiml import DEFAULT_BASE_URL, AIMLClient, ChatStream
from ernie_aiml._errors.classes import (
    AIMLError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DeprecatedModelError,
    InsecureTransportError,
    MissingAPIKeyError,
    NotFoundError,
    ParameterError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    StreamError,
    StreamInterruptedError,
)
from ernie_aiml._observe.tally import track_usage
from support import load_fixture, mock_transport

SEED = load_fixture("seeds/ernie-5-0-thinking-preview.json")


def ok(body: dict | None = None, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json=body if body is not None else SEED,
        headers={"x-inference-id": "inf-1", **headers},
    )


def assert_no_key(error: BaseException) -> None:
    assert KEY not in str(error)
    assert KEY not in repr(error)
    assert KEY not in str(getattr(error, "body", ""))


# ---------------------------------------------------------------- request wire


def test_chat_request_on_the_wire() -> None:
    script = Script(ok())
    client = make_client(script, default_headers={"X-Team": "search"})
    client.chat(BODY, client_request_id="run-42:a.b_c")
    [request] = script.requests
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.content == json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )
    assert (
        request.content
        == (
            '{"model":"baidu/ernie-5.0","messages":[{"role":"user","content":"Hi, 文心"}],'
            '"temperature":0.2}'
        ).encode()
    )
    headers = request.headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == f"ernie-aiml/{ernie_aiml.__version__}"
    assert headers["x-team"] == "search"
    assert headers["x-client-request-id"] == "run-42:a.b_c"
    assert not any("partner" in name.lower() for name in headers)


def test_no_client_request_id_header_unless_given() -> None:
    script = Script(ok())
    make_client(script).chat(BODY)
    assert "x-client-request-id" not in script.requests[0].headers


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, "ümlaut", "a/b", 42])
def test_invalid_client_request_id_is_refused_before_sending(bad: object) -> None:
    script = Script()
    with pytest.raises(ParameterError) as info:
        make_client(script).chat(BODY, client_request_id=bad)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"client_request_id must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got {bad!r})"
    )
    assert script.requests == []


def test_client_request_id_of_128_chars_is_accepted() -> None:
    script = Script(ok())
    make_client(script).chat(BODY, client_request_id="a" * 128)
    assert script.requests[0].headers["x-client-request-id"] == "a" * 128


def test_chat_drops_stream_flags() -> None:
    script = Script(ok())
    make_client(script).chat({**BODY, "stream": True, "stream_options": {"include_usage": True}})
    assert script.bodies == [BODY]


def test_body_that_is_not_json_is_a_parameter_error() -> None:
    script = Script()
    with pytest.raises(ParameterError, match="not JSON-serialisable"):
        make_client(script).chat({**BODY, "temperature": float("nan")})
    assert script.requests == []


# ---------------------------------------------------------------- settings, security


def test_missing_key_is_raised_at_first_request_not_construction() -> None:
    script = Script()
    client = make_client(script, api_key=None)
    with pytest.raises(MissingAPIKeyError) as info:
        client.chat(BODY)
    assert "AIML_API_KEY" in str(info.value) and "AIMLAPI_API_KEY" in str(info.value)
    assert script.requests == []


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    script = Script(ok())
    make_client(script, api_key=None).chat(BODY)
    assert script.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_secret_str_key_is_unwrapped() -> None:
    from pydantic import SecretStr

    script = Script(ok())
    make_client(script, api_key=SecretStr(KEY)).chat(BODY)
    assert script.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_plain_http_to_remote_host_is_refused_before_any_request() -> None:
    script = Script(ok())
    client = make_client(script, base_url="http://api.example.com/v1")
    with pytest.raises(InsecureTransportError):
        client.chat(BODY)
    with pytest.raises(InsecureTransportError):
        client.stream(BODY)
    with pytest.raises(InsecureTransportError):
        client.list_models()
    assert script.requests == []


def test_plain_http_to_loopback_and_explicit_opt_in_are_allowed() -> None:
    script = Script(ok(), ok())
    make_client(script, base_url="http://127.0.0.1:8123/v1/").chat(BODY)
    make_client(script, base_url="http://gateway.internal/v1", allow_insecure_http=True).chat(BODY)
    assert [str(r.url) for r in script.requests] == [
        "http://127.0.0.1:8123/v1/chat/completions",
        "http://gateway.internal/v1/chat/completions",
    ]


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIML_API_BASE", "https://proxy.example.org/v1/")
    script = Script(ok())
    make_client(script).chat(BODY)
    assert str(script.requests[0].url) == "https://proxy.example.org/v1/chat/completions"


def test_redirect_is_not_followed() -> None:
    script = Script(
        httpx.Response(307, headers={"location": "https://evil.example.net/v1/chat/completions"})
    )
    with pytest.raises(APIStatusError) as info:
        make_client(script).chat(BODY)
    assert type(info.value) is APIStatusError
    assert info.value.status_code == 307
    assert str(info.value) == (
        "HTTP 307 redirect to 'https://evil.example.net/v1/chat/completions' not followed: "
        "the API key is never sent to a redirect target; set base_url to the final address "
        "[status 307]"
    )
    assert len(script.requests) == 1


def test_repr_hides_the_key() -> None:
    client = make_client(Script())
    assert repr(client) == f"AIMLClient(base_url='{DEFAULT_BASE_URL}', max_retries=2)"
    assert KEY not in repr(vars(client).get("_base_headers"))


# ---------------------------------------------------------------- answers


def test_chat_parses_the_answer_and_records_usage() -> None:
    script = Script(ok())
    with track_usage() as tally:
        completion = make_client(script).chat(BODY)
    assert completion.content == SEED["choices"][0]["message"]["content"]
    assert completion.reasoning == SEED["choices"][0]["message"]["reasoning_content"]
    assert completion.model == "ernie-5.0-thinking-preview"
    assert completion.inference_id == "inf-1"
    assert completion.credits_used == 2002
    assert completion.flag == 0
    assert (tally.calls, tally.prompt_tokens, tally.completion_tokens, tally.total_tokens) == (
        1,
        13,
        1048,
        1061,
    )
    assert (tally.reasoning_tokens, tally.credits_used) == (450, 2002)


def test_201_is_success() -> None:
    completion = make_client(Script(ok(status=201))).chat(BODY)
    assert completion.finish_reason == "stop"


def test_credits_from_headers() -> None:
    body = {k: v for k, v in SEED.items() if k != "meta"}
    script = Script(
        ok(body, **{"x-aimlapi-credits-used": "17", "x-aimlapi-usd-spent": "0.0000085"})
    )
    with track_usage() as tally:
        completion = make_client(script).chat(BODY)
    assert (completion.credits_used, completion.usd_spent) == (17, 0.0000085)
    assert (tally.credits_used, tally.usd_spent) == (17, 0.0000085)


def test_invalid_json_answer_is_a_parse_error() -> None:
    script = Script(
        httpx.Response(200, content=b"<html>ok</html>", headers={"x-inference-id": "i9"})
    )
    with pytest.raises(ResponseParseError) as info:
        make_client(script).chat(BODY)
    assert str(info.value) == (
        "HTTP 200 answer is not JSON: '<html>ok</html>' [status 200, request id i9]"
    )
    assert len(script.requests) == 1


def test_error_body_with_2xx_is_typed() -> None:
    script = Script(ok({"message": "Too Many Requests", "statusCode": "429", "requestId": "r1"}))
    with pytest.raises(RateLimitError) as info:
        make_client(script).chat(BODY)
    assert info.value.request_id == "r1"


# ---------------------------------------------------------------- retries


def test_503_is_tried_three_times_with_backoff() -> None:
    sleeps: list[float] = []
    script = Script(*(aiml_error(503, "Service unavailable") for _ in range(3)))
    with pytest.raises(ServerError) as info:
        make_client(script, sleeps=sleeps).chat(BODY)
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]
    assert str(info.value) == "Service unavailable [status 503, request id req-503]"


def test_retry_then_success() -> None:
    sleeps: list[float] = []
    script = Script(aiml_error(500, "Internal server error"), ok())
    assert make_client(script, sleeps=sleeps).chat(BODY).inference_id == "inf-1"
    assert len(script.requests) == 2
    assert sleeps == [0.5]
    assert script.bodies[0] == script.bodies[1] == BODY


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "Body validation error", BadRequestError),
        (401, "This request requires a valid API key.", AuthenticationError),
        (403, "You've run out of credits. Please top up your balance.", PermissionDeniedError),
        (404, "Not Found", NotFoundError),
    ],
)
def test_client_errors_are_not_retried(status: int, message: str, cls: type) -> None:
    sleeps: list[float] = []
    script = Script(aiml_error(status, message), ok())
    with pytest.raises(cls) as info:
        make_client(script, sleeps=sleeps).chat(BODY)
    assert type(info.value) is cls
    assert info.value.message == message
    assert info.value.request_id == f"req-{status}"
    assert len(script.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    script = Script(aiml_error(status, "x"), aiml_error(status, "x"), ok())
    make_client(script).chat(BODY)
    assert len(script.requests) == 3


def test_max_retries_zero_is_one_attempt() -> None:
    script = Script(aiml_error(503, "Service unavailable"), ok())
    with pytest.raises(ServerError):
        make_client(script, retry_policy=None, max_retries=0).chat(BODY)
    assert len(script.requests) == 1


def test_retry_after_is_honoured() -> None:
    sleeps: list[float] = []
    script = Script(
        aiml_error(429, "Too Many Requests", **{"Retry-After": "3"}),
        aiml_error(429, "Too Many Requests", **{"retry-after-ms": "1250"}),
        ok(),
    )
    make_client(script, sleeps=sleeps).chat(BODY)
    assert sleeps == [3.0, 1.25]


def test_retry_after_is_capped() -> None:
    sleeps: list[float] = []
    script = Script(aiml_error(429, "Too Many Requests", **{"Retry-After": "86400"}), ok())
    make_client(script, sleeps=sleeps).chat(BODY)
    assert sleeps == [60.0]


def test_gateway_html_502_retried_then_typed() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    script = Script(*(httpx.Response(502, content=page, headers={"x-request-id": "gw-1"}),) * 3)
    with pytest.raises(ServerError) as info:
        make_client(script).chat(BODY)
    assert str(info.value) == (
        "HTTP 502 from the server: 502 Bad Gateway nginx [status 502, request id gw-1]"
    )
    assert len(script.requests) == 3


def test_connection_error_after_three_attempts() -> None:
    sleeps: list[float] = []
    script = Script(*(httpx.ConnectError("[Errno 111] Connection refused") for _ in range(3)))
    with pytest.raises(APIConnectionError) as info:
        make_client(script, sleeps=sleeps).chat(BODY)
    assert type(info.value) is APIConnectionError
    assert str(info.value) == (
        f"Connection error on POST {URL} (attempt 3): ConnectError: [Errno 111] Connection refused"
    )
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]
    assert_no_key(info.value)


def test_read_timeout_names_the_timeout() -> None:
    script = Script(*(httpx.ReadTimeout("timed out") for _ in range(3)))
    with pytest.raises(APITimeoutError) as info:
        make_client(script, timeout=42).chat(BODY)
    assert str(info.value) == (
        f"Read timeout of 42 s on POST {URL} (attempt 3); pass a larger timeout= for long reasoning"
    )
    assert len(script.requests) == 3


def test_connect_timeout_then_success() -> None:
    script = Script(httpx.ConnectTimeout("timed out"), ok())
    client = make_client(script)
    assert client.chat(BODY).content
    assert len(script.requests) == 2


def test_connect_timeout_message() -> None:
    script = Script(httpx.ConnectTimeout("timed out"))
    with pytest.raises(APITimeoutError) as info:
        make_client(script, retry_policy=None, max_retries=0, timeout=20).chat(BODY)
    assert str(info.value) == f"Connect timeout of 10 s on POST {URL} (attempt 1)"


def test_per_call_timeout_reaches_the_request() -> None:
    seen = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return ok()

    client = make_client(Script(capture, capture, capture), timeout=30)
    client.chat(BODY)
    client.chat(BODY, timeout=httpx.Timeout(5.0, connect=1.0))
    client.chat(BODY, timeout=900)
    assert seen == [
        {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0},
        {"connect": 1.0, "read": 5.0, "write": 5.0, "pool": 5.0},
        {"connect": 10.0, "read": 900.0, "write": 900.0, "pool": 900.0},
    ]


def test_own_client_default_timeouts() -> None:
    client = AIMLClient(api_key=KEY)
    assert client._timeout_for(None) == httpx.Timeout(
        connect=10.0, read=600.0, write=60.0, pool=60.0
    )
    assert client._sender.sync_client().timeout == client.timeout
    client.close()


def test_caller_client_timeout_is_used_unless_one_is_given() -> None:
    seen = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return ok()

    http = httpx.Client(transport=mock_transport(capture), timeout=7.0)
    AIMLClient(api_key=KEY, http_client=http).chat(BODY)
    AIMLClient(api_key=KEY, http_client=http, timeout=3.0).chat(BODY)
    assert seen == [7.0, 3.0]


# ---------------------------------------------------------------- key hygiene


def test_key_never_in_errors_even_if_the_server_echoes_it() -> None:
    script = Script(
        aiml_error(401, f"Invalid key {KEY}"),
        httpx.ConnectError(f"proxy said Bearer {KEY}"),
    )
    client = make_client(script, retry_policy=None, max_retries=0)
    for _ in range(2):
        with pytest.raises(AIMLError) as info:
            client.chat(BODY)
        assert_no_key(info.value)
    assert script.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_debug_log_has_no_key(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(aiml_error(503, "Service unavailable"), ok())
    with caplog.at_level(logging.DEBUG, logger="ernie_aiml"):
        make_client(script).chat(BODY)
    messages = [r.getMessage() for r in caplog.records if r.name == "ernie_aiml"]
    assert messages == [
        f"POST {URL} -> 503 (attempt 1, request id None)",
        f"retrying POST {URL} in 0.500 s after ServerError (attempt 2 of 3)",
        f"POST {URL} -> 200 (attempt 2, request id inf-1)",
    ]
    assert KEY not in caplog.text


# ---------------------------------------------------------------- streams


def test_stream_with_done() -> None:
    script = Script(sse_response(sse(FIRST, HELLO, WORLD, STOP, USAGE)))
    client = make_client(script)
    with track_usage() as tally, client.stream(BODY) as stream:
        assert stream.inference_id == "inf-stream-1"
        deltas = list(stream)
    assert [summary(d) for d in deltas] == [
        ("assistant", "", "Let me think.", None, None),
        (None, "Hello", None, None, None),
        (None, " world", None, None, None),
        (None, None, None, "stop", "inf-stream-1"),
        (None, None, None, None, "inf-stream-1"),
    ]
    last = deltas[-1]
    assert (
        last.usage.prompt_tokens,
        last.usage.completion_tokens,
        last.usage.reasoning_tokens,
    ) == (
        13,
        601,
        323,
    )
    assert (last.credits_used, last.usd_spent) == (391, 0.000195)
    assert (tally.calls, tally.total_tokens, tally.reasoning_tokens) == (1, 614, 323)
    assert (tally.credits_used, tally.usd_spent) == (391, 0.000195)
    [request] = script.requests
    assert request.headers["accept"] == "text/event-stream"
    assert json.loads(request.content) == {**BODY, "stream": True}


@pytest.mark.filterwarnings("ignore::ernie_aiml.MissingUsageWarning")  # scripted without usage
def test_stream_body_keeps_stream_options() -> None:
    body = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
    script = Script(sse_response(sse(STOP)))
    list(make_client(script).stream(body))
    assert script.bodies == [body]


def test_stream_without_done_after_finish_and_usage() -> None:
    script = Script(sse_response(sse(HELLO, STOP, USAGE, done=False)))
    with track_usage() as tally:
        deltas = list(make_client(script).stream(BODY))
    assert [d.content for d in deltas] == ["Hello", None, None]
    assert tally.calls == 1 and tally.credits_used == 391


def test_stream_without_done_after_finish_only() -> None:
    script = Script(sse_response(sse(HELLO, STOP, done=False)))
    assert [d.finish_reason for d in make_client(script).stream(BODY)] == [None, "stop"]


def test_stream_last_event_without_blank_line() -> None:
    body = sse(HELLO, done=False) + b"data: " + json.dumps(STOP).encode()
    script = Script(sse_response(body))
    assert [d.finish_reason for d in make_client(script).stream(BODY)] == [None, "stop"]


def test_stream_eof_before_finish_is_interrupted() -> None:
    script = Script(sse_response(sse(FIRST, HELLO, done=False)))
    got = []
    with track_usage() as tally, pytest.raises(StreamInterruptedError) as info:
        stream = make_client(script).stream(BODY)
        for delta in stream:
            got.append(delta.content)
    assert got == ["", "Hello"]
    assert str(info.value) == (
        "stream ended before the server finished (no finish reason, usage or [DONE]); "
        "the answer is incomplete [request id inf-stream-1]"
    )
    # a call that failed before any usage arrived still counts as a (failed) call
    assert (tally.calls, tally.failed_calls, tally.total_tokens) == (1, 1, 0)
    assert len(script.requests) == 1


def test_stream_error_chunk() -> None:
    error = {"error": {"message": "The model is overloaded", "type": "server_error"}}
    script = Script(sse_response(sse(HELLO, error)))
    with pytest.raises(StreamError) as info:
        list(make_client(script).stream(BODY))
    assert info.value.message == "The model is overloaded"
    assert info.value.request_id == "inf-stream-1"


def test_stream_invalid_json() -> None:
    script = Script(sse_response(sse(HELLO, "data: {not json\n\n")))
    stream = make_client(script).stream(BODY)
    with pytest.raises(ResponseParseError) as info:
        list(stream)
    assert str(info.value) == (
        "stream event is not valid JSON: '{not json' [request id inf-stream-1]"
    )


def test_stream_comments_and_keep_alives_skipped() -> None:
    script = Script(sse_response(sse(": keep-alive\n\n", HELLO, ":\n\n", STOP)))
    assert [d.content for d in make_client(script).stream(BODY)] == ["Hello", None]


def test_stream_usage_chunk_with_empty_choices_and_meta() -> None:
    script = Script(sse_response(sse(STOP, USAGE)))
    deltas = list(make_client(script).stream(USAGE_BODY))
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.total_tokens == 614
    assert deltas[-1].content is None
    assert deltas[-1].credits_used == 391


def test_stream_split_reads_and_crlf() -> None:
    payload = sse(FIRST, HELLO, STOP, USAGE).replace(b"\n", b"\r\n")
    reads: list[bytes | Exception] = [payload[i : i + 7] for i in range(0, len(payload), 7)]
    script = Script(sse_response(ChunkStream(reads)))
    assert [d.content for d in make_client(script).stream(USAGE_BODY)] == ["", "Hello", None, None]


def test_stream_status_error_retried_before_start() -> None:
    sleeps: list[float] = []
    script = Script(aiml_error(503, "Service unavailable"), sse_response(sse(HELLO, STOP)))
    assert [d.content for d in make_client(script, sleeps=sleeps).stream(BODY)] == ["Hello", None]
    assert len(script.requests) == 2
    assert sleeps == [0.5]


def test_stream_status_error_raised_on_enter() -> None:
    script = Script(aiml_error(401, "This request requires a valid API key."))
    stream = make_client(script).stream(BODY)
    assert script.requests == []  # lazy until entered or iterated
    with pytest.raises(AuthenticationError), stream:
        pass
    assert len(script.requests) == 1


def test_stream_read_error_before_first_delta_is_retried() -> None:
    sleeps: list[float] = []
    broken = ChunkStream([b": hello\n\n", httpx.ReadError("connection reset")])
    script = Script(sse_response(broken), sse_response(sse(HELLO, STOP)))
    deltas = list(make_client(script, sleeps=sleeps).stream(BODY))
    assert [d.content for d in deltas] == ["Hello", None]
    assert len(script.requests) == 2
    assert sleeps == [0.5]
    assert broken.closed


def test_stream_not_retried_after_yielding() -> None:
    sleeps: list[float] = []
    broken = ChunkStream([sse(HELLO, done=False), httpx.RemoteProtocolError("peer closed")])
    script = Script(sse_response(broken), sse_response(sse(HELLO, STOP)))
    got = []
    with pytest.raises(StreamInterruptedError) as info:
        for delta in make_client(script, sleeps=sleeps).stream(BODY):
            got.append(delta.content)
    assert got == ["Hello"]
    assert str(info.value) == (
        "stream interrupted by a RemoteProtocolError: peer closed; the answer is incomplete "
        "[request id inf-stream-1]"
    )
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert len(script.requests) == 1
    assert sleeps == []


def test_stream_read_timeout_mid_stream() -> None:
    broken = ChunkStream([sse(HELLO, done=False), httpx.ReadTimeout("timed out")])
    with pytest.raises(StreamInterruptedError) as info:
        list(make_client(Script(sse_response(broken))).stream(BODY))
    assert str(info.value).startswith("stream interrupted by a read timeout: timed out;")


def test_stream_connection_error_exhausts_retries() -> None:
    script = Script(*(httpx.ConnectError("refused") for _ in range(3)))
    with pytest.raises(APIConnectionError):
        list(make_client(script).stream(BODY))
    assert len(script.requests) == 3


def test_closing_early_releases_the_connection() -> None:
    body = ChunkStream([sse(HELLO, done=False), sse(WORLD, done=False), sse(STOP)])
    script = Script(sse_response(body))
    with track_usage() as tally:
        with make_client(script).stream(BODY) as stream:
            assert next(stream).content == "Hello"
        assert body.closed
        assert body.sent == 1
        assert list(stream) == []
    # a request was sent: it counts as a call, with no usage (none arrived)
    assert (tally.calls, tally.failed_calls, tally.total_tokens) == (1, 0, 0)


def test_stream_close_without_iterating() -> None:
    body = ChunkStream([sse(HELLO, STOP)])
    script = Script(sse_response(body))
    stream = make_client(script).stream(BODY).open()
    assert stream.headers["x-inference-id"] == "inf-stream-1"
    stream.close()
    assert body.closed


def test_stream_headers_empty_before_connecting() -> None:
    stream = make_client(Script()).stream(BODY)
    assert isinstance(stream, ChatStream)
    assert stream.headers == httpx.Headers()
    assert stream.inference_id is None
    stream.close()


def test_stream_ignores_what_follows_done() -> None:
    body = ChunkStream([sse(HELLO), b"data: " + json.dumps(WORLD).encode() + b"\n\n"])
    deltas = list(make_client(Script(sse_response(body))).stream(BODY))
    assert [d.content for d in deltas] == ["Hello"]
    assert body.sent == 1  # nothing after [DONE] is read
    assert body.closed


def test_stream_tool_call_chunks_pass_through() -> None:
    call = chunk(
        {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": "{\"city\""}}]}
    )  # fmt: skip
    more = chunk({"tool_calls": [{"index": 0, "function": {"arguments": ':"Paris"}'}}]})
    script = Script(sse_response(sse(call, more, chunk({}, "tool_calls"))))
    deltas = list(make_client(script).stream(BODY))
    assert [[(c.index, c.id, c.name, c.arguments) for c in d.tool_call_chunks] for d in deltas] == [
        [(0, "call_1", "get_weather", '{"city"')],
        [(0, None, None, ':"Paris"}')],
        [],
    ]


# ---------------------------------------------------------------- models, clients


def test_list_models_without_key() -> None:
    data = [{"id": "baidu/ernie-5.0", "aliases": [], "type": "openai/chat-completions"}]
    script = Script(httpx.Response(200, json={"data": data}))
    assert make_client(script, api_key=None).list_models() == data
    [request] = script.requests
    assert request.method == "GET"
    assert str(request.url) == f"{DEFAULT_BASE_URL}/models"
    assert "authorization" not in request.headers
    assert "content-type" not in request.headers
    assert request.content == b""


def test_list_models_sends_key_when_known() -> None:
    script = Script(httpx.Response(200, json={"data": []}))
    assert make_client(script).list_models() == []
    assert script.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_list_models_without_data_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError):
        make_client(Script(httpx.Response(200, json={"models": []}))).list_models()


def test_deprecated_model_404_carries_hint() -> None:
    script = Script(aiml_error(404, "Model is deprecated"))
    with pytest.raises(DeprecatedModelError) as info:
        make_client(script).chat({**BODY, "model": "baidu/ernie-4.5-0.3b"})
    assert info.value.hint is not None
    assert info.value.hint.startswith("baidu/ernie-4.5-0.3b is listed by AI/ML API as deprecated")


def test_caller_client_is_not_closed() -> None:
    http = httpx.Client(transport=mock_transport(Script(ok())))
    client = AIMLClient(api_key=KEY, http_client=http)
    client.chat(BODY)
    client.close()
    assert not http.is_closed


def test_own_client_is_pooled_and_closed() -> None:
    client = AIMLClient(api_key=KEY)
    first = client._sender.sync_client()
    assert client._sender.sync_client() is first
    assert first.follow_redirects is False
    client.close()
    assert first.is_closed
    second = client._sender.sync_client()
    assert second is not first
    client.close()


# ---------------------------------------------------------------- real pool (loopback emulator)


def _pool_state(client: AIMLClient) -> list[str]:
    pool = client._sender.sync_client()._transport._pool  # type: ignore[attr-defined]
    return [
        "closed" if c.is_closed() else "idle" if c.is_idle() else "busy" for c in pool.connections
    ]


def test_pool_keeps_alive_and_early_close_leaks_nothing(emulator) -> None:
    from ernie_aiml.emulator import SSEReply, stream_events

    client = AIMLClient(api_key=KEY, base_url=emulator.base_url)
    try:
        emulator.enqueue(SSEReply(stream_events("one two three", chunk_size=4)))
        emulator.enqueue(SSEReply(stream_events("x" * 4000, chunk_size=4)))
        emulator.enqueue(SSEReply(stream_events("again", chunk_size=4)))
        assert "".join(d.content or "" for d in client.stream(BODY)) == "one two three"
        # over at the finish reason: nothing more is read, the connection closed, not leaked
        assert "busy" not in _pool_state(client)
        with client.stream(BODY) as stream:
            next(stream)
            next(stream)
        assert "busy" not in _pool_state(client)
        assert "".join(d.content or "" for d in client.stream(BODY)) == "again"
        assert "busy" not in _pool_state(client)
        assert [r.headers["authorization"] for r in emulator.requests] == [f"Bearer {KEY}"] * 3
    finally:
        client.close()


# ---------------------------------------------------------------- headers, scrubbing, encoding


def test_completion_carries_the_response_headers() -> None:
    script = Script(ok(**{"X-AIMLAPI-Credits-Used": "17", "x-request-id": "req-7"}))
    completion = make_client(script).chat(BODY)
    assert completion.headers is not None
    assert completion.headers["x-inference-id"] == "inf-1"
    assert completion.headers["x-aimlapi-credits-used"] == "17"
    assert completion.headers["x-request-id"] == "req-7"


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": f"bad key {KEY}", "code": 401}},
        {"message": f"bad key {KEY}", "statusCode": "401", "requestId": "r-1"},
    ],
    ids=["error-object", "flat"],
)
def test_key_echoed_in_a_2xx_error_body_is_scrubbed(body: dict) -> None:
    with pytest.raises(AuthenticationError) as info:
        make_client(Script(ok(body))).chat(BODY)
    assert_no_key(info.value)
    assert info.value.message == "bad key ***"


@pytest.mark.parametrize(
    "event",
    [
        {"error": {"message": f"bad key {KEY}"}},
        {"message": f"bad key {KEY}", "statusCode": "401"},
    ],
    ids=["error-object", "flat"],
)
def test_key_echoed_in_a_stream_error_is_scrubbed(event: dict) -> None:
    script = Script(sse_response(sse(FIRST, event)))
    with pytest.raises(StreamError) as info:
        list(make_client(script).stream(BODY))
    assert_no_key(info.value)
    assert info.value.message == "bad key ***"
    assert "***" in json.dumps(info.value.body)
    assert info.value.request_id == "inf-stream-1"
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_stream_error_with_its_own_request_id_keeps_it() -> None:
    event = {"message": "overloaded", "statusCode": 503, "requestId": "srv-9"}
    with pytest.raises(StreamError) as info:
        list(make_client(Script(sse_response(sse(FIRST, event)))).stream(BODY))
    assert (info.value.message, info.value.status_code) == ("overloaded", 503)
    assert info.value.request_id == "srv-9"
    assert info.value.body == event


def test_gzip_encoded_stream_is_decoded() -> None:
    import gzip

    payload = gzip.compress(sse(FIRST, HELLO, WORLD, STOP, USAGE))
    stream = ChunkStream([payload[:10], payload[10:]])
    script = Script(sse_response(stream, **{"content-encoding": "gzip"}))
    deltas = list(make_client(script).stream(BODY))
    assert "".join(d.content or "" for d in deltas) == "Hello world"
