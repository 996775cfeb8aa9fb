"""The emulator: real HTTP on 127.0.0.1, AIML's shapes, scripted replies, default answers."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import ernie_aiml
import httpx
import pytest
from ernie_aiml import AIMLClient, integration
from ernie_aiml.emulator import (
    DropConnection,
    Emulator,
    ErrorReply,
    Hang,
    JSONReply,
    RawReply,
    SSEReply,
    respond,
    stream_events,
)

KEY = {"Authorization": "Bearer test-key"}
MAGIC_TOOL = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Apply a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer", "exclusiveMinimum": -1000}},
            "required": ["input"],
        },
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather at a location.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}


def body(
    content: str = "Hi there", model: str = "baidu/ernie-4.5-vl-424b-a47b", **extra: Any
) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def post(emu: Emulator, payload: Any, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{emu.base_url}/chat/completions", json=payload, headers=headers or KEY)


def sse_events(text: str) -> list[Any]:
    events = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def client(emu: Emulator, **kwargs: Any) -> AIMLClient:
    return AIMLClient(api_key="test-key", base_url=emu.base_url, **kwargs)


# ------------------------------------------------------------------ lifecycle


def test_base_url_points_at_a_free_loopback_port(emulator: Emulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", emulator.base_url)
    assert emulator.port > 0


def test_stop_is_idempotent_and_frees_the_port() -> None:
    emu = Emulator().start()
    url = emu.base_url
    emu.stop()
    emu.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/models")


async def test_usable_as_async_context_manager() -> None:
    async with Emulator() as emu, httpx.AsyncClient() as http:
        response = await http.get(f"{emu.base_url}/models")
    assert response.status_code == 200


def test_keep_alive_serves_many_requests_on_one_connection(emulator: Emulator) -> None:
    with httpx.Client(headers=KEY) as http:
        for i in range(5):
            response = http.post(f"{emulator.base_url}/chat/completions", json=body(f"n{i}"))
            assert response.json()["choices"][0]["message"]["content"] == f'You said: "n{i}"'
    assert len(emulator.requests) == 5


# ------------------------------------------------------------------ scripted replies


def test_json_reply_with_headers_and_request_log(emulator: Emulator) -> None:
    emulator.enqueue(JSONReply({"anything": 1}, status=202, headers={"x-extra": "yes"}))
    response = post(emulator, body("hello"), {**KEY, "X-Client-Request-Id": "abc-1"})
    assert response.status_code == 202
    assert response.json() == {"anything": 1}
    assert response.headers["x-extra"] == "yes"
    assert response.headers["x-client-request-id"] == "abc-1"
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-inference-id"])
    (recorded,) = emulator.requests
    assert (recorded.method, recorded.path) == ("POST", "/v1/chat/completions")
    assert recorded.headers["authorization"] == "Bearer test-key"
    assert recorded.json == body("hello")
    assert json.loads(recorded.body) == body("hello")
    assert emulator.pending == 0


def test_replies_are_consumed_in_order_then_the_responder_answers(emulator: Emulator) -> None:
    emulator.enqueue(ErrorReply(429, "Too Many Requests"), JSONReply({"n": 2}))
    assert post(emulator, body()).status_code == 429
    assert post(emulator, body()).json() == {"n": 2}
    assert post(emulator, body("third")).json()["choices"][0]["message"]["content"] == (
        'You said: "third"'
    )


def test_error_reply_has_the_flat_aiml_body(emulator: Emulator) -> None:
    emulator.enqueue(ErrorReply(503, "Service unavailable", headers={"retry-after": "1"}))
    response = post(emulator, body())
    error = response.json()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert set(error) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert error["message"] == "Service unavailable"
    assert error["statusCode"] == "503"
    assert error["path"] == "/v1/chat/completions"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", error["timestamp"])


def test_raw_reply_sends_bytes_as_they_are(emulator: Emulator) -> None:
    emulator.enqueue(RawReply(502, b"<html><h1>502 Bad Gateway</h1></html>"))
    response = post(emulator, body())
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == b"<html><h1>502 Bad Gateway</h1></html>"


def test_sse_reply_sends_dicts_and_raw_strings(emulator: Emulator) -> None:
    emulator.enqueue(SSEReply([{"a": 1}, ": keep-alive\n\n", {"b": 2}]))
    response = post(emulator, body(stream=True))
    assert response.headers["content-type"] == "text/event-stream"
    assert response.text == 'data: {"a": 1}\n\n: keep-alive\n\ndata: {"b": 2}\n\ndata: [DONE]\n\n'


def test_sse_reply_without_done(emulator: Emulator) -> None:
    emulator.enqueue(SSEReply([{"a": 1}], done=False))
    assert post(emulator, body(stream=True)).text == 'data: {"a": 1}\n\n'


def test_cut_after_closes_the_connection_mid_stream(emulator: Emulator) -> None:
    emulator.enqueue(SSEReply([{"n": i} for i in range(5)], cut_after=2))
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST", f"{emulator.base_url}/chat/completions", json=body(stream=True), headers=KEY
        ) as response,
    ):
        for piece in response.iter_bytes():
            received += piece
    assert received == b'data: {"n": 0}\n\ndata: {"n": 1}\n\n'


def test_cut_inside_sends_half_an_event(emulator: Emulator) -> None:
    emulator.enqueue(SSEReply([{"n": 0}, {"long": "x" * 40}], cut_after=1, cut_inside=True))
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST", f"{emulator.base_url}/chat/completions", json=body(stream=True), headers=KEY
        ) as response,
    ):
        for piece in response.iter_bytes():
            received += piece
    assert received.startswith(b'data: {"n": 0}\n\ndata: {"long": "xxx')
    assert not received.endswith(b"\n\n")


def test_drop_connection_answers_nothing(emulator: Emulator) -> None:
    emulator.enqueue(DropConnection())
    with pytest.raises(httpx.RemoteProtocolError):
        post(emulator, body())
    assert post(emulator, body("again")).status_code == 201


def test_hang_times_out_the_client_and_stop_ends_it() -> None:
    emu = Emulator().start()
    emu.enqueue(Hang())
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{emu.base_url}/chat/completions", json=body(), headers=KEY, timeout=0.2)
    stopped = threading.Thread(target=emu.stop)
    stopped.start()
    stopped.join(15)
    assert not stopped.is_alive()


def test_clear_forgets_requests_and_replies(emulator: Emulator) -> None:
    emulator.enqueue(JSONReply({}))
    httpx.get(f"{emulator.base_url}/models")
    emulator.clear()
    assert emulator.requests == []
    assert emulator.pending == 0


# ------------------------------------------------------------------ refusals


def test_401_without_a_key(emulator: Emulator) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
        response = httpx.post(f"{emulator.base_url}/chat/completions", json=body(), headers=headers)
        assert response.status_code == 401
        assert response.json()["message"].startswith("This request requires a valid API key.")
        assert response.json()["statusCode"] == "401"


def test_no_key_needed_when_require_key_is_off() -> None:
    with Emulator(require_key=False) as emu:
        assert httpx.post(f"{emu.base_url}/chat/completions", json=body()).status_code == 201


def test_404_for_a_deprecated_model_unless_allowed(emulator: Emulator) -> None:
    response = post(emulator, body(model="baidu/ernie-x1-turbo-32k"))
    assert response.status_code == 404
    assert response.json()["message"] == "Model is deprecated"
    with Emulator(allow_deprecated=True) as emu:
        assert post(emu, body(model="baidu/ernie-x1-turbo-32k")).status_code == 201


def test_scripted_replies_are_served_for_deprecated_models(emulator: Emulator) -> None:
    emulator.enqueue(JSONReply({"ok": True}))
    assert post(emulator, body(model="baidu/ernie-x1-turbo-32k")).json() == {"ok": True}


def test_404_for_unknown_paths(emulator: Emulator) -> None:
    response = httpx.get(f"{emulator.base_url}/nope", headers=KEY)
    assert response.status_code == 404
    assert response.json()["message"] == "Cannot GET /v1/nope"
    assert response.json()["path"] == "/v1/nope"


def test_unprefixed_chat_path_works(emulator: Emulator) -> None:
    url = emulator.base_url.removesuffix("/v1") + "/chat/completions"
    assert httpx.post(url, json=body(), headers=KEY).status_code == 201


@pytest.mark.invalid_body
@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"model": "baidu/ernie-5.0"}, "messages: Required"),
        ({"messages": [{"role": "user", "content": "x"}]}, "model: Required"),
        (body(temperature=2.5), "temperature: Number must be less than or equal to 2"),
        (body(top_p=0), "top_p: Number must be greater than or equal to 0.01"),
        (body(seed=0), "seed: Number must be greater than or equal to 1"),
        (body(seed=2.5), "seed: Expected integer, received float"),
        (
            body(frequency_penalty=-3),
            "frequency_penalty: Number must be greater than or equal to -2",
        ),
        (body(presence_penalty=2.1), "presence_penalty: Number must be less than or equal to 2"),
        (body(max_tokens=0), "max_tokens: Number must be greater than or equal to 1"),
        (body(stop=5), "stop: Expected string | array | null, received number"),
        (body(stream=True, stream_options={}), "stream_options.include_usage: Required"),
        (
            body(model="baidu/ernie-5.0", thinking_budget=50),
            "thinking_budget: Number must be greater than or equal to 100",
        ),
        (
            {
                "model": "baidu/ernie-4.5-vl-424b-a47b",
                "messages": [
                    {"role": "user", "content": "x"},
                    {"role": "assistant", "content": None, "tool_calls": []},
                ],
            },
            "messages.1.content: Expected string | array, received null",
        ),
        (
            {
                "model": "baidu/ernie-4.5-vl-424b-a47b",
                "messages": [{"role": "developer", "content": "x"}],
            },
            "messages.0.role: Invalid enum value. Expected 'user' | 'system' | 'tool' | "
            "'assistant', received 'developer'",
        ),
        (
            {"model": "baidu/ernie-5.0", "messages": [{"role": "tool", "content": "x"}]},
            "messages.0.tool_call_id: Required",
        ),
    ],
)
def test_400_body_validation(emulator: Emulator, payload: dict, detail: str) -> None:
    response = post(emulator, payload)
    assert response.status_code == 400
    assert response.json()["message"] == f"Body validation error: {detail}"
    assert emulator.requests[-1].problem == detail


@pytest.mark.parametrize(
    "extra",
    [
        {"stop": ["a", "b", "c", "d", "e"]},
        {"tool_choice": "auto"},
        {"seed": 2.0},
    ],
    ids=["five-stops", "tool-choice-without-tools", "integral-float-seed"],
)
def test_what_the_schema_does_not_forbid_is_accepted(emulator: Emulator, extra: dict) -> None:
    """The published schemas set no `maxItems` on `stop`, no tools/tool_choice dependency,
    and JSON Schema counts 2.0 as an integer (so does zod): AIML's schema accepts these."""
    response = post(emulator, body(**extra))
    assert response.status_code == 201
    assert emulator.requests[-1].problem is None


