"""LangChain v1 `create_agent` driving ChatErnieAIML: tools, middleware, structured responses."""

from __future__ import annotations

import json
from typing import Any

from int_support import KEY, MODEL, call, reply, wire_call
from langchain.agents import create_agent
from langchain.agents.middleware import AgentState, ModelRequest, after_model, dynamic_prompt
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from langchain_ernie_aiml import ChatErnieAIML


class Weather(BaseModel):
    """The weather in one city."""

    city: str = Field(description="City name")
    temperature_c: int = Field(description="Temperature in Celsius")


@tool
def get_weather(city: str) -> str:
    """Look up the current weather in a city."""
    return f"Sunny, 21 C in {city}."


WEATHER_TOOL = {
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
CALL = call("call_w1", "get_weather", {"city": "Paris"})
ANSWER = {"city": "Paris", "temperature_c": 21}


def _model(emulator: Any) -> ChatErnieAIML:
    return ChatErnieAIML(api_key=KEY, base_url=emulator.base_url, max_retries=0)


def _tool_turns(system: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    first = [{"role": "system", "content": system}, {"role": "user", "content": "Paris?"}]
    second = [
        *first,
        {"role": "assistant", "content": "", "tool_calls": [wire_call("call_w1", **_args())]},
        {"role": "tool", "content": "Sunny, 21 C in Paris.", "tool_call_id": "call_w1"},
    ]
    return first, second


def _args() -> dict[str, Any]:
    return {"name": "get_weather", "arguments": {"city": "Paris"}}


def test_create_agent_with_tools_and_middleware(emulator) -> None:
    seen_ids: list[str | None] = []

    @dynamic_prompt
    def french(request: ModelRequest) -> str:
        return f"Answer in French. Turn {len(request.messages)}."

    @after_model
    def record(state: AgentState, runtime: Runtime) -> None:
        seen_ids.append(state["messages"][-1].id)

    emulator.enqueue(reply(calls=[CALL]), reply("Il fait beau à Paris."))
    agent = create_agent(_model(emulator), [get_weather], middleware=[french, record])
    result = agent.invoke({"messages": [HumanMessage("Paris?")]})

    _, ai_call, tool_msg, final = result["messages"]
    assert isinstance(tool_msg, ToolMessage) and tool_msg.content == "Sunny, 21 C in Paris."
    assert isinstance(final, AIMessage) and final.content == "Il fait beau à Paris."
    assert seen_ids == [ai_call.id, final.id]
    first, second = _tool_turns("Answer in French. Turn 1.")
    second[0] = {"role": "system", "content": "Answer in French. Turn 3."}
    assert [r.json for r in emulator.chat_requests] == [
        {"model": MODEL, "messages": first, "tools": [WEATHER_TOOL]},
        {"model": MODEL, "messages": second, "tools": [WEATHER_TOOL]},
    ]


def test_create_agent_provider_strategy_structured_response(emulator) -> None:
    emulator.enqueue(reply(calls=[CALL]), reply(json.dumps(ANSWER)))
    agent = create_agent(
        _model(emulator),
        [get_weather],
        system_prompt="Be brief.",
        response_format=ProviderStrategy(Weather),
    )
    result = agent.invoke({"messages": [HumanMessage("Paris?")]})

    assert result["structured_response"] == Weather(city="Paris", temperature_c=21)
    first, second = _tool_turns("Be brief.")
    bodies = [r.json for r in emulator.chat_requests]
    formats = [body.pop("response_format") for body in bodies]
    assert bodies == [
        {"model": MODEL, "messages": first, "tools": [WEATHER_TOOL]},
        {"model": MODEL, "messages": second, "tools": [WEATHER_TOOL]},
    ]
    for response_format in formats:
        assert response_format["type"] == "json_schema"
        spec = response_format["json_schema"]
        assert spec["name"] == "Weather"
        assert spec["schema"]["required"] == ["city", "temperature_c"]
        assert {k: v["type"] for k, v in spec["schema"]["properties"].items()} == {
            "city": "string",
            "temperature_c": "integer",
        }


def test_create_agent_tool_strategy_structured_response(emulator) -> None:
    emulator.enqueue(
        reply(calls=[CALL]),
        reply(calls=[call("call_s1", "Weather", ANSWER)]),
    )
    agent = create_agent(
        _model(emulator),
        [get_weather],
        system_prompt="Be brief.",
        response_format=ToolStrategy(Weather),
    )
    result = agent.invoke({"messages": [HumanMessage("Paris?")]})

    assert result["structured_response"] == Weather(city="Paris", temperature_c=21)
    last = result["messages"][-1]
    assert isinstance(last, ToolMessage) and last.tool_call_id == "call_s1"
    weather_tool = {
        "type": "function",
        "function": {
            "name": "Weather",
            "description": "The weather in one city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"description": "City name", "type": "string"},
                    "temperature_c": {"description": "Temperature in Celsius", "type": "integer"},
                },
                "required": ["city", "temperature_c"],
            },
        },
    }
    first, second = _tool_turns("Be brief.")
    assert [r.json for r in emulator.chat_requests] == [
        {
            "model": MODEL,
            "messages": first,
            "tools": [WEATHER_TOOL, weather_tool],
            "tool_choice": "required",
        },
        {
            "model": MODEL,
            "messages": second,
            "tools": [WEATHER_TOOL, weather_tool],
            "tool_choice": "required",
        },
    ]
