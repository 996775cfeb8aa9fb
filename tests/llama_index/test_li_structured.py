"""Structured output through the tool path: predict (sync/async/stream), as_structured_llm."""

# ruff: noqa: F811  (pytest fixtures imported from li_support are parameters here)

from ernie_aiml.emulator import SSEReply
from li_support import llm, make_llm  # noqa: F401
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


def test_stream_structured_predict(emulator, llm) -> None:
    emulator.enqueue(_city_stream())
    partials = list(llm.stream_structured_predict(City, PROMPT, text=TEXT))
    assert partials[-1].name == "Paris"
    assert len(partials) == 4 and partials[0].name is None  # one partial object per chunk
    _check_request(emulator.requests[-1].json)


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


def test_response_format_passthrough(emulator, llm) -> None:
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "City", "schema": City.model_json_schema()},
    }
    response = llm.chat([ChatMessage(role="user", content="Paris")], response_format=schema)
    assert emulator.requests[-1].json["response_format"] == schema
    assert "name" in City.model_validate_json(response.message.content).model_dump()
