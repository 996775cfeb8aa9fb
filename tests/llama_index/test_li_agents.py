"""Agents end to end on the emulator: FunctionAgent (streaming and not) and ReActAgent."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import (
    AgentStream,
    FunctionAgent,
    ReActAgent,
    ToolCall,
    ToolCallResult,
)

CALLS: list[tuple[int, int]] = []


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    CALLS.append((a, b))
    return a * b


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS.clear()


async def _run(agent, question: str) -> tuple[object, list]:
    handler = agent.run(user_msg=question)
    events = [event async for event in handler.stream_events()]
    return await handler, events


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_calls_the_tool(emulator, llm, streaming: bool) -> None:
    agent = FunctionAgent(
        tools=[multiply], llm=llm, streaming=streaming, system_prompt="Use tools."
    )
    result, events = await _run(agent, "Please multiply 6 and 7")

    assert CALLS == [(6, 7)]
    assert str(result) == "The result is 42."
    calls = [e for e in events if isinstance(e, ToolCall) and not isinstance(e, ToolCallResult)]
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [r.tool_output.content for r in results] == ["42"]

    first, second = (r.json for r in emulator.requests)
    assert first["tools"][0]["function"]["name"] == "multiply"
    assert first["parallel_tool_calls"] is True  # FunctionAgent allows parallel calls
    assert first["stream"] is True if streaming else "stream" not in first
    tool_call_id = calls[0].tool_id
    assert second["messages"][-2] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": tool_call_id,
                "type": "function",
                "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'},
            }
        ],
    }
    assert second["messages"][-1] == {"role": "tool", "content": "42", "tool_call_id": tool_call_id}
    assert second["messages"][0] == {"role": "system", "content": "Use tools."}

    if streaming:
        streams = [e for e in events if isinstance(e, AgentStream)]
        thinking = [e.thinking_delta for e in streams if e.thinking_delta]
        # ernie-5.0 reasons on both turns; the first reasoning piece rides with the role
        assert "".join(thinking).startswith('The user asks: "Please multiply 6 and 7".')
        assert "".join(e.delta for e in streams).endswith("The result is 42.")
        assert all(e.delta == "" for e in streams if e.thinking_delta)
        # streamed tool calls reach the agent's events parsed, the last one complete
        seen = [
            [(t.tool_name, t.tool_kwargs) for t in e.tool_calls] for e in streams if e.tool_calls
        ]
        assert len(seen) > 1 and seen[-1] == [("multiply", {"a": 6, "b": 7})]
        assert all(isinstance(kwargs, dict) for calls in seen for _, kwargs in calls)


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent(emulator, llm, streaming: bool) -> None:
    agent = ReActAgent(tools=[multiply], llm=llm, streaming=streaming)
    result, events = await _run(agent, "Please multiply 6 and 7")
    assert CALLS == [(6, 7)]
    assert "The result is 42." in str(result)
    assert len(emulator.requests) == 2
    assert "tools" not in emulator.requests[0].json  # ReAct speaks in text
    if streaming:
        thinking = [
            e.thinking_delta for e in events if isinstance(e, AgentStream) and e.thinking_delta
        ]
        assert thinking
