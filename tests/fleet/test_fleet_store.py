"""A shared budget and rate limit in one process, on a real Redis: one logical call counts
once, setup is idempotent, windows, reservations, waits, and both adapters."""

from __future__ import annotations

from typing import Any

import ernie_aiml
import pytest
import redis
from ernie_aiml import (
    AIMLClient,
    FleetBudget,
    Message,
    ParameterError,
    RateLimiter,
    RateLimitTimeoutError,
    RetryPolicy,
    build_chat_request,
    track_usage,
)
from ernie_aiml.emulator import ErrorReply
from fleet_support import MODEL

BODY = build_chat_request(MODEL, [Message(role="user", content="Hi")])
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


@pytest.fixture
def client(emulator: Any) -> AIMLClient:
    """A client of the emulator whose retries never sleep."""
    policy = RetryPolicy(sleep=lambda _: None, random=lambda: 0.0)
    return AIMLClient(api_key="sk-test", base_url=emulator.base_url, retry_policy=policy)


def test_retries_and_the_tool_choice_fallback_count_once(
    client: AIMLClient, emulator: Any, store: str, name: str
) -> None:
    emulator.enqueue(ErrorReply(500, "Internal server error"))
    forced = build_chat_request(
        "baidu/ernie-5.0", [Message(role="user", content="Hi")], tools=[TOOL]
    ) | {"tool_choice": "required"}
    with track_usage(max_calls=2, store=store, name=name) as shared:
        client.chat(BODY)  # a 500, then the retry: one call
        emulator.enqueue(ErrorReply(400, "tool_choice 'required' is not supported"))
        emulator.enqueue(ErrorReply(400, "tool_choice 'required' is not supported"))
        assert client.chat(forced).tool_choice_fallback == "tool_choice=auto"
        with pytest.raises(ernie_aiml.BudgetExceededError):
            client.chat(BODY)
    assert len(emulator.chat_requests) == 5
    tally = shared.snapshot()
    assert (tally.calls, tally.failed_calls) == (2, 0)
    assert shared.remaining() == {"max_calls": 0}


def test_a_late_joiner_never_resets_and_other_limits_are_refused(
    client: AIMLClient, store: str, name: str
) -> None:
    with track_usage(max_calls=5, store=store, name=name) as first:
        assert first.created
        client.chat(BODY)
    with track_usage(max_calls=5, store=store, name=name) as again:
        assert not again.created
        assert again.snapshot().calls == 1  # joined, not reset
    with pytest.raises(ParameterError, match=r"max_calls=7 differs from the shared budget"):
        track_usage(max_calls=7, store=store, name=name)
    joiner = FleetBudget(store=store, name=name).open()  # no limits: adopts the stored ones
    assert (joiner.max_calls, joiner.remaining()) == (5, {"max_calls": 4})
    joiner.reset()
    assert joiner.snapshot().calls == 0 and joiner.remaining() == {"max_calls": 5}


def test_a_daily_budget_counts_in_the_utc_day_of_the_store_clock(
    client: AIMLClient, store: str, name: str
) -> None:
    with track_usage(max_credits=1000, store=store, name=name, per="day") as daily:
        client.chat(BODY)
    server = redis.Redis.from_url(store)
    seconds, _ = server.time()
    day = seconds // 86400
    key = f"ernie_aiml:budget:{{{name}}}:t:{day}"
    assert server.hget(key, "credits_used") == b"17"
    # kept until the end of the next day, then gone by itself
    assert 0 < server.pttl(key) <= ((day + 2) * 86400 - seconds) * 1000
    assert daily.snapshot().credits_used == 17
    server.close()


def test_a_hard_ceiling_without_a_known_rate_runs_the_first_call_alone(
    client: AIMLClient, emulator: Any, store: str, name: str
) -> None:
    model = "baidu/ernie-5.0"
    first = build_chat_request(model, [Message(role="user", content="Hi")]) | {"max_tokens": 50}
    redis.Redis.from_url(store).hdel("ernie_aiml:rates", f"credits:{model}", f"usd:{model}")
    with track_usage(max_credits=10_000, store=store, name=name, hard_ceiling=True) as hard:
        with client.stream(first) as stream:
            next(iter(stream))
            assert hard.remaining() == {"max_credits": 0}  # it holds all that is left
            with pytest.raises(ernie_aiml.BudgetExceededError, match="its first call runs alone"):
                client.chat(first)
            list(stream)
        client.chat(first)  # the rate is known now: calls reserve their worst case
        client.chat(first)
    assert hard.snapshot().calls == 3
    assert hard.remaining()["max_credits"] == 10_000 - emulator.credits_charged


