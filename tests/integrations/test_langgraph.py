"""LangGraph's prebuilt ReAct agent driving ChatErnieAIML: invoke, and the messages/updates streams."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from int_support import KEY, MODEL, Contains, call, reply, tool_names, wire_call
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_ernie_aiml import ChatErnieAIML

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # langgraph 1.x points create_react_agent to langchain
    from langgraph.prebuilt import create_react_agent

WEATHER_CALL = call("call_w1", "get_weather", {"city": "Paris"})


@tool
def get_weather(city: str) -> str:
    """Look up the current weather in a city."""
    return f"Sunny, 21 C in {city}."


def _agent(emulator: Any) -> Any:
    model = ChatErnieAIML(api_key=KEY, base_url=emulator.base_url, max_retries=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(model, [get_weather], prompt="You are a weather bot.")


def _expected_bodies(stream: bool) -> list[dict[str, Any]]:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Look up the current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    first = [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    second = [
        *first,
        {"role": "assistant", "content": "", "tool_calls": [wire_call(**_named(WEATHER_CALL))]},
        {"role": "tool", "content": "Sunny, 21 C in Paris.", "tool_call_id": "call_w1"},
    ]
    extra = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    return [
        {"model": MODEL, "messages": first, "tools": tools, **extra},
        {"model": MODEL, "messages": second, "tools": tools, **extra},
    ]


def _named(spec: dict[str, Any]) -> dict[str, Any]:
    return {"call_id": spec["id"], "name": spec["name"], "arguments": spec["arguments"]}


def test_create_react_agent_invoke(emulator) -> None:
    emulator.enqueue(reply(calls=[WEATHER_CALL]), reply("It is sunny in Paris."))
    result = _agent(emulator).invoke({"messages": [HumanMessage("Weather in Paris?")]})

    _, ai_call, tool_msg, final = result["messages"]
    assert isinstance(ai_call, AIMessage) and isinstance(final, AIMessage)
    assert ai_call.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_w1", "type": "tool_call"}
    ]
    assert isinstance(tool_msg, ToolMessage)
    assert (tool_msg.content, tool_msg.tool_call_id) == ("Sunny, 21 C in Paris.", "call_w1")
    assert final.content == "It is sunny in Paris."
    assert [r.json for r in emulator.chat_requests] == _expected_bodies(stream=False)


def test_create_react_agent_stream_messages_one_id_per_answer(emulator) -> None:
    replies = [
        reply(calls=[WEATHER_CALL], stream=True, reasoning="Need the weather tool."),
        reply("It is sunny in Paris.", stream=True, reasoning="The tool answered."),
    ]
    emulator.enqueue(*replies)
    agent = _agent(emulator)
    pieces = list(
        agent.stream({"messages": [HumanMessage("Weather in Paris?")]}, stream_mode="messages")
    )
    from_model = [m for m, meta in pieces if meta["langgraph_node"] == "agent"]
    assert all(isinstance(m, AIMessageChunk) for m in from_model)
    ids = list(dict.fromkeys(m.id for m in from_model))  # distinct ids, in order
    assert ids == [r.events[0]["id"] for r in replies]  # the server's id, one per answer

    first = [m for m in from_model if m.id == ids[0]]
    merged = first[0]
    for chunk in first[1:]:
        merged = merged + chunk
    assert merged.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_w1", "type": "tool_call"}
    ]
    assert merged.additional_kwargs["reasoning_content"] == "Need the weather tool."
    tools = [m for m, meta in pieces if meta["langgraph_node"] == "tools"]
    assert [(t.content, t.tool_call_id) for t in tools] == [("Sunny, 21 C in Paris.", "call_w1")]
    assert "".join(m.text for m in from_model if m.id == ids[1]) == "It is sunny in Paris."
    assert [r.json for r in emulator.chat_requests] == _expected_bodies(stream=True)


@pytest.mark.parametrize("stream_mode", ["updates", "values"])
def test_create_react_agent_stream_updates_final_ids_match_chunks(emulator, stream_mode) -> None:
    emulator.enqueue(
        reply(calls=[WEATHER_CALL], stream=True), reply("It is sunny in Paris.", stream=True)
    )
    agent = _agent(emulator)
    modes = [stream_mode, "messages"]
    events = list(
        agent.stream({"messages": [HumanMessage("Weather in Paris?")]}, stream_mode=modes)
    )
    chunk_ids = list(
        dict.fromkeys(
            payload[0].id
            for mode, payload in events
            if mode == "messages" and payload[1]["langgraph_node"] == "agent"
        )
    )
    if stream_mode == "updates":
        updates = [payload for mode, payload in events if mode == "updates"]
        assert [next(iter(u)) for u in updates] == ["agent", "tools", "agent"]
        answers = [u["agent"]["messages"][-1] for u in updates if "agent" in u]
    else:
        final = [payload for mode, payload in events if mode == "values"][-1]
        answers = [m for m in final["messages"] if isinstance(m, AIMessage)]
    assert [a.id for a in answers] == chunk_ids
    assert answers[-1].content == "It is sunny in Paris."
    assert answers[-1].response_metadata["finish_reason"] == "stop"
    assert [tool_names(r.json) for r in emulator.chat_requests] == [["get_weather"]] * 2
    assert emulator.chat_requests[1].json["messages"][-1] == {
        "role": "tool",
        "content": Contains("Sunny, 21 C"),
        "tool_call_id": "call_w1",
    }
