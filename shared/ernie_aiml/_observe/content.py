"""Message content in the OpenTelemetry GenAI shape, for opted-in spans only.

`gen_ai.input.messages` / `gen_ai.output.messages` are JSON strings of
`[{"role", "parts": [{"type": "text"|"reasoning"|"tool_call"|"tool_call_response"|"uri"|"blob", ...}],
"finish_reason"?}]`, built from the wire body (input) and the answer (output).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .._types import Completion, Delta
from .._wire.accumulate import ToolCallAccumulator

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def input_messages(messages: Any) -> str:
    """The request's messages as the conventions' JSON (content, tool calls and results)."""
    result = [_input_message(m) for m in messages or () if isinstance(m, Mapping)]
    return _ENCODER.encode(result)


def _input_message(message: Mapping[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    if role == "tool":
        response = {"type": "tool_call_response", "id": message.get("tool_call_id")}
        response["response"] = message.get("content")
        return {"role": "tool", "parts": [response]}
    parts = _content_parts(message.get("content"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": _arguments(function.get("arguments")),
            }
        )
    return {"role": role, "parts": parts}


def _content_parts(content: Any) -> list[dict[str, Any]]:
    """Text, image and file parts of a wire `content` (a string or a list of parts)."""
    if isinstance(content, str):
        return [{"type": "text", "content": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content or ():
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "text", "content": part.get("text")})
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url")
            parts.append({"type": "uri", "modality": "image", "uri": url})
        elif kind == "file":
            file = part.get("file") or {}
            parts.append(
                {"type": "file", "file_id": file.get("file_id"), "name": file.get("filename")}
            )
    return parts


def _arguments(raw: Any) -> Any:
    """Tool-call arguments as an object when they are JSON, else as sent."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def completion_messages(completion: Completion) -> str:
    """A non-streamed answer as `gen_ai.output.messages` JSON."""
    calls: list[tuple[str | None, str | None, str | dict[str, Any] | None]] = [
        (c.id, c.name, c.arguments) for c in completion.tool_calls
    ]
    calls += [(c.id, c.name, c.raw_arguments) for c in completion.invalid_tool_calls]
    message = _output(completion.reasoning, completion.content, calls, completion.finish_reason)
    return _ENCODER.encode([message])


def stream_messages(deltas: Iterable[Delta]) -> str:
    """A streamed answer (its deltas, joined) as `gen_ai.output.messages` JSON."""
    reasoning: list[str] = []
    content: list[str] = []
    tools = ToolCallAccumulator()
    finish = None
    for delta in deltas:
        if delta.reasoning:
            reasoning.append(delta.reasoning)
        if delta.content:
            content.append(delta.content)
        if delta.tool_call_chunks:
            tools.add(delta.tool_call_chunks)
        finish = delta.finish_reason or finish
    message = _output("".join(reasoning), "".join(content), tools.snapshot(), finish)
    return _ENCODER.encode([message])


def _output(
    reasoning: str | None, content: str, calls: Iterable[tuple[Any, Any, Any]], finish: str | None
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if reasoning:
        parts.append({"type": "reasoning", "content": reasoning})
    if content:
        parts.append({"type": "text", "content": content})
    for call_id, name, arguments in calls:
        parts.append(
            {"type": "tool_call", "id": call_id, "name": name, "arguments": _arguments(arguments)}
        )
    return {"role": "assistant", "parts": parts, "finish_reason": finish or "stop"}