def test_ernie_5_accepts_null_assistant_content_and_developer(emulator: Emulator) -> None:
    payload = {
        "model": "baidu/ernie-5.0",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "y"},
        ],
    }
    assert post(emulator, payload).status_code == 201


def test_400_for_a_prompt_beyond_the_context_window(emulator: Emulator) -> None:
    response = post(emulator, body("word " * 8_100, model="baidu/ernie-5.0"))
    assert response.status_code == 201
    with Emulator(allow_deprecated=True) as emu:
        response = post(emu, body("word " * 8_100, model="baidu/ernie-4-5-8k-preview"))
    assert response.status_code == 400
    assert "maximum context length is 8000 tokens" in response.json()["message"]


# ------------------------------------------------------------------ response shapes


def test_open_weight_model_shape(emulator: Emulator) -> None:
    response = post(emulator, body("Hi! What do you think about mankind?"))
    data = response.json()
    assert response.status_code == 201
    assert re.fullmatch(r"[0-9a-f]{32}", data["id"])
    assert data["object"] == "chat.completion"
    assert data["model"] == "baidu/ernie-4.5-vl-424b-a47b"
    assert data["system_fingerprint"] == ""
    choice = data["choices"][0]
    assert "flag" not in choice
    assert choice["message"] == {
        "role": "assistant",
        "content": 'You said: "Hi! What do you think about mankind?"',
    }
    assert choice["finish_reason"] == "stop"
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens_details"] is None
    credits = data["meta"]["usage"]["credits_used"]
    assert isinstance(credits, int)
    assert response.headers["x-aimlapi-credits-used"] == str(credits)
    assert float(response.headers["x-aimlapi-usd-spent"]) == credits / 2_000_000


