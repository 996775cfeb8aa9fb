"""Chat, streaming and completion, sync and async, with real AIML responses (seeds)."""

from __future__ import annotations

from typing import Any

import pytest
from ernie_aiml import StreamInterruptedError
from ernie_aiml.emulator import JSONReply, SSEReply, stream_events
from li_support import seed, seed_stream_events
from llama_index.core.base.llms.types import (
    ChatMessage,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler

USER = [ChatMessage(role=MessageRole.USER, content="Hi! What do you think about mankind?")]

# (seed, reasoning tokens or None, answer has reasoning)
SEEDS = [
    ("ernie-x1-turbo-32k", 323),
    ("ernie-5-0-thinking-preview", 450),
]


def _message(name: str) -> dict[str, Any]:
    return seed(name)["choices"][0]["message"]


def _usage_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    usage = body["usage"]
    return {
        "prompt_tokens": usage["prompt_tokens"],
        "completion_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
        "credits_used": body["meta"]["usage"]["credits_used"],
    }


# --------------------------------------------------------------------------- chat


@pytest.mark.parametrize(("name", "reasoning_tokens"), SEEDS)
def test_chat_reasoning_seed(emulator, llm, name: str, reasoning_tokens: int) -> None:
    body = seed(name)
    emulator.enqueue(JSONReply(body))
    response = llm.chat(USER)
    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock) and isinstance(text, TextBlock)
    assert thinking.content == _message(name)["reasoning_content"]
    assert thinking.num_tokens == reasoning_tokens
    assert text.text == _message(name)["content"]
    assert response.message.content == _message(name)["content"]
    assert response.message.role == MessageRole.ASSISTANT
    assert response.raw == body
    kwargs = response.additional_kwargs
    assert {k: kwargs[k] for k in _usage_kwargs(body)} == _usage_kwargs(body)
    assert kwargs["reasoning_tokens"] == reasoning_tokens
    assert kwargs["inference_id"]
    assert emulator.requests[-1].json == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "Hi! What do you think about mankind?"}],
    }


@pytest.mark.parametrize(
    "name", ["ernie-4.5-21b-a3b", "ernie-4.5-vl-424b-a47b", "ernie-x1-1-preview"]
)
async def test_achat_seed_without_reasoning(emulator, make_llm, name: str) -> None:
    body = seed(name)
    emulator.enqueue(JSONReply(body))
    llm = make_llm(model="baidu/ernie-4.5-vl-424b-a47b")
    response = await llm.achat(USER)
    # x1.1 sends reasoning_content "": no empty ThinkingBlock
    assert [type(b) for b in response.message.blocks] == [TextBlock]
    assert response.message.content == _message(name)["content"]
    assert {k: response.additional_kwargs[k] for k in _usage_kwargs(body)} == _usage_kwargs(body)
    assert "reasoning_tokens" not in response.additional_kwargs


@pytest.mark.parametrize(("name", "reasoning_tokens"), SEEDS)
async def test_achat_reasoning_seed(emulator, llm, name: str, reasoning_tokens: int) -> None:
    emulator.enqueue(JSONReply(seed(name)))
    response = await llm.achat(USER)
    assert response.message.blocks[0].content == _message(name)["reasoning_content"]
    assert response.message.blocks[0].num_tokens == reasoning_tokens
    assert response.message.content == _message(name)["content"]


GENERATION = dict(
    top_p=0.75,
    max_tokens=300,
    stop="###",
    seed=42,
    frequency_penalty=-1.0,
    presence_penalty=1.5,
    enable_thinking=True,
    thinking_budget=128,
)


def test_generation_params_on_the_wire(emulator, make_llm) -> None:
    llm = make_llm(temperature=0.3, additional_kwargs={"provider": "baidu"}, **GENERATION)
    llm.chat(USER, temperature=0.1, client_request_id="req-1")  # per-call value wins
    request = emulator.requests[-1]
    expected = {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": USER[0].content}],
    }
    assert request.json == {**expected, "temperature": 0.1, **GENERATION, "provider": "baidu"}
    assert request.headers["x-client-request-id"] == "req-1"


