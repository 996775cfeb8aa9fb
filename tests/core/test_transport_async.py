"""AIMLClient (async) on httpx.MockTransport: the main paths of the sync tests, plus loops."""

from __future__ import annotations

import asyncio
import json

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
    make_client,
    sse,
    sse_response,
    summary,
)
from ernie_aiml import DEFAULT_BASE_URL, AIMLClient, AsyncChatStream
from ernie_aiml._errors.classes import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InsecureTransportError,
    MissingAPIKeyError,
    ResponseParseError,
    ServerError,
    StreamError,
    StreamInterruptedError,
)
from ernie_aiml._observe.tally import track_usage
from support import mock_transport

ANSWER = {
    "id": "104959f043e51f1b4a4dd83c494886ab",
    "object": "chat.completion",
    "created": 1768829974,
    "model": "baidu/ernie-4.5-21B-a3b",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!", "reasoning_content": ""},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    "meta": {"usage": {"credits_used": 8}},
}


def ok(status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=ANSWER, headers={"x-inference-id": "inf-a"})


def aclient(script: Script, **kwargs: object) -> AIMLClient:
    return make_client(script, asynchronous=True, **kwargs)  # type: ignore[arg-type]


async def test_achat_wire_and_answer() -> None:
    script = Script(ok(201))
    with track_usage() as tally:
        completion = await aclient(script).achat(BODY, client_request_id="abc")
    assert (completion.content, completion.reasoning, completion.inference_id) == (
        "Hello!",
        None,
        "inf-a",
    )
    [request] = script.requests
    assert str(request.url) == URL
    assert request.content == json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"] == f"ernie-aiml/{ernie_aiml.__version__}"
    assert request.headers["x-client-request-id"] == "abc"
    assert (tally.calls, tally.total_tokens, tally.credits_used) == (1, 15, 8)


async def test_achat_missing_key_and_insecure_url() -> None:
    script = Script()
    with pytest.raises(MissingAPIKeyError):
        await aclient(script, api_key=None).achat(BODY)
    with pytest.raises(InsecureTransportError):
        await aclient(script, base_url="http://10.0.0.5/v1").achat(BODY)
    assert script.requests == []


async def test_achat_retries_503_three_attempts() -> None:
    sleeps: list[float] = []
    script = Script(*(aiml_error(503, "Service unavailable") for _ in range(3)))
    with pytest.raises(ServerError):
        await aclient(script, sleeps=sleeps).achat(BODY)
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]


async def test_achat_400_not_retried() -> None:
    script = Script(aiml_error(400, "Body validation error"), ok())
    with pytest.raises(BadRequestError) as info:
        await aclient(script).achat(BODY)
    assert str(info.value) == "Body validation error [status 400, request id req-400]"
    assert len(script.requests) == 1


async def test_achat_retry_after_ms() -> None:
    sleeps: list[float] = []
    script = Script(aiml_error(429, "Too Many Requests", **{"retry-after-ms": "40"}), ok())
    await aclient(script, sleeps=sleeps).achat(BODY)
    assert sleeps == [0.04]


async def test_achat_connection_error_and_timeout() -> None:
    script = Script(*(httpx.ConnectError("refused") for _ in range(3)))
    with pytest.raises(APIConnectionError) as info:
        await aclient(script).achat(BODY)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert len(script.requests) == 3
    script = Script(httpx.ReadTimeout("slow"), ok())
    assert (await aclient(script).achat(BODY)).content == "Hello!"
    script = Script(httpx.WriteTimeout("slow"))
    with pytest.raises(APITimeoutError) as timeout:
        await aclient(script, retry_policy=None, max_retries=0, timeout=9).achat(BODY)
    assert str(timeout.value) == f"Write timeout of 9 s on POST {URL} (attempt 1)"


async def test_astream_with_done() -> None:
    script = Script(sse_response(sse(FIRST, HELLO, WORLD, STOP, USAGE)))
    with track_usage() as tally:
        async with aclient(script).astream(BODY) as stream:
            assert isinstance(stream, AsyncChatStream)
            assert stream.inference_id == "inf-stream-1"
            deltas = [d async for d in stream]
    assert [summary(d) for d in deltas] == [
        ("assistant", "", "Let me think.", None, None),
        (None, "Hello", None, None, None),
        (None, " world", None, None, None),
        (None, None, None, "stop", "inf-stream-1"),
        (None, None, None, None, "inf-stream-1"),
    ]
    assert (tally.calls, tally.total_tokens, tally.credits_used) == (1, 614, 391)
    assert json.loads(script.requests[0].content) == {**BODY, "stream": True}


async def test_astream_without_done() -> None:
    script = Script(sse_response(sse(HELLO, STOP, USAGE, done=False)))
    deltas = [d async for d in aclient(script).astream(USAGE_BODY)]
    assert [d.content for d in deltas] == ["Hello", None, None]


