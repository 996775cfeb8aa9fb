"""Tool calling: specs and tool_choice on the wire, tool calls back, streamed in every pattern."""

from typing import Any

import pytest
from ernie_aiml import InvalidToolCallError
from ernie_aiml.emulator import JSONReply, SSEReply, completion_body
from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


class Address(BaseModel):
    """A postal address."""

    city: str = Field(description="City name")
    title: str = Field(description="A property named title must survive")


def ship(address: Address, express: bool = False) -> str:
    """Ship a parcel to an address."""
    return f"shipped to {address.city}"


MULTIPLY = FunctionTool.from_defaults(fn=multiply)
SHIP = FunctionTool.from_defaults(fn=ship)


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "as-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "ernie-5.0",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _usage_chunk() -> dict[str, Any]:
    return {
        "id": "as-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "ernie-5.0",
        "choices": [],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        "meta": {"usage": {"credits_used": 7}},
    }


def _frag(index: int, id: str | None = None, name: str | None = None, args: str = "") -> dict:
    frag: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if id is not None:
        frag["id"] = id
        frag["type"] = "function"
    if name is not None:
        frag["function"]["name"] = name
    return frag


# --------------------------------------------------------------------------- request side


def test_tool_specs_and_choice_on_the_wire(emulator, llm) -> None:
    llm.chat_with_tools([MULTIPLY, SHIP], user_msg="multiply 6 and 7")
    body = emulator.requests[-1].json
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False
    multiply_spec, ship_spec = body["tools"]
    assert multiply_spec == {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "multiply(a: int, b: int) -> int\nMultiply two integers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }
    params = ship_spec["function"]["parameters"]
    assert "$defs" not in params and "strict" not in ship_spec["function"]
    address = params["properties"]["address"]
    assert address["properties"]["title"] == {
        "type": "string",
        "description": "A property named title must survive",
    }
    assert "title" not in address and "title" not in address["properties"]["city"]


@pytest.mark.parametrize(
    ("kwargs", "choice"),
    [
        ({"tool_required": True}, "required"),
        ({"tool_choice": "multiply"}, {"type": "function", "function": {"name": "multiply"}}),
        ({"tool_choice": "none"}, "none"),
    ],
)
def test_tool_choice_variants(emulator, llm, kwargs: dict, choice: Any) -> None:
    llm.chat_with_tools(
        [MULTIPLY], user_msg="multiply 2 and 3", allow_parallel_tool_calls=True, **kwargs
    )
    body = emulator.requests[-1].json
    assert body["tool_choice"] == choice
    assert body["parallel_tool_calls"] is True


def test_never_tool_choice_without_tools(emulator, llm) -> None:
    llm.chat_with_tools([], user_msg="hello", tool_required=True)
    body = emulator.requests[-1].json
    assert "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body


def test_tool_call_round_trip_on_the_wire(emulator, llm) -> None:
    response = llm.chat_with_tools([MULTIPLY], user_msg="multiply 6 and 7")
    (call,) = llm.get_tool_calls_from_response(response)
    assert call.tool_name == "multiply"
    assert call.tool_kwargs == {"a": 6, "b": 7}
    assert response.message.additional_kwargs["tool_calls"][0]["id"] == call.tool_id
    assert [type(b) for b in response.message.blocks][-1] is ToolCallBlock
    result = MULTIPLY.call(**call.tool_kwargs)
    history = [
        ChatMessage(role=MessageRole.USER, content="multiply 6 and 7"),
        response.message,
        ChatMessage(
            role=MessageRole.TOOL,
            blocks=result.blocks,
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    final = llm.chat_with_tools([MULTIPLY], chat_history=history)
    sent = emulator.requests[-1].json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": call.tool_id,
                "type": "function",
                "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "content": "42", "tool_call_id": call.tool_id}
    assert final.message.content == "The result is 42."
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        llm.get_tool_calls_from_response(final)


def test_predict_and_call(emulator, llm) -> None:
    output = llm.predict_and_call([MULTIPLY], user_msg="multiply 3 and 5")
    assert output.response == "15"
    assert emulator.requests[-1].json["tool_choice"] == "auto"


def test_history_from_openai_style_kwargs(emulator, llm) -> None:
    assistant = ChatMessage(
        role=MessageRole.ASSISTANT,
        content=None,
        additional_kwargs={
            "tool_calls": [
                {
                    "id": "call_9",
                    "type": "function",
                    "function": {"name": "multiply", "arguments": '{"a":1,"b":2}'},
                    "extra_content": {"opaque": 1},
                }
            ]
        },
    )
    tool = ChatMessage(role="tool", content="2", additional_kwargs={"tool_call_id": "call_9"})
    llm.chat([ChatMessage(role="user", content="go"), assistant, tool])
    sent = emulator.requests[-1].json["messages"]
    assert sent[1]["content"] == ""
    assert sent[1]["tool_calls"] == [
        {
            "id": "call_9",
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a": 1, "b": 2}'},
            "extra_content": {"opaque": 1},
        }
    ]


def _tool_reply(*calls: tuple[str, str]) -> JSONReply:
    """A non-streamed answer with `(id, raw arguments)` calls to multiply."""
    wire = [{"id": i, "name": "multiply", "arguments": args} for i, args in calls]
    return JSONReply(completion_body(model="baidu/ernie-5.0", content="", tool_calls=wire))


def test_parallel_calls_trimmed_unless_allowed(emulator, llm) -> None:
    reply = _tool_reply(("c1", '{"a":1,"b":2}'), ("c2", '{"a":3,"b":4}'))
    emulator.enqueue(reply, reply)
    single = llm.chat_with_tools([MULTIPLY], user_msg="x")
    assert [c.tool_id for c in llm.get_tool_calls_from_response(single)] == ["c1"]
    assert [d["id"] for d in single.message.additional_kwargs["tool_calls"]] == ["c1"]
    both = llm.chat_with_tools([MULTIPLY], user_msg="x", allow_parallel_tool_calls=True)
    assert [c.tool_kwargs for c in llm.get_tool_calls_from_response(both)] == [
        {"a": 1, "b": 2},
        {"a": 3, "b": 4},
    ]


def test_invalid_arguments_are_kept_but_never_become_a_runnable_call(emulator, llm) -> None:
    emulator.enqueue(_tool_reply(("c1", "[1, 2]")))
    response = llm.chat_with_tools([MULTIPLY], user_msg="x")
    with pytest.raises(InvalidToolCallError) as info:
        llm.get_tool_calls_from_response(response)
    assert info.value.message == (
        "tool call 'multiply' (id c1) cannot be run: arguments are not a JSON object "
        "(got list); arguments as sent: '[1, 2]'"
    )
    assert response.message.additional_kwargs["tool_calls"][0]["function"]["arguments"] == "[1, 2]"


# --------------------------------------------------------------------------- streamed tool calls

PATTERNS = {
    # the OpenAI pattern: id and name first, arguments split anywhere
    "id_only_first": [
        _chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [_frag(0, "call_a", "multiply", "")],
            }
        ),
        _chunk({"tool_calls": [_frag(0, args='{"a": ')]}),
        _chunk({"tool_calls": [_frag(0, args='6, "b"')]}),
        _chunk({"tool_calls": [_frag(0, args=": 7}")]}),
        _chunk({"tool_calls": [_frag(1, "call_b", "multiply", '{"a": 2, "b": 3}')]}),
    ],
    # id and name repeated on every fragment: never concatenated
    "id_repeated": [
        _chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [_frag(0, "call_a", "multiply", '{"a"')],
            }
        ),
        _chunk({"tool_calls": [_frag(0, "call_a", "multiply", ": 6, ")]}),
        _chunk({"tool_calls": [_frag(0, "call_a", "multiply", '"b": 7}')]}),
        _chunk({"tool_calls": [_frag(1, "call_b", "multiply", '{"a": 2, "b": 3}')]}),
    ],
    # several calls in one chunk
    "several_per_chunk": [
        _chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    _frag(0, "call_a", "multiply", '{"a": 6,'),
                    _frag(1, "call_b", "multiply", '{"a": 2,'),
                ],
            }
        ),
        _chunk({"tool_calls": [_frag(0, args=' "b": 7}'), _frag(1, args=' "b": 3}')]}),
    ],
}