def test_qianfan_routed_model_shape_and_echoed_name() -> None:
    with Emulator(allow_deprecated=True) as emu:
        data = post(emu, body("Hi", model="baidu/ernie-x1-1-preview")).json()
    assert re.fullmatch(r"as-[a-z0-9]{10}", data["id"])
    assert data["model"] == "ernie-x1.1-preview"
    assert data["choices"][0]["flag"] == 0
    assert "system_fingerprint" not in data
    # the docs' x1.1 example: reasoning_content is "", usage has no details object
    assert data["choices"][0]["message"]["reasoning_content"] == ""
    assert set(data["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_reasoning_model_shape() -> None:
    with Emulator(allow_deprecated=True) as emu:
        data = post(emu, body("Hi", model="baidu/ernie-x1-turbo-32k")).json()
    assert data["model"] == "ernie-x1-turbo-32k"
    reasoning = data["choices"][0]["message"]["reasoning_content"]
    assert reasoning == 'The user asks: "Hi". I will answer directly and keep it short.'
    assert data["usage"]["completion_tokens_details"] == {"reasoning_tokens": 17}


def test_status_201_by_default_200_on_request(emulator: Emulator) -> None:
    assert post(emulator, body()).status_code == 201
    assert post(emulator, body(stream=True)).status_code == 201
    with Emulator(status=200) as emu:
        assert post(emu, body()).status_code == 200
        assert post(emu, body(stream=True)).status_code == 200


def test_usd_in_headers_of_json_answers_and_in_the_last_chunk_of_streams(
    emulator: Emulator,
) -> None:
    streamed = post(emulator, body(stream=True))
    assert "x-aimlapi-usd-spent" not in streamed.headers
    assert "x-aimlapi-credits-used" not in streamed.headers
    cost = sse_events(streamed.text)[-1]["meta"]["usage"]
    assert cost["usd_spent"] == cost["credits_used"] / 2_000_000
    with Emulator(usd_spent=False) as emu:
        response = post(emu, body())
        last = sse_events(post(emu, body(stream=True)).text)[-1]
    assert "x-aimlapi-usd-spent" not in response.headers
    assert "x-aimlapi-credits-used" in response.headers
    assert set(last["meta"]["usage"]) == {"credits_used"}


def test_models_endpoint_lists_the_spec_ids(emulator: Emulator) -> None:
    response = httpx.get(f"{emulator.base_url}/models")
    data = response.json()["data"]
    assert response.status_code == 200
    assert [m["id"] for m in data] == ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"]
    first = data[0]
    assert first["type"] == "openai/chat-completions"
    assert first["aliases"] == []
    assert first["info"]["contextLength"] == 128_000
    assert first["tags"] == ["chat", "reasoning", "vision"]
    assert data[1]["tags"] == ["chat", "vision"]
    one = httpx.get(
        f"{emulator.base_url}/models",
        params={"id": "baidu/ernie-4.5-vl-424b-a47b", "include": "capabilities"},
    )
    (entry,) = one.json()["data"]
    assert entry["capabilities"] == {
        "streaming": True,
        "tools": True,
        "vision": True,
        "file_input": True,
        "structured_output": True,
        "parallel_tool_calls": True,
    }


def test_models_endpoint_lists_deprecated_ids_when_allowed() -> None:
    with Emulator(allow_deprecated=True) as emu:
        data = httpx.get(f"{emu.base_url}/models").json()["data"]
    ids = [m["id"] for m in data]
    assert len(ids) == 15
    assert ids[:2] == ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"]
    assert {"baidu/ernie-x1-1-preview", "baidu/ernie-4-5-8k-preview"} <= set(ids)


# ------------------------------------------------------------------ streams


def test_stream_reasoning_first_then_content_usage_and_no_done(emulator: Emulator) -> None:
    payload = body(
        "Tell me about rivers",
        model="baidu/ernie-5.0",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = sse_events(post(emulator, payload).text)
    assert "[DONE]" not in chunks
    first = chunks[0]["choices"][0]["delta"]
    assert first["role"] == "assistant"
    assert first["content"] == ""
    assert first["reasoning_content"]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    kinds = [
        "r" if d.get("reasoning_content") else "c" if d.get("content") else "-" for d in deltas
    ]
    assert "".join(kinds).rstrip("-") == "r" * kinds.count("r") + "c" * kinds.count("c")
    assert kinds.count("r") > 1 and kinds.count("c") > 1
    content = "".join(d.get("content") or "" for d in deltas)
    assert content == 'You said: "Tell me about rivers"'
    finish = chunks[-2]["choices"][0]
    assert finish["delta"] == {} and finish["finish_reason"] == "stop"
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    assert isinstance(last["meta"]["usage"]["credits_used"], int)


def test_stream_sends_usage_even_without_stream_options(emulator: Emulator) -> None:
    events = sse_events(post(emulator, body(stream=True)).text)
    assert events[-1]["choices"] == [] and events[-1]["usage"]["total_tokens"] > 0


def test_stream_with_done_on_request() -> None:
    with Emulator(done=True) as emu:
        events = sse_events(post(emu, body(stream=True)).text)
    assert events[-1] == "[DONE]"
    assert events[-2]["choices"] == []


def test_enable_thinking_false_turns_reasoning_off(emulator: Emulator) -> None:
    data = post(emulator, body(model="baidu/ernie-5.0", enable_thinking=False)).json()
    assert "reasoning_content" not in data["choices"][0]["message"]
    assert (
        "completion_tokens_details" not in data["usage"]
        or not data["usage"]["completion_tokens_details"]
    )


def _fragments(events: list[dict]) -> list[dict]:
    return [
        tc for e in events if e["choices"] for tc in e["choices"][0]["delta"].get("tool_calls", [])
    ]


def test_stream_events_helper_tool_call_fragments() -> None:
    calls = [{"id": "call_1", "name": "f", "arguments": {"x": "a long argument value"}}]
    events = stream_events("", tool_calls=calls, chunk_size=5)
    fragments = _fragments(events)
    assert fragments[0] == {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "f", "arguments": ""},
    }
    # the spec's chunk schema requires id, type and function.name on every fragment
    assert all(
        (f["index"], f["id"], f["type"], f["function"]["name"]) == (0, "call_1", "function", "f")
        for f in fragments
    )
    assert json.loads("".join(f["function"]["arguments"] for f in fragments)) == {
        "x": "a long argument value"
    }
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"
    lean = _fragments(stream_events("", tool_calls=calls, chunk_size=5, repeat_call_ids=False))
    assert lean[0] == fragments[0]
    assert all(
        set(f) == {"index", "function"} and set(f["function"]) == {"arguments"} for f in lean[1:]
    )
    assert [f["function"]["arguments"] for f in lean] == [
        f["function"]["arguments"] for f in fragments
    ]


def test_streamed_tool_call_fragments_repeat_the_id_unless_asked(emulator: Emulator) -> None:
    tools = [WEATHER_TOOL]
    payload = body(
        "Weather in 'Paris' in celsius?", tools=tools, tool_choice="required", stream=True
    )
    fragments = _fragments(sse_events(post(emulator, payload).text))
    assert len(fragments) == 4
    arguments = "".join(f["function"]["arguments"] for f in fragments)
    assert json.loads(arguments) == {"location": "Paris", "unit": "celsius"}
    assert len({(f["id"], f["function"]["name"]) for f in fragments}) == 1
    with Emulator(repeat_call_ids=False) as emu:
        lean = _fragments(sse_events(post(emu, payload).text))
    assert "id" in lean[0] and all("id" not in f for f in lean[1:])


def test_streamed_x1_1_reasoning_is_empty() -> None:
    with Emulator(allow_deprecated=True) as emu:
        events = sse_events(
            post(emu, body("Hi", model="baidu/ernie-x1-1-preview", stream=True)).text
        )
    assert events[0]["choices"][0]["delta"]["reasoning_content"] == ""
    assert "completion_tokens_details" not in events[-1]["usage"]


# ------------------------------------------------------------------ default responder


def test_tool_call_arguments_come_from_the_message(emulator: Emulator) -> None:
    payload = body(
        "What is the value of magic_function(3)? Use the tool.",
        tools=[WEATHER_TOOL, MAGIC_TOOL],
        tool_choice="required",
    )
    data = post(emulator, payload).json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["function"]["name"] == "magic_function"
    assert json.loads(call["function"]["arguments"]) == {"input": 3}
    assert call["id"].startswith("call_")


def test_forced_tool_choice_and_schema_defaults(emulator: Emulator) -> None:
    payload = body(
        "Hello!",
        tools=[MAGIC_TOOL, WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    (call,) = post(emulator, payload).json()["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "Hello!"}


def test_tool_args_take_quoted_text_and_enum_members() -> None:
    answer = respond(body("What's the weather in 'Paris' in fahrenheit?", tools=[WEATHER_TOOL]))
    (call,) = answer.tool_calls
    assert json.loads(call["arguments"]) == {"location": "Paris", "unit": "fahrenheit"}


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Using baidu/ernie-4.5-8k, what is magic_function(3)?", {"input": 3}),
        ("Ask ernie-4.5-vl-424b-a47b for magic_function of -7.", {"input": -7}),
        ("With ernie-5.0 and tool v2: magic_function(12)", {"input": 12}),
    ],
)
def test_tool_args_skip_digits_inside_model_ids(prompt: str, expected: dict) -> None:
    (call,) = respond(body(prompt, tools=[MAGIC_TOOL], tool_choice="required")).tool_calls
    assert json.loads(call["arguments"]) == expected


def test_structured_output_skips_digits_inside_model_ids() -> None:
    schema = {
        "type": "object",
        "properties": {"count": {"type": "integer"}, "score": {"type": "number"}},
        "required": ["count", "score"],
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "S", "schema": schema}}
    prompt = "baidu/ernie-4.5-21b-a3b counted 4 items scoring 2.5 (x-9, 1e5 and v3 are names)"
    answer = respond(body(prompt, response_format=response_format))
    assert json.loads(answer.content) == {"count": 4, "score": 2.5}


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("add 3 and -4.5.", [3.0, -4.5]),
        ("baidu/ernie-4.5-8k x-5 5-x v2 a.1 1.a 3rd", []),
        ("magic_function(3)", [3.0]),
        ("6/3 is $2 or 200%", [6.0, 3.0, 2.0, 200.0]),
    ],
)
def test_standalone_numbers(text: str, numbers: list[float]) -> None:
    from ernie_aiml.emulator._schema_values import standalone_numbers

    assert standalone_numbers(text) == numbers


