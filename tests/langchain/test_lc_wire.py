"""Exact request bodies on the wire: parameters, history, tools, images, PDFs, extras."""

from __future__ import annotations

import base64
import warnings

import ernie_aiml
import pytest
from ernie_aiml.emulator import JSONReply, completion_body
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from lc_support import model_for

from langchain_ernie_aiml import ChatErnieAIML

NOT_PDF = base64.b64encode(b"Quarterly report, plain text").decode()
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 24).decode()
PDF = base64.b64encode(b"%PDF-1.4\n%fake\n").decode()


def _body(emu) -> dict:
    return emu.requests[-1].json


def test_params_on_the_wire(emulator) -> None:
    model = model_for(
        emulator,
        temperature=0.2,
        top_p=0.9,
        max_tokens=64,
        stop=["END"],
        seed=7,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        enable_thinking=True,
        thinking_budget=256,
    )
    model.invoke("Hello")
    assert _body(emulator) == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["END"],
        "seed": 7,
        "frequency_penalty": 0.5,
        "presence_penalty": -0.5,
        "enable_thinking": True,
        "thinking_budget": 256,
    }


def test_per_call_overrides_and_model_override(emulator) -> None:
    model = model_for(emulator, temperature=0.2, stop_sequences=["A"])
    message = model.invoke(
        "Hello", stop=["B"], temperature=1.5, model="ernie-4.5-vl-424b-a47b", provider="baidu"
    )
    body = _body(emulator)
    assert body["model"] == "baidu/ernie-4.5-vl-424b-a47b"  # canonical id
    assert (body["temperature"], body["stop"], body["provider"]) == (1.5, ["B"], "baidu")
    assert message.response_metadata["model_name"] == "ernie-4.5-vl-424b-a47b"


@pytest.mark.unlisted_keys  # x_trace: an extra_body key AIML's schema does not list
def test_model_kwargs_and_extra_body(emulator) -> None:
    # A parameter the core knows, given as an argument, goes to model_kwargs without a
    # warning (warnings from our code fail the test): it is checked like a field.
    model = model_for(
        emulator,
        normalize_tool_schemas=True,
        model_kwargs={"seed": 3},
        extra_body={"provider": "baidu"},
    )
    model.invoke("Hello", extra_body={"x_trace": "t1"})
    body = _body(emulator)
    assert body["seed"] == 3
    assert (body["normalize_tool_schemas"], body["provider"], body["x_trace"]) == (
        True,
        "baidu",
        "t1",
    )


def test_empty_stop_list_is_not_sent(emulator) -> None:
    model_for(emulator, stop=[]).invoke("Hello")
    assert "stop" not in _body(emulator)


def test_empty_stop_string_is_refused_not_dropped(emulator) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="stop"):
        model_for(emulator, stop="")
    with pytest.raises(ernie_aiml.ParameterError, match="stop"):
        model_for(emulator).invoke("Hello", stop="")
    assert emulator.requests == []


@pytest.mark.parametrize(
    "block",
    [
        {"type": "file", "base64": NOT_PDF, "mime_type": "application/pdf"},
        {"type": "file", "source_type": "base64", "data": NOT_PDF, "mime_type": "application/pdf"},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{NOT_PDF}"}},
    ],
)
def test_a_file_labelled_pdf_that_is_not_one_is_refused_before_sending(emulator, block) -> None:
    with pytest.raises(ernie_aiml.ParameterError) as info:
        model_for(emulator).invoke([HumanMessage(content=[{"type": "text", "text": "Hi"}, block])])
    assert str(info.value).endswith(
        "file: the data is not a PDF (no %PDF header); AIML takes PDF files only"
    )
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("temperature", True), ("seed", "1"), ("enable_thinking", "yes"), ("max_tokens", 1.5)],
)
def test_constructor_checks_values_as_given(emulator, name: str, value: object) -> None:
    # pydantic would coerce these (True -> 1.0, "1" -> 1): the core sees them first
    with pytest.raises(ernie_aiml.ParameterError, match=f"{name} must be") as info:
        model_for(emulator, **{name: value})
    assert repr(value) in str(info.value)


def test_ls_params_never_trip_on_a_bad_stop(emulator) -> None:
    model = model_for(emulator, stop="END")
    assert model._get_ls_params(stop=5).get("ls_stop") is None
    assert model._get_ls_params(stop=("A", "B"))["ls_stop"] == ["A", "B"]
    with pytest.raises(ernie_aiml.ParameterError, match="stop must be"):
        model.invoke("Hello", stop=5)
    assert emulator.requests == []


