"""`with_structured_output`: three methods on the wire, parsing, raw reasoning, and the
fallback when a thinking model refuses a forced tool choice."""

from __future__ import annotations

import pytest
from ernie_aiml.emulator import ErrorReply, JSONReply, SSEReply, completion_body, stream_events
from langchain_core.exceptions import ModelInvalidRequestError
from lc_support import TokenRecorder, model_for
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

PROMPT = "Anna is 31 years old. Extract the person."
REFUSAL = "tool_choice 'required' is not supported when thinking is enabled"


class Person(BaseModel):
    """A person."""

    name: str = Field(description="The name")
    age: int = Field(description="The age in years")


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


PERSON_SCHEMA = {
    "title": "Person",
    "description": "A person.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.mark.parametrize("schema", [Person, PersonDict, PERSON_SCHEMA])
def test_function_calling_default(emulator, schema) -> None:
    result = model_for(emulator).with_structured_output(schema).invoke(PROMPT)
    age = result.age if isinstance(result, BaseModel) else result["age"]
    assert age == 31
    body = emulator.requests[-1].json
    assert body["tool_choice"] == {
        "type": "function",
        "function": {"name": "Person" if schema is not PersonDict else "PersonDict"},
    }
    assert body["parallel_tool_calls"] is False
    assert "title" not in body["tools"][0]["function"]["parameters"]


@pytest.mark.parametrize("schema", [Person, PERSON_SCHEMA])
def test_json_schema_method(emulator, schema) -> None:
    result = (
        model_for(emulator)
        .with_structured_output(schema, method="json_schema", strict=True)
        .invoke(PROMPT)
    )
    age = result.age if isinstance(result, BaseModel) else result["age"]
    assert age == 31
    body = emulator.requests[-1].json
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Person"
    assert "strict" not in body["response_format"]["json_schema"]  # AIML drops it, as for tools
    assert "title" not in body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["name", "age"]
    assert "tools" not in body


def test_json_mode_method(emulator) -> None:
    emulator.enqueue(
        JSONReply(
            completion_body(
                model="baidu/ernie-5.0", content='```json\n{"name": "Anna", "age": 31}\n```'
            )
        )
    )
    result = (
        model_for(emulator)
        .with_structured_output(Person, method="json_mode")
        .invoke(PROMPT + " Answer in JSON.")
    )
    assert result == Person(name="Anna", age=31)
    assert emulator.requests[-1].json["response_format"] == {"type": "json_object"}


def test_include_raw_keeps_reasoning(emulator) -> None:
    out = model_for(emulator).with_structured_output(Person, include_raw=True).invoke(PROMPT)
    assert out["parsing_error"] is None
    assert out["parsed"].age == 31
    assert out["raw"].additional_kwargs["reasoning_content"]
    assert out["raw"].tool_calls[0]["name"] == "Person"


def test_include_raw_reports_parsing_error(emulator) -> None:
    emulator.enqueue(JSONReply(completion_body(model="baidu/ernie-5.0", content="not json")))
    out = (
        model_for(emulator)
        .with_structured_output(Person, method="json_mode", include_raw=True)
        .invoke(PROMPT)
    )
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    assert out["raw"].content == "not json"


def test_ls_structured_output_format_reaches_callbacks(emulator) -> None:
    recorder = TokenRecorder()
    model_for(emulator).with_structured_output(Person, method="json_schema").invoke(
        PROMPT, config={"callbacks": [recorder]}
    )
    options = recorder.starts[0]["options"]
    assert options["ls_structured_output_format"]["kwargs"] == {
        "method": "json_schema",
        "strict": None,
    }
    assert options["ls_structured_output_format"]["schema"]["title"] == "Person"


def test_unknown_method_rejected(emulator) -> None:
    with pytest.raises(ValueError, match="method must be"):
        model_for(emulator).with_structured_output(Person, method="xml")  # type: ignore[arg-type]


def test_forced_tool_refused_falls_back_to_thinking_off(emulator) -> None:
    emulator.enqueue(ErrorReply(400, REFUSAL))
    result = model_for(emulator, thinking_budget=500).with_structured_output(Person).invoke(PROMPT)
    assert result.age == 31
    first, second = (r.json for r in emulator.chat_requests)
    assert first["thinking_budget"] == 500 and "enable_thinking" not in first
    assert second["enable_thinking"] is False and "thinking_budget" not in second
    assert second["tool_choice"] == first["tool_choice"]


async def test_forced_tool_refused_async_and_stream(emulator) -> None:
    emulator.enqueue(ErrorReply(400, REFUSAL))
    out = await model_for(emulator).with_structured_output(Person, include_raw=True).ainvoke(PROMPT)
    assert out["parsed"].age == 31
    assert out["raw"].response_metadata["tool_choice_fallback"] == "enable_thinking=false"
    emulator.enqueue(ErrorReply(400, REFUSAL))
    bound = model_for(emulator).bind_tools([Person], tool_choice="Person")
    chunks = [c async for c in bound.astream(PROMPT)]
    assert chunks[-1].response_metadata["tool_choice_fallback"] == "enable_thinking=false"
    emulator.enqueue(ErrorReply(400, REFUSAL))
    chunks = list(bound.stream(PROMPT))
    assert chunks[-1].response_metadata["tool_choice_fallback"] == "enable_thinking=false"


def test_model_without_switch_falls_back_to_auto(emulator) -> None:
    call = {"id": "c1", "name": "Person", "arguments": {"name": "Anna", "age": 31}}
    emulator.enqueue(
        ErrorReply(400, REFUSAL),
        JSONReply(
            completion_body(model="baidu/ernie-4.5-vl-424b-a47b", content="", tool_calls=[call])
        ),
    )
    model = model_for(emulator, model="baidu/ernie-4.5-vl-424b-a47b")
    assert model.with_structured_output(Person).invoke(PROMPT) == Person(name="Anna", age=31)
    assert [r.json["tool_choice"] for r in emulator.chat_requests] == [
        {"type": "function", "function": {"name": "Person"}},
        "auto",
    ]


def test_refusal_after_every_fallback_raises(emulator) -> None:
    emulator.enqueue(ErrorReply(400, REFUSAL), ErrorReply(400, REFUSAL), ErrorReply(400, REFUSAL))
    with pytest.raises(ModelInvalidRequestError, match="tool_choice"):
        model_for(emulator).with_structured_output(Person).invoke(PROMPT)
    assert len(emulator.chat_requests) == 3


def test_other_bad_requests_do_not_fall_back(emulator) -> None:
    emulator.enqueue(ErrorReply(400, "Body validation error"))
    with pytest.raises(ModelInvalidRequestError):
        model_for(emulator).with_structured_output(Person).invoke(PROMPT)
    assert len(emulator.chat_requests) == 1


def test_streamed_structured_output(emulator) -> None:
    call = {"id": "c1", "name": "Person", "arguments": {"name": "Anna", "age": 31}}
    emulator.enqueue(
        SSEReply(stream_events("", reasoning="Extract.", tool_calls=[call], chunk_size=4))
    )
    parts = list(model_for(emulator).with_structured_output(PERSON_SCHEMA).stream(PROMPT))
    assert parts[-1] == {"name": "Anna", "age": 31}
