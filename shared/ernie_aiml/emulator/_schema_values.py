"""Schema-valid values for tool arguments and structured output, taken from the prompt.

Numbers come from the standalone numbers in the text (in order; never the digits of a
token with letters such as "ernie-4.5-8k"), strings from quoted text (else the
text itself), enums from the member the text mentions (else the first). Values respect
`minimum`/`maximum` (also exclusive), `minItems`, `$ref` into `$defs`/`definitions`.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\w)")
_QUOTED_RE = re.compile(r"\"([^\"\n]{1,200})\"|(?<!\w)'([^'\n]{1,200})'(?!\w)|“([^”\n]{1,200})”")
# A run of word characters joined by ".", "-" or "/": a model id, a version, a range.
_TOKEN_RE = re.compile(r"[\w./-]+")
_LETTER_RE = re.compile(r"[^\W\d_]")


def standalone_numbers(text: str) -> list[float]:
    """The numbers in `text`, in order, skipping those inside a token with letters.

    "add 3 and -4.5" gives [3, -4.5]; "baidu/ernie-4.5-8k", "x-5" and "v2" give none;
    "magic_function(3)" gives [3] (the brackets end the token).
    """
    numbers: list[float] = []
    for token in _TOKEN_RE.findall(text):
        if not _LETTER_RE.search(token):
            numbers.extend(float(n) for n in _NUMBER_RE.findall(token))
    return numbers


class ValueSource:
    """The values a prompt offers, handed out in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.numbers = standalone_numbers(text)
        self.quoted = [next(g for g in m.groups() if g) for m in _QUOTED_RE.finditer(text)]

    def take_number(self) -> float | None:
        return self.numbers.pop(0) if self.numbers else None

    def take_quoted(self) -> str | None:
        return self.quoted.pop(0) if self.quoted else None


def object_value(schema: dict, source: ValueSource, *, root: dict, fill_all: bool) -> dict:
    """An object valid against `schema`: required properties always, the others when
    `fill_all` or when the prompt offers a value for them."""
    schema = resolve(schema, root)
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    result: dict[str, Any] = {}
    for name, sub in properties.items():
        sub = resolve(sub if isinstance(sub, dict) else {}, root)
        if name in required or fill_all:
            result[name] = value_for(sub, name, source, root=root)
        else:
            found = _found_value(sub, name, source, root)
            if found is not None:
                result[name] = found
    return result


def resolve(schema: dict, root: dict) -> dict:
    """Follow a local `$ref` (`#/$defs/X` or `#/definitions/X`) and unwrap `allOf` of one."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = target if isinstance(target, dict) else {}
        seen += 1
    if isinstance(schema, dict) and len(schema.get("allOf") or ()) == 1:
        return resolve(schema["allOf"][0], root)
    return schema if isinstance(schema, dict) else {}


def _variant(schema: dict, root: dict) -> dict:
    """The first non-null branch of `anyOf`/`oneOf`, or the schema itself."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options:
            non_null = [resolve(o, root) for o in options if o.get("type") != "null"]
            return non_null[0] if non_null else {"type": "null"}
    return schema


def _type_of(schema: dict) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    return kind


def value_for(schema: dict, name: str, source: ValueSource, *, root: dict) -> Any:
    """A value valid against `schema`, from the prompt when it has one."""
    schema = _variant(resolve(schema, root), root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return _enum_member(schema["enum"], source.text)
    found = _found_value(schema, name, source, root)
    if found is not None:
        return found
    return _default_for(schema, name, source, root)


def _found_value(schema: dict, name: str, source: ValueSource, root: dict) -> Any:
    schema = _variant(schema, root)
    kind = _type_of(schema)
    if schema.get("enum"):
        mentioned = [m for m in schema["enum"] if str(m).lower() in source.text.lower()]
        return mentioned[0] if mentioned else None
    if kind in ("integer", "number"):
        number = source.take_number()
        return None if number is None else _bounded(number, schema, kind)
    if kind == "string":
        return source.take_quoted()
    return None


def _enum_member(members: list, text: str) -> Any:
    lowered = text.lower()
    return next((m for m in members if str(m).lower() in lowered), members[0])


def _bounded(number: float, schema: dict, kind: str) -> int | float:
    step = 1 if kind == "integer" else 0.5
    low = schema.get("minimum")
    high = schema.get("maximum")
    if schema.get("exclusiveMinimum") is not None:
        low = schema["exclusiveMinimum"] + step
    if schema.get("exclusiveMaximum") is not None:
        high = schema["exclusiveMaximum"] - step
    if low is not None and number < low:
        number = low
    if high is not None and number > high:
        number = high
    return int(number) if kind == "integer" else number


def _default_for(schema: dict, name: str, source: ValueSource, root: dict) -> Any:
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = _type_of(schema)
    if kind in ("integer", "number"):
        return _bounded(0, schema, kind)
    if kind == "boolean":
        return "true" in source.text.lower() or "yes" in source.text.lower()
    if kind == "array":
        return _array_value(schema, name, source, root)
    if kind == "object":
        return object_value(schema, source, root=root, fill_all=False)
    if kind == "null":
        return None
    return _string_value(schema, source.text)


def _array_value(schema: dict, name: str, source: ValueSource, root: dict) -> list:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    count = max(int(schema.get("minItems") or 0), 1 if items else 0)
    return [value_for(items, name, source, root=root) for _ in range(count)]


def _string_value(schema: dict, text: str) -> str:
    value = " ".join(text.split())[:200] or "text"
    min_length = int(schema.get("minLength") or 0)
    max_length = schema.get("maxLength")
    if len(value) < min_length:
        value = value.ljust(min_length, "x")
    if max_length is not None:
        value = value[: int(max_length)]
    return value
