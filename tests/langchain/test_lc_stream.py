"""Streams: reasoning from the first chunk, usage once, metadata on the last chunk,
tool-call chunks, callbacks for every chunk, `[DONE]` optional, cut streams raise,
and `output_version="v1"` blocks that never merge (the ChatDeepSeek bug)."""

from __future__ import annotations

import ernie_aiml
import pytest
from ernie_aiml.emulator import ErrorReply, SSEReply, stream_events
from langchain_core.exceptions import ModelConnectionError
from langchain_core.rate_limiters import InMemoryRateLimiter
from lc_support import AsyncTokenRecorder, TokenRecorder, merge, model_for

from langchain_ernie_aiml import ErnieAIMLStreamInterruptedError

CONTENT = "Rayleigh scattering makes the sky blue."
REASONING = "Short wavelengths scatter more. Blue is short."


def _events(**kwargs):
    return stream_events(CONTENT, reasoning=REASONING, chunk_size=8, **kwargs)


@pytest.mark.parametrize("done", [True, False])
def test_stream_content_reasoning_usage_and_metadata(emulator, done: bool) -> None:
    events = _events()
    emulator.enqueue(SSEReply(events, done=done))
    recorder = TokenRecorder()
    chunks = list(model_for(emulator).stream("Why blue?", config={"callbacks": [recorder]}))

    assert (
        chunks[0].additional_kwargs["reasoning_content"]
        == events[0]["choices"][0]["delta"]["reasoning_content"]
    )
    full = merge(chunks)
    assert full.content == CONTENT
    assert full.additional_kwargs["reasoning_content"] == REASONING
    with_usage = [c for c in chunks if c.usage_metadata is not None]
    assert len(with_usage) == 1
    usage = events[-1]["usage"]
    assert with_usage[0].usage_metadata == {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
        "output_token_details": {
            "reasoning": usage["completion_tokens_details"]["reasoning_tokens"]
        },
    }
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last is with_usage[0]
    meta = last.response_metadata
    assert meta["finish_reason"] == "stop"
    assert meta["model_name"] == "baidu/ernie-5.0"
    assert meta["server_model_name"] == events[0]["model"]
    assert meta["model_provider"] == "ernie_aiml"
    assert meta["credits_used"] == events[-1]["meta"]["usage"]["credits_used"]
    assert meta["inference_id"]
    assert full.id == events[0]["id"]
    assert all(c.response_metadata["model_provider"] == "ernie_aiml" for c in chunks)
    # every chunk reached the callbacks, reasoning-only ones included
    assert len(recorder.chunks) == len(chunks)
    assert "".join(recorder.tokens) == CONTENT
    assert emulator.requests[-1].json["stream_options"] == {"include_usage": True}


async def test_astream_first_chunk_reasoning_and_callbacks(emulator) -> None:
    events = _events()
    emulator.enqueue(SSEReply(events, done=False))
    recorder = AsyncTokenRecorder()
    chunks = [
        c async for c in model_for(emulator).astream("Why?", config={"callbacks": [recorder]})
    ]
    assert (
        chunks[0].additional_kwargs["reasoning_content"]
        == events[0]["choices"][0]["delta"]["reasoning_content"]
    )
    full = merge(chunks)
    assert (full.content, full.additional_kwargs["reasoning_content"]) == (CONTENT, REASONING)
    assert sum(c.usage_metadata is not None for c in chunks) == 1
    assert chunks[-1].chunk_position == "last"
    assert len(recorder.chunks) == len(chunks)


def test_invoke_with_streaming_true_aggregates(emulator) -> None:
    emulator.enqueue(SSEReply(_events()))
    message = model_for(emulator, streaming=True).invoke("Why?")
    assert message.content == CONTENT
    assert message.additional_kwargs["reasoning_content"] == REASONING
    assert message.usage_metadata["total_tokens"] > 0
    assert emulator.requests[-1].json["stream"] is True