def test_a_wait_beyond_max_wait_raises_without_sending_or_taking_a_slot(
    client: AIMLClient, emulator: Any, store: str, name: str
) -> None:
    limiter = RateLimiter(store=store, name=name, rpm=1, max_wait=0.5)
    limited = AIMLClient(api_key="k", base_url=emulator.base_url, rate_limiter=limiter)
    limited.chat(BODY)  # the first slot is free
    with pytest.raises(RateLimitTimeoutError, match=r"would hold this call 59\.\d+ s, longer"):
        limited.chat(BODY)
    assert len(emulator.chat_requests) == 1
    assert limiter.acquire(blocking=False) is False
    limited.close()


def test_tokens_per_minute_hold_calls_once_a_minute_of_tokens_is_spent(
    emulator: Any, store: str, name: str
) -> None:
    limiter = RateLimiter(store=store, name=name, tpm=12, max_wait=1)
    limited = AIMLClient(api_key="k", base_url=emulator.base_url, rate_limiter=limiter)
    limited.chat(BODY)  # 11 tokens: under the minute's 12
    limited.chat(BODY)  # starts (the minute is not over its limit yet), 11 more
    with pytest.raises(RateLimitTimeoutError):
        limited.chat(BODY)
    assert len(emulator.chat_requests) == 2
    limited.close()


def _slots_ahead(store: str, name: str, interval_ms: int) -> float:
    """How many request slots are taken ahead of now on a limiter."""
    server = redis.Redis.from_url(store)
    seconds, micros = server.time()
    tat = int(server.get(f"ernie_aiml:rate:{{{name}}}:req") or 0)
    server.close()
    return (tat - (seconds * 1000 + micros // 1000)) / interval_ms


def test_langchain_takes_one_slot_per_call_and_the_client_counts_tokens(
    emulator: Any, store: str, name: str
) -> None:
    from langchain_ernie_aiml import ChatErnieAIML, ErnieRateLimiter

    limiter = ErnieRateLimiter(store=store, name=name, rpm=6, tpm=100_000)
    llm = ChatErnieAIML(api_key="k", base_url=emulator.base_url, rate_limiter=limiter)
    assert llm.invoke("Hi").content
    assert 0.9 < _slots_ahead(store, name, 10_000) <= 1  # langchain-core's slot, no second one
    server = redis.Redis.from_url(store)
    assert server.exists(f"ernie_aiml:rate:{{{name}}}:tok")  # the client charged the tokens
    server.close()
    assert llm.rate_limiter is limiter
    llm.close()


def test_llama_index_waits_its_turn_through_its_field(emulator: Any, store: str, name: str) -> None:
    from llama_index_ernie_aiml import ErnieAIML

    limiter = RateLimiter(store=store, name=name, rpm=6)
    llm = ErnieAIML(api_key="k", base_url=emulator.base_url, rate_limiter=limiter)
    assert llm.complete("Hi").text
    assert 0.9 < _slots_ahead(store, name, 10_000) <= 1
    llm.close()


def test_token_and_usd_limits_hold_across_the_fleet_tally(
    client: AIMLClient, store: str, name: str
) -> None:
    with track_usage(max_tokens=15, store=store, name=name) as tokens:
        client.chat(BODY)  # 11 tokens
        client.chat(BODY)  # 22: crosses the line, completes and counts
        with pytest.raises(ernie_aiml.BudgetExceededError, match="22 tokens used reached"):
            client.chat(BODY)
    assert tokens.snapshot().total_tokens == 22
    with track_usage(max_usd=0.00001, store=store, name=f"{name}-usd") as usd:
        client.chat(BODY)  # 17 credits: $0.0000085
        client.chat(BODY)
        with pytest.raises(ernie_aiml.BudgetExceededError) as info:
            client.chat(BODY)
    assert (info.value.limit, info.value.spent) == ("max_usd", pytest.approx(0.000017))
    assert usd.remaining() == {"max_usd": 0}


def test_a_429_opens_the_window_a_rate_limiter_then_holds_calls_in(
    emulator: Any, store: str, name: str
) -> None:
    limiter = RateLimiter(store=store, name=name, rpm=60_000)
    slept: list[float] = []
    policy = RetryPolicy(initial_delay=3.0, jitter=0.0, sleep=slept.append)
    limited = AIMLClient(
        api_key="k", base_url=emulator.base_url, rate_limiter=limiter, retry_policy=policy
    )
    emulator.enqueue(ErrorReply(429, "Too Many Requests"))
    limited.chat(BODY)  # a 429, then the retry after the shared window
    assert slept == [3.0]
    wait = limiter.turn()  # another process's next call: held by what is left of the window
    assert wait is not None and 2.0 < wait <= 3.0 * 1.25
    limited.close()
