"""A stream request answered with one JSON body: the answer becomes the stream, an error raises."""

from __future__ import annotations

import httpx
import pytest
from _transport_helpers import BODY, Script, make_client
from ernie_aiml import RateLimitError, track_usage
from ernie_aiml.emulator import Emulator, JSONReply
from support import load_fixture

SEED = load_fixture("seeds/ernie-4.5-vl-424b-a47b.json")


def json_answer(body: dict, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers={"x-inference-id": "inf-json-1", **headers})


def test_a_complete_answer_becomes_the_one_delta() -> None:
    # meta.usage in the body wins over the header, as for non-streamed answers
    script = Script(json_answer(SEED, **{"x-aimlapi-credits-used": "63"}))
    client = make_client(script)
    with track_usage() as tally, client.stream(BODY) as stream:
        deltas = list(stream)
    assert len(deltas) == 1
    delta = deltas[0]
    message = SEED["choices"][0]["message"]
    assert (delta.content, delta.finish_reason, delta.inference_id) == (
        message["content"],
        SEED["choices"][0]["finish_reason"],
        "inf-json-1",
    )
    assert delta.usage is not None
    assert delta.usage.total_tokens == SEED["usage"]["total_tokens"]
    assert delta.credits_used == SEED["meta"]["usage"]["credits_used"] == 1055
    assert (tally.calls, tally.total_tokens, tally.credits_used) == (
        1,
        SEED["usage"]["total_tokens"],
        1055,
    )
    assert script.bodies[0]["stream"] is True


async def test_async_complete_answer() -> None:
    client = make_client(Script(json_answer(SEED)), asynchronous=True)
    async with client.astream(BODY) as stream:
        deltas = [d async for d in stream]
    assert [d.content for d in deltas] == [SEED["choices"][0]["message"]["content"]]


def test_a_json_error_body_raises_the_typed_error_with_the_servers_message() -> None:
    error = {
        "message": "Too Many Requests",
        "path": "/v1/chat/completions",
        "requestId": "req-json-429",
        "statusCode": "429",
        "timestamp": "2025-03-11T07:13:27.813Z",
    }
    client = make_client(Script(json_answer(error)))
    with pytest.raises(RateLimitError) as info, client.stream(BODY) as stream:
        list(stream)
    assert info.value.message == "Too Many Requests"
    assert info.value.request_id == "req-json-429"


def test_langchain_streams_a_json_answer(emulator: Emulator) -> None:
    from langchain_ernie_aiml import ChatErnieAIML

    emulator.enqueue(JSONReply(SEED))
    llm = ChatErnieAIML(api_key="test-key", base_url=emulator.base_url, max_retries=0)
    text = "".join(str(chunk.content) for chunk in llm.stream("hi"))
    assert text == SEED["choices"][0]["message"]["content"]


def test_llama_index_streams_a_json_answer(emulator: Emulator) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_ernie_aiml import ErnieAIML

    emulator.enqueue(JSONReply(SEED))
    llm = ErnieAIML(api_key="test-key", base_url=emulator.base_url, max_retries=0)
    last = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))[-1]
    assert last.message.content == SEED["choices"][0]["message"]["content"]
