"""parse_completion / parse_delta / parse_usage on real AIML answers (the seed fixtures)."""

from __future__ import annotations

import pytest
from ernie_aiml import (
    AuthenticationError,
    Completion,
    InvalidToolCall,
    RateLimitError,
    ResponseParseError,
    StreamError,
    ToolCall,
    Usage,
)
from ernie_aiml._wire.response import parse_completion, parse_delta, parse_usage
from ernie_aiml.integration import ToolCallChunk
from support import load_fixture

SEEDS = [
    "ernie-x1-1-preview",
    "ernie-x1-turbo-32k",
    "ernie-4.5-21b-a3b",
    "ernie-5-0-thinking-preview",
    "ernie-4.5-vl-424b-a47b",
]


def seed(slug: str) -> dict:
    return load_fixture(f"seeds/{slug}.json")


def test_seed_index_names_the_request_model_of_every_seed() -> None:
    assert load_fixture("seeds/index.json") == {
        "ernie-x1-1-preview": "baidu/ernie-x1-1-preview",
        "ernie-x1-turbo-32k": "baidu/ernie-x1-turbo-32k",
        "ernie-4.5-21b-a3b": "baidu/ernie-4.5-21b-a3b",
        "ernie-5-0-thinking-preview": "baidu/ernie-5-0-thinking-preview",
        "ernie-4.5-vl-424b-a47b": "baidu/ernie-4.5-vl-424b-a47b",
    }


@pytest.mark.parametrize("slug", SEEDS)
def test_content_and_raw_are_the_servers_verbatim(slug: str) -> None:
    body = seed(slug)
    completion = parse_completion(body)
    assert completion.content == body["choices"][0]["message"]["content"]
    assert completion.raw is body
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == []
    assert completion.invalid_tool_calls == []
    assert completion.inference_id is None
    assert completion.usd_spent is None


def test_x1_1_preview_empty_reasoning_is_none() -> None:
    c = parse_completion(seed("ernie-x1-1-preview"))
    assert c.content.startswith(
        "Mankind is a fascinating subject to reflect upon. From my perspective"
    )
    assert c.content.endswith("is what makes mankind so intriguing and worthy of admiration.")
    assert c.reasoning is None
    assert c.usage == Usage(prompt_tokens=13, completion_tokens=248, total_tokens=261)
    assert c.credits_used == 332
    assert c.flag == 0
    assert c.id == "as-0ik8v930zi"
    assert c.model == "ernie-x1.1-preview"
    assert c.system_fingerprint is None


def test_x1_turbo_reasoning_and_reasoning_tokens() -> None:
    body = seed("ernie-x1-turbo-32k")
    c = parse_completion(body)
    assert c.reasoning == body["choices"][0]["message"]["reasoning_content"]
    assert c.reasoning.startswith('The user asked me, "Hi! What do you think about mankind?"')
    assert c.content.startswith("Mankind is a fascinating and complex tapestry of creativity")
    assert c.usage == Usage(
        prompt_tokens=13, completion_tokens=601, total_tokens=614, reasoning_tokens=323
    )
    assert c.credits_used == 391
    assert c.flag == 0
    assert c.id == "as-379ekp2jci"
    assert c.model == "ernie-x1-turbo-32k"


def test_4_5_21b_null_details_and_fingerprint() -> None:
    c = parse_completion(seed("ernie-4.5-21b-a3b"))
    assert c.content.startswith("\nAs an AI, I don't have personal opinions or emotions")
    assert "The future of mankind is uncertain but充满希望." in c.content
    assert c.reasoning is None
    assert c.usage == Usage(prompt_tokens=16, completion_tokens=495, total_tokens=511)
    assert c.credits_used == 301
    assert c.flag is None
    assert c.system_fingerprint == ""
    assert c.id == "104959f043e51f1b4a4dd83c494886ab"
    assert c.model == "baidu/ernie-4.5-21B-a3b"


