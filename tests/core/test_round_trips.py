"""Round trips in the core: extra_content, tool-call ids, usage, key masking (issue 10, point 4)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
import pytest
from _transport_helpers import (
    BODY,
    FIRST,
    HELLO,
    STOP,
    USAGE,
    Script,
    chunk,
    make_client,
    sse,
    sse_response,
)
from ernie_aiml import (
    BadRequestError,
    InvalidToolCall,
    Message,
    MissingUsageWarning,
    ResponseParseError,
    StreamError,
    ToolCall,
    build_chat_request,
    track_usage,
)
from ernie_aiml._wire.response import parse_completion, parse_delta, parse_usage
from ernie_aiml.integration import ToolCallChunk

SIG = {"google": {"thought_signature": "CvcBAY89a1+sig=="}}


def _stream_body(usage: bool = True) -> dict[str, Any]:
    body = {**BODY, "stream": True}
    if usage:
        body["stream_options"] = {"include_usage": True}
    return body


# ----------------------------------------------------------------- extra_content


def test_parse_delta_keeps_extra_content_of_each_fragment() -> None:
    delta = parse_delta(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "pay", "arguments": ""},
                        "extra_content": SIG,
                    },
                    {"index": 1, "function": {"arguments": "{}"}},
                ]
            }
        )
    )
    assert list(delta.tool_call_chunks) == [
        ToolCallChunk(0, "call_a", "pay", "", SIG),
        ToolCallChunk(1, None, None, "{}", None),
    ]


def test_completion_invalid_call_keeps_extra_content_and_gets_an_id() -> None:
    body = {
        "id": "x",
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "type": "function",
                            "function": {"name": "pay", "arguments": '{"to": "alice"'},
                            "extra_content": SIG,
                        }
                    ],
                },
            }
        ],
    }
    completion = parse_completion(body)
    assert completion.tool_calls == []
    assert completion.invalid_tool_calls == [
        InvalidToolCall(
            id="call_0",
            name="pay",
            raw_arguments='{"to": "alice"',
            error="arguments are not valid JSON: Expecting ',' delimiter: line 1 column 15 (char 14)",
            extra_content=SIG,
        )
    ]


# ----------------------------------------------------------------- request side


def test_invalid_calls_go_back_raw_with_their_id_and_extra_content() -> None:
    history = [
        Message("user", "pay alice"),
        Message(
            "assistant",
            "",
            tool_calls=[
                ToolCall("c1", "pay", {"to": "bob"}, extra_content=SIG),
                InvalidToolCall("c2", "pay", '{"to": "alice", "amount": 10', "cut", SIG),
                InvalidToolCall(None, None, None, "no name"),
            ],
        ),
        Message("tool", "paid", tool_call_id="c1"),
        Message("tool", "error: arguments cut off", tool_call_id="c2"),
        Message("tool", "error: no name", tool_call_id="call_2"),
    ]
    body = build_chat_request("baidu/ernie-5.0", history)
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "pay", "arguments": '{"to": "bob"}'},
                "extra_content": SIG,
            },
            {
                "id": "c2",
                "type": "function",
                "function": {"name": "pay", "arguments": '{"to": "alice", "amount": 10'},
                "extra_content": SIG,
            },
            {"id": "call_2", "type": "function", "function": {"name": "", "arguments": ""}},
        ],
    }


def test_a_call_without_id_is_sent_as_call_index_never_empty() -> None:
    history = [
        Message("user", "hi"),
        Message("assistant", "", tool_calls=[ToolCall("a", "f", {}), ToolCall("", "g", {"x": 1})]),
    ]
    calls = build_chat_request("baidu/ernie-5.0", history)["messages"][1]["tool_calls"]
    assert [c["id"] for c in calls] == ["a", "call_1"]


# ----------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (
            {"prompt_tokens": "12", "completion_tokens": 3, "total_tokens": 15},
            "usage.prompt_tokens must be an integer >= 0 and <= 2**53 (got str '12')",
        ),
        (
            {"prompt_tokens": 1, "completion_tokens": 2.5, "total_tokens": 3},
            "usage.completion_tokens must be an integer >= 0 and <= 2**53 (got float 2.5)",
        ),
        (
            {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": True},
            "usage.total_tokens must be an integer >= 0 and <= 2**53 (got bool True)",
        ),
        (
            {"completion_tokens_details": {"reasoning_tokens": [1]}},
            "usage.completion_tokens_details.reasoning_tokens must be an integer >= 0 and <= 2**53 (got list [1])",
        ),
        (
            {"prompt_tokens_details": {"cached_tokens": "0"}},
            "usage.prompt_tokens_details.cached_tokens must be an integer >= 0 and <= 2**53 (got str '0')",
        ),
        (
            {"prompt_cache_hit_tokens": {}},
            "usage.prompt_cache_hit_tokens must be an integer >= 0 and <= 2**53 (got dict {})",
        ),
    ],
)
def test_malformed_usage_is_a_parse_error(usage: dict[str, Any], message: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        parse_usage(usage)
    assert info.value.message == message
    with pytest.raises(ResponseParseError) as info:
        parse_delta({"choices": [], "usage": usage})
    assert info.value.message == message


def test_malformed_usage_in_a_completion_never_reaches_the_tally() -> None:
    body = {
        "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": "12", "completion_tokens": 1, "total_tokens": 13},
    }
    script = Script(httpx.Response(200, json=body))
    with track_usage() as tally, pytest.raises(ResponseParseError) as info:
        make_client(script).chat(BODY)
    assert (
        info.value.message
        == "usage.prompt_tokens must be an integer >= 0 and <= 2**53 (got str '12')"
    )
    assert (tally.calls, tally.failed_calls, tally.prompt_tokens) == (1, 1, 0)  # a failed call


def test_malformed_stream_cost_is_a_parse_error() -> None:
    event = {**USAGE, "meta": {"usage": {"credits_used": "391"}}}
    script = Script(sse_response(sse(FIRST, HELLO, STOP, event)))
    with pytest.raises(ResponseParseError) as info:
        list(make_client(script).stream(_stream_body()))
    assert (
        info.value.message == "meta.usage.credits_used must be a finite number >= 0 (got str '391')"
    )


@pytest.mark.parametrize("done", [True, False], ids=["done", "eof"])
def test_usage_asked_for_and_never_sent_is_absent_with_a_warning(done: bool) -> None:
    script = Script(sse_response(sse(FIRST, HELLO, STOP, done=done)))
    with track_usage() as tally, pytest.warns(MissingUsageWarning) as caught:
        deltas = list(make_client(script).stream(_stream_body()))
    assert [d.usage for d in deltas] == [None, None, None]
    assert [str(w.message) for w in caught] == [
        "the stream ended without the usage chunk that stream_options.include_usage asked "
        "for: usage of this answer is unknown (inference id inf-stream-1)"
    ]
    assert (tally.calls, tally.prompt_tokens, tally.total_tokens) == (1, 0, 0)


def test_no_warning_when_usage_was_not_asked_for_or_came() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = Script(sse_response(sse(FIRST, HELLO, STOP)))
        assert len(list(make_client(plain).stream(_stream_body(usage=False)))) == 3
        full = Script(sse_response(sse(FIRST, HELLO, STOP, USAGE, done=False)))
        deltas = list(make_client(full).stream(_stream_body()))
    assert deltas[-1].usage is not None and deltas[-1].usage.prompt_tokens == 13


# ----------------------------------------------------------------- key masking


def _error_with(message: str) -> httpx.Response:
    return httpx.Response(400, json={"message": message, "statusCode": 400})


@pytest.mark.parametrize("key", ["t", "k", "te", "1234567"])
def test_a_key_too_short_to_be_real_is_not_masked(key: str) -> None:
    message = "Body validation error: temperature must be <= 2 (key 1234567t)"
    script = Script(_error_with(message))
    with pytest.raises(BadRequestError) as info:
        make_client(script, api_key=key).chat(BODY)
    assert info.value.message == message


def test_a_real_length_key_is_still_masked_everywhere() -> None:
    key = "12345678"
    message = f"bad key {key}; Body validation error: temperature"
    script = Script(_error_with(message), sse_response(sse({"error": {"message": message}})))
    client = make_client(script, api_key=key)
    expected = "bad key ***; Body validation error: temperature"
    with pytest.raises(BadRequestError) as info:
        client.chat(BODY)
    assert info.value.message == expected
    with pytest.raises(StreamError) as streamed:
        list(client.stream(_stream_body()))
    assert streamed.value.message == expected
    assert key not in json.dumps(streamed.value.body)
