"""LlamaIndex agents on ErnieAIML: FunctionAgent, ReActAgent, an AgentWorkflow handoff."""

from __future__ import annotations

from typing import Any

import pytest
from int_support import KEY, MODEL, Contains, call, reply, wire_call
from llama_index.core.agent.workflow import (
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)

from llama_index_ernie_aiml import ErnieAIML

CALLS: list[tuple[int, int]] = []


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    CALLS.append((a, b))
    return a * b


MULTIPLY_TOOL = {
    "type": "function",
    "function": {
        "name": "multiply",
        # the signature as LlamaIndex renders it (annotations are strings in this module)
        "description": (
            "multiply(a: 'int', b: 'int') -> 'int'\nMultiply two integers and return the product."
        ),
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}
STREAMED = {"stream": True, "stream_options": {"include_usage": True}}


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def _llm(emulator: Any) -> ErnieAIML:
    return ErnieAIML(api_key=KEY, base_url=emulator.base_url, max_retries=0)


async def _run(agent: Any, question: str) -> tuple[Any, list[Any]]:
    handler = agent.run(user_msg=question)
    events = [event async for event in handler.stream_events()]
    return await handler, events


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent(emulator, streaming: bool) -> None:
    emulator.enqueue(
        reply(calls=[call("call_m1", "multiply", {"a": 6, "b": 7})], stream=streaming),
        reply("6 x 7 = 42.", stream=streaming),
    )
    agent = FunctionAgent(
        tools=[multiply], llm=_llm(emulator), streaming=streaming, system_prompt="Use tools."
    )
    result, events = await _run(agent, "6 times 7?")

    assert CALLS == [(6, 7)] and str(result) == "6 x 7 = 42."
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [(r.tool_id, r.tool_output.content) for r in results] == [("call_m1", "42")]
    first = [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "6 times 7?"}]
    second = [
        *first,
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [wire_call("call_m1", "multiply", {"a": 6, "b": 7})],
        },
        {"role": "tool", "content": "42", "tool_call_id": "call_m1"},
    ]
    common = {
        "model": MODEL,
        "tools": [MULTIPLY_TOOL],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        **(STREAMED if streaming else {}),
    }
    assert [r.json for r in emulator.chat_requests] == [
        {**common, "messages": first},
        {**common, "messages": second},
    ]


async def test_react_agent(emulator) -> None:
    emulator.enqueue(
        reply(
            'Thought: I need the multiply tool.\nAction: multiply\nAction Input: {"a": 6, "b": 7}',
            stream=True,
        ),
        reply("Thought: I can answer without using any more tools.\nAnswer: 42", stream=True),
    )
    agent = ReActAgent(tools=[multiply], llm=_llm(emulator))
    result, events = await _run(agent, "6 times 7?")

    assert CALLS == [(6, 7)] and str(result) == "42"
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("multiply", {"a": 6, "b": 7}, "42")
    ]
    system = {"role": "system", "content": Contains("> Tool Name: multiply", "Action Input")}
    user = {"role": "user", "content": "6 times 7?"}
    assert [r.json for r in emulator.chat_requests] == [
        {"model": MODEL, "messages": [system, user], **STREAMED},
        {
            "model": MODEL,
            "messages": [
                system,
                user,
                {
                    "role": "assistant",
                    "content": (
                        "Thought: I need the multiply tool.\nAction: multiply\n"
                        "Action Input: {'a': 6, 'b': 7}"
                    ),
                },
                {"role": "user", "content": "Observation: 42"},
            ],
            **STREAMED,
        },
    ]


async def test_agent_workflow_handoff(emulator) -> None:
    emulator.enqueue(
        reply(
            calls=[call("call_h1", "handoff", {"to_agent": "calculator", "reason": "math"})],
            stream=True,
        ),
        reply(calls=[call("call_m1", "multiply", {"a": 6, "b": 7})], stream=True),
        reply("The product is 42.", stream=True),
    )
    llm = _llm(emulator)
    router = FunctionAgent(
        name="router",
        description="Routes questions.",
        system_prompt="Route math to the calculator.",
        llm=llm,
        tools=[],
        can_handoff_to=["calculator"],
    )
    calculator = FunctionAgent(
        name="calculator",
        description="Does arithmetic.",
        system_prompt="Use tools.",
        llm=llm,
        tools=[multiply],
    )
    workflow = AgentWorkflow(agents=[router, calculator], root_agent="router")
    result, events = await _run(workflow, "6 times 7?")

    assert CALLS == [(6, 7)] and str(result) == "The product is 42."
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [(r.tool_name, r.tool_id) for r in results] == [
        ("handoff", "call_h1"),
        ("multiply", "call_m1"),
    ]
    bodies = [r.json for r in emulator.chat_requests]
    assert [[t["function"]["name"] for t in b["tools"]] for b in bodies] == [
        ["handoff"],
        ["multiply", "handoff"],
        ["multiply", "handoff"],
    ]
    assert bodies[0]["messages"] == [
        {"role": "system", "content": "Route math to the calculator."},
        {"role": "user", "content": "6 times 7?"},
    ]
    handoff = wire_call("call_h1", "handoff", {"to_agent": "calculator", "reason": "math"})
    assert bodies[1]["messages"] == [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "6 times 7?"},
        {"role": "assistant", "content": "", "tool_calls": [handoff]},
        {
            "role": "tool",
            "content": Contains("calculator"),
            "tool_call_id": "call_h1",
        },
    ]
    assert bodies[2]["messages"][-2:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [wire_call("call_m1", "multiply", {"a": 6, "b": 7})],
        },
        {"role": "tool", "content": "42", "tool_call_id": "call_m1"},
    ]
