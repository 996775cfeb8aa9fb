"""`response_format` reduced to what AIML's request schemas accept, refused before any request."""

from __future__ import annotations

from typing import Any

import pytest
from ernie_aiml import Message, ParameterError, build_chat_request
from ernie_aiml._wire.response_format import normalize_response_format
from ernie_aiml.integration import json_schema_format
from pydantic import BaseModel, Field


class Address(BaseModel):
    """Where someone lives."""

    city: str = Field(description="City name")


class Person(BaseModel):
    """A person."""

    name: str
    home: Address


def test_a_raw_pydantic_schema_is_cleaned_like_a_tool_schema() -> None:
    # What LangChain's ProviderStrategy(strict=True) sends: $defs, $ref, titles, strict.
    raw = {
        "type": "json_schema",
        "json_schema": {
            "name": "Person",
            "description": "A person.",
            "schema": Person.model_json_schema(),
            "strict": True,
        },
    }
    assert normalize_response_format(raw) == {
        "type": "json_schema",
        "json_schema": {
            "name": "Person",
            "schema": {
                "description": "A person.",
                "properties": {
                    "name": {"type": "string"},
                    "home": {
                        "description": "Where someone lives.",
                        "properties": {"city": {"description": "City name", "type": "string"}},
                        "required": ["city"],
                        "type": "object",
                    },
                },
                "required": ["name", "home"],
                "type": "object",
            },
        },
    }


def test_json_schema_format_names_the_schema_after_its_title() -> None:
    fmt = json_schema_format(Address.model_json_schema())
    assert fmt["json_schema"]["name"] == "Address"
    assert json_schema_format({"type": "object", "properties": {}})["json_schema"]["name"] == (
        "response"
    )


@pytest.mark.parametrize("kind", ["text", "json_object"])
def test_plain_types_pass(kind: str) -> None:
    assert normalize_response_format({"type": kind}) == {"type": kind}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
            "response_format json_schema needs a non-empty 'name' (got None)",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "format": "y"}},
            "response_format json_schema takes only description, name, schema, strict "
            "(got also format)",
        ),
        (
            {"type": "json_object", "schema": {}},
            "response_format takes only type (got also schema)",
        ),
        (
            {"type": "xml"},
            "response_format type must be 'text', 'json_object' or 'json_schema' (got 'xml')",
        ),
        (
            {"type": "json_schema"},
            "response_format json_schema must be a dict with a 'name' and a 'schema' (got None)",
        ),
        (
            "json",
            "response_format must be a dict such as {'type': 'json_object'} (got 'json')",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string"}}},
            "response_format 'x': schema must be an object schema (type 'object'), got type "
            "'string'",
        ),
    ],
)
def test_malformed_formats_are_refused_with_the_reason(value: Any, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        normalize_response_format(value)
    assert str(info.value) == message


def test_build_chat_request_sends_the_cleaned_format() -> None:
    body = build_chat_request(
        "baidu/ernie-5.0",
        [Message("user", "hi")],
        response_format={"type": "json_schema", "json_schema": {"name": "A", "strict": False}},
    )
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "A"}}
