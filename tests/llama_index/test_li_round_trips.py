"""LlamaIndex round trips on the wire: extra_content, truncated calls, stable tool-call ids."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ernie_aiml import InvalidToolCallError, MissingUsageWarning
from ernie_aiml.emulator import JSONReply, SSEReply, completion_body, stream_events
from llama_index.core.agent.workflow import AgentStream, FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.tools import FunctionTool

SIG = {"google": {"thought_signature": "CvcBAY89a1+sig=="}}
PAID: list[dict[str, Any]] = []


def pay(to: str, amount: int = 1) -> str:
    """Pay someone an amount of money."""
    PAID.append({"to": to, "amount": amount})
    return f"paid {amount} to {to}"


PAY = FunctionTool.from_defaults(fn=pay)


@pytest.fixture(autouse=True)
def _reset() -> None:
    PAID.clear()


def _events(
    arguments: str, *, with_ids: bool = True, extra: bool = False, **kwargs: Any
) -> list[dict[str, Any]]:
    """A streamed call to `pay` with these raw arguments (ids and `extra_content` optional)."""
    events = copy.deepcopy(
        stream_events(
            tool_calls=[{"id": "call_srv", "name": "pay", "arguments": arguments}],
            chunk_size=6,
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


def _done() -> JSONReply:
    return JSONReply(completion_body(model="baidu/ernie-5.0", content="Done."))


def _tool_result(call_id: str, text: str) -> ChatMessage:
    return ChatMessage(role="tool", content=text, additional_kwargs={"tool_call_id": call_id})


async def test_streamed_extra_content_is_kept_and_echoed(emulator, llm) -> None:
    emulator.enqueue(SSEReply(_events('{"to": "bob"}', extra=True)), _done())
    responses = [r async for r in await llm.astream_chat_with_tools([PAY], user_msg="pay bob")]
    last = responses[-1]
    assert last.message.additional_kwargs["tool_calls"] == [
        {
            "id": "call_srv",
            "type": "function",
            "function": {"name": "pay", "arguments": '{"to": "bob"}'},
            "extra_content": SIG,
        }
    ]
    history = [ChatMessage(role="user", content="pay bob"), last.message]
    history.append(_tool_result("call_srv", "paid"))
    assert (await llm.achat(history)).message.content == "Done."
    assert emulator.chat_requests[1].json["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_srv",
                    "type": "function",
                    "function": {"name": "pay", "arguments": '{"to": "bob"}'},
                    "extra_content": SIG,
                }
            ],
        },
        {"role": "tool", "content": "paid", "tool_call_id": "call_srv"},
    ]


CUT = '{"to":"alice","amount": 10'


def test_truncated_call_is_lenient_while_streaming_and_never_runnable_at_the_end(
    emulator, llm
) -> None:
    emulator.enqueue(SSEReply(_events(CUT, finish_reason="length")), _done())
    responses = list(llm.stream_chat_with_tools([PAY], user_msg="pay alice"))
    finished = [r for r in responses if r.additional_kwargs.get("finish_reason")]
    in_progress = responses[: len(responses) - len(finished)]
    assert [r.additional_kwargs["finish_reason"] for r in finished] == ["length", "length"]
    snapshot = llm.get_tool_calls_from_response(in_progress[-1], error_on_no_tool_call=False)
    assert [(c.tool_id, c.tool_kwargs) for c in snapshot] == [
        ("call_srv", {"to": "alice", "amount": 10})
    ]
    for response in finished:
        with pytest.raises(InvalidToolCallError) as info:
            llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        assert str(info.value) == (
            "tool call 'pay' (id call_srv) cannot be run: arguments are not valid JSON: "
            "Expecting ',' delimiter: line 1 column 27 (char 26); "
            """arguments as sent: '{"to":"alice","amount": 10' """
            "(the answer was cut off (finish_reason='length'): raise max_tokens)"
        )
    # the call goes back as the model wrote it, so its tool result answers a real call
    history = [ChatMessage(role="user", content="pay alice"), finished[-1].message]
    history.append(_tool_result("call_srv", "Error: arguments cut off"))
    llm.chat(history)
    assert emulator.chat_requests[1].json["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_srv",
                    "type": "function",
                    "function": {"name": "pay", "arguments": CUT},
                }
            ],
        },
        {"role": "tool", "content": "Error: arguments cut off", "tool_call_id": "call_srv"},
    ]


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_never_runs_a_truncated_call(emulator, llm, streaming: bool) -> None:
    if streaming:
        emulator.enqueue(SSEReply(_events(CUT, finish_reason="length")))
    else:
        body = completion_body(
            model="baidu/ernie-5.0",
            content="",
            tool_calls=[{"id": "call_srv", "name": "pay", "arguments": CUT}],
            finish_reason="length",
        )
        emulator.enqueue(JSONReply(body))
    agent = FunctionAgent(tools=[PAY], llm=llm, streaming=streaming)
    handler = agent.run(user_msg="pay alice 10")
    seen: list[Any] = []
    with pytest.raises(InvalidToolCallError) as info:
        async for event in handler.stream_events():
            seen.append(event)
        await handler
    assert info.value.hint == "the answer was cut off (finish_reason='length'): raise max_tokens"
    assert PAID == []
    assert len(emulator.chat_requests) == 1
    if streaming:  # the agent still showed the call in progress, leniently parsed
        shown = [e.tool_calls for e in seen if isinstance(e, AgentStream) and e.tool_calls]
        assert shown and shown[-1][0].tool_kwargs == {"to": "alice", "amount": 10}


def test_ids_are_stable_from_the_first_fragment_when_the_server_sends_none(emulator, llm) -> None:
    emulator.enqueue(SSEReply(_events('{"to": "bob", "amount": 3}', with_ids=False)))
    responses = list(llm.stream_chat_with_tools([PAY], user_msg="pay bob"))
    ids = [
        [b.tool_call_id for b in r.message.blocks if isinstance(b, ToolCallBlock)]
        for r in responses
    ]
    with_calls = [i for i in ids if i]
    assert with_calls == [["call_0"]] * len(with_calls)
    kwarg_ids = [
        [d["id"] for d in r.message.additional_kwargs.get("tool_calls", [])] for r in responses
    ]
    assert [i for i in kwarg_ids if i] == with_calls
    (call,) = llm.get_tool_calls_from_response(responses[-1])
    assert (call.tool_id, call.tool_kwargs) == ("call_0", {"to": "bob", "amount": 3})


def test_usage_asked_for_and_not_sent_is_absent_not_zero(emulator, llm) -> None:
    emulator.enqueue(SSEReply(stream_events("Hi.", include_usage=False), done=False))
    with pytest.warns(MissingUsageWarning):
        last = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))[-1]
    assert last.message.content == "Hi."
    assert last.additional_kwargs == {"finish_reason": "stop"}
    assert last.raw["usage"] is None
