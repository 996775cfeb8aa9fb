"""A key cut across stream deltas (issue 22 §1), on the sans-I/O `StreamState`: the tail of
the content or reasoning that could begin the key is held back until the next piece of the
same field settles it, and released whole when the answer ends, by an ending chunk,
`[DONE]` or EOF; nothing is lost, reordered or masked that is not the key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ernie_aiml import Delta, MissingUsageWarning
from ernie_aiml._transport.http import Call
from ernie_aiml._transport.stream_state import StreamState

KEY = "sk-split-0123456789abcdef"


def piece(content: str | None = None, reasoning: str | None = None) -> dict[str, Any]:
    delta = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    return {"choices": [{"index": 0, "delta": delta}]}


FINISH = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
USAGE = {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def deltas(events: list[Any], wants_usage: bool = False) -> list[Delta]:
    """Each event as one read, then EOF; every Delta handed out."""
    state = StreamState(
        Call("POST", "http://127.0.0.1/v1", None, {}, None, None, KEY), {}, wants_usage
    )
    out: list[Delta] = []
    for event in [*events, None]:
        if state.over:
            break
        raw = (
            None
            if event is None
            else b"data: %s\n\n"
            % (event if isinstance(event, bytes) else json.dumps(event).encode())
        )
        delta = state.feed(raw)
        while delta is not None or state.pending:
            if delta is not None:
                out.append(delta)
            delta = state.next_delta() if state.pending else None
    return out


def joined(found: list[Delta]) -> tuple[str, str]:
    return "".join(d.content or "" for d in found), "".join(d.reasoning or "" for d in found)


def test_a_key_cut_in_three_is_masked_in_both_fields() -> None:
    events = [
        piece(reasoning="think " + KEY[:3]),
        piece(content="say " + KEY[:8]),
        piece(reasoning=KEY[3:11]),
        piece(content=KEY[8:15]),
        piece(reasoning=KEY[11:] + " ok"),
        piece(content=KEY[15:] + "."),
        FINISH,
    ]
    assert joined(deltas(events)) == ("say ***.", "think *** ok")


def test_a_held_tail_that_is_not_the_key_is_released_in_order() -> None:
    found = deltas([piece("yes s"), piece("k-split is no key"), piece(" and sk-"), FINISH])
    assert joined(found)[0] == "yes sk-split is no key and sk-"
    assert [d.content for d in found] == ["yes ", "sk-split is no key", " and ", "sk-"]


def test_what_is_held_at_done_is_released_before_the_end() -> None:
    found = deltas([piece("echo " + KEY[:6]), b"[DONE]"])
    assert joined(found)[0] == "echo " + KEY[:6]
    assert found[-1].content == KEY[:6] and found[-1].finish_reason is None


def test_what_is_held_at_eof_is_released() -> None:
    """Content after the finish chunk (usage still awaited), then EOF: nothing lost."""
    with pytest.warns(MissingUsageWarning):
        found = deltas([piece("a"), FINISH, piece("b " + KEY[:4])], wants_usage=True)
    assert joined(found)[0] == "ab " + KEY[:4]


def test_the_ending_chunk_carries_what_was_held() -> None:
    found = deltas([piece("tail " + KEY[:2]), FINISH, USAGE], wants_usage=True)
    assert [d.content for d in found] == ["tail ", KEY[:2], None]
    assert found[1].finish_reason == "stop"


def test_text_without_the_first_key_character_is_never_held() -> None:
    found = deltas([piece("Hello"), piece(" world"), FINISH])
    assert [d.content for d in found] == ["Hello", " world", None]