def test_5_0_thinking_preview() -> None:
    c = parse_completion(seed("ernie-5-0-thinking-preview"))
    assert c.content.startswith(
        "As an AI, I don’t have feelings, consciousness, or personal beliefs."  # noqa: RUF001
    )
    assert c.content.endswith("because it is the only thing that tries to understand itself.**")
    assert c.reasoning.startswith('The user wants my "opinion" on mankind.')
    assert c.usage == Usage(
        prompt_tokens=13, completion_tokens=1048, total_tokens=1061, reasoning_tokens=450
    )
    assert c.credits_used == 2002
    assert c.flag == 0
    assert c.id == "as-yhapvjf5ht"
    assert c.model == "ernie-5.0-thinking-preview"


def test_4_5_vl_424b() -> None:
    c = parse_completion(seed("ernie-4.5-vl-424b-a47b"))
    assert c.content.startswith("What a profound and fascinating question! Humanity is")
    assert c.reasoning is None
    assert c.usage == Usage(prompt_tokens=9, completion_tokens=386, total_tokens=395)
    assert c.credits_used == 1055
    assert c.system_fingerprint == ""
    assert c.id == "1ac18d9d544ef814b56858fc6588f712"
    assert c.model == "baidu/ernie-4.5-vl-424b-a47b"


def test_headers_fill_credits_and_inference_id_but_body_wins() -> None:
    headers = {
        "X-AIMLAPI-Credits-Used": "400",
        "x-aimlapi-usd-spent": "0.00021",
        "x-inference-id": "inf-123",
    }
    c = parse_completion(seed("ernie-x1-turbo-32k"), headers)
    assert (c.credits_used, c.usd_spent, c.inference_id) == (391, 0.00021, "inf-123")
    body = seed("ernie-x1-turbo-32k")
    del body["meta"]
    c = parse_completion(body, headers)
    assert (c.credits_used, c.usd_spent, c.inference_id) == (400, 0.00021, "inf-123")
    assert type(c.credits_used) is int


def test_httpx_headers_are_read_case_insensitively() -> None:
    import httpx

    body = seed("ernie-4.5-21b-a3b")
    body["meta"] = {"usage": {"credits_used": 301, "usd_spent": 0.000158}}
    c = parse_completion(body, httpx.Headers({"X-Inference-Id": "abc"}))
    assert (c.credits_used, c.usd_spent, c.inference_id) == (301, 0.000158, "abc")


def test_completion_keeps_the_response_headers_with_lower_case_keys() -> None:
    import httpx

    body = seed("ernie-4.5-21b-a3b")
    headers = {"X-Inference-Id": "abc", "Content-Type": "application/json"}
    c = parse_completion(body, headers)
    assert c.headers == {"x-inference-id": "abc", "content-type": "application/json"}
    assert c.headers is not headers
    c = parse_completion(body, httpx.Headers({"X-Request-Id": "r-1"}))
    assert c.headers == {"x-request-id": "r-1"}
    assert type(c.headers) is dict


def test_completion_headers_are_none_without_headers() -> None:
    assert parse_completion(seed("ernie-4.5-21b-a3b")).headers is None
    assert parse_completion(seed("ernie-4.5-21b-a3b"), {}).headers == {}


def test_missing_meta_and_bad_header_values() -> None:
    body = seed("ernie-4.5-vl-424b-a47b")
    del body["meta"]
    c = parse_completion(body, {"x-aimlapi-credits-used": "n/a", "x-aimlapi-usd-spent": "12.5"})
    assert (c.credits_used, c.usd_spent) == (None, 12.5)


def _with_message(message: dict, **choice: object) -> dict:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "baidu/ernie-5.0",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls", **choice}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }


