"""normalize_tool / normalize_tool_choice: the shapes AIML's validator accepts."""

from __future__ import annotations

import copy

import pytest
from ernie_aiml import ParameterError
from ernie_aiml.integration import normalize_tool, normalize_tool_choice

# What pydantic v2 emits for `class Search(BaseModel): title: str; filters: Filters; tags: list[Tag]`.
PYDANTIC_SCHEMA = {
    "$defs": {
        "Filters": {
            "properties": {
                "year": {"title": "Year", "type": "integer", "description": "Publication year"},
                "author": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "title": "Author",
                },
            },
            "required": ["year"],
            "title": "Filters",
            "type": "object",
            "additionalProperties": False,
        },
        "Tag": {
            "properties": {"label": {"title": "Label", "type": "string", "enum": ["a", "b"]}},
            "required": ["label"],
            "title": "Tag",
            "type": "object",
        },
    },
    "properties": {
        "title": {"title": "Title", "type": "string", "description": "The title to find"},
        "filters": {"$ref": "#/$defs/Filters"},
        "tags": {"items": {"$ref": "#/$defs/Tag"}, "title": "Tags", "type": "array"},
    },
    "required": ["title", "filters", "tags"],
    "title": "Search",
    "type": "object",
}

EXPECTED_PARAMETERS = {
    "properties": {
        "title": {"type": "string", "description": "The title to find"},
        "filters": {
            "properties": {
                "year": {"type": "integer", "description": "Publication year"},
                "author": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            },
            "required": ["year"],
            "type": "object",
            "additionalProperties": False,
        },
        "tags": {
            "items": {
                "properties": {"label": {"type": "string", "enum": ["a", "b"]}},
                "required": ["label"],
                "type": "object",
            },
            "type": "array",
        },
    },
    "required": ["title", "filters", "tags"],
    "type": "object",
}


def test_pydantic_schema_is_inlined_and_titles_dropped_but_title_property_kept() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the library",
            "parameters": PYDANTIC_SCHEMA,
            "strict": True,
        },
    }
    before = copy.deepcopy(tool)
    assert normalize_tool(tool) == {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the library",
            "parameters": EXPECTED_PARAMETERS,
        },
    }
    assert tool == before  # the caller's dict is not mutated


def test_bare_function_dict_is_wrapped() -> None:
    assert normalize_tool({"name": "ping", "description": "Ping", "parameters": {}}) == {
        "type": "function",
        "function": {
            "name": "ping",
            "description": "Ping",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def test_missing_parameters_default_to_an_empty_object_schema() -> None:
    assert normalize_tool({"type": "function", "function": {"name": "now"}}) == {
        "type": "function",
        "function": {"name": "now", "parameters": {"type": "object", "properties": {}}},
    }


def test_nested_refs_and_definitions_and_sibling_keywords() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/definitions/A", "description": "the a"},
            "b": {"allOf": [{"$ref": "#/definitions/B"}]},
        },
        "definitions": {
            "A": {"type": "object", "title": "A", "properties": {"b": {"$ref": "#/definitions/B"}}},
            "B": {"type": "string", "title": "B", "default": {"title": "kept: a value"}},
        },
    }
    out = normalize_tool({"name": "f", "parameters": schema})["function"]["parameters"]
    assert out == {
        "type": "object",
        "properties": {
            "a": {
                "type": "object",
                "properties": {"b": {"type": "string", "default": {"title": "kept: a value"}}},
                "description": "the a",
            },
            "b": {"allOf": [{"type": "string", "default": {"title": "kept: a value"}}]},
        },
    }


def test_top_level_ref_schema() -> None:
    schema = {
        "$ref": "#/$defs/M",
        "$defs": {"M": {"type": "object", "title": "M", "properties": {"x": {"type": "number"}}}},
    }
    assert normalize_tool({"name": "f", "parameters": schema})["function"]["parameters"] == {
        "type": "object",
        "properties": {"x": {"type": "number"}},
    }


def test_schema_without_type_but_with_properties_becomes_an_object() -> None:
    schema = {"properties": {"q": {"type": "string"}}, "required": ["q"]}
    assert normalize_tool({"name": "f", "parameters": schema})["function"]["parameters"] == {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "required": ["q"],
    }


def test_additional_properties_schema_and_pattern_properties_are_walked() -> None:
    schema = {
        "type": "object",
        "properties": {},
        "additionalProperties": {"title": "Extra", "type": "integer"},
        "patternProperties": {"^title$": {"title": "T", "type": "string"}},
    }
    assert normalize_tool({"name": "f", "parameters": schema})["function"]["parameters"] == {
        "type": "object",
        "properties": {},
        "additionalProperties": {"type": "integer"},
        "patternProperties": {"^title$": {"type": "string"}},
    }


def test_recursive_schema_is_refused() -> None:
    schema = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    with pytest.raises(ParameterError) as info:
        normalize_tool({"name": "tree", "parameters": schema})
    assert str(info.value) == (
        "tool 'tree': schema is recursive ($ref #/$defs/Node) and cannot be represented"
    )