def test_history_with_tool_calls_and_results(emulator) -> None:
    history = [
        SystemMessage("Be brief."),
        HumanMessage("Weather in Paris?"),
        AIMessage(
            content="",
            additional_kwargs={"reasoning_content": "I should call the tool."},
            tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
        ),
        ToolMessage("18°C and sunny", tool_call_id="call_1"),
        ToolMessage([{"type": "json", "json": {"t": 18}}], tool_call_id="call_2"),
    ]
    model_for(emulator).invoke(history)
    assert _body(emulator)["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "content": "18°C and sunny", "tool_call_id": "call_1"},
        {
            "role": "tool",
            "content": '[{"type": "json", "json": {"t": 18}}]',
            "tool_call_id": "call_2",
        },
    ]


def test_reasoning_sent_back_only_when_asked(emulator) -> None:
    v1_turn = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "Think."},
            {"type": "text", "text": "Hi!"},
        ]
    )
    history = [HumanMessage("Hi"), v1_turn, HumanMessage("Again")]
    model_for(emulator).invoke(history)
    assert _body(emulator)["messages"][1] == {"role": "assistant", "content": "Hi!"}
    model_for(emulator, preserve_reasoning_in_history=True).invoke(history)
    assert _body(emulator)["messages"][1] == {
        "role": "assistant",
        "content": "Hi!",
        "reasoning_content": "Think.",
    }