@pytest.mark.parametrize(
    "attachment",
    [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"},
        },
    ],
)
def test_echo_of_a_message_with_an_attachment_has_no_stray_newline(attachment: dict) -> None:
    content = [{"type": "text", "text": "What colour is this image?"}, attachment]
    payload = {
        "model": "baidu/ernie-4.5-vl-424b-a47b",
        "messages": [{"role": "user", "content": content}],
    }
    answer = respond(payload)
    assert answer.content == 'You said: "What colour is this image?" I received 1 attachment.'


def test_echo_joins_text_parts_around_an_image_with_one_newline() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    content = [{"type": "text", "text": "first"}, image, {"type": "text", "text": "second"}]
    payload = {
        "model": "baidu/ernie-4.5-vl-424b-a47b",
        "messages": [{"role": "user", "content": content}],
    }
    assert respond(payload).content == 'You said: "first\nsecond" I received 1 attachment.'


def test_tool_choice_none_answers_in_text(emulator: Emulator) -> None:
    payload = body("magic_function(3)", tools=[MAGIC_TOOL], tool_choice="none")
    message = post(emulator, payload).json()["choices"][0]["message"]
    assert "tool_calls" not in message


def test_answer_after_a_tool_result_uses_it(emulator: Emulator) -> None:
    payload = {
        "model": "baidu/ernie-4.5-vl-424b-a47b",
        "tools": [MAGIC_TOOL],
        "messages": [
            {"role": "user", "content": "What is magic_function(3)?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "magic_function", "arguments": '{"input": 3}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "5"},
        ],
    }
    message = post(emulator, payload).json()["choices"][0]["message"]
    assert message["content"] == "The result is 5."
    assert "tool_calls" not in message


def test_json_schema_answer_is_valid_against_the_schema(emulator: Emulator) -> None:
    from pydantic import BaseModel, Field

    class Item(BaseModel):
        name: str
        count: int = Field(ge=1, le=10)

    class Order(BaseModel):
        customer: str
        priority: str = Field(json_schema_extra={"enum": ["low", "high"]})
        items: list[Item]
        express: bool
        discount: float | None = None

    schema = Order.model_json_schema()
    payload = body(
        "Order for 'Ada': 25 widgets, high priority",
        response_format={"type": "json_schema", "json_schema": {"name": "Order", "schema": schema}},
    )
    content = post(emulator, payload).json()["choices"][0]["message"]["content"]
    order = Order.model_validate_json(content)
    assert order.customer == "Ada"
    assert order.priority == "high"
    assert order.items[0].count == 10


def test_json_object_answer_uses_the_keys_the_prompt_names(emulator: Emulator) -> None:
    prompt = (
        "Tell me a joke about cats. Return the result as a JSON with 'setup' and "
        "'punchline' keys. Return nothing other than JSON."
    )
    payload = body(prompt, response_format={"type": "json_object"})
    content = post(emulator, payload).json()["choices"][0]["message"]["content"]
    assert set(json.loads(content)) == {"setup", "punchline"}


def test_rag_prompt_quotes_the_most_relevant_passage(emulator: Emulator) -> None:
    passages = [
        "The Nile is the longest river in Africa.",
        "Mount Everest is the highest mountain on Earth.",
        "Paris is the capital of France.",
    ]
    prompt = (
        "Context information is below.\n---------------------\n"
        + "\n\n".join(passages)
        + "\n---------------------\nGiven the context information and not prior knowledge, "
        "answer the query.\nQuery: Which mountain is the highest?\nAnswer: "
    )
    content = post(emulator, body(prompt)).json()["choices"][0]["message"]["content"]
    assert passages[1] in content
    assert passages[0] not in content


def test_context_in_the_system_prompt_and_question_from_the_user() -> None:
    answer = respond(
        {
            "model": "baidu/ernie-4.5-vl-424b-a47b",
            "messages": [
                {
                    "role": "system",
                    "content": "Context information is below.\n--------------------\n"
                    "Cats sleep sixteen hours a day.\n\nDogs bark at strangers.\n"
                    "--------------------\nAnswer from the context.",
                },
                {"role": "user", "content": "Why do dogs bark?"},
            ],
        }
    )
    assert "Dogs bark at strangers." in answer.content


def test_stop_and_max_tokens_are_honoured(emulator: Emulator) -> None:
    cut = post(emulator, body("alpha beta gamma", stop=["gamma"])).json()["choices"][0]
    assert cut["message"]["content"] == 'You said: "alpha beta '
    assert cut["finish_reason"] == "stop"
    short = post(emulator, body("one two three four five six", max_tokens=3)).json()["choices"][0]
    assert short["message"]["content"] == 'You said: "one'
    assert short["finish_reason"] == "length"


def test_answers_depend_only_on_the_request() -> None:
    first = respond(body("same prompt", model="baidu/ernie-5.0", tools=[MAGIC_TOOL]))
    second = respond(body("same prompt", model="baidu/ernie-5.0", tools=[MAGIC_TOOL]))
    assert first == second


def test_react_prompt_gets_an_action_then_an_answer() -> None:
    system = (
        "You have access to the following tools:\n> Tool Name: multiply\n"
        "Tool Description: multiply(a: int, b: int) -> int\nMultiply two integers.\n"
        'Tool Args: {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, '
        '"required": ["a", "b"], "type": "object"}\n\n'
        "Thought: ...\nAction: ...\nAction Input: ...\nObservation: tool response\n"
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "What is 6 times 7?"},
    ]
    action = respond({"model": "x", "messages": messages}).content
    assert "Action: multiply\nAction Input: " in action
    assert json.loads(action.split("Action Input: ")[1]) == {"a": 6, "b": 7}
    messages += [
        {"role": "assistant", "content": action},
        {"role": "user", "content": "Observation: 42"},
    ]
    assert respond({"model": "x", "messages": messages}).content.endswith(
        "Answer: The result is 42."
    )