def test_mutually_recursive_schema_is_refused() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}},
        },
    }
    with pytest.raises(ParameterError) as info:
        normalize_tool({"name": "ab", "parameters": schema})
    assert str(info.value) == (
        "tool 'ab': schema is recursive ($ref #/$defs/A) and cannot be represented"
    )


def test_root_recursion_is_refused() -> None:
    schema = {"type": "object", "properties": {"self": {"$ref": "#"}}}
    with pytest.raises(ParameterError, match=r"recursive \(\$ref #\)"):
        normalize_tool({"name": "f", "parameters": schema})


def test_missing_and_external_refs_are_refused() -> None:
    with pytest.raises(ParameterError) as info:
        normalize_tool(
            {
                "name": "f",
                "parameters": {"type": "object", "properties": {"x": {"$ref": "#/$defs/X"}}},
            }
        )
    assert str(info.value) == "tool 'f': $ref '#/$defs/X' not found in the schema"
    with pytest.raises(ParameterError) as info:
        normalize_tool(
            {
                "name": "f",
                "parameters": {
                    "type": "object",
                    "properties": {"x": {"$ref": "https://example.com/x.json"}},
                },
            }
        )
    assert str(info.value) == (
        "tool 'f': $ref 'https://example.com/x.json' points outside the schema and cannot be resolved"
    )


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        (
            {"type": "function", "function": {"description": "x"}},
            "a tool needs a non-empty name (got None)",
        ),
        ({"name": "", "parameters": {}}, "a tool needs a non-empty name (got '')"),
        (
            {"name": "f", "parameters": {"type": "string"}},
            "tool 'f': parameters must be an object schema (type 'object'), got type 'string'",
        ),
        (
            {"name": "f", "parameters": ["x"]},
            "tool 'f': parameters must be a JSON schema object (got ['x'])",
        ),
        (
            {"type": "retrieval", "function": {"name": "f"}},
            "tool type must be 'function' (got 'retrieval')",
        ),
        (
            {"description": "no name"},
            "a tool must be {'type': 'function', 'function': {'name': ..., 'parameters': ...}} "
            "(got keys ['description'])",
        ),
    ],
)
def test_bad_tools(tool: dict, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        normalize_tool(tool)
    assert str(info.value) == message


def test_non_mapping_tool() -> None:
    with pytest.raises(ParameterError, match=r"^a tool must be a mapping \(got str\)$"):
        normalize_tool("search")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        (False, None),
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("search", {"type": "function", "function": {"name": "search"}}),
        (
            {"type": "function", "function": {"name": "ping"}},
            {"type": "function", "function": {"name": "ping"}},
        ),
    ],
)
def test_tool_choice(choice: object, expected: object) -> None:
    assert normalize_tool_choice(choice, ["search", "ping"]) == expected


def test_unknown_tool_name_lists_the_tools() -> None:
    with pytest.raises(ParameterError) as info:
        normalize_tool_choice("fetch", ["search", "ping"])
    assert str(info.value) == (
        "tool_choice 'fetch' is not one of 'auto', 'none', 'required' or a tool name "
        "(tools: 'search', 'ping')"
    )


def test_tool_choice_of_wrong_type() -> None:
    with pytest.raises(ParameterError) as info:
        normalize_tool_choice(3, ["search"])
    assert str(info.value) == (
        "tool_choice must be 'auto', 'none', 'required', a tool name or a dict (got 3)"
    )


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (
            {"function": {"name": "ping"}},
            "tool_choice dict needs 'type': 'function' (or, for ernie-5.0, 'allowed_tools' or "
            "'custom') (got {'function': {'name': 'ping'}})",
        ),
        (
            {"type": "function", "function": "ping"},
            "tool_choice {'type': 'function', ...} needs {'function': {'name': ...}} "
            "(got {'type': 'function', 'function': 'ping'})",
        ),
        (
            {"type": "function", "function": {"name": "fetch"}},
            "tool_choice names 'fetch', which is not a bound tool (tools: 'search', 'ping')",
        ),
        ({"type": "custom"}, "tool_choice of type 'custom' needs a 'custom' entry"),
    ],
)
def test_malformed_tool_choice_dicts_are_refused(choice: object, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        normalize_tool_choice(choice, ["search", "ping"])
    assert str(info.value) == message


ALLOWED = {
    "type": "allowed_tools",
    "allowed_tools": {
        "mode": "auto",
        "tools": [{"type": "function", "function": {"name": "ping"}}],
    },
}
PING = [{"type": "function", "function": {"name": "ping", "parameters": {"type": "object"}}}]


def test_ernie5_only_tool_choice_shapes() -> None:
    from ernie_aiml import Message, build_chat_request

    body = build_chat_request(
        "baidu/ernie-5.0", [Message("user", "hi")], tools=PING, tool_choice=ALLOWED
    )
    assert body["tool_choice"] == ALLOWED
    with pytest.raises(ParameterError) as info:
        build_chat_request(
            "baidu/ernie-4.5-vl-424b-a47b", [Message("user", "hi")], tools=PING, tool_choice=ALLOWED
        )
    assert str(info.value) == (
        "tool_choice of type 'allowed_tools' is not supported by baidu/ernie-4.5-vl-424b-a47b: "
        "only 'auto', 'none', 'required' or {'type': 'function', 'function': {'name': ...}}"
    )
