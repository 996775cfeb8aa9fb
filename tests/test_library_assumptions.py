"""What the kept speed-ups assume about other libraries' internals, checked loudly.

Each optimisation below reaches past a library's public API because the benchmark showed it
pays (`benchmarks/private_ab.py`, numbers and decisions in `benchmarks/README.md`, section
"Private parts: measured, kept, replaced"). If a new release of that library changes what
is assumed, the test here fails with the assumption in its name, before the adapters
silently build wrong objects. The fix is then the public-API twin named in each docstring.
"""

from __future__ import annotations

import copy
import json

import pytest

# ------------------------------------------------------- json: the C scanner directly


def test_json_scan_once_returns_the_value_and_where_it_ended() -> None:
    """`_transport/stream_state.py` `_SCAN = json.JSONDecoder().scan_once` (kept).

    Saves 5 to 9 % per streamed chunk through both adapters and 8 to 22 % in the core
    client (medians of 5 A/B runs; the Python layers of `json.loads` skipped).
    Public twin: `json.loads(data)`.
    """
    scan = json.JSONDecoder().scan_once
    text = '{"a":[1,2.5,"x",null,true]}'
    assert scan(text, 0) == ({"a": [1, 2.5, "x", None, True]}, len(text))
    assert scan('{"a":1}  ', 0) == ({"a": 1}, 7)  # the end index, trailing text not read
    assert scan('x {"a":1}', 2) == ({"a": 1}, 9)
    with pytest.raises(StopIteration):
        scan("", 0)
    with pytest.raises(StopIteration):
        scan(" {}", 0)  # no whitespace skipping: `_loads` falls back to json.loads
    for bad in ('{"a":', "{", "[1,]"):  # invalid: one of the two, never a wrong value
        with pytest.raises((StopIteration, ValueError)):
            scan(bad, 0)


@pytest.mark.parametrize(
    "text",
    [
        '{"choices":[{"delta":{"content":"é 😀 \\u00e9"}}]}',
        ' {"a":1}',
        '{"a":1} ',
        '{"a":NaN,"b":Infinity,"c":-1e400}',
        '{"a":1,"a":2}',
        '"text"',
        "[1]",
        "7",
    ],
)
def test_stream_event_decoding_equals_json_loads(text: str) -> None:
    """The scanner path gives exactly `json.loads`' value, and fails where it fails."""
    from ernie_aiml._transport.stream_state import _loads

    assert repr(_loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["", "{", '{"a":1} x', "[1,]", "\ufeff{}"])
def test_stream_event_decoding_fails_where_json_loads_fails(text: str) -> None:
    """Invalid text raises a `ValueError` (`JSONDecodeError`) on both paths."""
    from ernie_aiml._transport.stream_state import _loads

    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        _loads(text)


# ------------------------------------------- pydantic: LangChain chunks by __copy__ + __dict__


def _lc_built(content: str, reasoning: str | None, message_id: str | None = None):  # type: ignore[no-untyped-def]
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    from langchain_ernie_aiml._messages import MODEL_PROVIDER, REASONING_KEY

    return ChatGenerationChunk(
        message=AIMessageChunk(
            content=content,
            additional_kwargs={REASONING_KEY: reasoning} if reasoning else {},
            response_metadata={"model_provider": MODEL_PROVIDER},
            id=message_id,
        )
    )


def test_pydantic_copy_is_shallow_and_fields_live_in_dict() -> None:
    """What `TextChunks` builds on: `BaseModel.__copy__` copies `__dict__` shallowly and the
    fields set, and writing a field into the copy's `__dict__` changes that field."""
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    message = AIMessageChunk(content="", additional_kwargs={}, response_metadata={"k": "v"})
    copied = message.__copy__()
    assert type(copied) is AIMessageChunk
    assert copied is not message and copied.__dict__ is not message.__dict__
    assert copied.__dict__ == message.__dict__
    assert copied.response_metadata is message.response_metadata  # shallow: containers shared
    assert copied.model_fields_set == message.model_fields_set
    assert set(type(message).model_fields) <= set(message.__dict__)
    copied.__dict__["content"] = "new"
    assert copied.content == "new" and message.content == ""
    generation = ChatGenerationChunk(message=message)
    assert set(ChatGenerationChunk.model_fields) <= set(generation.__dict__)
    assert generation.__dict__["text"] == "" and "message" in generation.__dict__