# ------------------------------------------------------------------ through AIMLClient


def test_client_round_trip_json(emulator: Emulator) -> None:
    with client(emulator) as aiml:
        completion = aiml.chat(body("Hello, ERNIE", model="baidu/ernie-5.0"))
    assert completion.content == 'You said: "Hello, ERNIE"'
    assert completion.reasoning
    assert completion.finish_reason == "stop"
    assert completion.usage is not None and completion.usage.reasoning_tokens
    assert completion.credits_used == completion.raw["meta"]["usage"]["credits_used"]
    assert completion.inference_id
    assert completion.system_fingerprint == ""


def test_client_round_trip_stream_with_tool_call(emulator: Emulator) -> None:
    accumulator = integration.ToolCallAccumulator()
    content, reasoning, usage = "", "", None
    payload = body(
        "What is magic_function(3)?",
        model="baidu/ernie-5.0",
        tools=[MAGIC_TOOL],
        stream_options={"include_usage": True},
    )
    with client(emulator) as aiml:
        for delta in aiml.stream(payload):
            reasoning += delta.reasoning or ""
            content += delta.content or ""
            accumulator.add(delta.tool_call_chunks)
            usage = delta.usage or usage
    calls = accumulator.ordered()
    assert [(c.name, c.arguments) for c in calls] == [("magic_function", {"input": 3})]  # type: ignore[union-attr]
    assert reasoning.startswith("The user asks:")
    assert usage is not None and usage.reasoning_tokens
    assert emulator.requests[-1].json["stream"] is True


