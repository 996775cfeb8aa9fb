"""What a batch job fixes for every row, checked once before any request.

Only plain, picklable values live here (Ray ships this object to every actor): never a
client, never the key (each actor reads `AIML_API_KEY` from its own environment, e.g. set
through Ray's `runtime_env`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ernie_aiml import DEFAULT_MODEL, Message, ParameterError
from ernie_aiml.integration import ChatSettings, chat_request, json_schema_format
from pydantic import BaseModel

from ._rows import OUTPUT_COLUMNS

OnError = Literal["record", "raise"]
_SHARED_KEYS = frozenset({"store", "name"})


@dataclass(frozen=True)
class BatchConfig:
    """A batch job's model, parameters, input column and structured output, validated."""

    model: str = DEFAULT_MODEL
    input_column: str = "prompt"
    system_prompt: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    response_format: Any = None
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: Any = None
    concurrency: int = 16
    max_retries: int = 2
    on_error: OnError = "record"
    budget: Mapping[str, Any] | None = None
    rate_limit: Mapping[str, Any] | None = None
    base_url: str | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        _check_text("input_column", self.input_column)
        if self.input_column in OUTPUT_COLUMNS:
            raise ParameterError(
                f"input_column {self.input_column!r} is an output column's name: rename it"
            )
        if self.system_prompt is not None and not isinstance(self.system_prompt, str):
            raise ParameterError(f"system_prompt must be a string (got {self.system_prompt!r})")
        _check_int("concurrency", self.concurrency, 1, 10_000)
        _check_int("max_retries", self.max_retries, 0, 100)
        if self.on_error not in ("record", "raise"):
            raise ParameterError(f"on_error must be 'record' or 'raise' (got {self.on_error!r})")
        _check_shared("budget", self.budget)
        _check_shared("rate_limit", self.rate_limit)
        # the whole request path once, on a stand-in message: a bad parameter fails here
        self.body([Message(role="user", content="-")])

    @property
    def has_tools(self) -> bool:
        """Whether tools are bound (then each row gets a `tool_calls` column)."""
        return bool(self.tools)

    def settings(self) -> ChatSettings:
        """The core's description of what every call fixes."""
        return ChatSettings(model=self.model, params=self.params)

    def options(self) -> dict[str, Any]:
        """Per-call options of the request path (structured output, tools)."""
        options: dict[str, Any] = {}
        if self.response_format is not None:
            options["response_format"] = response_format_of(self.response_format)
        if self.tools:
            options["tools"] = list(self.tools)
            if self.tool_choice is not None:
                options["tool_choice"] = self.tool_choice
        return options

    def body(self, messages: Sequence[Message]) -> dict[str, Any]:
        """The validated request body of one row (the one request path of the core)."""
        return chat_request(self.settings(), messages, stream=False, options=self.options())

    def messages(self, cell: Any) -> list[Message]:
        """A row's input cell (a prompt, or a list of `{role, content}` dicts) as messages."""
        system = [Message(role="system", content=self.system_prompt)] if self.system_prompt else []
        if isinstance(cell, str):
            return [*system, Message(role="user", content=cell)]
        if isinstance(cell, Sequence) or hasattr(cell, "tolist"):
            items = cell.tolist() if hasattr(cell, "tolist") else list(cell)
            return [*system, *(_message(item) for item in items)]
        raise ParameterError(
            f"column {self.input_column!r} must hold a prompt string or a list of chat messages "
            f"(got {type(cell).__name__})"
        )

    def parse(self, content: str) -> str | None:
        """The structured answer as canonical JSON (None without structured output)."""
        schema = self.response_format
        if schema is None:
            return None
        if isinstance(schema, type) and issubclass(schema, BaseModel):  # validated, then dumped
            return schema.model_validate_json(content).model_dump_json()
        return json.dumps(json.loads(content), ensure_ascii=False)


def response_format_of(schema: Any) -> dict[str, Any]:
    """The `json_schema` response format of a pydantic model class or a JSON schema dict."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return json_schema_format(schema.model_json_schema(), name=schema.__name__)
    if isinstance(schema, Mapping):
        return json_schema_format(schema)
    raise ParameterError(
        f"response_format must be a pydantic model class or a JSON schema dict (got {schema!r})"
    )


def _message(item: Any) -> Message:
    if not isinstance(item, Mapping) or "role" not in item:
        raise ParameterError(
            f"a chat message must be a dict with 'role' and 'content' (got {item!r})"
        )
    content = item.get("content")
    return Message(
        role=item["role"], content="" if content is None else content, name=item.get("name")
    )


def _check_text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{name} must be a non-empty string (got {value!r})")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(f"{name} must be an integer between {low} and {high} (got {value!r})")


def _check_shared(name: str, value: Mapping[str, Any] | None) -> None:
    """`value` names a store and a name, and its other arguments are valid (nothing opened)."""
    _check_shared_keys(name, value)
    if value is None:
        return
    from ernie_aiml import FleetBudget, RateLimiter

    try:
        FleetBudget(**value) if name == "budget" else RateLimiter(**value)
    except TypeError as exc:  # an unknown or missing keyword
        raise ParameterError(f"{name}: {exc}") from None


def _check_shared_keys(name: str, value: Mapping[str, Any] | None) -> None:
    """A budget or rate limit must be shared (store + name): a per-actor one would hold for
    one actor only, multiplied by the number of actors."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise ParameterError(f"{name} must be a dict of keyword arguments (got {value!r})")
    missing = sorted(_SHARED_KEYS - set(value))
    if missing:
        raise ParameterError(
            f"{name} needs {' and '.join(missing)} (a Redis URL and a name): on a cluster a "
            "budget or rate limit must be shared by every actor"
        )