@pytest.mark.parametrize(
    ("content", "reasoning", "message_id"),
    [(" tok", None, "as-1"), ("", "think", "as-1"), ("a", "b", None), ("", None, None)],
)
def test_lc_text_chunks_equal_the_normally_built_chunk(
    content: str, reasoning: str | None, message_id: str | None
) -> None:
    """`langchain_ernie_aiml/_messages.py` `TextChunks` (kept).

    Saves 22 % per streamed chunk through ChatErnieAIML (37 % with the whole stream in one
    HTTP chunk) against `ChatGenerationChunk(message=AIMessageChunk(...))`, the public twin.
    The copy must be that chunk: equal, same fields set, same derived values, same merging.
    """
    from langchain_core.load import dumps

    from langchain_ernie_aiml._messages import TextChunks

    chunks = TextChunks()
    got, want = chunks(content, reasoning, message_id), _lc_built(content, reasoning, message_id)
    assert got == want
    assert type(got) is type(want) and type(got.message) is type(want.message)
    assert got.model_fields_set == want.model_fields_set
    assert got.message.model_fields_set == want.message.model_fields_set
    assert got.message.__dict__ == want.message.__dict__
    assert got.text == want.text
    assert got.message.content_blocks == want.message.content_blocks
    assert got + got == want + want
    assert dumps(got) == dumps(want)
    assert copy.deepcopy(got) == want


def test_lc_text_chunks_share_no_container() -> None:
    """Every chunk has its own dicts and lists: changing one never shows in another."""
    from langchain_ernie_aiml._messages import TextChunks

    chunks = TextChunks()
    first, second = chunks("a", "r"), chunks("b", None)
    for name, value in first.message.__dict__.items():
        if isinstance(value, (list, dict)):
            assert value is not second.message.__dict__[name], name
    first.message.response_metadata["x"] = 1
    first.message.additional_kwargs["y"] = 2
    assert chunks("c", None) == _lc_built("c", None)
    assert second == _lc_built("b", None)


# ------------------------------------ pydantic: LlamaIndex messages by model_copy(update=)


@pytest.mark.parametrize(
    "tool_calls", [None, [{"id": "c1", "type": "function", "function": {"name": "f"}}]]
)
def test_li_streamed_message_equals_the_normally_built_message(tool_calls: list | None) -> None:
    """`llama_index_ernie_aiml/_stream.py` `_MESSAGE.model_copy(update=...)` (kept).

    Public pydantic API, but it skips validation, so it relies on `ChatMessage` having no
    validator that would change the given blocks. Saves 7 to 8 % per streamed chunk through
    ErnieAIML against `ChatMessage(role=..., blocks=..., additional_kwargs=...)`.
    """
    from llama_index.core.base.llms.types import (
        ChatMessage,
        MessageRole,
        TextBlock,
        ThinkingBlock,
        ToolCallBlock,
    )

    from llama_index_ernie_aiml._stream import _copy_message

    blocks: list = [ThinkingBlock(content="t"), TextBlock(text="answer")]
    kwargs: dict = {}
    if tool_calls:
        blocks.append(ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs="{}"))
        kwargs["tool_calls"] = tool_calls
    got = _copy_message(update={"blocks": blocks, "additional_kwargs": kwargs})
    want = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)
    assert got == want
    assert got.model_fields_set == want.model_fields_set
    assert got.content == want.content == "answer"
    assert got.model_dump() == want.model_dump()
    assert str(got) == str(want)