def test_client_stream_ends_without_done() -> None:
    with Emulator(done=False) as emu, client(emu) as aiml:
        text = "".join(d.content or "" for d in aiml.stream(body("no done")))
    assert text == 'You said: "no done"'


def test_client_sees_a_cut_stream_as_interrupted(emulator: Emulator) -> None:
    emulator.enqueue(SSEReply(stream_events("a b c d e f g h", chunk_size=2), cut_after=3))
    with client(emulator, max_retries=0) as aiml, pytest.raises(ernie_aiml.StreamInterruptedError):
        for _ in aiml.stream(body()):
            pass


@pytest.mark.invalid_body
def test_client_maps_errors(emulator: Emulator) -> None:
    with client(emulator, max_retries=0) as aiml:
        with pytest.raises(ernie_aiml.DeprecatedModelError):
            aiml.chat(body(model="baidu/ernie-x1-turbo-32k"))
        with pytest.raises(ernie_aiml.BadRequestError, match="temperature"):
            aiml.chat(body(temperature=9))
        emulator.enqueue(ErrorReply(429, "Too Many Requests"))
        with pytest.raises(ernie_aiml.RateLimitError):
            aiml.chat(body())


def test_client_retries_against_scripted_errors(emulator: Emulator) -> None:
    emulator.enqueue(ErrorReply(500, "Internal server error", headers={"retry-after-ms": "1"}))
    with client(emulator, max_retries=1) as aiml:
        assert aiml.chat(body("after retry")).content == 'You said: "after retry"'
    assert len(emulator.chat_requests) == 2


def test_client_201_is_success() -> None:
    with Emulator(status=201) as emu, client(emu) as aiml:
        assert aiml.chat(body("ok")).content == 'You said: "ok"'


def test_client_list_models(emulator: Emulator) -> None:
    with client(emulator) as aiml:
        ids = [m["id"] for m in aiml.list_models()]
    assert ids == ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"]


async def test_async_client_many_concurrent_streams(emulator: Emulator) -> None:
    import asyncio

    async def one(aiml: AIMLClient, i: int) -> str:
        text = ""
        async for delta in aiml.astream(body(f"prompt number {i}", model="baidu/ernie-5.0")):
            text += delta.content or ""
        return text

    async with client(emulator) as aiml:
        answers = await asyncio.gather(*(one(aiml, i) for i in range(50)))
    assert answers == [f'You said: "prompt number {i}"' for i in range(50)]