def _tool_call_reply(arguments: str, **extra: object) -> JSONReply:
    """A completion whose only output is one call of tool `f` with raw `arguments`."""
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [{**call, **extra}]}
    return JSONReply(
        {
            "id": "r1",
            "model": "ernie-5.0",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def test_extra_content_round_trips(emulator) -> None:
    emulator.enqueue(_tool_call_reply("{}", extra_content={"sig": "abc"}))
    model = model_for(emulator)
    answer = model.invoke("call f")
    model.invoke([HumanMessage("call f"), answer, ToolMessage("ok", tool_call_id="c1")])
    sent = _body(emulator)["messages"][1]["tool_calls"][0]
    assert sent["extra_content"] == {"sig": "abc"}


def test_developer_role_kept_for_ernie5(emulator) -> None:
    dev = SystemMessage("Rules.", additional_kwargs={"__openai_role__": "developer"})
    model_for(emulator).invoke([dev, HumanMessage("Hi")])
    assert _body(emulator)["messages"][0] == {"role": "developer", "content": "Rules."}


def test_developer_turn_in_langchains_own_form_is_sent_as_developer(emulator) -> None:
    """A `("developer", ...)` turn as langchain-core converts it (public API both ways)."""
    from langchain_core.messages import convert_to_messages

    history = convert_to_messages(
        [("developer", "Rules."), ("system", "Be brief."), ("human", "Hi")]
    )
    model_for(emulator).invoke(history)
    assert _body(emulator)["messages"] == [
        {"role": "developer", "content": "Rules."},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


@pytest.mark.parametrize(
    ("block", "wire"),
    [
        (
            {"type": "image", "url": "https://example.com/cat.png"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ),
        (
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ),
        (
            {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ),
        (
            {"type": "image", "source_type": "url", "url": "https://example.com/a.jpg"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
        ),
        (
            {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"},
            },
            {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"},
            },
        ),
        (
            {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "a.pdf"},
            {
                "type": "file",
                "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "a.pdf"},
            },
        ),
        (
            {"type": "file", "source_type": "base64", "data": PDF, "mime_type": "application/pdf"},
            {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}"}},
        ),
    ],
)
def test_multimodal_blocks_on_the_wire(emulator, block: dict, wire: dict) -> None:
    message = HumanMessage(content=[{"type": "text", "text": "Describe."}, block])
    model_for(emulator).invoke([message])
    assert _body(emulator)["messages"][0]["content"] == [
        {"type": "text", "text": "Describe."},
        wire,
    ]


def test_image_to_non_vision_model_is_refused_before_sending(emulator) -> None:
    message = HumanMessage(content=[{"type": "image", "base64": PNG, "mime_type": "image/png"}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ernie_aiml.DeprecatedModelWarning)
        model = model_for(emulator, model="baidu/ernie-4.5-300b-a47b")
    with pytest.raises(ernie_aiml.ParameterError, match="does not accept images"):
        model.invoke([message])
    with pytest.raises(ernie_aiml.ParameterError, match="PDF"):
        model_for(emulator).invoke([HumanMessage(content=[{"type": "file", "base64": PNG}])])
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": 3.5}, "temperature must be between 0 and 2"),
        ({"top_p": 0}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop takes at most 4"),
        ({"seed": 0}, "seed"),
        ({"frequency_penalty": 3}, "frequency_penalty"),
        ({"thinking_budget": 50}, "thinking_budget"),
        (
            {"enable_thinking": False, "thinking_budget": 200},
            "thinking_budget needs enable_thinking",
        ),
        ({"model_kwargs": {"temperature": -1}}, "temperature"),
    ],
)
def test_invalid_params_rejected_with_no_request(emulator, kwargs: dict, match: str) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match=match):
        model_for(emulator, **kwargs)  # a known field in model_kwargs: checked, no warning
    model = model_for(emulator)
    with pytest.raises(ernie_aiml.ParameterError, match=match):
        model.invoke(
            "Hi", **{k: v for k, v in kwargs.items() if k != "model_kwargs"} or {"temperature": -1}
        )
    assert emulator.requests == []


def test_thinking_switch_only_on_ernie5(emulator) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="enable_thinking not supported"):
        ChatErnieAIML(api_key="k", model="baidu/ernie-4.5-vl-424b-a47b", enable_thinking=True)


TOOL = {
    "title": "Weather",
    "type": "object",
    "description": "Weather for a city.",
    "properties": {"city": {"title": "City", "type": "string"}},
    "required": ["city"],
}


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("Weather", {"type": "function", "function": {"name": "Weather"}}),
        (
            {"type": "function", "function": {"name": "Weather"}},
            {"type": "function", "function": {"name": "Weather"}},
        ),
    ],
)
def test_bind_tools_on_the_wire(emulator, choice, wire) -> None:
    model_for(emulator).bind_tools([TOOL], tool_choice=choice, parallel_tool_calls=False).invoke(
        "Weather in Oslo?"
    )
    body = _body(emulator)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "Weather",
                "description": "Weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    assert body["tool_choice"] == wire
    assert body["parallel_tool_calls"] is False


def test_bind_tools_rejects_unknown_tool_choice_at_bind_time(emulator) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="tool_choice 'nope'"):
        model_for(emulator).bind_tools([TOOL], tool_choice="nope")


def test_tool_result_round_trip_with_default_responder(emulator) -> None:
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return "18°C"

    model = model_for(emulator).bind_tools([get_weather])
    first = model.invoke("What is the weather in Paris? Use get_weather.")
    assert first.tool_calls and first.tool_calls[0]["name"] == "get_weather"
    assert first.additional_kwargs["reasoning_content"]
    result = ToolMessage("18°C", tool_call_id=first.tool_calls[0]["id"])
    final = model.invoke([HumanMessage("What is the weather in Paris?"), first, result])
    assert "18°C" in final.text
    sent = _body(emulator)["messages"]
    assert sent[1]["tool_calls"][0]["id"] == first.tool_calls[0]["id"]
    assert "reasoning_content" not in sent[1]
    assert sent[2] == {"role": "tool", "content": "18°C", "tool_call_id": first.tool_calls[0]["id"]}


def test_invalid_tool_call_arguments(emulator) -> None:
    emulator.enqueue(_tool_call_reply("{oops"))
    message = model_for(emulator).invoke("call f")
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["args"] == "{oops"
    assert message.invalid_tool_calls[0]["id"] == "c1"
    assert message.invalid_tool_calls[0]["error"]


def test_response_headers_on_invoke(emulator) -> None:
    import asyncio

    body = completion_body(model="ernie-5.0", content="Hi!")
    emulator.enqueue(JSONReply(body, headers={"x-custom": "1"}))
    message = model_for(emulator, include_response_headers=True).invoke("Hello")
    headers = message.response_metadata["headers"]
    assert headers["x-custom"] == "1"
    assert headers["x-inference-id"] == message.response_metadata["inference_id"]
    message = asyncio.run(model_for(emulator, include_response_headers=True).ainvoke("Hello"))
    assert message.response_metadata["headers"]["x-inference-id"]
    assert "headers" not in model_for(emulator).invoke("Hello").response_metadata
