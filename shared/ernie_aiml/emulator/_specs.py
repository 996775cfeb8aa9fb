"""The model facts the emulator answers by, read from AIML's published specs (package data).

`specs/index.json` lists every model id of the 15 OpenAPI documents with its capabilities
(read from its request schema: image and file parts, `enable_thinking`, `tools`) and the
facts the documents leave to the model pages (status, context window, reasoning). Nothing
here comes from the client's catalog, so a catalog mistake shows up as a disagreement.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    """One model as AIML's spec and model pages describe it."""

    id: str
    file: str
    status: str
    context_window: int | None
    reasoning: str
    vision: bool
    file_input: bool
    tools: bool
    thinking_switch: bool
    parameters: tuple[str, ...]
    #: `cache_control` marks on content parts and tools (prompt caching).
    prompt_caching: bool = False

    @property
    def deprecated(self) -> bool:
        """True when AIML lists the model as no longer callable (404 "Model is deprecated")."""
        return self.status == "deprecated"

    @property
    def reasons(self) -> bool:
        """True when the model answers with `reasoning_content` (possibly empty)."""
        return self.reasoning != "no"


def _read(name: str) -> Any:
    return json.loads(
        resources.files(__package__).joinpath("specs").joinpath(name).read_text("utf-8")
    )


@functools.lru_cache(maxsize=1)
def model_specs() -> dict[str, ModelSpec]:
    """Every model of the specs by request id: active ones first, in the docs' order."""
    models = _read("index.json")["models"]
    return {
        model: ModelSpec(
            id=model,
            file=entry["file"],
            status=entry["status"],
            context_window=entry["context_window"],
            reasoning=entry["reasoning"],
            vision=entry["vision"],
            file_input=entry["file_input"],
            tools=entry["tools"],
            thinking_switch=entry["thinking_switch"],
            parameters=tuple(entry["parameters"]),
            prompt_caching=entry["prompt_caching"],
        )
        for model, entry in models.items()
    }


def model_spec(model: Any) -> ModelSpec | None:
    """The spec entry for an exact request id (no alias spelling), or None."""
    return model_specs().get(model) if isinstance(model, str) else None


@functools.lru_cache(maxsize=32)
def _document(model: str) -> dict[str, Any]:
    document: dict[str, Any] = _read(model_specs()[model].file)
    return document


def request_schema(model: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the request body AIML publishes for `model`."""
    schema: dict[str, Any] = _document(model)["request"]
    return schema


def response_schema(model: str) -> dict[str, Any] | None:
    """The JSON Schema (2020-12) of a non-streamed 200 answer for `model`, if published."""
    schema: dict[str, Any] | None = _document(model)["response"]
    return schema
