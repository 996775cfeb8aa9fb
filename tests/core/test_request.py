"""build_chat_request: the exact JSON body sent to POST /chat/completions."""

from __future__ import annotations

import base64
import warnings

import pytest
from ernie_aiml import (
    FilePart,
    ImagePart,
    Message,
    ParameterError,
    TextPart,
    ToolCall,
    build_chat_request,
    file_part,
    image_part,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
PNG_B64 = base64.b64encode(PNG).decode("ascii")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
PDF_B64 = base64.b64encode(PDF).decode("ascii")

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "title": "GetWeather",
            "type": "object",
            "properties": {"city": {"title": "City", "type": "string"}},
            "required": ["city"],
        },
        "strict": True,
    },
}
WEATHER_WIRE = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def test_simple_chat() -> None:
    body = build_chat_request(
        "baidu/ernie-5.0", [Message("user", "Hi! What do you think about mankind?")]
    )
    assert body == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "Hi! What do you think about mankind?"}],
    }


def test_params_are_validated_and_only_set_ones_sent() -> None:
    body = build_chat_request(
        "baidu/ernie-5.0",
        [Message("system", "Be brief."), Message("user", "Hi")],
        params={
            "temperature": 0.2,
            "top_p": 0.8,
            "max_tokens": 256,
            "stop": ["\n\n"],
            "seed": 7,
            "frequency_penalty": 0.5,
            "presence_penalty": None,
            "enable_thinking": True,
            "thinking_budget": 1024,
        },
    )
    assert body == {
        "model": "baidu/ernie-5.0",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 0.2,
        "top_p": 0.8,
        "max_tokens": 256,
        "stop": ["\n\n"],
        "seed": 7,
        "frequency_penalty": 0.5,
        "enable_thinking": True,
        "thinking_budget": 1024,
    }


def test_bad_param_fails_before_anything_else() -> None:
    with pytest.raises(ParameterError, match=r"^top_p must be between 0\.01 and 1 \(got 0\)$"):
        build_chat_request("baidu/ernie-5.0", [Message("user", "Hi")], params={"top_p": 0})
    with pytest.raises(
        ParameterError, match=r"^enable_thinking not supported by baidu/ernie-4.5-vl"
    ):
        build_chat_request(
            "baidu/ernie-4.5-vl-424b-a47b",
            [Message("user", "Hi")],
            params={"enable_thinking": False},
        )


def test_history_with_tool_calls_and_results() -> None:
    messages = [
        Message("user", "Weather in Paris and Rome?"),
        Message(
            "assistant",
            "",
            tool_calls=[
                ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"}),
                ToolCall(id="call_2", name="get_weather", arguments={"city": "Roma, Città"}),
            ],
        ),
        Message("tool", "18°C, sunny", tool_call_id="call_1"),
        Message("tool", [TextPart("21°C"), TextPart(", clear")], tool_call_id="call_2"),
        Message("assistant", "Paris 18°C, Rome 21°C."),
        Message("user", "Thanks"),
    ]
    body = build_chat_request(
        "baidu/ernie-4.5-vl-424b-a47b",
        messages,
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        parallel_tool_calls=True,
    )
    assert body == {
        "model": "baidu/ernie-4.5-vl-424b-a47b",
        "messages": [
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Roma, Città"}'},
                    },
                ],
            },
            {"role": "tool", "content": "18°C, sunny", "tool_call_id": "call_1"},
            {"role": "tool", "content": "21°C, clear", "tool_call_id": "call_2"},
            {"role": "assistant", "content": "Paris 18°C, Rome 21°C."},
            {"role": "user", "content": "Thanks"},
        ],
        "tools": [WEATHER_WIRE],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }


def test_extra_content_is_echoed_and_names_are_sent() -> None:
    call = ToolCall(id="c", name="f", arguments={}, extra_content={"google": {"sig": "abc"}})
    body = build_chat_request(
        "baidu/ernie-5.0",
        [Message("user", "go", name="ana"), Message("assistant", "", tool_calls=[call])],
    )
    assert body["messages"] == [
        {"role": "user", "content": "go", "name": "ana"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c",
                    "type": "function",
                    "function": {"name": "f", "arguments": "{}"},
                    "extra_content": {"google": {"sig": "abc"}},
                }
            ],
        },
    ]


