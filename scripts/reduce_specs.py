"""Regenerate the emulator's spec data from AIML's full OpenAPI documents.

    python scripts/reduce_specs.py PATH/TO/aiml-specs [--out shared/ernie_aiml/emulator/specs]

Reads every `*.json` OpenAPI document in the folder (one per ERNIE model, as published in
`aimlapi/api-docs`), keeps what validation needs and writes, per model, the request schema
of `POST /v1/chat/completions` and its `application/json` 200 response schema, translated to
JSON Schema 2020-12; plus `index.json` with each model's id, file, capabilities read from the
schema, and the facts the specs do not hold (status, context window, reasoning) from AIML's
model pages (`DOCS_FACTS`).

Translation (OpenAPI 3.0 → JSON Schema 2020-12):
- `nullable: true` next to `type` adds `"null"` to the type (and `null` to an `enum`);
- a member of `anyOf`/`oneOf` that is only `{nullable: true}` is the union's null member
  (zod's `.nullable()`/`z.null()`): it becomes `{"type": "null"}`;
- elsewhere a bare `{nullable: true}` (zod's `z.any()`, e.g. `additionalProperties`) has no
  `type` for `nullable` to extend, so it is the empty schema (any value), as OpenAPI 3.0.3 says;
- `description`, `example`, `title` (as a keyword) and `x-*` extensions are dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHAT_PATH = "/v1/chat/completions"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DROP = frozenset({"description", "example", "title"})

#: What AIML's model pages and the deprecated-models table say (aiml-wire.md §1, docs at
#: aimlapi/api-docs f14fa72f): the specs carry none of it. `reasoning`: "yes" answers with
#: reasoning, "empty" with `reasoning_content: ""` (x1.1's documented example), "switch" when
#: `enable_thinking` turns it off (on by default), "no" without.
DOCS_FACTS: dict[str, dict[str, Any]] = {
    "baidu/ernie-5.0": {"status": "active", "context_window": 128_000, "reasoning": "switch"},
    "baidu/ernie-4.5-vl-424b-a47b": {
        "status": "active",
        "context_window": 123_000,
        "reasoning": "no",
    },
    "baidu/ernie-x1-1-preview": {"context_window": 64_000, "reasoning": "empty"},
    "baidu/ernie-x1-turbo-32k": {"context_window": 32_000, "reasoning": "yes"},
    "baidu/ernie-5-0-thinking-preview": {"context_window": 128_000, "reasoning": "yes"},
    "baidu/ernie-5-0-thinking-latest": {"context_window": 128_000, "reasoning": "yes"},
    "baidu/ernie-4.5-21b-a3b": {"context_window": 120_000, "reasoning": "no"},
    "baidu/ernie-4.5-21b-a3b-thinking": {"context_window": 131_000, "reasoning": "yes"},
    "baidu/ernie-4.5-300b-a47b": {"context_window": 123_000, "reasoning": "no"},
    "baidu/ernie-4.5-300b-a47b-paddle": {"context_window": 123_000, "reasoning": "no"},
    "baidu/ernie-4.5-0.3b": {"context_window": 120_000, "reasoning": "no"},
    "baidu/ernie-4-5-8k-preview": {"context_window": 8_000, "reasoning": "no"},
    "baidu/ernie-4-5-turbo-128k": {"context_window": 128_000, "reasoning": "no"},
    "baidu/ernie-4-5-turbo-vl-32k": {"context_window": 32_000, "reasoning": "no"},
    "baidu/ernie-4.5-vl-28b-a3b": {"context_window": 30_000, "reasoning": "no"},
}


def translate(schema: Any, *, in_union: bool = False) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema 2020-12 (see the module docstring)."""
    if isinstance(schema, list):
        return [translate(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    nullable = schema.get("nullable") is True
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP or key == "nullable" or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: translate(sub) for name, sub in value.items()}
        elif key in ("anyOf", "oneOf"):
            out[key] = [translate(sub, in_union=True) for sub in value]
        elif key in ("allOf", "prefixItems"):
            out[key] = [translate(sub) for sub in value]
        elif isinstance(value, dict) and key in ("items", "additionalProperties", "not"):
            out[key] = translate(value)
        else:
            out[key] = value
    if nullable:
        _add_null(out, in_union=in_union)
    return out


def _add_null(out: dict[str, Any], *, in_union: bool) -> None:
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    elif kind is None and not out and in_union:
        out["type"] = "null"


def _operation(document: dict) -> dict:
    return document["paths"][CHAT_PATH]["post"]


def request_schema(document: dict) -> dict:
    """The translated request body schema of `POST /v1/chat/completions`."""
    schema = _operation(document)["requestBody"]["content"]["application/json"]["schema"]
    return {"$schema": DIALECT, **translate(schema)}


def response_schema(document: dict) -> dict | None:
    """The translated `application/json` schema of the 200 answer, if the document has one."""
    content = _operation(document).get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return None if schema is None else {"$schema": DIALECT, **translate(schema)}


def _user_parts(schema: dict) -> Iterator[dict]:
    """The schemas of the content parts a `user` message may carry."""
    for message in schema["properties"]["messages"]["items"].get("oneOf", ()):
        props = message.get("properties", {})
        if "user" not in props.get("role", {}).get("enum", ()):
            continue
        for branch in props.get("content", {}).get("anyOf", ()):
            items = branch.get("items", {})
            yield from items.get("anyOf", [items])


def _user_part_types(schema: dict) -> set[str]:
    """The content part `type`s a `user` message may carry."""
    found: set[str] = set()
    for part in _user_parts(schema):
        found.update(part.get("properties", {}).get("type", {}).get("enum", ()))
    return found


def _takes_cache_control(schema: dict) -> bool:
    """Whether a `user` message's content parts may carry a `cache_control` mark."""
    return any("cache_control" in part.get("properties", {}) for part in _user_parts(schema))


def model_entry(document: dict, file_name: str) -> tuple[str, dict[str, Any]]:
    """`(model id, index entry)` for one spec: capabilities read from its request schema."""
    schema = request_schema(document)
    (model,) = schema["properties"]["model"]["enum"]
    properties = schema["properties"]
    parts = _user_part_types(schema)
    facts = DOCS_FACTS.get(model)
    if facts is None:
        print(f"warning: {model} has no DOCS_FACTS entry; assuming active", file=sys.stderr)
        facts = {}
    entry = {
        "file": file_name,
        "status": facts.get("status", "deprecated" if model in DOCS_FACTS else "active"),
        "context_window": facts.get("context_window"),
        "reasoning": facts.get("reasoning", "no"),
        "vision": "image_url" in parts,
        "file_input": "file" in parts,
        "tools": "tools" in properties,
        "thinking_switch": "enable_thinking" in properties,
        "prompt_caching": _takes_cache_control(schema),
        "parameters": sorted(properties),
    }
    return model, entry


def reduce_folder(source: Path, out: Path) -> dict[str, dict[str, Any]]:
    """Write one reduced file per spec and `index.json` into `out`; return the index."""
    out.mkdir(parents=True, exist_ok=True)
    models: dict[str, dict[str, Any]] = {}
    for path in sorted(source.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if CHAT_PATH not in document.get("paths", {}):
            continue
        model, entry = model_entry(document, path.name)
        reduced = {
            "model": model,
            "request": request_schema(document),
            "response": response_schema(document),
        }
        _write(out / path.name, reduced)
        models[model] = entry
    active = sorted((m for m, e in models.items() if e["status"] == "active"), key=_active_order)
    ordered = {m: models[m] for m in [*active, *sorted(set(models) - set(active))]}
    _write(out / "index.json", {"dialect": DIALECT, "path": CHAT_PATH, "models": ordered})
    return ordered


def _active_order(model: str) -> tuple[int, str]:
    return (list(DOCS_FACTS).index(model) if model in DOCS_FACTS else len(DOCS_FACTS), model)


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of AIML's full OpenAPI documents")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "shared/ernie_aiml/emulator/specs",
        help="where the reduced files go (default: the emulator's package data)",
    )
    args = parser.parse_args(argv)
    models = reduce_folder(args.source, args.out)
    print(f"{len(models)} models written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
