"""`track_usage(max_...=)`: a spent budget refuses the next call before anything is sent.

Against the emulator (its answer to "Hi" on ernie-4.5-vl: 5 tokens in, 6 out, 17 credits).
"""

from __future__ import annotations

import asyncio
import contextvars
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import (
    AIMLClient,
    BudgetExceededError,
    Message,
    ParameterError,
    RetryPolicy,
    ServerError,
    StreamInterruptedError,
    build_chat_request,
    track_usage,
)
from ernie_aiml.emulator import ErrorReply, SSEReply, stream_events

MODEL = "baidu/ernie-4.5-vl-424b-a47b"
BODY = build_chat_request(MODEL, [Message(role="user", content="Hi")])


@pytest.fixture
def client(emulator: Any) -> AIMLClient:
    """A client of the emulator whose retries never sleep."""
    policy = RetryPolicy(sleep=lambda _: None, random=lambda: 0.0)
    return AIMLClient(api_key="sk-test", base_url=emulator.base_url, retry_policy=policy)


def test_credits_budget_refuses_the_next_call_before_sending(client: AIMLClient, emulator) -> None:
    with track_usage(max_credits=20) as tally:
        client.chat(BODY)  # 17 credits: under the budget
        client.chat(BODY)  # crosses it (34): completes and is counted
        with pytest.raises(BudgetExceededError) as info:
            client.chat(BODY)
    assert len(emulator.chat_requests) == 2
    assert (tally.calls, tally.credits_used, tally.total_tokens) == (2, 34, 22)
    error = info.value
    assert str(error) == (
        "Budget exceeded: 34 credits spent reached max_credits=20; the call was not sent "
        "(this block so far: 2 calls, 22 tokens (10 in, 12 out, 0 reasoning), 34 credits, "
        "$0.000017)"
    )
    assert (error.limit, error.limit_value, error.spent) == ("max_credits", 20, 34)
    assert isinstance(error, ernie_aiml.AIMLError)
    twin = pickle.loads(pickle.dumps(error))
    assert (type(twin), str(twin), twin.limit, twin.spent) == (
        BudgetExceededError,
        str(error),
        "max_credits",
        34,
    )


@pytest.mark.parametrize(
    ("limits", "allowed", "limit", "spent"),
    [
        ({"max_calls": 3}, 3, "max_calls", 3),
        ({"max_tokens": 25}, 3, "max_tokens", 33),
        ({"max_credits": 17}, 1, "max_credits", 17),
        ({"max_calls": 0}, 0, "max_calls", 0),
    ],
)
def test_each_limit(client: AIMLClient, emulator, limits, allowed, limit, spent) -> None:
    with track_usage(**limits):
        for _ in range(allowed):
            client.chat(BODY)
        with pytest.raises(BudgetExceededError) as info:
            client.chat(BODY)
    assert (info.value.limit, info.value.spent) == (limit, spent)
    assert len(emulator.chat_requests) == allowed


def test_usd_budget(client: AIMLClient, emulator) -> None:
    emulator.enqueue(SSEReply(_usd_events(0.0004)), SSEReply(_usd_events(0.0004)))
    with track_usage(max_usd=0.0005) as tally:
        list(client.stream(BODY))
        list(client.stream(BODY))
        stream = client.stream(BODY)  # prepared; admitted when it connects
        with pytest.raises(BudgetExceededError, match=r"\$0\.000800 spent reached max_usd=0\.0005"):
            list(stream)
    assert tally.usd_spent == pytest.approx(0.0008)
    assert len(emulator.chat_requests) == 2


def _usd_events(usd: float) -> list[Any]:
    events = stream_events("ok", model=MODEL, prompt=4)
    events[-1]["meta"]["usage"]["usd_spent"] = usd
    return events


def test_without_limits_track_usage_never_refuses(client: AIMLClient) -> None:
    with track_usage() as tally:
        for _ in range(3):
            client.chat(BODY)
    assert (tally.calls, tally.credits_used, tally.failed_calls) == (3, 51, 0)


def test_bad_limits_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match=r"max_credits must be a number >= 0 \(got -1\)"):
        track_usage(max_credits=-1).__enter__()
    with pytest.raises(ParameterError, match=r"max_calls must be an integer >= 0 \(got 1.5\)"):
        track_usage(max_calls=1.5).__enter__()  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="scope must be 'context' or 'process'"):
        track_usage(scope="thread").__enter__()  # type: ignore[arg-type]


def test_nested_blocks_each_enforce_their_own_limit(client: AIMLClient, emulator) -> None:
    with track_usage(max_calls=3) as outer:
        with track_usage(max_calls=1) as inner:
            client.chat(BODY)
            with pytest.raises(BudgetExceededError, match="max_calls=1"):
                client.chat(BODY)
        client.chat(BODY)
        client.chat(BODY)
        with pytest.raises(BudgetExceededError, match="max_calls=3"):
            client.chat(BODY)
    assert (inner.calls, outer.calls, len(emulator.chat_requests)) == (1, 3, 3)


def test_outer_limit_refuses_inside_an_unlimited_inner_block(client: AIMLClient) -> None:
    with track_usage(max_calls=1) as outer:
        client.chat(BODY)
        with track_usage() as inner, pytest.raises(BudgetExceededError):
            client.chat(BODY)
    assert (outer.calls, inner.calls) == (1, 0)