def _stream_reply(name: str) -> SSEReply:
    return SSEReply([*PATTERNS[name], _chunk({}, "tool_calls"), _usage_chunk()])


def _check_calls(llm, responses: list) -> None:
    last = responses[-1]
    calls = llm.get_tool_calls_from_response(last)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("call_a", "multiply", {"a": 6, "b": 7}),
        ("call_b", "multiply", {"a": 2, "b": 3}),
    ]
    assert [d["id"] for d in last.message.additional_kwargs["tool_calls"]] == ["call_a", "call_b"]
    blocks = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert [b.tool_kwargs for b in blocks] == [{"a": 6, "b": 7}, {"a": 2, "b": 3}]
    assert isinstance(last.message.blocks[0], TextBlock)
    # every intermediate response can be read (partial JSON parsed leniently)
    for response in responses:
        for call in llm.get_tool_calls_from_response(response, error_on_no_tool_call=False):
            assert call.tool_id in ("call_a", "call_b")
            assert call.tool_name == "multiply"
    assert last.additional_kwargs["total_tokens"] == 15


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_streamed_tool_calls(emulator, llm, pattern: str) -> None:
    emulator.enqueue(_stream_reply(pattern))
    responses = list(
        llm.stream_chat_with_tools([MULTIPLY], user_msg="x", allow_parallel_tool_calls=True)
    )
    _check_calls(llm, responses)


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
async def test_astreamed_tool_calls(emulator, llm, pattern: str) -> None:
    emulator.enqueue(_stream_reply(pattern))
    gen = await llm.astream_chat_with_tools(
        [MULTIPLY], user_msg="x", allow_parallel_tool_calls=True
    )
    responses = [r async for r in gen]
    _check_calls(llm, responses)