def test_tool_calls_valid_empty_and_invalid() -> None:
    body = _with_message(
        {
            "role": "assistant",
            "content": None,
            "reasoning": "need weather",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "now", "arguments": ""},
                    "extra_content": {"sig": "s"},
                },
                {
                    "id": "c3",
                    "type": "function",
                    "function": {"name": "bad", "arguments": '{"a": '},
                },
                {
                    "id": "c4",
                    "type": "function",
                    "function": {"name": "list", "arguments": "[1, 2]"},
                },
                {"type": "function", "function": {"name": "noid", "arguments": {"k": "v"}}},
            ],
        }
    )
    c = parse_completion(body)
    assert c.content == ""
    assert c.reasoning == "need weather"
    assert c.finish_reason == "tool_calls"
    assert c.tool_calls == [
        ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"}),
        ToolCall(id="c2", name="now", arguments={}, extra_content={"sig": "s"}),
        ToolCall(id="call_4", name="noid", arguments={"k": "v"}),
    ]
    assert c.invalid_tool_calls == [
        InvalidToolCall(
            id="c3",
            name="bad",
            raw_arguments='{"a": ',
            error="arguments are not valid JSON: Expecting value: line 1 column 7 (char 6)",
        ),
        InvalidToolCall(
            id="c4",
            name="list",
            raw_arguments="[1, 2]",
            error="arguments are not a JSON object (got list)",
        ),
    ]


def test_cached_tokens_from_details_or_prompt_cache_hit() -> None:
    assert parse_usage(
        {
            "prompt_tokens": 100,
            "completion_tokens": 5,
            "total_tokens": 105,
            "prompt_tokens_details": {"cached_tokens": 64},
            "completion_tokens_details": None,
        }
    ) == Usage(100, 5, 105, None, 64)
    assert parse_usage(
        {
            "prompt_tokens": 100,
            "completion_tokens": 5,
            "total_tokens": 105,
            "prompt_cache_hit_tokens": 32,
            "prompt_cache_miss_tokens": 68,
        }
    ) == Usage(100, 5, 105, None, 32)
    assert parse_usage(None) is None
    assert parse_usage({}) is None


def test_error_bodies_with_2xx_become_typed_errors() -> None:
    flat = {
        "message": "Free-tier limit: You've reached your free limit for the hour.",
        "path": "/v1/chat/completions",
        "requestId": "798b860e-98c2-4e8e-8c50-550bcfc2eccc",
        "statusCode": "429",
        "timestamp": "2025-03-11T07:13:27.813Z",
    }
    with pytest.raises(RateLimitError) as info:
        parse_completion(flat)
    assert info.value.message == "Free-tier limit: You've reached your free limit for the hour."
    assert info.value.request_id == "798b860e-98c2-4e8e-8c50-550bcfc2eccc"
    with pytest.raises(AuthenticationError):
        parse_completion({"error": {"message": "invalid key", "type": "auth", "code": 401}})


def test_no_choices_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError, match=r"^the response has no choices"):
        parse_completion({"id": "x", "choices": []})
    with pytest.raises(ResponseParseError, match=r"^expected a JSON object, got list"):
        parse_completion([])  # type: ignore[arg-type]


# ---------------------------------------------------------------------- deltas


def test_first_delta_with_role_and_reasoning() -> None:
    chunk = {
        "id": "as-1",
        "object": "chat.completion.chunk",
        "model": "ernie-5.0",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", "reasoning_content": "Let me think"},
                "finish_reason": None,
                "flag": 0,
            }
        ],
        "usage": None,
    }
    d = parse_delta(chunk)
    assert (d.role, d.content, d.reasoning, d.finish_reason, d.flag) == (
        "assistant",
        "",
        "Let me think",
        None,
        0,
    )
    assert (d.id, d.model, d.usage, d.credits_used, d.raw) == (
        "as-1",
        "ernie-5.0",
        None,
        None,
        chunk,
    )
    assert d.tool_call_chunks == ()


def test_content_delta_with_null_reasoning_and_reasoning_alias() -> None:
    d = parse_delta(
        {"choices": [{"index": 0, "delta": {"content": "Hel", "reasoning_content": None}}]}
    )
    assert (d.content, d.reasoning) == ("Hel", None)
    d = parse_delta({"choices": [{"index": 0, "delta": {"reasoning": "hmm", "content": None}}]})
    assert (d.content, d.reasoning) == (None, "hmm")
    d = parse_delta({"choices": [{"index": 0, "delta": {"reasoning_content": ""}}]})
    assert d.reasoning is None


