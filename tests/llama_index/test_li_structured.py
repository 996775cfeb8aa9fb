"""Structured output through the tool path: predict (sync/async/stream), as_structured_llm."""

import pytest
from ernie_aiml.emulator import SSEReply
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field

PROMPT = PromptTemplate("Extract the city from: {text}")
TEXT = "I flew to Paris last week."


class City(BaseModel):
    """A city mentioned in the text."""

    name: str = Field(description="The city's name")


def _check_request(body: dict) -> None:
    assert body["tools"][0]["function"]["name"] == "City"
    assert body["tools"][0]["function"]["parameters"]["properties"] == {
        "name": {"type": "string", "description": "The city's name"}
    }
    assert body["tool_choice"] in ("required", "auto")
    assert "response_format" not in body


def test_structured_predict(emulator, llm) -> None:
    city = llm.structured_predict(City, PROMPT, text=TEXT)
    assert isinstance(city, City) and city.name
    body = emulator.requests[-1].json
    _check_request(body)
    assert body["tool_choice"] == "required"
    assert body["messages"][-1] == {"role": "user", "content": f"Extract the city from: {TEXT}"}


async def test_astructured_predict(emulator, llm) -> None:
    city = await llm.astructured_predict(City, PROMPT, text=TEXT)
    assert isinstance(city, City) and city.name
    _check_request(emulator.requests[-1].json)
    assert emulator.requests[-1].json["tool_choice"] == "required"


def _city_stream() -> SSEReply:
    frag = {
        "index": 0,
        "id": "call_c",
        "type": "function",
        "function": {"name": "City", "arguments": ""},
    }
    chunks = [
        {"role": "assistant", "content": None, "tool_calls": [frag]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"name": "Pa'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]},
    ]
    events = [
        {
            "id": "a",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": d, "finish_reason": None}],
        }
        for d in chunks
    ]
    events.append(
        {
            "id": "a",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
        }
    )
    return SSEReply(events)


@pytest.mark.filterwarnings("ignore::ernie_aiml.MissingUsageWarning")  # scripted without usage
def test_stream_structured_predict(emulator, llm) -> None:
    emulator.enqueue(_city_stream())
    partials = list(llm.stream_structured_predict(City, PROMPT, text=TEXT))
    assert partials[-1].name == "Paris"
    assert len(partials) == 4 and partials[0].name is None  # one partial object per chunk
    _check_request(emulator.requests[-1].json)


@pytest.mark.filterwarnings("ignore::ernie_aiml.MissingUsageWarning")  # scripted without usage
async def test_astream_structured_predict(emulator, llm) -> None:
    emulator.enqueue(_city_stream())
    partials = [p async for p in await llm.astream_structured_predict(City, PROMPT, text=TEXT)]
    assert partials[-1].name == "Paris"


def test_as_structured_llm(emulator, llm) -> None:
    structured = llm.as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content=f"Extract the city from: {TEXT}")])
    assert isinstance(response.raw, City)
    assert City.model_validate_json(response.message.content) == response.raw
    _check_request(emulator.requests[-1].json)


def test_text_program_for_model_without_tools_never_sends_tool_choice(emulator, make_llm) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        llm = make_llm(model="baidu/ernie-4.5-0.3b")
    emulator.enqueue(_json_reply('{"name": "Paris"}'))
    city = llm.structured_predict(City, PROMPT, text=TEXT)
    assert city == City(name="Paris")
    body = emulator.requests[-1].json
    assert "tools" not in body and "tool_choice" not in body


def _json_reply(content: str):
    from ernie_aiml.emulator import JSONReply

    return JSONReply(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def test_response_format_is_cleaned_for_aiml(emulator, llm) -> None:
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "City", "schema": City.model_json_schema(), "strict": True},
    }
    response = llm.chat([ChatMessage(role="user", content="Paris")], response_format=schema)
    assert emulator.requests[-1].json["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "City",
            "schema": {
                "description": "A city mentioned in the text.",
                "properties": {"name": {"description": "The city's name", "type": "string"}},
                "required": ["name"],
                "type": "object",
            },
        },
    }
    assert "name" in City.model_validate_json(response.message.content).model_dump()


# --------------------------------------------------------------------------- refused forced choice

REFUSAL = "tool_choice 'required' is not supported when thinking is enabled"


def _refusal():
    from ernie_aiml.emulator import ErrorReply

    return ErrorReply(400, REFUSAL)


def _sent(emulator) -> list[tuple[object, object]]:
    """(tool_choice, enable_thinking) of every request the emulator received."""
    return [(r.json.get("tool_choice"), r.json.get("enable_thinking")) for r in emulator.requests]


def test_refused_forced_choice_retries_without_thinking(emulator, llm) -> None:
    emulator.enqueue(_refusal())
    city = llm.structured_predict(City, PROMPT, text=TEXT)
    assert isinstance(city, City) and city.name
    assert _sent(emulator) == [("required", None), ("required", False)]
    first, second = (r.json for r in emulator.requests)
    assert second == {**first, "enable_thinking": False}


