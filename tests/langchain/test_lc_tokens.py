"""Offline token counting: `get_num_tokens*` and `trim_messages(token_counter=llm)`,
with the emulator's `prompt_tokens` as the reference."""

from __future__ import annotations

import sys
from typing import Any

from langchain_core.messages import (
    AIMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.tools import tool
from lc_support import model_for


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return city


HISTORY = [
    SystemMessage("You are a terse travel assistant."),
    HumanMessage("What's the weather in Paris?"),
    AIMessage("", tool_calls=[{"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}]),
    ToolMessage("Sunny, 21°C", tool_call_id="call_1"),
    AIMessage("Sunny and 21°C in Paris."),
    HumanMessage(
        content=[{"type": "text", "text": "And in 北京?", "cache_control": {"type": "ephemeral"}}]
    ),
]


def test_counts_work_offline_and_match_the_emulator(emulator: Any) -> None:
    model = model_for(emulator)
    assert model.get_num_tokens("Hi! What do you think about mankind?") == 9
    counted = model.get_num_tokens_from_messages(HISTORY)
    with_tools = model.get_num_tokens_from_messages(HISTORY, tools=[get_weather])
    assert (counted, with_tools) == (63, 119)
    usage = model.invoke(HISTORY).usage_metadata
    assert usage is not None and usage["input_tokens"] == counted
    usage = model.bind_tools([get_weather]).invoke(HISTORY).usage_metadata
    assert usage is not None and usage["input_tokens"] == with_tools
    assert "transformers" not in sys.modules


def test_trim_messages_keeps_a_history_inside_the_budget(emulator: Any) -> None:
    model = model_for(emulator)
    turns = [SystemMessage("You are terse.")]
    for n in range(30):
        turns += [
            HumanMessage(f"Question number {n}: what is {n} squared?"),
            AIMessage(f"{n * n}."),
        ]
    turns.append(HumanMessage("And 31 squared?"))
    kept = trim_messages(
        turns,
        max_tokens=120,
        token_counter=model,
        strategy="last",
        include_system=True,
        start_on="human",
    )
    assert kept[0] == turns[0] and kept[-1] == turns[-1] and len(kept) < len(turns)
    usage = model.invoke(kept).usage_metadata
    assert usage is not None and usage["input_tokens"] <= 120
    k = len(kept) - 1
    assert kept == [turns[0], *turns[-k:]]
    two_more = [turns[0], *turns[-(k + 2) :]]  # the next older question and answer
    assert model.get_num_tokens_from_messages(two_more) > 120


def test_an_empty_history_counts_nothing(emulator: Any) -> None:
    assert model_for(emulator).get_num_tokens_from_messages([]) == 0
