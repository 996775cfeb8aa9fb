"""AIML's body validation, as far as clients can trip over it: returns the 400 detail or None.

Mirrors the documented schemas: pre-5.0 models reject `content: null` on assistant turns
and the `developer` role; `tool_choice` needs `tools`; numeric ranges; `stream_options`
needs `include_usage`. Unknown models get the checks every schema shares.
"""

from __future__ import annotations

from typing import Any

from .._catalog import ModelInfo, get_model

_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0, 2),
    "top_p": (0.01, 1),
    "frequency_penalty": (-2, 2),
    "presence_penalty": (-2, 2),
}
_ROLES = ("system", "user", "assistant", "tool")


def validation_error(body: Any) -> str | None:
    """The reason AIML would answer 400 "Body validation error", or None if the body is fine."""
    if not isinstance(body, dict):
        return "Expected object, received " + type(body).__name__
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "model: Required"
    info = get_model(model)
    for check in (_check_messages, _check_numbers, _check_tools, _check_stream):
        problem = check(body, info)
        if problem:
            return problem
    return None


def _nullable_assistant(info: ModelInfo | None) -> bool:
    return info is not None and info.thinking_switch


def _check_messages(body: dict, info: ModelInfo | None) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: Array must contain at least 1 element(s)"
    roles = (*_ROLES, "developer") if info is None or info.thinking_switch else _ROLES
    for i, message in enumerate(messages):
        problem = _check_message(message, roles, info)
        if problem:
            return f"messages[{i}]{problem}"
    return None


def _check_message(message: Any, roles: tuple[str, ...], info: ModelInfo | None) -> str | None:
    if not isinstance(message, dict):
        return ": Expected object"
    role = message.get("role")
    if role not in roles:
        expected = " | ".join(f"'{r}'" for r in roles)
        return f".role: Invalid enum value. Expected {expected}, received '{role}'"
    if _null_content(message) and not _nullable_assistant(info):
        return ".content: Expected string, received null"
    if role == "tool" and not message.get("tool_call_id"):
        return ".tool_call_id: Required"
    if role in ("user", "system") and not isinstance(message.get("content"), (str, list)):
        return ".content: Required"
    return None


def _null_content(message: dict) -> bool:
    return (
        message.get("role") == "assistant" and "content" in message and message["content"] is None
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_numbers(body: dict, info: ModelInfo | None) -> str | None:
    for name, (low, high) in _RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        if not _is_number(value):
            return f"{name}: Expected number, received {type(value).__name__}"
        if not low <= value <= high:
            return f"{name}: Number must be between {low} and {high}"
    return (
        _check_minimum(body, "seed", 1, integer=True)
        or _check_minimum(body, "max_tokens", 1, integer=False)
        or _check_minimum(body, "max_completion_tokens", 1, integer=True)
        or _check_minimum(body, "thinking_budget", 100, integer=True)
        or _check_stop(body.get("stop"))
    )


def _check_minimum(body: dict, name: str, low: int, *, integer: bool) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not _is_number(value) or (integer and not isinstance(value, int)):
        return f"{name}: Expected {'integer' if integer else 'number'}, received {value!r}"
    if value < low:
        return f"{name}: Number must be greater than or equal to {low}"
    return None


def _check_stop(stop: Any) -> str | None:
    if stop is None or isinstance(stop, str):
        return None
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        return "stop: Expected string | string[] | null"
    if len(stop) > 4:
        return "stop: Array must contain at most 4 element(s)"
    return None


def _check_tools(body: dict, info: ModelInfo | None) -> str | None:
    tools = body.get("tools")
    if tools is None:
        if body.get("tool_choice") is not None:
            return "tool_choice: tool_choice is only allowed when tools are specified"
        return None
    if not isinstance(tools, list):
        return "tools: Expected array"
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return f"tools[{i}].function.name: Required"
        if "parameters" not in function and not _nullable_assistant(info) and info:
            return f"tools[{i}].function.parameters: Required"
    return None


def _check_stream(body: dict, info: ModelInfo | None) -> str | None:
    options = body.get("stream_options")
    if options is None:
        return None
    if not isinstance(options, dict) or "include_usage" not in options:
        return "stream_options.include_usage: Required"
    return None
