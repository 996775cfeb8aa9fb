"""Helpers for the framework integration tests: scripted AIML answers and body matchers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ernie_aiml.emulator import JSONReply, SSEReply, completion_body, stream_events

MODEL = "baidu/ernie-5.0"
KEY = "sk-aiml-INTEGRATION-5d1c"


class Contains:
    """Equal to any string containing every one of `parts` (for long framework prompts)."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and all(part in other for part in self.parts)

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"Contains{self.parts!r}"


def call(call_id: str, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """One tool call for `reply`: id, name and arguments (a dict)."""
    return {"id": call_id, "name": name, "arguments": dict(arguments)}


def reply(
    content: str = "",
    *,
    calls: Sequence[Mapping[str, Any]] = (),
    stream: bool = False,
    reasoning: str | None = None,
) -> JSONReply | SSEReply:
    """A scripted ernie-5.0 answer, streamed or not; with calls the finish is `tool_calls`."""
    finish = "tool_calls" if calls else "stop"
    if stream:
        events = stream_events(
            content, reasoning=reasoning, tool_calls=calls, model=MODEL, finish_reason=finish
        )
        return SSEReply(events)
    body = completion_body(
        model=MODEL, content=content, reasoning=reasoning, tool_calls=calls, finish_reason=finish
    )
    return JSONReply(body)


def wire_call(call_id: str, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The assistant `tool_calls` entry a client must send back for a call."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(dict(arguments), ensure_ascii=False)},
    }


def tool_names(body: Mapping[str, Any]) -> list[str]:
    """The function names a request offered."""
    return [tool["function"]["name"] for tool in body.get("tools", [])]