def test_stream_usage_off(emulator) -> None:
    emulator.enqueue(SSEReply(_events(include_usage=False)))
    chunks = list(model_for(emulator, stream_usage=False).stream("Why?"))
    assert "stream_options" not in emulator.requests[-1].json
    assert all(c.usage_metadata is None for c in chunks)
    assert chunks[-1].response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("cut_inside", [False, True])
def test_cut_stream_raises(emulator, cut_inside: bool) -> None:
    emulator.enqueue(SSEReply(_events(), cut_after=3, cut_inside=cut_inside))
    seen = []
    with pytest.raises(ErnieAIMLStreamInterruptedError) as info:
        seen.extend(model_for(emulator).stream("Why?"))
    assert isinstance(info.value, ernie_aiml.StreamInterruptedError)
    assert isinstance(info.value, ModelConnectionError)
    assert isinstance(info.value.__cause__, ernie_aiml.StreamInterruptedError)


async def test_cut_astream_raises(emulator) -> None:
    emulator.enqueue(SSEReply(_events(), cut_after=2, done=False))
    with pytest.raises(ErnieAIMLStreamInterruptedError):
        async for _ in model_for(emulator).astream("Why?"):
            pass


def test_stream_ending_without_finish_or_usage_is_an_error(emulator) -> None:
    events = [e for e in _events() if e["choices"] and e["choices"][0]["finish_reason"] is None]
    emulator.enqueue(SSEReply(events, done=False))
    with pytest.raises(ErnieAIMLStreamInterruptedError):
        list(model_for(emulator).stream("Why?"))


TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
CALLS = [
    {"id": "call_a", "name": "get_weather", "arguments": {"city": "Paris"}},
    {"id": "call_b", "name": "get_weather", "arguments": {"city": "Zürich"}},
]


def test_stream_tool_call_chunks(emulator) -> None:
    emulator.enqueue(
        SSEReply(stream_events("", reasoning=REASONING, tool_calls=CALLS, chunk_size=4))
    )
    chunks = list(model_for(emulator).bind_tools([TOOL]).stream("Weather?"))
    fragments = [tc for c in chunks for tc in c.tool_call_chunks]
    assert {f["index"] for f in fragments} == {0, 1}
    full = merge(chunks)
    assert full.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_a", "type": "tool_call"},
        {"name": "get_weather", "args": {"city": "Zürich"}, "id": "call_b", "type": "tool_call"},
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert full.additional_kwargs["reasoning_content"] == REASONING


@pytest.mark.filterwarnings("ignore::ernie_aiml.MissingUsageWarning")  # scripted without usage
def test_repeated_tool_names_are_not_concatenated(emulator) -> None:
    """The schema makes id/name required on every delta item: servers may repeat them."""
    base = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "ernie-5.0"}

    def chunk(delta, finish=None):
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    frag = {"index": 0, "id": "call_1", "type": "function"}
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"tool_calls": [{**frag, "function": {"name": "get_weather", "arguments": '{"ci'}}]}),
        chunk(
            {
                "tool_calls": [
                    {**frag, "function": {"name": "get_weather", "arguments": 'ty": "Oslo"}'}}
                ]
            }
        ),
        chunk({}, "tool_calls"),
    ]
    emulator.enqueue(SSEReply(events))
    full = merge(model_for(emulator).bind_tools([TOOL]).stream("Weather?"))
    assert full.tool_calls == [
        {"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_1", "type": "tool_call"}
    ]