def test_finish_then_usage_chunk_with_meta() -> None:
    d = parse_delta({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    assert (d.finish_reason, d.content, d.usage) == ("stop", None, None)
    d = parse_delta(
        {
            "id": "as-1",
            "choices": [],
            "usage": {
                "prompt_tokens": 13,
                "completion_tokens": 601,
                "total_tokens": 614,
                "completion_tokens_details": {"reasoning_tokens": 323},
            },
            "meta": {"usage": {"credits_used": 391, "usd_spent": 0.000203}},
        }
    )
    assert d.usage == Usage(13, 601, 614, 323, None)
    assert (d.credits_used, d.usd_spent, d.finish_reason, d.content) == (391, 0.000203, None, None)


def test_tool_call_fragments_every_entry_by_index() -> None:
    d = parse_delta(
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "a", "arguments": '{"x"'},
                            },
                            {
                                "index": 1,
                                "id": "c2",
                                "type": "function",
                                "function": {"name": "b", "arguments": ""},
                            },
                            {"function": {"arguments": "}"}},
                            {"index": 5},
                        ]
                    },
                }
            ]
        }
    )
    assert list(d.tool_call_chunks) == [
        ToolCallChunk(0, "c1", "a", '{"x"'),
        ToolCallChunk(1, "c2", "b", ""),
        ToolCallChunk(2, None, None, "}"),
        ToolCallChunk(5, None, None, None),
    ]


def test_error_in_a_chunk_is_a_stream_error() -> None:
    with pytest.raises(StreamError) as info:
        parse_delta({"error": {"message": "The model is under maintenance", "code": 500}})
    assert info.value.message == "The model is under maintenance"
    assert info.value.status_code == 500
    with pytest.raises(StreamError) as info:
        parse_delta({"message": "Generation timeout", "statusCode": "504", "requestId": "r-1"})
    assert (info.value.message, info.value.status_code, info.value.request_id) == (
        "Generation timeout",
        504,
        "r-1",
    )
    with pytest.raises(StreamError, match=r"^overloaded$"):
        parse_delta({"error": "overloaded"})


def test_a_null_error_key_is_not_an_error() -> None:
    assert parse_delta({"error": None, "choices": []}).content is None


def test_completion_type() -> None:
    assert isinstance(parse_completion(seed("ernie-x1-1-preview")), Completion)


@pytest.mark.parametrize(
    "chunk",
    [
        {"choices": [None]},
        {"choices": "x"},
        {"choices": {"0": {}}},
        {"choices": [{"delta": True}]},
        {"choices": [{"delta": {"tool_calls": True}}]},
        {"choices": [{"delta": {"tool_calls": [None]}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": True}]}}]},
        {"usage": True},
        {"usage": {"completion_tokens_details": 1}},
        {"meta": True},
        {"meta": {"usage": 1}},
        [1, 2],
    ],
)
def test_chunk_of_the_wrong_shape_is_a_parse_error(chunk: object) -> None:
    with pytest.raises(
        ResponseParseError, match=r"^stream chunk does not have the documented shape"
    ):
        parse_delta(chunk)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        {"choices": [{"message": True}]},
        {"choices": [{"message": {"tool_calls": True}}]},
        {"choices": [{"message": {}}], "usage": "x"},
        {"choices": [{"message": {}}], "meta": "x"},
    ],
)
def test_body_of_the_wrong_shape_is_a_parse_error(body: dict) -> None:
    with pytest.raises(ResponseParseError, match=r"^the response does not have the documented"):
        parse_completion(body)


@pytest.mark.parametrize("usage", [True, 5, {"prompt_tokens_details": [1]}])
def test_usage_of_the_wrong_shape_is_a_parse_error(usage: object) -> None:
    with pytest.raises(ResponseParseError, match=r"^usage does not have the documented shape"):
        parse_usage(usage)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "raw", "kind"),
    [(True, "true", "bool"), (5, "5", "int"), ([1, 2], "[1, 2]", "list")],
)
def test_arguments_of_a_wrong_json_type_are_an_invalid_call(
    arguments: object, raw: str, kind: str
) -> None:
    body = _with_message(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": arguments}}
            ],
        }
    )
    c = parse_completion(body)
    assert c.tool_calls == []
    assert c.invalid_tool_calls == [
        InvalidToolCall(
            id="c",
            name="f",
            raw_arguments=raw,
            error=f"arguments are not a JSON object (got {kind})",
        )
    ]