def test_reasoning_is_stripped_from_history_by_default() -> None:
    messages = [
        Message("user", "2+2?"),
        Message("assistant", "4", reasoning="Two plus two is four."),
        Message("user", "and 3+3?"),
    ]
    assert build_chat_request("baidu/ernie-5.0", messages)["messages"] == [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "and 3+3?"},
    ]
    kept = build_chat_request("baidu/ernie-5.0", messages, preserve_reasoning_in_history=True)
    assert kept["messages"][1] == {
        "role": "assistant",
        "content": "4",
        "reasoning_content": "Two plus two is four.",
    }


def test_text_parts_become_a_plain_string() -> None:
    body = build_chat_request("baidu/ernie-5.0", [Message("user", [TextPart("a "), TextPart("b")])])
    assert body["messages"] == [{"role": "user", "content": "a b"}]


@pytest.mark.parametrize("model", ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"])
def test_images_and_pdf_to_vision_models(model: str) -> None:
    content = [
        TextPart("Compare these."),
        image_part(url="https://example.com/a.jpg", detail="high"),
        image_part(base64=PNG_B64),
        ImagePart(url=f"data:image/png;base64,{PNG_B64}"),
        file_part(data=PDF, filename="report.pdf"),
    ]
    body = build_chat_request(model, [Message("user", content)])
    assert body == {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare these."},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://example.com/a.jpg", "detail": "high"},
                    },
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                    {
                        "type": "file",
                        "file": {
                            "file_data": f"data:application/pdf;base64,{PDF_B64}",
                            "filename": "report.pdf",
                        },
                    },
                ],
            }
        ],
    }


def test_file_id_only_where_the_spec_lists_it() -> None:
    body = build_chat_request("baidu/ernie-5.0", [Message("user", [file_part(file_id="file-abc")])])
    assert body["messages"][0]["content"] == [{"type": "file", "file": {"file_id": "file-abc"}}]
    with pytest.raises(ParameterError) as info:
        build_chat_request(
            "baidu/ernie-4.5-vl-424b-a47b", [Message("user", [file_part(file_id="file-abc")])]
        )
    assert str(info.value) == (
        "messages[0]: baidu/ernie-4.5-vl-424b-a47b takes files as data only "
        "(file_id is an ernie-5.0 field)"
    )


def test_image_to_a_model_without_vision() -> None:
    with pytest.raises(ParameterError) as info:
        build_chat_request(
            "baidu/ernie-x1-turbo-32k",
            [Message("user", [TextPart("what is it?"), image_part(url="https://x.test/a.png")])],
        )
    assert str(info.value) == (
        "messages[0]: baidu/ernie-x1-turbo-32k does not accept images; models that do: "
        "baidu/ernie-5.0, baidu/ernie-4.5-vl-424b-a47b"
    )


def test_pdf_to_a_model_without_pdf_input() -> None:
    with pytest.raises(ParameterError) as info:
        build_chat_request("baidu/ernie-4.5-0.3b", [Message("user", [file_part(data=PDF)])])
    assert str(info.value) == (
        "messages[0]: baidu/ernie-4.5-0.3b does not accept PDF files; models that do: "
        "baidu/ernie-5.0, baidu/ernie-4.5-vl-424b-a47b"
    )


@pytest.mark.filterwarnings("ignore::ernie_aiml.UnknownModelWarning")
def test_image_to_an_unknown_model_passes() -> None:
    body = build_chat_request(
        "acme/foo", [Message("user", [image_part(url="https://x.test/a.png")])]
    )
    assert body == {
        "model": "acme/foo",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}],
            }
        ],
    }


def test_hand_built_parts_are_checked_too() -> None:
    with pytest.raises(ParameterError, match=r"^image: the data is in an unrecognised format"):
        build_chat_request("baidu/ernie-5.0", [Message("user", [ImagePart(base64="AAAAAAAA")])])
    with pytest.raises(ParameterError, match=r"^image url must be http"):
        build_chat_request("baidu/ernie-5.0", [Message("user", [ImagePart(url="s3://b/k.png")])])
    with pytest.raises(ParameterError, match=r"^file: the data is image/png"):
        build_chat_request("baidu/ernie-5.0", [Message("user", [FilePart(base64=PNG_B64)])])
    with pytest.raises(ParameterError, match=r"^image detail must be one of"):
        build_chat_request(
            "baidu/ernie-5.0", [Message("user", [ImagePart(url="https://a/b.png", detail="max")])]
        )
    with pytest.raises(ParameterError, match=r"^messages\[0\]: a content part must be"):
        build_chat_request("baidu/ernie-5.0", [Message("user", [{"type": "text"}])])  # type: ignore[list-item]