def test_streams_count_and_are_refused(client: AIMLClient, emulator) -> None:
    with track_usage(max_credits=17) as tally:
        with client.stream(BODY) as stream:
            assert [d.content for d in stream if d.content] == ['You said: "Hi"']
        with pytest.raises(BudgetExceededError), client.stream(BODY):
            pass  # refused on connecting, before anything is sent
        client.stream(BODY).close()  # never connected: neither admitted nor counted
    assert (tally.calls, tally.credits_used) == (1, 17)
    assert len(emulator.chat_requests) == 1


async def test_async_calls_and_tasks_share_the_block(client: AIMLClient, emulator) -> None:
    with track_usage(max_calls=3) as tally:
        await asyncio.gather(client.achat(BODY), client.achat(BODY))
        stream = client.astream(BODY)
        assert [d.content async for d in stream if d.content] == ['You said: "Hi"']
        results = await asyncio.gather(
            asyncio.create_task(client.achat(BODY)), return_exceptions=True
        )
    assert [type(r) for r in results] == [BudgetExceededError]
    assert (tally.calls, tally.credits_used) == (3, 51)
    assert len(emulator.chat_requests) == 3


async def test_concurrent_tasks_cannot_overshoot_max_calls(client: AIMLClient, emulator) -> None:
    with track_usage(max_calls=2) as tally:
        results = await asyncio.gather(
            *(client.achat(BODY) for _ in range(5)), return_exceptions=True
        )
    assert (
        sorted(type(r).__name__ for r in results)
        == ["BudgetExceededError"] * 3 + ["Completion"] * 2
    )
    assert (tally.calls, len(emulator.chat_requests)) == (2, 2)


def test_threads_with_a_copied_context_share_the_block(client: AIMLClient, emulator) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.chat(BODY)
        except BudgetExceededError as exc:
            errors.append(exc)

    with track_usage(max_calls=2) as tally:
        with ThreadPoolExecutor(2) as pool:
            for _ in range(3):
                pool.submit(contextvars.copy_context().run, work).result()
        thread = threading.Thread(target=contextvars.copy_context().run, args=(work,))
        thread.start()
        thread.join()
    assert (tally.calls, len(errors), len(emulator.chat_requests)) == (2, 2, 2)


def test_threads_started_inside_the_block_are_counted_and_capped(
    client: AIMLClient, emulator
) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.chat(BODY)
        except BudgetExceededError as exc:
            errors.append(exc)

    with track_usage(max_calls=2) as tally:
        for _ in range(2):  # plain threads: no context copied
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
        with ThreadPoolExecutor(2) as pool:  # a pool made inside the block: its workers too
            pool.submit(work).result()
    assert (tally.calls, len(errors), len(emulator.chat_requests)) == (2, 1, 2)


def test_a_thread_running_before_the_block_does_not_see_it(client: AIMLClient, emulator) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: None).result()  # the worker exists before the block opens
        with track_usage(max_calls=0) as tally:
            pool.submit(client.chat, BODY).result()
    assert (tally.calls, len(emulator.chat_requests)) == (0, 1)


def test_process_scope_counts_and_caps_every_thread(client: AIMLClient, emulator) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.chat(BODY)
        except BudgetExceededError as exc:
            errors.append(exc)

    with track_usage(max_calls=2, scope="process") as tally:
        for _ in range(3):
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
    client.chat(BODY)  # the block is closed: no longer counted
    assert (tally.calls, len(errors), len(emulator.chat_requests)) == (2, 1, 3)


def test_failed_call_without_usage_counts_as_a_call(client: AIMLClient, emulator) -> None:
    emulator.enqueue(*[ErrorReply(503, "busy")] * 3)
    with track_usage(max_calls=1) as tally:
        with pytest.raises(ServerError):
            client.chat(BODY)  # three attempts, one logical call
        with pytest.raises(BudgetExceededError):
            client.chat(BODY)
    assert (tally.calls, tally.failed_calls, tally.total_tokens) == (1, 1, 0)
    assert len(emulator.chat_requests) == 3


def test_stream_cut_after_usage_counts_what_the_server_reported(
    client: AIMLClient, emulator
) -> None:
    events = stream_events("partial answer", model=MODEL, prompt=4)
    usage_event = events.pop()
    # usage (and credits) arrive early, then the connection drops mid-answer
    emulator.enqueue(SSEReply([events[0], usage_event, *events[1:]], cut_after=2))
    with track_usage(max_credits=8) as tally:
        with pytest.raises(StreamInterruptedError):
            list(client.stream(BODY))
        with pytest.raises(BudgetExceededError, match="8 credits spent reached max_credits=8"):
            client.chat(BODY)
    assert tally.credits_used == usage_event["meta"]["usage"]["credits_used"]
    assert (tally.calls, tally.failed_calls) == (1, 1)


def test_a_refused_forced_choice_and_its_fallback_are_one_call(
    client: AIMLClient, emulator
) -> None:
    from ernie_aiml import Message, build_chat_request

    forced = build_chat_request(
        "baidu/ernie-5.0",
        [Message(role="user", content="Hi")],
        tools=[
            {"type": "function", "function": {"name": "ping", "parameters": {"type": "object"}}}
        ],
        tool_choice="required",
    )
    emulator.enqueue(ErrorReply(400, "tool_choice 'required' is not supported with thinking"))
    with track_usage(max_calls=1) as tally:
        completion = client.chat(forced)  # admitted once: the fallback is no second call
        with pytest.raises(BudgetExceededError):
            client.chat(BODY)
    assert completion.tool_choice_fallback == "enable_thinking=false"
    assert (tally.calls, tally.failed_calls, len(emulator.chat_requests)) == (1, 0, 2)
