"""LangChain round trips on the wire: extra_content, invalid calls, tool-call and message ids."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ernie_aiml import MissingUsageWarning
from ernie_aiml.emulator import JSONReply, SSEReply, completion_body, stream_events
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.messages.tool import invalid_tool_call
from langchain_core.outputs import ChatGenerationChunk
from lc_support import merge, model_for

from langchain_ernie_aiml._messages import MODEL_PROVIDER, TextChunks

SIG = {"google": {"thought_signature": "CvcBAY89a1+sig=="}}
PAY_ARGS = {"to": "alice", "amount": 10}


def _tool_events(*, with_ids: bool, extra: bool, **kwargs: Any) -> list[dict[str, Any]]:
    """A streamed ernie-5.0 tool call: `extra_content` on its first fragment, ids optional."""
    events = copy.deepcopy(
        stream_events(
            reasoning="Pay.",
            tool_calls=[{"id": "call_srv", "name": "pay", "arguments": PAY_ARGS}],
            chunk_size=8,
            **kwargs,
        )
    )
    for event in events:
        for choice in event["choices"]:
            for fragment in choice["delta"].get("tool_calls", []):
                if not with_ids:
                    fragment.pop("id", None)
                if extra and "type" in fragment:
                    fragment["extra_content"] = SIG
    return events


def _chunks(model: Any, prompt: str) -> list[AIMessageChunk]:
    return list(model.stream(prompt))


def test_streamed_extra_content_is_kept_and_echoed(emulator) -> None:
    emulator.enqueue(SSEReply(_tool_events(with_ids=True, extra=True)), JSONReply(_done()))
    model = model_for(emulator)
    answer = merge(_chunks(model, "pay alice 10"))
    assert answer.tool_calls == [
        {"name": "pay", "args": PAY_ARGS, "id": "call_srv", "type": "tool_call"}
    ]
    assert answer.additional_kwargs["tool_call_extra_content"] == {"call_srv": SIG}

    history = [HumanMessage("pay alice 10"), answer, ToolMessage("paid", tool_call_id="call_srv")]
    model.invoke(history)
    assert emulator.chat_requests[1].json["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_srv",
                    "type": "function",
                    "function": {"name": "pay", "arguments": '{"to": "alice", "amount": 10}'},
                    "extra_content": SIG,
                }
            ],
        },
        {"role": "tool", "content": "paid", "tool_call_id": "call_srv"},
    ]


def test_extra_content_repeated_on_every_fragment_is_kept_once_unchanged(emulator) -> None:
    events = _tool_events(with_ids=True, extra=True)
    for event in events:
        for choice in event["choices"]:
            for fragment in choice["delta"].get("tool_calls", []):
                fragment["extra_content"] = SIG
    emulator.enqueue(SSEReply(events))
    answer = merge(_chunks(model_for(emulator), "pay"))
    assert answer.additional_kwargs["tool_call_extra_content"] == {"call_srv": SIG}


def _done() -> dict[str, Any]:
    return completion_body(model="baidu/ernie-5.0", content="Done.")


def test_invalid_tool_calls_go_back_with_their_raw_arguments(emulator) -> None:
    emulator.enqueue(JSONReply(_done()))
    cut = invalid_tool_call(
        name="pay", args='{"to": "alice", "amount": 10', id="call_cut", error="cut off"
    )
    history = [
        HumanMessage("pay alice 10"),
        AIMessage(content="", invalid_tool_calls=[cut]),
        ToolMessage("Error: the arguments were cut off", tool_call_id="call_cut", status="error"),
    ]
    assert model_for(emulator).invoke(history).content == "Done."
    assert emulator.chat_requests[0].json["messages"] == [
        {"role": "user", "content": "pay alice 10"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_cut",
                    "type": "function",
                    "function": {"name": "pay", "arguments": '{"to": "alice", "amount": 10'},
                }
            ],
        },
        {
            "role": "tool",
            "content": "Error: the arguments were cut off",
            "tool_call_id": "call_cut",
        },
    ]


def test_valid_and_invalid_calls_both_go_back_valid_first(emulator) -> None:
    emulator.enqueue(JSONReply(_done()))
    message = AIMessage(
        content="",
        tool_calls=[{"name": "pay", "args": {"to": "bob"}, "id": "c1"}],
        invalid_tool_calls=[invalid_tool_call(name=None, args=None, id="c2", error="no name")],
    )
    history = [
        HumanMessage("pay"),
        message,
        ToolMessage("ok", tool_call_id="c1"),
        ToolMessage("bad", tool_call_id="c2"),
    ]
    model_for(emulator).invoke(history)
    assert emulator.chat_requests[0].json["messages"][1]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "pay", "arguments": '{"to": "bob"}'}},
        {"id": "c2", "type": "function", "function": {"name": "", "arguments": ""}},
    ]


def test_a_call_without_id_is_never_sent_with_an_empty_id(emulator) -> None:
    emulator.enqueue(JSONReply(_done()))
    message = AIMessage(content="", tool_calls=[{"name": "pay", "args": {}, "id": None}])
    model_for(emulator).invoke([HumanMessage("pay"), message])
    assert emulator.chat_requests[0].json["messages"][1]["tool_calls"] == [
        {"id": "call_0", "type": "function", "function": {"name": "pay", "arguments": "{}"}}
    ]


def test_streamed_call_without_server_id_has_one_id_from_first_fragment_on(emulator) -> None:
    body = completion_body(
        model="baidu/ernie-5.0",
        content="",
        tool_calls=[{"id": "x", "name": "pay", "arguments": PAY_ARGS}],
        finish_reason="tool_calls",
    )
    del body["choices"][0]["message"]["tool_calls"][0]["id"]
    emulator.enqueue(SSEReply(_tool_events(with_ids=False, extra=False)), JSONReply(body))
    model = model_for(emulator)
    chunks = _chunks(model, "pay")
    fragments = [tc for c in chunks for tc in c.tool_call_chunks]
    assert [f["id"] for f in fragments] == ["call_0"] + [None] * (len(fragments) - 1)
    streamed = merge(chunks)
    invoked = model.invoke("pay")
    assert [c["id"] for c in streamed.tool_calls] == [c["id"] for c in invoked.tool_calls]
    assert streamed.tool_calls[0]["id"] == "call_0"


def test_every_chunk_of_a_streamed_answer_carries_the_final_message_id(emulator) -> None:
    events = _tool_events(with_ids=True, extra=False)
    server_id = events[0]["id"]
    assert {event["id"] for event in events} == {server_id}
    emulator.enqueue(SSEReply(events))
    chunks = _chunks(model_for(emulator), "pay")
    assert [c.id for c in chunks] == [server_id] * len(chunks)
    assert merge(chunks).id == server_id
    assert any(c.additional_kwargs.get("reasoning_content") for c in chunks)
    assert any(c.tool_call_chunks for c in chunks)
    assert chunks[-1].chunk_position == "last"


def test_usage_asked_for_and_not_sent_is_absent_not_zero(emulator) -> None:
    emulator.enqueue(SSEReply(stream_events("Hi there.", include_usage=False), done=False))
    with pytest.warns(MissingUsageWarning):
        answer = merge(_chunks(model_for(emulator), "hi"))
    assert answer.content == "Hi there."
    assert answer.usage_metadata is None
    assert emulator.chat_requests[0].json["stream_options"] == {"include_usage": True}


def test_text_chunks_equal_the_chunks_langchain_would_build() -> None:
    made = TextChunks()("Hi", "hmm", "chatcmpl-7")
    built = ChatGenerationChunk(
        message=AIMessageChunk(
            content="Hi",
            additional_kwargs={"reasoning_content": "hmm"},
            response_metadata={"model_provider": MODEL_PROVIDER},
            id="chatcmpl-7",
        )
    )
    assert made == built
    assert made.message.model_fields_set == built.message.model_fields_set
    assert made.message.model_dump(exclude_unset=True) == built.message.model_dump(
        exclude_unset=True
    )
