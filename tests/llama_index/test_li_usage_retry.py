"""Real token counts reach TokenCountingHandler; one retry loop with the documented budget."""

from __future__ import annotations

import pytest
from ernie_aiml import BadRequestError, RateLimitError, ServerError, track_usage
from ernie_aiml.emulator import ErrorReply, JSONReply, SSEReply
from li_support import instant_retries, seed, seed_stream_events
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

USER = [ChatMessage(role="user", content="Hi! What do you think about mankind?")]


def _counter() -> TokenCountingHandler:
    # a tokenizer that would give different numbers: the counts must come from usage
    return TokenCountingHandler(tokenizer=lambda text: [0] * 10_000)


def test_token_counting_non_stream(emulator, make_llm) -> None:
    counter = _counter()
    llm = make_llm(callback_manager=CallbackManager([counter]))
    emulator.enqueue(
        JSONReply(seed("ernie-x1-turbo-32k")), JSONReply(seed("ernie-5-0-thinking-preview"))
    )
    llm.chat(USER)
    llm.complete("Hi")
    assert [e.prompt_token_count for e in counter.llm_token_counts] == [13, 13]
    assert [e.completion_token_count for e in counter.llm_token_counts] == [601, 1048]
    assert counter.total_llm_token_count == 614 + 1061


async def test_token_counting_streams(emulator, make_llm) -> None:
    counter = _counter()
    llm = make_llm(callback_manager=CallbackManager([counter]))
    body = seed("ernie-5-0-thinking-preview")
    emulator.enqueue(SSEReply(seed_stream_events(body)), SSEReply(seed_stream_events(body)))
    list(llm.stream_chat(USER))
    async for _ in await llm.astream_complete("Hi"):
        pass
    assert [(e.prompt_token_count, e.completion_token_count) for e in counter.llm_token_counts] == [
        (13, 1048),
        (13, 1048),
    ]


def test_credits_tallied_by_the_core(emulator, llm) -> None:
    emulator.enqueue(
        JSONReply(seed("ernie-x1-turbo-32k")),
        SSEReply(seed_stream_events(seed("ernie-5-0-thinking-preview"))),
    )
    with track_usage() as tally:
        llm.chat(USER)
        list(llm.stream_chat(USER))
    assert tally.calls == 2
    assert tally.credits_used == 391 + 2002
    assert tally.reasoning_tokens == 323 + 450


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [503, 429, 500])
def test_retry_budget_is_three_attempts(emulator, make_llm, status: int) -> None:
    llm = make_llm(retry_policy=instant_retries(2))
    emulator.enqueue(*[ErrorReply(status, "Service unavailable")] * 3)
    with pytest.raises((ServerError, RateLimitError)) as info:
        llm.chat(USER)
    assert "Service unavailable" in str(info.value)
    assert len(emulator.requests) == 3


def test_default_max_retries_builds_a_three_attempt_policy(make_llm) -> None:
    llm = make_llm()
    assert llm.aiml_client.retry_policy.max_attempts == 3
    assert make_llm(max_retries=0).aiml_client.retry_policy.max_attempts == 1


async def test_async_retry_then_success(emulator, make_llm) -> None:
    llm = make_llm(retry_policy=instant_retries(2))
    emulator.enqueue(
        ErrorReply(503, "busy"), ErrorReply(503, "busy"), JSONReply(seed("ernie-x1-turbo-32k"))
    )
    response = await llm.achat(USER)
    assert response.additional_kwargs["total_tokens"] == 614
    assert len(emulator.requests) == 3


def test_stream_retried_before_first_chunk(emulator, make_llm) -> None:
    llm = make_llm(retry_policy=instant_retries(2))
    body = seed("ernie-x1-turbo-32k")
    emulator.enqueue(ErrorReply(503, "busy"), SSEReply(seed_stream_events(body)))
    responses = list(llm.stream_chat(USER))
    assert responses[-1].message.content == body["choices"][0]["message"]["content"]
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("max_retries", [0, 2])
def test_bad_request_is_sent_once(emulator, make_llm, max_retries: int) -> None:
    llm = make_llm(retry_policy=instant_retries(max_retries))
    emulator.enqueue(ErrorReply(400, "Body validation error"))
    with pytest.raises(BadRequestError, match="Body validation error"):
        llm.chat(USER)
    assert len(emulator.requests) == 1


def test_max_retries_zero_is_one_attempt(emulator, make_llm) -> None:
    llm = make_llm(retry_policy=instant_retries(0))
    emulator.enqueue(ErrorReply(503, "busy"))
    with pytest.raises(ServerError):
        llm.chat(USER)
    assert len(emulator.requests) == 1


def test_timeout_is_a_typed_error(emulator, make_llm) -> None:
    from ernie_aiml import APITimeoutError
    from ernie_aiml.emulator import Hang

    llm = make_llm(timeout=0.3, retry_policy=instant_retries(0))
    emulator.enqueue(Hang())
    with pytest.raises(APITimeoutError) as info:
        llm.chat(USER)
    assert "timeout" in str(info.value).lower()
    assert len(emulator.requests) == 1