def test_refused_twice_falls_back_to_auto(emulator, make_llm) -> None:
    llm = make_llm(thinking_budget=500)
    emulator.enqueue(_refusal(), _refusal())
    response = llm.chat_with_tools([_city_tool()], user_msg=TEXT, tool_required=True)
    assert response.additional_kwargs["tool_choice_fallback"] == "tool_choice=auto"
    assert _sent(emulator) == [("required", None), ("required", False), ("auto", None)]
    bodies = [r.json for r in emulator.requests]
    assert bodies[0]["thinking_budget"] == 500
    assert "thinking_budget" not in bodies[1]  # a budget without thinking is refused
    assert bodies[2]["thinking_budget"] == 500


def test_model_without_thinking_switch_goes_straight_to_auto(emulator, make_llm) -> None:
    llm = make_llm(model="baidu/ernie-4.5-vl-424b-a47b")
    emulator.enqueue(_refusal())
    response = llm.chat_with_tools([_city_tool()], user_msg=TEXT, tool_choice="City")
    assert response.additional_kwargs["tool_choice_fallback"] == "tool_choice=auto"
    assert _sent(emulator) == [
        ({"type": "function", "function": {"name": "City"}}, None),
        ("auto", None),
    ]


def test_other_bad_requests_are_not_retried(emulator, llm) -> None:
    from ernie_aiml import BadRequestError
    from ernie_aiml.emulator import ErrorReply

    emulator.enqueue(ErrorReply(400, "Body validation error: messages"))
    with pytest.raises(BadRequestError, match="Body validation error"):
        llm.structured_predict(City, PROMPT, text=TEXT)
    assert len(emulator.requests) == 1


def test_refusal_without_a_forced_choice_is_raised(emulator, llm) -> None:
    from ernie_aiml import BadRequestError

    emulator.enqueue(_refusal())
    with pytest.raises(BadRequestError, match="tool_choice"):
        llm.chat_with_tools([_city_tool()], user_msg=TEXT)  # tool_choice "auto"
    assert _sent(emulator) == [("auto", None)]


def test_no_fallback_no_marker(emulator, llm) -> None:
    response = llm.chat_with_tools([_city_tool()], user_msg=TEXT, tool_required=True)
    assert "tool_choice_fallback" not in response.additional_kwargs


async def test_async_refused_forced_choice_falls_back(emulator, llm) -> None:
    emulator.enqueue(_refusal())
    response = await llm.achat_with_tools([_city_tool()], user_msg=TEXT, tool_required=True)
    assert response.additional_kwargs["tool_choice_fallback"] == "enable_thinking=false"
    assert _sent(emulator) == [("required", None), ("required", False)]


@pytest.mark.filterwarnings("ignore::ernie_aiml.MissingUsageWarning")  # scripted without usage
def test_stream_refused_forced_choice_falls_back(emulator, llm) -> None:
    emulator.enqueue(_refusal(), _city_stream())
    gen = llm.stream_chat_with_tools([_city_tool()], user_msg=TEXT, tool_required=True)
    responses = list(gen)
    assert _sent(emulator) == [("required", None), ("required", False)]
    assert all(r.json["stream"] is True for r in emulator.requests)
    assert {r.additional_kwargs["tool_choice_fallback"] for r in responses} == {
        "enable_thinking=false"
    }
    (call,) = llm.get_tool_calls_from_response(responses[-1])
    assert (call.tool_name, call.tool_kwargs) == ("City", {"name": "Paris"})


def test_stream_structured_predict_is_not_forced(emulator, llm) -> None:
    """LlamaIndex streams structured output with tool_choice "auto": nothing to fall back."""
    from ernie_aiml import BadRequestError

    emulator.enqueue(_refusal())
    with pytest.raises(BadRequestError, match="tool_choice"):
        list(llm.stream_structured_predict(City, PROMPT, text=TEXT))
    assert _sent(emulator) == [("auto", None)]


@pytest.mark.filterwarnings("ignore::ernie_aiml.MissingUsageWarning")  # scripted without usage
async def test_astream_refused_forced_choice_falls_back(emulator, llm) -> None:
    emulator.enqueue(_refusal(), _refusal(), _city_stream())
    gen = await llm.astream_chat_with_tools([_city_tool()], user_msg=TEXT, tool_required=True)
    responses = [r async for r in gen]
    assert _sent(emulator) == [("required", None), ("required", False), ("auto", None)]
    assert responses[-1].additional_kwargs["tool_choice_fallback"] == "tool_choice=auto"
    (call,) = llm.get_tool_calls_from_response(responses[-1])
    assert (call.tool_name, call.tool_kwargs) == ("City", {"name": "Paris"})


def _city_tool():
    from llama_index.core.tools import FunctionTool

    return FunctionTool.from_defaults(fn=lambda name: name, name="City", description="A city.")