def test_history_roles_and_reasoning_stripped(emulator, llm) -> None:
    history = [
        ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
        ChatMessage(role=MessageRole.USER, content="Hi"),
        ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=[ThinkingBlock(content="greet"), TextBlock(text="Hello!")],
        ),
        ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text="a"), TextBlock(text="b")]),
    ]
    llm.chat(history)
    assert emulator.requests[-1].json["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "a\nb"},
    ]


def test_preserve_reasoning_in_history(emulator, make_llm) -> None:
    llm = make_llm(preserve_reasoning_in_history=True)
    history = [
        ChatMessage(role=MessageRole.USER, content="Hi"),
        ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=[ThinkingBlock(content="greet"), TextBlock(text="Hello!")],
        ),
        ChatMessage(role=MessageRole.USER, content="Again"),
    ]
    llm.chat(history)
    assert emulator.requests[-1].json["messages"][1] == {
        "role": "assistant",
        "content": "Hello!",
        "reasoning_content": "greet",
    }


# --------------------------------------------------------------------------- streams


def _check_stream(responses: list, name: str, reasoning_tokens: int) -> None:
    body = seed(name)
    message = body["choices"][0]["message"]
    events = seed_stream_events(body)
    assert len(responses) == len(events)  # one response per event: nothing dropped
    # the first chunk carries role + the first reasoning piece: it must not be lost
    assert responses[0].additional_kwargs["thinking_delta"] == message["reasoning_content"][:40]
    thinking = "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses)
    assert thinking == message["reasoning_content"]
    assert "".join(r.delta for r in responses) == message["content"]
    last = responses[-1]
    assert isinstance(last.message.blocks[0], ThinkingBlock)
    assert last.message.blocks[0].content == message["reasoning_content"]
    assert last.message.blocks[0].num_tokens == reasoning_tokens
    assert last.message.content == message["content"]
    assert last.raw["usage"] == body["usage"]
    assert {k: last.additional_kwargs[k] for k in _usage_kwargs(body)} == _usage_kwargs(body)
    # cumulative: every response holds the text so far
    for i, response in enumerate(responses):
        so_far = "".join(r.delta for r in responses[: i + 1])
        assert response.message.content == so_far


