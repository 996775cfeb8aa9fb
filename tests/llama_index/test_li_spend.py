"""Budget and OpenTelemetry spans through `ErnieAIML`: chat, achat, stream_chat,
astream_chat, and a FunctionAgent stopped by its budget."""

from __future__ import annotations

from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import BudgetExceededError, track_usage
from ernie_aiml.emulator import ErrorReply
from li_support import instant_retries
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.core.llms import ChatMessage
from support import OTel

from llama_index_ernie_aiml import ErnieAIML

MODEL = "baidu/ernie-5.0"
MODES = ["chat", "achat", "stream_chat", "astream_chat"]
MESSAGES = [ChatMessage(role="user", content="Hi")]


async def _call(llm: ErnieAIML, mode: str) -> Any:
    """One call through the given LlamaIndex entry point."""
    if mode == "chat":
        return llm.chat(MESSAGES)
    if mode == "achat":
        return await llm.achat(MESSAGES)
    if mode == "stream_chat":
        return list(llm.stream_chat(MESSAGES))
    return [r async for r in await llm.astream_chat(MESSAGES)]


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


@pytest.mark.parametrize("mode", MODES)
async def test_one_span_per_call_with_usage(emulator: Any, otel: OTel, llm, mode: str) -> None:
    with track_usage() as tally:
        await _call(llm, mode)
    [span] = otel.spans
    attributes = span.attributes
    assert span.name == f"chat {MODEL}"
    assert attributes.get("gen_ai.request.stream", False) is mode.endswith("stream_chat")
    assert (
        attributes["gen_ai.usage.input_tokens"],
        attributes["gen_ai.usage.output_tokens"],
        attributes["gen_ai.usage.reasoning.output_tokens"],
        attributes["aiml.credits_used"],
    ) == (tally.prompt_tokens, tally.completion_tokens, tally.reasoning_tokens, tally.credits_used)
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    [duration] = otel.metrics()["gen_ai.client.operation.duration"]
    assert duration.count == 1


@pytest.mark.parametrize("mode", MODES)
async def test_retry_and_failure_spans(emulator: Any, otel: OTel, make_llm, mode: str) -> None:
    llm = make_llm(retry_policy=instant_retries(1))
    emulator.enqueue(ErrorReply(503, "busy"), ErrorReply(503, "still busy"))
    with pytest.raises(ernie_aiml.ServerError):
        await _call(llm, mode)
    await _call(llm, mode)
    failed, ok = otel.spans
    assert (failed.attributes["error.type"], failed.attributes["http.request.resend_count"]) == (
        "ServerError",
        1,
    )
    assert [e.attributes.get("http.response.status_code") for e in failed.events] == [503, None]
    assert [e.name for e in failed.events] == ["aiml.retry", "exception"]
    assert "error.type" not in ok.attributes and "http.request.resend_count" not in ok.attributes


@pytest.mark.parametrize("mode", MODES)
async def test_budget_refuses_each_path(emulator: Any, llm, mode: str) -> None:
    with track_usage(max_calls=1) as tally:
        await _call(llm, mode)
        with pytest.raises(BudgetExceededError, match="max_calls=1"):
            await _call(llm, mode)
    assert (tally.calls, len(emulator.chat_requests)) == (1, 1)


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_surfaces_the_budget(
    emulator: Any, otel: OTel, llm, streaming
) -> None:
    agent = FunctionAgent(
        tools=[multiply], llm=llm, streaming=streaming, system_prompt="Use tools."
    )
    with track_usage(max_calls=1) as tally:
        handler = agent.run(user_msg="Please multiply 6 and 7")
        with pytest.raises(BudgetExceededError) as info:
            await handler
    assert info.value.limit == "max_calls"
    assert (tally.calls, len(emulator.chat_requests)) == (1, 1)  # the tool call, then refused
    assert [s.name for s in otel.spans] == [f"chat {MODEL}"]


async def test_react_agent_surfaces_the_credit_budget(emulator: Any, llm) -> None:
    agent = ReActAgent(tools=[multiply], llm=llm, streaming=False)
    expected = "credits spent reached max_credits=1"
    with track_usage(max_credits=1) as tally, pytest.raises(BudgetExceededError, match=expected):
        await agent.run(user_msg="Please multiply 6 and 7")
    assert (tally.calls, len(emulator.chat_requests)) == (1, 1)