@pytest.mark.parametrize("use_async", [False, True])
async def test_v1_stream_blocks_never_merge(emulator, use_async: bool) -> None:
    """Reasoning, text and tool calls keep distinct indexes: merged, all three kinds survive."""
    emulator.enqueue(
        SSEReply(
            stream_events("Let me check.", reasoning=REASONING, tool_calls=CALLS, chunk_size=4)
        )
    )
    model = model_for(emulator, output_version="v1").bind_tools([TOOL], tool_choice="any")
    if use_async:
        chunks = [c async for c in model.astream("Weather in Paris and Zürich?")]
    else:
        chunks = list(model.stream("Weather in Paris and Zürich?"))
    for chunk in chunks:
        indexes = [b["index"] for b in chunk.content if "index" in b]
        assert len(indexes) == len(set(indexes))
    full = merge(chunks)
    blocks = full.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "text", "tool_call", "tool_call"]
    assert blocks[0]["reasoning"] == REASONING
    assert blocks[1]["text"] == "Let me check."
    assert [(b["id"], b["args"]) for b in blocks[2:]] == [
        ("call_a", {"city": "Paris"}),
        ("call_b", {"city": "Zürich"}),
    ]
    partial = merge(chunks[:-1]).content  # before the last chunk: still streamed blocks
    assert [(b["type"], b["index"]) for b in partial] == [
        ("reasoning", "lc_rs_0"),
        ("text", "lc_txt_0"),
        ("tool_call_chunk", "lc_tc_0"),
        ("tool_call_chunk", "lc_tc_1"),
    ]
    assert full.tool_calls[0]["args"] == {"city": "Paris"}


def test_v1_stream_with_default_responder_tool_call(emulator) -> None:
    """The standard `test_tool_calling[v1]` shape: reasoning then a forced tool call."""

    def magic_function(input: int) -> int:
        """Apply a magic function to an input."""
        return input + 2

    model = model_for(emulator, output_version="v1").bind_tools([magic_function], tool_choice="any")
    full = merge(model.stream("What is the value of magic_function(3)? Use the tool."))
    types = [b["type"] for b in full.content_blocks]
    assert types == ["reasoning", "tool_call"]
    assert full.content_blocks[1]["args"] == {"input": 3}


def test_v1_invoke_blocks(emulator) -> None:
    message = model_for(emulator, output_version="v1").invoke("Hello")
    assert [b["type"] for b in message.content] == ["reasoning", "text"]
    assert message.content[0]["reasoning"] == message.additional_kwargs["reasoning_content"]


def test_disable_streaming_uses_invoke(emulator) -> None:
    chunks = list(model_for(emulator, disable_streaming=True).stream("Hello"))
    assert len(chunks) == 1
    assert "stream" not in emulator.requests[-1].json
    tool_model = model_for(emulator, disable_streaming="tool_calling").bind_tools([TOOL])
    list(tool_model.stream("Weather in Oslo?"))
    assert "stream" not in emulator.requests[-1].json
    list(model_for(emulator, disable_streaming="tool_calling").stream("Hello"))
    assert emulator.requests[-1].json["stream"] is True


def test_rate_limiter_is_consulted(emulator) -> None:
    class CountingLimiter(InMemoryRateLimiter):
        calls = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            type(self).calls += 1
            return True

    limiter = CountingLimiter(requests_per_second=1000)
    model = model_for(emulator, rate_limiter=limiter)
    model.invoke("Hello")
    list(model.stream("Hello"))
    assert CountingLimiter.calls == 2


def test_stream_error_before_first_chunk(emulator) -> None:
    from langchain_core.exceptions import ModelAuthenticationError

    emulator.enqueue(ErrorReply(401, "This request requires a valid API key."))
    with pytest.raises(ModelAuthenticationError, match="valid API key"):
        list(model_for(emulator).stream("Hello"))


def test_response_headers_on_request(emulator) -> None:
    emulator.enqueue(SSEReply(_events(), headers={"x-custom": "1"}))
    last = list(model_for(emulator, include_response_headers=True).stream("Hi"))[-1]
    assert last.response_metadata["headers"]["x-custom"] == "1"


def test_stream_events_v3_reasoning_and_tool_call(emulator) -> None:
    def magic_function(input: int) -> int:
        """Apply a magic function to an input."""
        return input + 2

    model = model_for(emulator).bind_tools([magic_function], tool_choice="any")
    stream = model.stream_events("What is magic_function(3)?", version="v3")
    list(stream)
    assert str(stream.reasoning).startswith('The user asks: "What is magic_function(3)?"')
    assert [b["type"] for b in stream.output.content_blocks] == ["reasoning", "tool_call"]
    assert stream.output.tool_calls[0]["args"] == {"input": 3}
