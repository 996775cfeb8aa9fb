"""Prompt caching through LangChain: `cache_control` blocks and tools on the wire, cache reads."""

from __future__ import annotations

import base64
from typing import Any

import ernie_aiml
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from lc_support import merge, model_for

MARK = {"type": "ephemeral"}
HOUR = {"type": "ephemeral", "ttl": "1h"}
LONG = "You answer from the handbook only. " * 60
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 24).decode()
PDF = base64.b64encode(b"%PDF-1.4\n%fake\n").decode()


def _history(question: str) -> list[Any]:
    return [
        SystemMessage(content=[{"type": "text", "text": LONG, "cache_control": MARK}]),
        HumanMessage(question),
    ]


@tool
def lookup(topic: str) -> str:
    """Look a topic up in the handbook."""
    return topic


def test_marked_blocks_of_every_role_on_the_wire(emulator: Any) -> None:
    model = model_for(emulator)
    model.invoke(
        [
            SystemMessage(content=[{"type": "text", "text": LONG, "cache_control": MARK}]),
            HumanMessage(
                content=[
                    {
                        "type": "image",
                        "base64": PNG,
                        "mime_type": "image/png",
                        "cache_control": MARK,
                    },
                    {
                        "type": "file",
                        "base64": PDF,
                        "mime_type": "application/pdf",
                        "extras": {"cache_control": HOUR},
                    },
                    {"type": "text", "text": "Compare", "cache_control": MARK},
                ]
            ),
            AIMessage(content=[{"type": "text", "text": "Done", "cache_control": MARK}]),
            ToolMessage(
                content=[{"type": "text", "text": "42", "cache_control": HOUR}], tool_call_id="c1"
            ),
            HumanMessage("Next"),
        ]
    )
    assert emulator.chat_requests[-1].json["messages"] == [
        {"role": "system", "content": [{"type": "text", "text": LONG, "cache_control": MARK}]},
        {
            "role": "user",
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/png;base64,{PNG}"},
                    "cache_control": MARK,
                },
                {
                    "type": "file",
                    "file": {"file_data": f"data:application/pdf;base64,{PDF}"},
                    "cache_control": HOUR,
                },
                {"type": "text", "text": "Compare", "cache_control": MARK},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Done", "cache_control": MARK}]},
        {
            "role": "tool",
            "content": [{"type": "text", "text": "42", "cache_control": HOUR}],
            "tool_call_id": "c1",
        },
        {"role": "user", "content": "Next"},
    ]


def test_tools_marked_by_dict_and_by_bind_tools(emulator: Any) -> None:
    model = model_for(emulator)
    as_dict = {
        "type": "function",
        "function": {
            "name": "ping",
            "description": "Ping.",
            "parameters": {"type": "object", "properties": {}},
        },
        "cache_control": MARK,
    }
    model.bind_tools([as_dict, lookup], cache_control=HOUR).invoke("Look up caching")
    tools = emulator.chat_requests[-1].json["tools"]
    assert [t.get("cache_control") for t in tools] == [MARK, HOUR]
    assert tools[1]["function"]["name"] == "lookup"


def test_second_call_reads_the_cache(emulator: Any) -> None:
    model = model_for(emulator)
    first = model.invoke(_history("What is in the handbook?"))
    second = model.invoke(_history("And in chapter two?"))
    assert first.usage_metadata is not None and second.usage_metadata is not None
    cached = second.usage_metadata["input_token_details"]["cache_read"]
    # the template (1), the system message (3) and its text: 60 x 7 words and stops
    assert (first.usage_metadata["input_token_details"]["cache_read"], cached) == (0, 424)
    streamed = merge(model.stream(_history("Chapter three?")))
    assert streamed.usage_metadata is not None
    assert streamed.usage_metadata["input_token_details"]["cache_read"] == 424


def test_a_model_without_caching_is_refused_before_any_request(emulator: Any) -> None:
    model = model_for(emulator, model="baidu/ernie-4.5-vl-424b-a47b")
    with pytest.raises(ernie_aiml.ParameterError, match=r"models that do: baidu/ernie-5\.0"):
        model.invoke(_history("Hi"))
    with pytest.raises(ernie_aiml.ParameterError, match="ttl must be '5m' or '1h'"):
        model_for(emulator).bind_tools([lookup], cache_control={"type": "ephemeral", "ttl": "1d"})
    assert emulator.chat_requests == []