def test_images_only_in_user_messages() -> None:
    with pytest.raises(ParameterError) as info:
        build_chat_request(
            "baidu/ernie-5.0",
            [Message("user", "hi"), Message("assistant", [image_part(url="https://a/b.png")])],
        )
    assert str(info.value) == (
        "messages[1]: images and files can only be sent in user messages (got ImagePart)"
    )


def test_developer_becomes_system_before_ernie_5() -> None:
    messages = [Message("developer", "Answer in French."), Message("user", "Hi")]
    assert build_chat_request("baidu/ernie-x1-turbo-32k", messages)["messages"][0] == {
        "role": "system",
        "content": "Answer in French.",
    }
    assert build_chat_request("baidu/ernie-4.5-vl-424b-a47b", messages)["messages"][0] == {
        "role": "system",
        "content": "Answer in French.",
    }
    for model in ("baidu/ernie-5.0", "acme/foo"):
        assert build_chat_request(model, messages)["messages"][0] == {
            "role": "developer",
            "content": "Answer in French.",
        }


def test_tool_choice_only_with_tools() -> None:
    body = build_chat_request(
        "baidu/ernie-5.0",
        [Message("user", "hi")],
        tool_choice="required",
        parallel_tool_calls=False,
    )
    assert body == {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "hi"}]}
    body = build_chat_request(
        "baidu/ernie-5.0", [Message("user", "hi")], tools=[WEATHER_TOOL], tool_choice="get_weather"
    )
    assert body == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [WEATHER_WIRE],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }


def test_response_format_passes_through() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    body = build_chat_request("baidu/ernie-5.0", [Message("user", "hi")], response_format=fmt)
    assert body["response_format"] == fmt


def test_stream_asks_for_usage() -> None:
    messages = [Message("user", "hi")]
    assert build_chat_request("baidu/ernie-5.0", messages, stream=True) == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert build_chat_request("baidu/ernie-5.0", messages, stream=True, stream_usage=False) == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }


def test_extra_body_is_merged_last_and_may_override() -> None:
    body = build_chat_request(
        "baidu/ernie-5.0",
        [Message("user", "hi")],
        params={"temperature": 0.5},
        stream=True,
        extra_body={"temperature": 1.0, "provider": "baidu", "stream_options": None},
    )
    assert body == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 1.0,
        "stream": True,
        "provider": "baidu",
    }


@pytest.mark.filterwarnings("ignore::ernie_aiml.UnknownModelWarning")
@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("ernie-x1.1-preview", "baidu/ernie-x1-1-preview"),
        ("baidu/ernie-x1.1-preview", "baidu/ernie-x1-1-preview"),
        ("ernie-5.0", "baidu/ernie-5.0"),
        ("baidu/ernie-4.5-21B-a3b", "baidu/ernie-4.5-21b-a3b"),
        ("baidu/ernie-4.5-8k-preview", "baidu/ernie-4-5-8k-preview"),
        ("acme/foo", "acme/foo"),
        ("baidu/ernie-9.9-future", "baidu/ernie-9.9-future"),
    ],
)
def test_model_is_sent_as_its_canonical_id(given: str, sent: str) -> None:
    assert build_chat_request(given, [Message("user", "hi")])["model"] == sent


def test_building_a_request_does_not_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    # Clients warn about deprecated models once, when built; per-request code stays quiet.
    from ernie_aiml import _catalog

    monkeypatch.setattr(_catalog, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = build_chat_request("baidu/ernie-x1-turbo-32k", [Message("user", "hi")])
    assert body["model"] == "baidu/ernie-x1-turbo-32k"
    assert caught == []


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], "messages must not be empty"),
        (
            [Message("robot", "hi")],
            "messages[0]: unknown role 'robot' (expected system, developer, "  # type: ignore[arg-type]
            "user, assistant or tool)",
        ),
        (
            [Message("user", "q"), Message("tool", "r")],
            "messages[1]: a tool message needs tool_call_id",
        ),
        (
            [{"role": "user", "content": "hi"}],
            "messages[0] must be an ernie_aiml.Message (got dict)",
        ),
    ],
)
def test_bad_messages(messages: list, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        build_chat_request("baidu/ernie-5.0", messages)
    assert str(info.value) == message
