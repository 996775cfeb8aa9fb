"""Budget and OpenTelemetry spans through `ChatErnieAIML`: invoke, ainvoke, stream, astream, batch."""

from __future__ import annotations

from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import BudgetExceededError, RetryPolicy, track_usage
from ernie_aiml.emulator import ErrorReply
from langchain_core.exceptions import ModelError
from lc_support import model_for
from support import OTel

from langchain_ernie_aiml import ChatErnieAIML, ErnieAIMLBudgetExceededError

MODEL = "baidu/ernie-5.0"
MODES = ["invoke", "ainvoke", "stream", "astream"]


async def _call(llm: ChatErnieAIML, mode: str, prompt: str = "Hi") -> Any:
    """One call through the given LangChain entry point."""
    if mode == "invoke":
        return llm.invoke(prompt)
    if mode == "ainvoke":
        return await llm.ainvoke(prompt)
    if mode == "stream":
        return list(llm.stream(prompt))
    return [chunk async for chunk in llm.astream(prompt)]


def _instant(max_retries: int = 2) -> RetryPolicy:
    async def no_sleep(_: float) -> None:
        return None

    return RetryPolicy(max_retries=max_retries, sleep=lambda _: None, async_sleep=no_sleep)


@pytest.mark.parametrize("mode", MODES)
async def test_one_span_per_call_with_usage(emulator: Any, otel: OTel, mode: str) -> None:
    llm = model_for(emulator)
    with track_usage() as tally:
        await _call(llm, mode)
    [span] = otel.spans
    attributes = span.attributes
    assert span.name == f"chat {MODEL}"
    assert (attributes["gen_ai.request.model"], attributes["gen_ai.response.model"]) == (
        MODEL,
        MODEL,
    )
    assert attributes.get("gen_ai.request.stream", False) is mode.endswith("stream")
    assert (
        attributes["gen_ai.usage.input_tokens"],
        attributes["gen_ai.usage.output_tokens"],
        attributes["gen_ai.usage.reasoning.output_tokens"],
        attributes["aiml.credits_used"],
    ) == (tally.prompt_tokens, tally.completion_tokens, tally.reasoning_tokens, tally.credits_used)
    assert tally.reasoning_tokens > 0
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    tokens = otel.metrics()["gen_ai.client.token.usage"]
    assert sorted((p.attributes["gen_ai.token.type"], p.sum) for p in tokens) == [
        ("input", tally.prompt_tokens),
        ("output", tally.completion_tokens),
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_retry_is_an_event_on_the_call_span(emulator: Any, otel: OTel, mode: str) -> None:
    llm = model_for(emulator, retry_policy=_instant())
    emulator.enqueue(ErrorReply(503, "busy"))
    await _call(llm, mode)
    [span] = otel.spans
    assert span.attributes["http.request.resend_count"] == 1
    assert [(e.name, e.attributes["http.response.status_code"]) for e in span.events] == [
        ("aiml.retry", 503)
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_failure_span_has_error_type(emulator: Any, otel: OTel, mode: str) -> None:
    llm = model_for(emulator)
    emulator.enqueue(ErrorReply(500, "boom"))
    with pytest.raises(ernie_aiml.ServerError):
        await _call(llm, mode)
    [span] = otel.spans
    assert (span.attributes["error.type"], span.status.status_code.name) == ("ServerError", "ERROR")


@pytest.mark.parametrize("mode", MODES)
async def test_budget_error_is_a_langchain_model_error(emulator: Any, mode: str) -> None:
    llm = model_for(emulator)
    with track_usage(max_calls=1) as tally:
        await _call(llm, mode)
        with pytest.raises(ErnieAIMLBudgetExceededError) as info:
            await _call(llm, mode)
    error = info.value
    assert isinstance(error, ModelError) and isinstance(error, BudgetExceededError)
    assert (error.limit, error.limit_value, error.spent) == ("max_calls", 1, 1)
    assert str(error).startswith("Budget exceeded: 1 calls started reached max_calls=1;")
    assert (tally.calls, len(emulator.chat_requests)) == (1, 1)


def test_batch_threads_share_the_budget(emulator: Any) -> None:
    """`batch` runs each input in a worker thread with a copy of the caller's context."""
    llm = model_for(emulator)
    with track_usage(max_calls=2) as tally:
        results = llm.batch(["a", "b", "c", "d"], return_exceptions=True)
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == [
        "AIMessage",
        "AIMessage",
        "ErnieAIMLBudgetExceededError",
        "ErnieAIMLBudgetExceededError",
    ]
    assert (tally.calls, len(emulator.chat_requests)) == (2, 2)


async def test_abatch_tasks_share_the_budget(emulator: Any) -> None:
    llm = model_for(emulator)
    with track_usage(max_calls=3) as tally:
        results = await llm.abatch(["a", "b", "c", "d", "e"], return_exceptions=True)
    assert sum(isinstance(r, BudgetExceededError) for r in results) == 2
    assert (tally.calls, len(emulator.chat_requests)) == (3, 3)