@pytest.mark.parametrize(("name", "reasoning_tokens"), SEEDS)
def test_stream_chat_seed(emulator, llm, name: str, reasoning_tokens: int) -> None:
    emulator.enqueue(SSEReply(seed_stream_events(seed(name))))
    responses = list(llm.stream_chat(USER))
    _check_stream(responses, name, reasoning_tokens)
    assert emulator.requests[-1].json["stream"] is True
    assert emulator.requests[-1].json["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(("name", "reasoning_tokens"), SEEDS)
async def test_astream_chat_seed(emulator, llm, name: str, reasoning_tokens: int) -> None:
    emulator.enqueue(SSEReply(seed_stream_events(seed(name)), done=False))  # EOF after usage
    responses = [r async for r in await llm.astream_chat(USER)]
    _check_stream(responses, name, reasoning_tokens)


def test_stream_cut_short_is_an_error(emulator, llm) -> None:
    events = seed_stream_events(seed("ernie-x1-turbo-32k"))
    emulator.enqueue(SSEReply(events, done=False, cut_after=5))
    with pytest.raises(StreamInterruptedError):
        list(llm.stream_chat(USER))


async def test_astream_cut_short_is_an_error(emulator, llm) -> None:
    events = seed_stream_events(seed("ernie-x1-turbo-32k"))
    emulator.enqueue(SSEReply(events, done=False, cut_after=5))
    with pytest.raises(StreamInterruptedError):
        async for _ in await llm.astream_chat(USER):
            pass


# --------------------------------------------------------------------------- completion


def test_complete_and_stream_complete(emulator, llm) -> None:
    body = seed("ernie-x1-turbo-32k")
    emulator.enqueue(JSONReply(body), SSEReply(seed_stream_events(body)))
    completion = llm.complete("Hi! What do you think about mankind?")
    assert completion.text == body["choices"][0]["message"]["content"]
    assert completion.additional_kwargs["total_tokens"] == 614
    assert completion.raw == body
    chunks = list(llm.stream_complete("Hi! What do you think about mankind?"))
    assert chunks[-1].text == body["choices"][0]["message"]["content"]
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text
    assert emulator.requests[0].json["messages"] == [
        {"role": "user", "content": "Hi! What do you think about mankind?"}
    ]


async def test_acomplete_and_astream_complete(emulator, llm) -> None:
    body = seed("ernie-5-0-thinking-preview")
    emulator.enqueue(JSONReply(body), SSEReply(seed_stream_events(body)))
    completion = await llm.acomplete("Hi")
    assert completion.text == body["choices"][0]["message"]["content"]
    chunks = [c async for c in await llm.astream_complete("Hi")]
    assert chunks[-1].text == body["choices"][0]["message"]["content"]
    assert chunks[-1].raw["usage"] == body["usage"]


def test_default_responder_echo(emulator, make_llm) -> None:
    llm = make_llm(model="baidu/ernie-4.5-vl-424b-a47b")
    assert llm.complete("ping").text == 'You said: "ping"'


# --------------------------------------------------------------------------- callbacks fire once


async def test_decorators_fire_once_per_call(emulator, make_llm, recorder) -> None:
    debug = LlamaDebugHandler()
    llm = make_llm(callback_manager=CallbackManager([debug]))
    llm.chat(USER)
    await llm.achat(USER)
    list(llm.stream_chat(USER))
    async for _ in await llm.astream_chat(USER):
        pass
    llm.complete("x")
    await llm.acomplete("x")
    list(llm.stream_complete("x"))
    async for _ in await llm.astream_complete("x"):
        pass
    names = recorder.names()
    assert names.count("LLMChatStartEvent") == 4
    assert names.count("LLMChatEndEvent") == 4
    assert names.count("LLMCompletionStartEvent") == 4
    assert names.count("LLMCompletionEndEvent") == 4
    assert len(debug.get_event_pairs(CBEventType.LLM)) == 8
    assert len(emulator.requests) == 8


def test_stream_emits_one_in_progress_event_per_chunk(emulator, llm, recorder) -> None:
    events = stream_events("one two three four", reasoning="think", chunk_size=4)
    emulator.enqueue(SSEReply(events))
    responses = list(llm.stream_chat(USER))
    assert len(responses) == len(events)
    assert recorder.names().count("LLMChatInProgressEvent") == len(events)


def test_blocks_order_with_tool_calls(emulator, llm) -> None:
    body = seed("ernie-x1-turbo-32k")
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    ]
    emulator.enqueue(JSONReply(body))
    blocks = llm.chat(USER).message.blocks
    assert [type(b) for b in blocks] == [ThinkingBlock, TextBlock, ToolCallBlock]


def test_citable_blocks_send_their_content(emulator, llm) -> None:
    from llama_index.core.base.llms.types import CitableBlock

    cited = CitableBlock(title="doc", source="s1", content="ERNIE is built by Baidu.")
    message = ChatMessage(role=MessageRole.USER, blocks=[cited, TextBlock(text="Who builds it?")])
    llm.chat([message])
    assert emulator.requests[-1].json["messages"] == [
        {"role": "user", "content": "ERNIE is built by Baidu.\nWho builds it?"}
    ]


def test_stream_raw_is_exactly_what_the_server_sent(emulator, llm) -> None:
    body = seed("ernie-5-0-thinking-preview")
    events = seed_stream_events(body)
    emulator.enqueue(SSEReply(events))
    responses = list(llm.stream_chat([ChatMessage(role="user", content="Hi")]))
    # one response per event, each carrying that event's JSON untouched (usage only on the last)
    assert [r.raw for r in responses] == events
