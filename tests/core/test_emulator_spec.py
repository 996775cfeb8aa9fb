"""The emulator held to AIML's published schemas: model ids, capabilities, negative controls,
and structured output that validates against the schema the request gave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from ernie_aiml.emulator import (
    BodyCheck,
    Emulator,
    model_spec,
    model_specs,
    request_schema,
    respond,
    response_schema,
    validation_error,
    watch_bodies,
)

KEY = {"Authorization": "Bearer test-key"}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
FUNCTION_TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}
CUSTOM_TOOL = {"type": "custom", "custom": {"name": "sql", "format": {"type": "text"}}}
SPECS = Path(__file__).resolve().parents[2] / "shared/ernie_aiml/emulator/specs"


def body(model: str = "baidu/ernie-4.5-vl-424b-a47b", content: Any = "Hi", **extra: Any) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def post(emu: Emulator, payload: Any) -> httpx.Response:
    return httpx.post(f"{emu.base_url}/chat/completions", json=payload, headers=KEY)


def refusal(emu: Emulator, payload: Any) -> str:
    response = post(emu, payload)
    assert response.status_code == 400
    return response.json()["message"].removeprefix("Body validation error: ")


# ------------------------------------------------------------------ data from the specs


def test_the_fifteen_spec_ids_and_their_status() -> None:
    specs = model_specs()
    assert len(specs) == 15
    assert [m for m, s in specs.items() if not s.deprecated] == [
        "baidu/ernie-5.0",
        "baidu/ernie-4.5-vl-424b-a47b",
    ]
    for model, spec in specs.items():
        assert request_schema(model)["properties"]["model"]["enum"] == [model]
        assert (SPECS / spec.file).is_file()


@pytest.mark.parametrize(
    ("model", "vision", "file_input", "switch"),
    [
        ("baidu/ernie-5.0", True, True, True),
        ("baidu/ernie-4.5-vl-424b-a47b", True, True, False),
        ("baidu/ernie-4.5-vl-28b-a3b", True, True, False),
        ("baidu/ernie-4-5-turbo-vl-32k", True, True, False),
        ("baidu/ernie-4.5-21b-a3b", False, False, False),
        ("baidu/ernie-x1-1-preview", False, False, False),
    ],
)
def test_capabilities_come_from_the_request_schema(
    model: str, vision: bool, file_input: bool, switch: bool
) -> None:
    spec = model_spec(model)
    assert spec is not None
    assert (spec.vision, spec.file_input, spec.thinking_switch) == (vision, file_input, switch)


def test_reduced_specs_are_what_the_script_writes(tmp_path: Path) -> None:
    """The package data is a pure function of the full documents: regenerate and compare."""
    full = Path(__file__).resolve().parents[3] / "shared/aiml-specs"  # ../shared beside the repo
    if not full.is_dir():
        pytest.skip("the full OpenAPI documents are not on this machine")
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts/reduce_specs.py"
    loaded = importlib.util.spec_from_file_location("reduce_specs", script)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    module.reduce_folder(full, tmp_path)
    for path in sorted(SPECS.glob("*.json")):
        assert (tmp_path / path.name).read_text() == path.read_text(), path.name


def test_openapi_nullable_is_translated() -> None:
    schema = request_schema("baidu/ernie-5.0")["properties"]
    assert schema["frequency_penalty"]["type"] == ["number", "null"]
    assert schema["stop"]["anyOf"][-1] == {"type": "null"}
    assert "nullable" not in json.dumps(request_schema("baidu/ernie-5.0"))


# ------------------------------------------------------------------ unknown ids


@pytest.mark.invalid_body
@pytest.mark.parametrize(
    "model", ["gpt-4o", "baidu/ernie-6", "baidu/ernie-4-5-vl-424b-a47b", "ernie-5.0"]
)
def test_unknown_ids_are_refused_like_an_enum_mismatch(emulator: Emulator, model: str) -> None:
    message = refusal(emulator, body(model))
    expected = " | ".join(f"'{m}'" for m in model_specs())
    assert message == f"model: Invalid enum value. Expected {expected}, received '{model}'"


@pytest.mark.invalid_body
def test_unknown_ids_are_refused_even_with_a_scripted_reply(emulator: Emulator) -> None:
    from ernie_aiml.emulator import JSONReply

    emulator.enqueue(JSONReply({"ok": True}))
    assert post(emulator, body("gpt-4o")).status_code == 400
    assert emulator.pending == 1


# ------------------------------------------------------------------ negative controls


@pytest.mark.invalid_body
@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (
            body("baidu/ernie-4.5-21b-a3b", [{"type": "text", "text": "What is it?"}, IMAGE]),
            "messages.0.content.1.type: Invalid enum value. Expected 'text', received 'image_url'",
        ),
        (
            body(content=[{"type": "image_url", "image_url": {"url": "cat.png"}}]),
            "messages.0.content.0.image_url.url: Invalid url",
        ),
        (
            body(content=[{"type": "image_url", "image_url": {"url": "https://"}}]),
            "messages.0.content.0.image_url.url: Invalid url",
        ),
        (
            body("baidu/ernie-5.0", enable_thinking=1),
            "enable_thinking: Expected boolean, received number",
        ),
        (
            body(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
            "response_format.json_schema.name: Required",
        ),
        (
            body(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "S", "schema": {}, "$defs": {}},
                }
            ),
            "response_format.json_schema: Unrecognized key(s) in object: '$defs'",
        ),
        (
            body(response_format={"type": "json_object", "schema": {}}),
            "response_format: Unrecognized key(s) in object: 'schema'",
        ),
        (
            body(tools=[FUNCTION_TOOL], tool_choice={"function": {"name": "lookup"}}),
            "tool_choice.type: Required",
        ),
        (
            body(
                tools=[FUNCTION_TOOL],
                tool_choice={
                    "type": "allowed_tools",
                    "allowed_tools": {"mode": "auto", "tools": []},
                },
            ),
            "tool_choice.type: Invalid enum value. Expected 'function', received 'allowed_tools'",
        ),
        (
            body(tools=[FUNCTION_TOOL], tool_choice={"type": "custom", "custom": "name"}),
            "tool_choice.type: Invalid enum value. Expected 'function', received 'custom'",
        ),
        (
            body(tools=[CUSTOM_TOOL]),
            "tools.0.type: Invalid enum value. Expected 'function', received 'custom'",
        ),
        (
            body(tools=[{"type": "function", "function": {"name": "lookup"}}]),
            "tools.0.function.parameters: Required",
        ),
        (body(seed=2.5), "seed: Expected integer, received float"),
        (
            body(max_completion_tokens=0),
            "max_completion_tokens: Number must be greater than or equal to 1",
        ),
        (
            {
                "model": "baidu/ernie-5.0",
                "messages": [{"role": "system", "content": "x", "name": 1}],
            },
            "messages.0.name: Expected string, received number",
        ),
    ],
)
def test_the_validator_refuses_what_the_spec_refuses(
    emulator: Emulator, payload: dict, detail: str
) -> None:
    assert refusal(emulator, payload) == detail
    assert validation_error(payload) == detail


@pytest.mark.parametrize(
    "payload",
    [
        body(seed=2.0),
        body("baidu/ernie-5.0", tools=[CUSTOM_TOOL]),
        body("baidu/ernie-5.0", tools=[{"type": "function", "function": {"name": "lookup"}}]),
        body(
            "baidu/ernie-5.0",
            tools=[FUNCTION_TOOL],
            tool_choice={"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}},
        ),
        body(
            "baidu/ernie-5.0", tools=[CUSTOM_TOOL], tool_choice={"type": "custom", "custom": "name"}
        ),
        body("baidu/ernie-5.0", enable_thinking=False, thinking_budget=100),
        body(content=[{"type": "text", "text": "What is it?"}, IMAGE]),
        body(content=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]),
        body("baidu/ernie-5.0", content=[{"type": "image_url", "image_url": {"url": "cat.png"}}]),
        body(response_format={"type": "json_schema", "json_schema": {"name": "S", "strict": None}}),
        body(stop=None, frequency_penalty=None),
    ],
    ids=[
        "integral-float-seed",
        "5.0-custom-tool",
        "5.0-function-tool-without-parameters",
        "5.0-allowed-tools",
        "5.0-custom-tool-choice",
        "5.0-thinking-switch",
        "vision-image-url",
        "vision-data-url",
        "5.0-url-is-any-string",
        "json-schema-strict-null",
        "nullable-fields",
    ],
)
def test_the_validator_accepts_what_the_spec_allows(emulator: Emulator, payload: dict) -> None:
    assert post(emulator, payload).status_code == 201
    assert emulator.requests[-1].problem is None


@pytest.mark.unlisted_keys
def test_keys_the_schema_does_not_list_pass_unless_strict(emulator: Emulator) -> None:
    """The schemas have no top-level `additionalProperties: false` (zod strips unknown keys):
    `enable_thinking` on a pre-5.0 model is accepted and ignored; `strict=True` refuses it."""
    payload = body(enable_thinking=True)
    seen: list[BodyCheck] = []
    unwatch = watch_bodies(seen.append)
    try:
        assert post(emulator, payload).status_code == 201
    finally:
        unwatch()
    assert [(c.model, c.valid, c.unlisted, c.source) for c in seen] == [
        (payload["model"], True, ("enable_thinking",), "emulator")
    ]
    with Emulator(strict=True) as emu:
        assert refusal(emu, payload) == "Unrecognized key(s) in object: 'enable_thinking'"


@pytest.mark.invalid_body
def test_validate_false_answers_anyway_but_still_records_the_verdict() -> None:
    with Emulator(validate=False) as emu:
        assert post(emu, body(temperature=5)).status_code == 201
        assert emu.requests[-1].problem == "temperature: Number must be less than or equal to 2"


# ------------------------------------------------------------------ response_format


ORDER_SCHEMA = {
    "$defs": {
        "Item": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "count": {"type": "integer", "minimum": 1, "maximum": 10},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            },
            "required": ["name", "count"],
            "additionalProperties": False,
        },
        "Status": {"enum": ["open", "closed"], "type": "string"},
    },
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "status": {"$ref": "#/$defs/Status"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 2},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "kind": {"const": "order"},
        "total": {"type": "number", "exclusiveMinimum": 0},
        "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}]},
        "meta": {"allOf": [{"$ref": "#/$defs/Item"}]},
    },
    "required": ["customer", "status", "items", "kind", "total"],
    "additionalProperties": False,
}


def _json_schema_body(schema: dict, prompt: str, **extra: Any) -> dict:
    response_format = {"type": "json_schema", "json_schema": {"name": "Out", "schema": schema}}
    return body("baidu/ernie-5.0", prompt, response_format=response_format, **extra)


def _check(schema: dict, value: Any) -> None:
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(value)


def test_json_schema_answer_validates_against_the_schema(emulator: Emulator) -> None:
    payload = _json_schema_body(ORDER_SCHEMA, "Order for 'Ada', closed, 3 items")
    content = post(emulator, payload).json()["choices"][0]["message"]["content"]
    value = json.loads(content)
    _check(ORDER_SCHEMA, value)
    assert value["customer"] == "Ada"
    assert value["status"] == "closed"
    assert value["kind"] == "order"
    assert len(value["items"]) == 2
    assert value["items"][0]["count"] == 3


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "items": {"type": "integer"}, "minItems": 3},
        {"type": "string", "enum": ["yes", "no"]},
        {
            "type": "object",
            "properties": {"child": {"$ref": "#"}, "name": {"type": "string"}},
            "required": ["name", "child"],
        },
        {
            "type": "object",
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "id": {"type": "string", "format": "uuid"},
                "n": {"type": "integer", "multipleOf": 5, "minimum": 1},
            },
        },
    ],
    ids=["array-root", "enum-root", "recursive", "formats"],
)
def test_json_schema_answers_for_other_shapes(schema: dict) -> None:
    answer = respond(_json_schema_body(schema, "Pick 7 please"))
    value = json.loads(answer.content)
    if "child" in schema.get("properties", {}):
        # a required self-reference has no finite instance: the answer stops at a fixed depth
        with pytest.raises(jsonschema.ValidationError):
            _check(schema, value)
        assert value["name"] == "Pick 7 please"
        return
    _check(schema, value)


def test_json_schema_answer_after_a_tool_result(emulator: Emulator) -> None:
    schema = {
        "type": "object",
        "properties": {"temperature": {"type": "number"}, "city": {"type": "string"}},
        "required": ["temperature", "city"],
        "additionalProperties": False,
    }
    payload = _json_schema_body(schema, "Weather in 'Paris'?", tools=[FUNCTION_TOOL])
    payload["messages"] += [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "21.5"},
    ]
    message = post(emulator, payload).json()["choices"][0]["message"]
    assert "tool_calls" not in message
    assert json.loads(message["content"]) == {"temperature": 21.5, "city": "Paris"}


def test_json_object_answer_is_an_object_also_after_a_tool_result(emulator: Emulator) -> None:
    payload = body("baidu/ernie-5.0", "What is it?", response_format={"type": "json_object"})
    content = post(emulator, payload).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"answer": "What is it?"}
    payload["tools"] = [FUNCTION_TOOL]
    payload["messages"] += [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    content = post(emulator, payload).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"answer": "The result is 42."}


# ------------------------------------------------------------------ answers vs the response schema


@pytest.mark.parametrize("model", ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"])
def test_answers_fit_the_published_response_schema(emulator: Emulator, model: str) -> None:
    """Only one deviation, on purpose: the schema requires `meta.usage.usd_spent`, but AIML's
    documented answers carry `credits_used` only (the USD figure is in a header)."""
    answer = post(emulator, body(model, tools=[FUNCTION_TOOL], tool_choice="required")).json()
    schema = response_schema(model)
    assert schema is not None
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(answer))
    assert [(list(e.absolute_path), e.message) for e in errors] == [
        (["meta", "usage"], "'usd_spent' is a required property")
    ]


# ------------------------------------------------------------------ the jsonschema dependency


def test_jsonschema_is_imported_on_first_use_only() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ernie_aiml.emulator\n"
        "print('jsonschema' in sys.modules, 'ernie_aiml._catalog' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_missing_jsonschema_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "jsonschema", None)
    with pytest.raises(ImportError, match=r'pip install "ernie-aiml\[emulator\]"'):
        Emulator().start()
    with Emulator(validate=False) as emu:
        assert post(emu, body()).status_code == 201


@pytest.mark.parametrize(
    ("credits", "header"), [(20, "0.00001"), (1_546, "0.000773"), (2_000_000, "1"), (0, "0")]
)
def test_usd_header_is_plain_decimal_at_two_million_credits_a_dollar(
    credits: int, header: str
) -> None:
    from ernie_aiml.emulator._shapes import usd_header

    assert usd_header(credits) == header


def test_the_responder_calls_function_tools_only_and_reads_any_tool_choice_shape() -> None:
    only_custom = body("baidu/ernie-5.0", "Run sql", tools=[CUSTOM_TOOL])
    assert respond(only_custom).tool_calls == []
    mixed = body(
        "baidu/ernie-5.0",
        "Run lookup",
        tools=[CUSTOM_TOOL, FUNCTION_TOOL],
        tool_choice={"type": "function", "function": "name"},
    )
    (call,) = respond(mixed).tool_calls
    assert (call["name"], call["arguments"]) == ("lookup", "{}")
