"""Prompt tokens of a call before it is sent: the body the adapters would send, counted.

Both adapters count through here (LangChain's `get_num_tokens_from_messages`, used by
`trim_messages`; LlamaIndex's tokenizer counts text with the same estimate), so a count is
the emulator's `prompt_tokens` for the same call. Messages go through the one request path
(roles, cache marks, tool calls as AIML receives them); a message that is plain text on the
wire can be counted without building it (`text_message_tokens`): counting 10,000 short
messages is then one regex scan over all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._tokens import (
    MESSAGE_TOKENS,
    REQUEST_TOKENS,
    count_message_tokens,
    count_texts,
    count_tool_tokens,
)
from .._types import Message
from .call import ChatSettings, chat_request
from .tools import normalize_tool


def text_message_tokens(texts: Sequence[str], names: Sequence[str] = ()) -> int:
    """Tokens of messages each sent as one plain string (no tool calls, no reasoning):
    `texts` their contents, `names` the `name`s some of them carry."""
    return MESSAGE_TOKENS * len(texts) + count_texts([*texts, *names])


def count_prompt_tokens(
    settings: ChatSettings,
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    text_tokens: int = 0,
) -> int:
    """Estimated `prompt_tokens` of a call with these messages and tools (0 for nothing).

    `text_tokens`: what the caller already counted with `text_message_tokens` for the call's
    other messages (the order of messages does not change a count).
    """
    total = text_tokens
    if messages:
        body = chat_request(settings, messages, stream=False, options={"tools": tools})
        total += sum(count_message_tokens(m) for m in body["messages"])
        wire_tools = body.get("tools") or []
    else:
        wire_tools = [normalize_tool(t) for t in tools or ()]
    total += sum(count_tool_tokens(t) for t in wire_tools)
    return total + REQUEST_TOKENS if total else 0