async def test_astream_eof_before_finish() -> None:
    script = Script(sse_response(sse(HELLO, done=False)))
    got = []
    with pytest.raises(StreamInterruptedError):
        async for delta in aclient(script).astream(BODY):
            got.append(delta.content)
    assert got == ["Hello"]


async def test_astream_error_chunk_and_invalid_json() -> None:
    script = Script(
        sse_response(sse({"message": "Generation timeout", "statusCode": "504"})),
        sse_response(sse("data: nope\n\n")),
    )
    client = aclient(script)
    with pytest.raises(StreamError) as info:
        [d async for d in client.astream(BODY)]
    assert info.value.message == "Generation timeout"
    with pytest.raises(ResponseParseError):
        [d async for d in client.astream(BODY)]


async def test_astream_retried_before_start_not_after_yield() -> None:
    sleeps: list[float] = []
    broken = ChunkStream([sse(HELLO, done=False), httpx.ReadError("reset")])
    script = Script(aiml_error(502, "Bad Gateway"), sse_response(broken), sse_response(sse(STOP)))
    got = []
    with pytest.raises(StreamInterruptedError):
        async for delta in aclient(script, sleeps=sleeps).astream(BODY):
            got.append(delta.content)
    assert got == ["Hello"]
    assert len(script.requests) == 2
    assert sleeps == [0.5]
    assert broken.closed


async def test_astream_read_error_before_first_delta_retried() -> None:
    sleeps: list[float] = []
    script = Script(
        sse_response(ChunkStream([httpx.ReadError("reset")])), sse_response(sse(HELLO, STOP))
    )
    deltas = [d async for d in aclient(script, sleeps=sleeps).astream(BODY)]
    assert [d.content for d in deltas] == ["Hello", None]
    assert sleeps == [0.5]


async def test_astream_aclose_early_releases_connection() -> None:
    body = ChunkStream([sse(HELLO, done=False), sse(WORLD, done=False), sse(STOP)])
    stream = aclient(Script(sse_response(body))).astream(BODY)
    assert (await stream.__anext__()).content == "Hello"
    await stream.aclose()
    assert body.closed
    assert body.sent == 1
    assert [d async for d in stream] == []


async def test_alist_models() -> None:
    data = [{"id": "baidu/ernie-5.0"}]
    script = Script(httpx.Response(200, json={"data": data}))
    assert await aclient(script, api_key=None).alist_models() == data
    assert str(script.requests[0].url) == f"{DEFAULT_BASE_URL}/models"


async def test_caller_async_client_not_closed() -> None:
    http = httpx.AsyncClient(transport=mock_transport(Script(ok())))
    client = AIMLClient(api_key=KEY, http_async_client=http)
    await client.achat(BODY)
    await client.aclose()
    assert not http.is_closed
    await http.aclose()


async def test_own_async_client_reused_within_a_loop() -> None:
    client = AIMLClient(api_key=KEY)
    first = client._sender.async_client()
    assert client._sender.async_client() is first
    assert first.follow_redirects is False
    await client.aclose()
    assert first.is_closed
    assert client._sender.async_client() is not first
    await client.aclose()


def test_one_async_client_per_event_loop() -> None:
    client = AIMLClient(api_key=KEY)

    async def grab() -> httpx.AsyncClient:
        return client._sender.async_client()

    first = asyncio.run(grab())  # this loop is closed when asyncio.run returns
    second = asyncio.run(grab())
    assert first is not second
    assert not second.is_closed
    loop = asyncio.new_event_loop()
    try:
        third = loop.run_until_complete(grab())
        assert loop.run_until_complete(grab()) is third
        loop.run_until_complete(client.aclose())
        assert third.is_closed
    finally:
        loop.close()


async def test_async_pool_keeps_alive_and_early_close_leaks_nothing(emulator) -> None:
    from ernie_aiml.emulator import SSEReply, stream_events

    client = AIMLClient(api_key=KEY, base_url=emulator.base_url)

    def states() -> list[str]:
        pool = client._sender.async_client()._transport._pool  # type: ignore[attr-defined]
        return [
            "closed" if c.is_closed() else "idle" if c.is_idle() else "busy"
            for c in pool.connections
        ]

    try:
        emulator.enqueue(SSEReply(stream_events("one two three", chunk_size=4)))
        emulator.enqueue(SSEReply(stream_events("x" * 4000, chunk_size=4)))
        emulator.enqueue(SSEReply(stream_events("again", chunk_size=4), done=False))
        text = "".join([d.content or "" async for d in client.astream(BODY)])
        assert text == "one two three"
        assert "busy" not in states()  # over at the finish reason: closed, not leaked
        async with client.astream(BODY) as stream:
            await stream.__anext__()
        assert "busy" not in states()
        assert "".join([d.content or "" async for d in client.astream(BODY)]) == "again"
        assert "busy" not in states()
        assert len(emulator.requests) == 3
    finally:
        await client.aclose()
