"""AIML's body validation, held to the published request schema of the requested model.

Each chat body is checked with a real JSON Schema validator (`jsonschema`, Draft 2020-12)
against the schema AIML publishes for its `model` (package data, see `_specs`). The 400
detail names the failing path the way AIML's zod-based validator does:
`messages.0.content.1.type: Invalid enum value. Expected 'text', received 'image_url'`.
Unknown ids fail on `model` like an id outside the enum of every published schema.
`jsonschema` is imported on first use, not with the emulator.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ._specs import model_specs, request_schema

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

INSTALL_HINT = 'the emulator validates bodies with jsonschema: pip install "ernie-aiml[emulator]"'
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_HIER_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})
_TYPE_NAMES = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def require_jsonschema() -> None:
    """Raise ImportError with the install hint when `jsonschema` is missing."""
    try:
        import jsonschema  # noqa: F401
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


def is_uri(value: object) -> bool:
    """JSON Schema `format: uri` as a JS `new URL()` reads it: a scheme, then no spaces."""
    if not isinstance(value, str):
        return True
    if not _URI_RE.match(value):
        return False
    scheme, _, rest = value.partition(":")
    if scheme.lower() in _HIER_SCHEMES:
        return rest.startswith("//") and len(rest) > 2
    return True


@functools.lru_cache(maxsize=64)
def validator_for(model: str) -> Validator:
    """The validator of `model`'s request schema, built once per model."""
    require_jsonschema()
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("uri")(is_uri)
    schema = request_schema(model)
    return Draft202012Validator(schema, format_checker=checker)


def validation_error(body: Any) -> str | None:
    """The reason AIML would answer 400 "Body validation error", or None if the body is fine."""
    if not isinstance(body, dict):
        return f"Expected object, received {_type_name(body)}"
    model = body.get("model")
    if "model" not in body:
        return "model: Required"
    if model not in model_specs():
        return _unknown_model(model)
    errors = list(validator_for(model).iter_errors(body))
    if not errors:
        return None
    return describe(_pick(errors))


def _unknown_model(model: Any) -> str:
    if not isinstance(model, str):
        return f"model: Expected string, received {_type_name(model)}"
    expected = " | ".join(f"'{m}'" for m in model_specs())
    return f"model: Invalid enum value. Expected {expected}, received '{model}'"


# ------------------------------------------------------------------ error choice


def _pick(errors: Sequence[ValidationError]) -> ValidationError:
    """The most telling error: the deepest one, a `required` last among equals."""
    return min(errors, key=lambda e: (-len(_where(e)), e.validator == "required"))


def _where(error: ValidationError) -> tuple[str | int, ...]:
    path = tuple(error.absolute_path)
    if error.validator == "required":
        missing = _missing(error)
        return (*path, missing) if missing is not None else path
    return path


def _missing(error: ValidationError) -> str | None:
    found = re.match(r"'(.+)' is a required property", error.message)
    return found.group(1) if found else None


def _branches(error: ValidationError) -> dict[str | int, list[ValidationError]]:
    branches: dict[str | int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return branches


def _off_branch(errors: Iterable[ValidationError], depth: int) -> bool:
    """True when a union branch does not apply: wrong type, or a one-value tag mismatched."""
    for error in errors:
        size = len(error.absolute_path)
        if error.validator == "type" and size == depth:
            return True
        if error.validator in ("enum", "const") and size == depth + 1 and _is_tag(error):
            return True
    return False


def _is_tag(error: ValidationError) -> bool:
    return error.validator == "const" or len(_expected(error)) == 1


def describe(error: ValidationError) -> str:
    """`path: message` for one error, following unions into the branch that applies."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _describe_union(error)
    return f"{_path(_where(error))}{_message(error)}"


def _describe_union(error: ValidationError) -> str:
    depth = len(error.absolute_path)
    branches = _branches(error)
    live = [errs for errs in branches.values() if not _off_branch(errs, depth)]
    if live:
        chosen = min(live, key=len)
        return describe(_pick(chosen))
    tags = [e for errs in branches.values() for e in errs if e.validator in ("enum", "const")]
    tags = [e for e in tags if len(e.absolute_path) == depth + 1 and _is_tag(e)]
    if tags:
        values = [_expected(e)[0] if e.validator == "enum" else _expected(e) for e in tags]
        expected = " | ".join(_quote(v) for v in dict.fromkeys(values))
        return (
            f"{_path(tuple(tags[0].absolute_path))}Invalid enum value. "
            f"Expected {expected}, received {_quote(tags[0].instance)}"
        )
    kinds = [_expected(e) for errs in branches.values() for e in errs if e.validator == "type"]
    names = (k if isinstance(k, str) else " | ".join(k) for k in kinds)
    expected = " | ".join(dict.fromkeys(names))
    where = _path(tuple(error.absolute_path))
    return f"{where}Expected {expected}, received {_type_name(error.instance)}"


# ------------------------------------------------------------------ wording (zod's)


def _path(parts: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in parts) + ": " if parts else ""


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _quote(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _expected(error: ValidationError) -> Any:
    """The failed keyword's value in the schema: set on every error from a validator."""
    return error.validator_value


def _message(error: ValidationError) -> str:
    kind, expected = error.validator, _expected(error)
    value: Any = error.instance  # likewise set on every error from a validator
    if kind == "required":
        return "Required"
    if kind == "type":
        names = expected if isinstance(expected, str) else " | ".join(expected)
        if names == "integer" and isinstance(value, float):
            return "Expected integer, received float"
        return f"Expected {names}, received {_type_name(value)}"
    if kind == "enum":
        options = " | ".join(_quote(v) for v in expected)
        return f"Invalid enum value. Expected {options}, received {_quote(value)}"
    if kind == "minimum":
        return f"Number must be greater than or equal to {expected}"
    if kind == "maximum":
        return f"Number must be less than or equal to {expected}"
    if kind == "minLength":
        return f"String must contain at least {expected} character(s)"
    if kind == "additionalProperties":
        schema: Any = error.schema  # the (sub)schema that failed: a mapping here
        listed = schema.get("properties", {})
        return strict_error([key for key in value if key not in listed])
    if kind == "format" and expected == "uri":
        return "Invalid url"
    return error.message


def unlisted_keys(body: Any) -> tuple[str, ...]:
    """Top-level keys the model's schema does not list: the spec lets them through (no
    `additionalProperties: false`), AIML ignores them; `Emulator(strict=True)` refuses them."""
    if not isinstance(body, dict) or body.get("model") not in model_specs():
        return ()
    listed = request_schema(body["model"])["properties"]
    return tuple(key for key in body if key not in listed)


def strict_error(keys: Sequence[str]) -> str:
    """zod's strict-object wording for keys the schema does not list."""
    return "Unrecognized key(s) in object: " + ", ".join(f"'{k}'" for k in keys)
