"""Prompt caching through LlamaIndex: `CachePoint` blocks and a tools keyword, cache reads."""

from __future__ import annotations

from typing import Any

import ernie_aiml
import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ImageBlock,
    TextBlock,
)
from llama_index.core.tools import FunctionTool

LONG = "You answer from the handbook only. " * 60
POINT = CachePoint(cache_control=CacheControl(type="ephemeral"))
MARK = {"type": "ephemeral", "ttl": "5m"}  # CacheControl's default ttl is "5m"


def _history(question: str) -> list[ChatMessage]:
    return [
        ChatMessage(role="system", blocks=[TextBlock(text=LONG), POINT]),
        ChatMessage(role="user", content=question),
    ]


def lookup(topic: str) -> str:
    """Look a topic up in the handbook."""
    return topic


def test_a_cache_point_marks_the_block_before_it(llm: Any, emulator: Any) -> None:
    llm.chat(
        [
            *_history("Hi"),
            ChatMessage(
                role="user",
                blocks=[
                    ImageBlock(url="https://example.com/a.png"),
                    CachePoint(cache_control=CacheControl(type="ephemeral", ttl="1h")),
                    TextBlock(text="What is it?"),
                ],
            ),
        ]
    )
    assert emulator.chat_requests[-1].json["messages"] == [
        {"role": "system", "content": [{"type": "text", "text": LONG, "cache_control": MARK}]},
        {"role": "user", "content": "Hi"},
        {
            "role": "user",
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/a.png"},
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                },
                {"type": "text", "text": "What is it?"},
            ],
        },
    ]


def test_tools_keyword_marks_the_last_tool(llm: Any, emulator: Any) -> None:
    tools = [FunctionTool.from_defaults(lookup), FunctionTool.from_defaults(lookup, name="find")]
    llm.chat_with_tools(tools, user_msg="Look up caching", cache_control={"type": "ephemeral"})
    body = emulator.chat_requests[-1].json
    assert [t.get("cache_control") for t in body["tools"]] == [None, {"type": "ephemeral"}]
    assert "cache_control" not in body


def test_second_call_reads_the_cache(llm: Any) -> None:
    first = llm.chat(_history("What is in the handbook?"))
    second = llm.chat(_history("And in chapter two?"))
    # the template (1), the system message (3) and its text: 60 x 7 words and stops
    assert (
        first.additional_kwargs["cached_tokens"],
        second.additional_kwargs["cached_tokens"],
    ) == (0, 424)
    assert second.raw["usage"]["prompt_tokens_details"] == {"cached_tokens": 424}
    *_, last = llm.stream_chat(_history("Chapter three?"))
    assert last.additional_kwargs["cached_tokens"] == 424


def test_refusals_before_any_request(make_llm: Any, emulator: Any) -> None:
    vl = make_llm(model="baidu/ernie-4.5-vl-424b-a47b")
    with pytest.raises(ernie_aiml.ParameterError, match=r"models that do: baidu/ernie-5\.0"):
        vl.chat(_history("Hi"))
    with pytest.raises(ernie_aiml.ParameterError, match="CachePoint must follow"):
        make_llm().chat([ChatMessage(role="user", blocks=[POINT, TextBlock(text="Hi")])])
    assert emulator.chat_requests == []
