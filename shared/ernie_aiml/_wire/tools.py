"""Tool definitions in the shape AIML's request validator accepts.

AIML rejects `strict`, and its validator chokes on `title`, `$defs` and `$ref` (what
pydantic emits). Mirroring the AIML SDK: drop `strict`, drop the `title` *keyword* (never a
property that happens to be called `title`), inline every `$ref` and drop the definitions.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from .._errors.classes import ParameterError
from .._limits import limits
from .cache import check_cache_control

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

# Keywords whose value is one schema, a list of schemas, or a name -> schema mapping.
_SUBSCHEMA = frozenset(
    {
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "additionalItems",
        "items",
    }
)
_SUBSCHEMA_LIST = frozenset({"anyOf", "oneOf", "allOf", "prefixItems", "items"})
_SUBSCHEMA_MAP = frozenset({"properties", "patternProperties", "dependentSchemas"})
_DEFINITIONS = ("$defs", "definitions")
#: The specs' rule for a function name: a-z, A-Z, 0-9, `_` and `-`, at most 64 characters.
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class _Inliner:
    """Walks one tool's schema: inlines `$ref`, drops `title` keywords and definitions."""

    def __init__(self, label: str, root: Mapping[str, Any]) -> None:
        self.label = label
        self.root = root
        self.resolving: list[str] = []
        self.nodes = 0
        self.max_nodes = limits().schema_nodes

    def fail(self, text: str) -> ParameterError:
        """A `ParameterError` that names the tool."""
        return ParameterError(f"{self.label}: {text}")

    def schema(self, node: Any) -> Any:
        """A normalised copy of one schema (booleans and odd values pass unchanged)."""
        if not isinstance(node, Mapping):
            return copy.deepcopy(node)
        self.nodes += 1
        if self.nodes > self.max_nodes:  # `$ref`s used twice per level double each level
            raise self.fail(
                f"schema expands to more than {self.max_nodes} nodes once its $refs are "
                "inlined (limit schema_nodes; raise it with "
                "ernie_aiml.configure_limits(schema_nodes=...))"
            )
        ref = node.get("$ref")
        if ref is not None:
            return self.inline(ref, node)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title" or key in _DEFINITIONS:
                continue
            out[key] = self.keyword(key, value)
        return out

    def keyword(self, key: str, value: Any) -> Any:
        """Recurse where the keyword holds schemas; copy values (enum, default, ...) as-is."""
        if key in _SUBSCHEMA_MAP and isinstance(value, Mapping):
            return {name: self.schema(sub) for name, sub in value.items()}
        if key in _SUBSCHEMA_LIST and isinstance(value, list):
            return [self.schema(sub) for sub in value]
        if key in _SUBSCHEMA:
            return self.schema(value)
        return copy.deepcopy(value)

    def inline(self, ref: Any, node: Mapping[str, Any]) -> Any:
        """The target of `ref`, normalised, with the node's sibling keywords laid over it."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.fail(f"$ref {ref!r} points outside the schema and cannot be resolved")
        if ref in self.resolving:
            raise self.fail(f"schema is recursive ($ref {ref}) and cannot be represented")
        self.resolving.append(ref)
        try:
            target = self.schema(self.lookup(ref))
        finally:
            self.resolving.pop()
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if not siblings:
            return target
        rest = self.schema(siblings)
        if isinstance(target, dict):
            return {**target, **rest}
        return rest

    def lookup(self, ref: str) -> Any:
        """Follow a JSON pointer (`#/$defs/Name`, `#/definitions/A/properties/b`) from the root."""
        node: Any = self.root
        for raw in ref[1:].split("/")[1:]:
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise self.fail(f"$ref {ref!r} not found in the schema")
        return node


def normalize_schema(
    schema: Mapping[str, Any], tool_name: str, *, owner: str = "tool", field: str = "parameters"
) -> dict[str, Any]:
    """A tool's `parameters` (or, with `owner`/`field`, a response format's `schema`) made
    AIML-safe: an object schema, refs inlined, no titles."""
    prefix = f"{owner} {tool_name!r}"
    label = f"{prefix}: {field}"
    if not isinstance(schema, Mapping):
        raise ParameterError(f"{label} must be a JSON schema object (got {schema!r})")
    try:
        out = _Inliner(prefix, schema).schema(schema)
    except RecursionError:
        raise ParameterError(f"{label} is nested too deeply to be a JSON schema") from None
    kind = out.get("type") if isinstance(out, dict) else None
    if kind is None and isinstance(out, dict) and ("properties" in out or not out):
        out = {"type": "object", "properties": {}, **out}
        kind = "object"
    if kind != "object" or not isinstance(out, dict):
        raise ParameterError(f"{label} must be an object schema (type 'object'), got type {kind!r}")
    return out


def _function_of(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    """The function definition of an OpenAI-style tool, or of a bare function dict."""
    if "function" in tool:
        kind = tool.get("type", "function")
        if kind != "function":
            raise ParameterError(f"tool type must be 'function' (got {kind!r})")
        function = tool["function"]
        if not isinstance(function, Mapping):
            raise ParameterError(f"tool 'function' must be a mapping (got {function!r})")
        return function
    if "name" in tool or "parameters" in tool:
        return tool
    raise ParameterError(
        "a tool must be {'type': 'function', 'function': {'name': ..., 'parameters': ...}} "
        f"(got keys {sorted(tool)!r})"
    )


def normalize_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """One tool as AIML takes it: `{"type": "function", "function": {name, description?, parameters}}`.

    Accepts the OpenAI tool shape or a bare `{name, description, parameters}` function;
    drops `strict` and other keys AIML's validator refuses.
    """
    if not isinstance(tool, Mapping):
        raise ParameterError(f"a tool must be a mapping (got {type(tool).__name__})")
    function = _function_of(tool)
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ParameterError(f"a tool needs a non-empty name (got {name!r})")
    if not _TOOL_NAME.fullmatch(name):
        raise ParameterError(
            f"tool name {name[:80]!a}{'...' if len(name) > 80 else ''} must be 1 to 64 "
            "characters from a-z A-Z 0-9 _ - (the API's rule for function names)"
        )
    out: dict[str, Any] = {"name": name}
    description = function.get("description")
    if description is not None:
        out["description"] = description
    parameters = function.get("parameters")
    out["parameters"] = (
        copy.deepcopy(EMPTY_PARAMETERS)
        if parameters is None
        else normalize_schema(parameters, name)
    )
    wire: dict[str, Any] = {"type": "function", "function": out}
    mark = tool.get("cache_control")
    if mark is not None:  # a prompt-caching mark (ernie-5.0): checked per model when sent
        wire["cache_control"] = check_cache_control(mark, f"tool {name!r}")
    return wire


_REQUIRED_CHOICES = frozenset({"any", "required"})


def normalize_tool_choice(choice: Any, tool_names: Sequence[str]) -> str | dict[str, Any] | None:
    """`tool_choice` in AIML's vocabulary: "auto", "none", "required" or one named function.

    None/False mean "not set"; True and "any" mean "required"; a tool's name forces that tool.
    """
    if choice is None or choice is False:
        return None
    if choice is True:
        return "required"
    if isinstance(choice, Mapping):
        return _choice_dict(choice, tool_names)
    if not isinstance(choice, str):
        raise ParameterError(
            f"tool_choice must be 'auto', 'none', 'required', a tool name or a dict (got {choice!r})"
        )
    if choice in ("auto", "none"):
        return choice
    if choice in _REQUIRED_CHOICES:
        return "required"
    if choice in tool_names:
        return {"type": "function", "function": {"name": choice}}
    known = ", ".join(repr(n) for n in tool_names) or "none"
    raise ParameterError(
        f"tool_choice {choice!r} is not one of 'auto', 'none', 'required' or a tool name "
        f"(tools: {known})"
    )


#: `tool_choice` dict types beyond `function` that only ernie-5.0's spec lists.
_EXTENDED_CHOICES = frozenset({"allowed_tools", "custom"})


def _choice_dict(choice: Mapping[str, Any], tool_names: Sequence[str]) -> dict[str, Any]:
    """A `tool_choice` dict checked for its shape; a named function must be a bound tool."""
    kind = choice.get("type")
    if kind == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ParameterError(
                "tool_choice {'type': 'function', ...} needs {'function': {'name': ...}} "
                f"(got {dict(choice)!r})"
            )
        if name not in tool_names:
            known = ", ".join(repr(n) for n in tool_names) or "none"
            raise ParameterError(
                f"tool_choice names {name!r}, which is not a bound tool (tools: {known})"
            )
        return {"type": "function", "function": {"name": name}}
    if kind in _EXTENDED_CHOICES:
        if not isinstance(choice.get(kind), (Mapping, str)):
            raise ParameterError(f"tool_choice of type {kind!r} needs a {kind!r} entry")
        return copy.deepcopy(dict(choice))
    raise ParameterError(
        "tool_choice dict needs 'type': 'function' (or, for ernie-5.0, 'allowed_tools' or "
        f"'custom') (got {dict(choice)!r})"
    )


def check_tool_choice_for(choice: str | dict[str, Any], info: Any) -> None:
    """Refuse ernie-5.0-only `tool_choice` shapes for the models whose spec lacks them."""
    if (
        isinstance(choice, dict)
        and choice.get("type") in _EXTENDED_CHOICES
        and info is not None
        and not info.thinking_switch
    ):
        raise ParameterError(
            f"tool_choice of type {choice['type']!r} is not supported by {info.id}: only "
            "'auto', 'none', 'required' or {'type': 'function', 'function': {'name': ...}}"
        )
