"""Offline token counting for LlamaIndex: our `tokenizer` in `Settings` and chat memory,
with the emulator's `prompt_tokens` as the reference."""

from __future__ import annotations

import sys
from typing import Any

import llama_index.core
from ernie_aiml import count_tokens
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.tools import FunctionTool

from llama_index_ernie_aiml import tokenizer

TEMPLATE = 1  # tokens a request adds once
PER_MESSAGE = 3  # tokens each message adds


def _history() -> list[ChatMessage]:
    turns = []
    for n in range(20):
        turns.append(ChatMessage(role="user", content=f"Question {n}: what is {n} squared? 请回答"))
        turns.append(ChatMessage(role="assistant", content=f"{n * n}."))
    return turns


def test_tokenizer_lengths_are_the_estimate() -> None:
    text = "Hi! What do you think about mankind? 你好\uff0c世界"
    assert len(tokenizer(text)) == count_tokens(text) == 14


def test_chat_memory_keeps_the_history_inside_its_limit(llm: Any, emulator: Any) -> None:
    memory = ChatMemoryBuffer.from_defaults(token_limit=100, tokenizer_fn=tokenizer)
    memory.set(_history())
    kept = memory.get()
    assert 1 < len(kept) < 40 and kept[0].role.value == "user"
    memory_count = len(tokenizer(" ".join(str(m.content) for m in kept)))
    assert memory_count <= 100
    response_prompt = llm.chat(kept).additional_kwargs["prompt_tokens"]
    # the emulator counts the same text, plus the chat template around it
    assert response_prompt == memory_count + TEMPLATE + PER_MESSAGE * len(kept)
    assert emulator.chat_requests[-1].json["messages"][0]["content"] == kept[0].content


def test_settings_tokenizer_feeds_default_memory(monkeypatch: Any) -> None:
    monkeypatch.setattr(llama_index.core, "global_tokenizer", None)
    Settings.tokenizer = tokenizer
    assert Settings.tokenizer is tokenizer
    memory = ChatMemoryBuffer.from_defaults(token_limit=50)
    memory.set(_history())
    kept = memory.get()
    assert len(tokenizer(" ".join(str(m.content) for m in kept))) <= 50
    assert "transformers" not in sys.modules


def lookup(topic: str) -> str:
    """Look a topic up in the handbook."""
    return topic


def test_counts_match_the_emulator_with_tools(llm: Any) -> None:
    tools = [FunctionTool.from_defaults(lookup)]
    history = _history()[:6]
    assert llm.get_num_tokens("Hi! What do you think about mankind?") == 9
    counted = llm.get_num_tokens_from_messages(history)
    with_tools = llm.get_num_tokens_from_messages(history, tools=tools)
    assert llm.chat(history).additional_kwargs["prompt_tokens"] == counted
    response = llm.chat_with_tools(tools, chat_history=history)
    assert response.additional_kwargs["prompt_tokens"] == with_tools > counted
    assert llm.get_num_tokens_from_messages([]) == 0
