"""Real AIML answers (tests/fixtures/seeds) through `ChatErnieAIML`: exact values out."""

from __future__ import annotations

import pytest
from ernie_aiml.emulator import JSONReply
from lc_support import SEED_MODELS, model_for, seed

from langchain_ernie_aiml import get_aiml_usage_callback

pytestmark = pytest.mark.filterwarnings("ignore::ernie_aiml._catalog.DeprecatedModelWarning")


def _expected(name: str) -> tuple[dict, dict, dict]:
    body = seed(name)
    return body, body["choices"][0], body["usage"]


@pytest.mark.parametrize("name", sorted(SEED_MODELS))
def test_invoke_maps_every_seed_exactly(emulator, name: str) -> None:
    body, choice, usage = _expected(name)
    emulator.enqueue(JSONReply(body))
    message = model_for(emulator, model=SEED_MODELS[name]).invoke(
        "Hi! What do you think about mankind?"
    )

    assert message.content == choice["message"]["content"]
    reasoning = choice["message"].get("reasoning_content")
    if reasoning:
        assert message.additional_kwargs["reasoning_content"] == reasoning
        assert message.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    else:  # x1.1 sends "" and the others none: no empty key
        assert "reasoning_content" not in message.additional_kwargs
        assert message.content_blocks[0]["type"] == "text"
    expected_usage = {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    details = usage.get("completion_tokens_details") or {}
    if "reasoning_tokens" in details:
        expected_usage["output_token_details"] = {"reasoning": details["reasoning_tokens"]}
    assert message.usage_metadata == expected_usage
    meta = message.response_metadata
    assert meta["model_name"] == SEED_MODELS[name]
    assert meta["server_model_name"] == body["model"]
    assert meta["model_provider"] == "ernie_aiml"
    assert meta["credits_used"] == body["meta"]["usage"]["credits_used"]
    assert meta["finish_reason"] == "stop"
    assert meta["id"] == message.id == body["id"]
    assert meta["token_usage"] == usage
    if "flag" in choice:
        assert meta["flag"] == choice["flag"]
    else:
        assert "flag" not in meta
    assert "usd_spent" not in meta
    assert meta["inference_id"]  # the emulator's x-inference-id header


@pytest.mark.parametrize("name", ["ernie-x1-turbo-32k", "ernie-4.5-vl-424b-a47b"])
async def test_ainvoke_maps_seed_exactly(emulator, name: str) -> None:
    body, choice, usage = _expected(name)
    emulator.enqueue(JSONReply(body))
    message = await model_for(emulator, model=SEED_MODELS[name]).ainvoke("Hi!")
    assert message.content == choice["message"]["content"]
    assert message.additional_kwargs.get("reasoning_content") == choice["message"].get(
        "reasoning_content"
    )
    assert message.usage_metadata["total_tokens"] == usage["total_tokens"]
    assert message.response_metadata["credits_used"] == body["meta"]["usage"]["credits_used"]


def test_usd_from_header_when_body_has_none(emulator) -> None:
    body = seed("ernie-4.5-21b-a3b")
    del body["meta"]
    emulator.enqueue(
        JSONReply(
            body, headers={"x-aimlapi-credits-used": "301", "x-aimlapi-usd-spent": "0.000391"}
        )
    )
    meta = model_for(emulator, model="baidu/ernie-4.5-21b-a3b").invoke("Hi").response_metadata
    assert meta["credits_used"] == 301
    assert meta["usd_spent"] == pytest.approx(0.000391)


async def test_usage_callback_sums_sync_async_and_streams(emulator) -> None:
    seeds = ["ernie-x1-turbo-32k", "ernie-5-0-thinking-preview", "ernie-4.5-vl-424b-a47b"]
    with get_aiml_usage_callback() as cb:
        emulator.enqueue(JSONReply(seed(seeds[0])))
        model_for(emulator, model=SEED_MODELS[seeds[0]]).invoke("Hi")
        emulator.enqueue(JSONReply(seed(seeds[1])))
        await model_for(emulator, model=SEED_MODELS[seeds[1]]).ainvoke("Hi")
        emulator.enqueue(JSONReply(seed(seeds[2])))
        model_for(emulator, model=SEED_MODELS[seeds[2]]).batch(["Hi"])
        streamed = list(model_for(emulator).stream("Hello"))  # default responder
        astreamed = [c async for c in model_for(emulator).astream("Hello")]
    stream_usage = next(c.usage_metadata for c in streamed if c.usage_metadata)
    astream_usage = next(c.usage_metadata for c in astreamed if c.usage_metadata)
    bodies = [seed(n) for n in seeds]
    assert cb.successful_requests == 5
    assert (
        cb.prompt_tokens
        == sum(b["usage"]["prompt_tokens"] for b in bodies) + 2 * stream_usage["input_tokens"]
    )
    assert cb.total_tokens == sum(b["usage"]["total_tokens"] for b in bodies) + (
        stream_usage["total_tokens"] + astream_usage["total_tokens"]
    )
    assert cb.reasoning_tokens == 323 + 450 + (
        stream_usage["output_token_details"]["reasoning"]
        + astream_usage["output_token_details"]["reasoning"]
    )
    streamed_credits = next(
        c.response_metadata["credits_used"] for c in streamed if c.chunk_position == "last"
    )
    assert cb.credits_used == 391 + 2002 + 1055 + 2 * streamed_credits
    # the seeds carry no USD; the emulator's streams do, at $1 = 2,000,000 credits
    assert cb.usd_spent == pytest.approx(2 * streamed_credits / 2_000_000)
    assert "Credits Used" in repr(cb)
    # outside the block nothing is counted any more
    emulator.enqueue(JSONReply(seed(seeds[0])))
    model_for(emulator, model=SEED_MODELS[seeds[0]]).invoke("Hi")
    assert cb.successful_requests == 5


def test_cache_read_tokens(emulator) -> None:
    body = seed("ernie-4.5-21b-a3b")
    body["usage"]["prompt_tokens_details"] = {"cached_tokens": 12}
    emulator.enqueue(JSONReply(body))
    usage = model_for(emulator, model="baidu/ernie-4.5-21b-a3b").invoke("Hi").usage_metadata
    assert usage == {
        "input_tokens": 16,
        "output_tokens": 495,
        "total_tokens": 511,
        "input_token_details": {"cache_read": 12},
    }


async def test_usage_callback_sees_threaded_batch_and_abatch(emulator) -> None:
    model = model_for(emulator)
    with get_aiml_usage_callback() as cb:
        answers = model.batch(["Hello a", "Hello b", "Hello c"])
        answers += await model.abatch(["Hello d", "Hello e"])
    assert cb.successful_requests == 5
    assert cb.total_tokens == sum(a.usage_metadata["total_tokens"] for a in answers)
    assert cb.credits_used == sum(a.response_metadata["credits_used"] for a in answers)
