"""Schema-valid values for tool arguments and structured output, taken from the prompt.

Numbers come from the standalone numbers in the text (in order; never the digits of a
token with letters such as "ernie-4.5-8k"), strings from quoted text (else the
text itself), enums from the member the text mentions (else the first). Values respect
`const`, `enum`, `minimum`/`maximum` (also exclusive), `multipleOf` for integers,
`minLength`/`maxLength`, common string `format`s, `minItems`/`maxItems`, `prefixItems`,
`required`, `anyOf`/`oneOf` (first non-null branch), `allOf` (merged), and `$ref` into
`$defs`/`definitions` (or `#`), with recursion cut off at a fixed depth.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\w)")
_QUOTED_RE = re.compile(r"\"([^\"\n]{1,200})\"|(?<!\w)'([^'\n]{1,200})'(?!\w)|“([^”\n]{1,200})”")
# A run of word characters joined by ".", "-" or "/": a model id, a version, a range.
_TOKEN_RE = re.compile(r"[\w./-]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
#: Past this depth, objects get only required properties and arrays only `minItems` items;
#: past twice this depth (a required self-reference, which no finite value satisfies) nothing.
MAX_DEPTH = 6
_FORMATS: dict[str, str] = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_FORMAT_CHECKS: dict[str, re.Pattern[str]] = {
    "date-time": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"),
    "date": re.compile(r"^\d{4}-\d\d-\d\d$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "uri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$"),
    "uuid": re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"),
}


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
        self.depth = 0

    def take_number(self) -> float | None:
        """The next unused number of the prompt, or None."""
        return self.numbers.pop(0) if self.numbers else None

    def take_quoted(self) -> str | None:
        """The next unused quoted text of the prompt, or None."""
        return self.quoted.pop(0) if self.quoted else None


def root_value(schema: dict[str, Any], source: ValueSource) -> Any:
    """A value valid against a whole `response_format` schema: for an object every property."""
    resolved = resolve(schema, schema)
    if _type_of(resolved) == "object":
        return object_value(resolved, source, root=schema, fill_all=True)
    return value_for(schema, "value", source, root=schema)


def object_value(
    schema: dict[str, Any], source: ValueSource, *, root: dict[str, Any], fill_all: bool
) -> dict[str, Any]:
    """An object valid against `schema`: required properties always, the others when
    `fill_all` or when the prompt offers a value for them."""
    schema = resolve(schema, root)
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    deep = source.depth >= MAX_DEPTH
    result: dict[str, Any] = {}
    if source.depth >= 2 * MAX_DEPTH:
        return result
    source.depth += 1
    try:
        for name, sub in properties.items():
            sub = resolve(sub if isinstance(sub, dict) else {}, root)
            if name in required or (fill_all and not deep):
                result[name] = value_for(sub, name, source, root=root)
            elif not deep:
                found = _found_value(sub, name, source, root)
                if found is not None:
                    result[name] = found
    finally:
        source.depth -= 1
    return result


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#`, `#/$defs/X`, `#/definitions/X`) and merge `allOf`."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        target: Any = root
        path = schema["$ref"].removeprefix("#").strip("/")
        for part in path.split("/") if path else ():
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **siblings} if isinstance(target, dict) else siblings
        seen += 1
    if not isinstance(schema, dict):
        return {}
    if schema.get("allOf"):
        return _merge_all_of(schema, root)
    return schema


def _merge_all_of(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = resolve(part if isinstance(part, dict) else {}, root)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _variant(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """The first non-null branch of `anyOf`/`oneOf`, or the schema itself."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options:
            resolved = [resolve(o, root) for o in options]
            non_null = [o for o in resolved if o.get("type") != "null"]
            chosen = non_null[0] if non_null else {"type": "null"}
            rest = {k: v for k, v in schema.items() if k != key}
            return resolve({**rest, **chosen}, root)
    return schema


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null" if kind else None)
    if kind is None and "properties" in schema:
        return "object"
    if kind is None and ("items" in schema or "prefixItems" in schema):
        return "array"
    return kind


def value_for(
    schema: dict[str, Any], name: str, source: ValueSource, *, root: dict[str, Any]
) -> Any:
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


def _found_value(
    schema: dict[str, Any], name: str, source: ValueSource, root: dict[str, Any]
) -> Any:
    schema = _variant(schema, root)
    kind = _type_of(schema)
    if "const" in schema:
        return None
    if schema.get("enum"):
        mentioned = [m for m in schema["enum"] if str(m).lower() in source.text.lower()]
        return mentioned[0] if mentioned else None
    if kind in ("integer", "number"):
        number = source.take_number()
        return None if number is None else _bounded(number, schema, kind)
    if kind == "string":
        quoted = source.take_quoted()
        return None if quoted is None else _string_value(schema, quoted)
    return None


def _enum_member(members: list[Any], text: str) -> Any:
    lowered = text.lower()
    return next((m for m in members if str(m).lower() in lowered), members[0])


def _bounded(number: float, schema: dict[str, Any], kind: str) -> int | float:
    step = 1 if kind == "integer" else 0.5
    low = schema.get("minimum")
    high = schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), (int, float)):
        low = schema["exclusiveMinimum"] + step
    if isinstance(schema.get("exclusiveMaximum"), (int, float)):
        high = schema["exclusiveMaximum"] - step
    if low is not None and number < low:
        number = low
    if high is not None and number > high:
        number = high
    if kind != "integer":
        return number
    value = int(number)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int) and multiple > 0 and value % multiple:
        value -= value % multiple
        if low is not None and value < low:
            value += multiple
    return value


def _default_for(
    schema: dict[str, Any], name: str, source: ValueSource, root: dict[str, Any]
) -> Any:
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


def _array_value(
    schema: dict[str, Any], name: str, source: ValueSource, root: dict[str, Any]
) -> list[Any]:
    prefix = [p for p in schema.get("prefixItems") or () if isinstance(p, dict)]
    given = schema.get("items")
    items: dict[str, Any] = given if isinstance(given, dict) else {}
    low = int(schema.get("minItems") or 0)
    wanted = low if source.depth >= MAX_DEPTH else max(low, len(prefix), 1 if items else 0)
    if schema.get("maxItems") is not None:
        wanted = min(wanted, int(schema["maxItems"]))
    source.depth += 1
    try:
        values = [value_for(p, name, source, root=root) for p in prefix[:wanted]]
        values += [value_for(items, name, source, root=root) for _ in range(wanted - len(values))]
    finally:
        source.depth -= 1
    return values


def _string_value(schema: dict[str, Any], text: str) -> str:
    fmt = schema.get("format")
    value = " ".join(text.split())[:200] or "text"
    if isinstance(fmt, str) and fmt in _FORMATS:
        check = _FORMAT_CHECKS.get(fmt)
        if check is None or not check.match(value):
            value = _FORMATS[fmt]
    min_length = int(schema.get("minLength") or 0)
    max_length = schema.get("maxLength")
    if len(value) < min_length:
        value = value.ljust(min_length, "x")
    if max_length is not None:
        value = value[: int(max_length)]
    return value
