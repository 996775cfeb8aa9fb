"""One tool call's wire entry, both ways.

`{"id", "type": "function", "function": {"name", "arguments"}, "extra_content"?}` is what AIML
returns in an answer's `tool_calls` and takes back in an assistant turn (ernie-5.0's opaque
`extra_content` echoed unchanged). Frameworks that keep tool calls OpenAI-style (LlamaIndex's
`additional_kwargs["tool_calls"]`) use these, so no adapter spells the shape itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def tool_call_entry(
    call_id: str, name: str, arguments: str, extra_content: Any = None
) -> dict[str, Any]:
    """The wire entry of one tool call; `arguments` is the JSON text as the model wrote it."""
    entry: dict[str, Any] = {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    if extra_content is not None:
        entry["extra_content"] = extra_content
    return entry


def entry_fields(entry: Mapping[str, Any]) -> tuple[str | None, str, str, Any]:
    """`(id, name, arguments text, extra_content)` of a wire entry (missing parts empty)."""
    function = entry.get("function")
    if not isinstance(function, Mapping):
        function = {}
    name = function.get("name")
    arguments = function.get("arguments")
    call_id = entry.get("id")
    return (
        call_id if isinstance(call_id, str) else None,
        name if isinstance(name, str) else "",
        arguments if isinstance(arguments, str) else "",
        entry.get("extra_content"),
    )
