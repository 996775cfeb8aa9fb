"""`response_format` as AIML's schemas take it, checked before any request.

AIML's request schemas allow exactly `{"type": "text"}`, `{"type": "json_object"}` and
`{"type": "json_schema", "json_schema": {"name", "schema"?, "strict"?}}`, with no other keys.
Frameworks send more (LangChain's raw Pydantic schema with `$defs`, `title`, `description`,
`strict`), so the schema is cleaned like a tool's parameters and the wrapper reduced to what
the spec allows: `strict` is dropped as for tools, a `description` moves into the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors.classes import ParameterError
from .tools import normalize_schema

_PLAIN_TYPES = ("text", "json_object")
_SCHEMA_KEYS = frozenset({"name", "schema", "strict", "description"})


def json_schema_format(schema: Mapping[str, Any], *, name: str | None = None) -> dict[str, Any]:
    """The `json_schema` response format for a JSON schema (named after its `title`)."""
    title = schema.get("title")
    spec: dict[str, Any] = {
        "name": name or (title if isinstance(title, str) and title else "response"),
        "schema": schema,
    }
    return normalize_response_format({"type": "json_schema", "json_schema": spec})


def normalize_response_format(value: Any) -> dict[str, Any]:
    """`value` reduced to a shape AIML's spec accepts; ParameterError naming what is wrong."""
    if not isinstance(value, Mapping):
        raise ParameterError(
            f"response_format must be a dict such as {{'type': 'json_object'}} (got {value!r})"
        )
    kind = value.get("type")
    if kind in _PLAIN_TYPES:
        _no_other_keys(value, {"type"}, "response_format")
        return {"type": kind}
    if kind != "json_schema":
        raise ParameterError(
            f"response_format type must be 'text', 'json_object' or 'json_schema' (got {kind!r})"
        )
    _no_other_keys(value, {"type", "json_schema"}, "response_format")
    return {"type": "json_schema", "json_schema": _json_schema(value.get("json_schema"))}


def _json_schema(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise ParameterError(
            "response_format json_schema must be a dict with a 'name' and a 'schema' "
            f"(got {spec!r})"
        )
    _no_other_keys(spec, _SCHEMA_KEYS, "response_format json_schema")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ParameterError(f"response_format json_schema needs a non-empty 'name' (got {name!r})")
    out: dict[str, Any] = {"name": name}
    schema = spec.get("schema")
    if schema is not None:
        clean = normalize_schema(schema, name, owner="response_format", field="schema")
        description = spec.get("description")
        if isinstance(description, str) and description and "description" not in clean:
            clean = {**clean, "description": description}
        out["schema"] = clean
    return out


def _no_other_keys(
    value: Mapping[str, Any], allowed: set[str] | frozenset[str], where: str
) -> None:
    extra = sorted(str(k) for k in value if k not in allowed)
    if extra:
        raise ParameterError(
            f"{where} takes only {', '.join(sorted(allowed))} (got also {', '.join(extra)})"
        )