def test_streamed_partial_arguments_visible_while_streaming(emulator, llm) -> None:
    emulator.enqueue(_stream_reply("id_only_first"))
    responses = list(llm.stream_chat_with_tools([MULTIPLY], user_msg="x"))
    partial = responses[1].message.additional_kwargs["tool_calls"]
    assert partial == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a": '},
        }
    ]
    assert llm.get_tool_calls_from_response(responses[1])[0].tool_kwargs == {"a": None}
    # '{"a": 6, "b"' is beyond LlamaIndex's partial-JSON parser: read as {} (never an error)
    assert llm.get_tool_calls_from_response(responses[2])[0].tool_kwargs == {}


def test_in_progress_blocks_carry_raw_arguments_unparsed(emulator, llm) -> None:
    emulator.enqueue(_stream_reply("id_only_first"))
    responses = list(llm.stream_chat_with_tools([MULTIPLY], user_msg="x"))
    in_progress = [
        [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in r.message.blocks[1:]]
        for r in responses[:4]
    ]
    assert in_progress == [
        [("call_a", "multiply", "")],
        [("call_a", "multiply", '{"a": ')],
        [("call_a", "multiply", '{"a": 6, "b"')],
        [("call_a", "multiply", '{"a": 6, "b": 7}')],
    ]
    finished = [b.tool_kwargs for b in responses[-1].message.blocks[1:]]
    assert finished == [{"a": 6, "b": 7}, {"a": 2, "b": 3}]


def test_streamed_calls_keep_the_server_order_when_one_is_invalid(emulator, llm) -> None:
    emulator.enqueue(
        SSEReply(
            [
                _chunk(
                    {"role": "assistant", "tool_calls": [_frag(0, "call_a", "multiply", "[1]")]}
                ),
                _chunk({"tool_calls": [_frag(1, "call_b", "multiply", '{"a": 2, "b": 3}')]}),
                _chunk({}, "tool_calls"),
                _usage_chunk(),
            ]
        )
    )
    last = list(
        llm.stream_chat_with_tools([MULTIPLY], user_msg="x", allow_parallel_tool_calls=True)
    )[-1]
    blocks = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(b.tool_call_id, b.tool_kwargs) for b in blocks] == [
        ("call_a", "[1]"),
        ("call_b", {"a": 2, "b": 3}),
    ]
    assert [d["id"] for d in last.message.additional_kwargs["tool_calls"]] == ["call_a", "call_b"]
    with pytest.raises(InvalidToolCallError) as info:
        llm.get_tool_calls_from_response(last)
    assert info.value.message == (
        "tool call 'multiply' (id call_a) cannot be run: arguments are not a JSON object "
        "(got list); arguments as sent: '[1]'"
    )


def test_tool_calls_without_an_id_are_named_by_their_position() -> None:
    """The core's one naming rule (`call_<index>`), never `call_0` for every call."""
    from ernie_aiml import InvalidToolCall, ToolCall

    from llama_index_ernie_aiml._responses import tool_call_parts

    calls = [
        InvalidToolCall(id=None, name="a", raw_arguments="{", error="bad"),
        InvalidToolCall(id=None, name="b", raw_arguments="[", error="bad"),
        ToolCall(id="srv-1", name="c", arguments={}),
    ]
    _, dicts = tool_call_parts(calls)
    assert [d["id"] for d in dicts] == ["call_0", "call_1", "srv-1"]
