"""Streams end only when the server says so: every cut is an error, never a short answer.

A real AIML-shaped stream (`hardening_support.EVENTS`: role+reasoning, reasoning, content
pieces, finish, usage, then `[DONE]`) is cut after every event and inside every event, and
read through the core (`stream`, `astream`) and both adapters' stream APIs. Every cut before
the end (the usage chunk asked for, after the finish reason) must raise the interrupted-stream
error; a cut after it is a full answer, since nothing after the end is read.
"""

from __future__ import annotations

import ernie_aiml
import pytest
from ernie_aiml.emulator import Emulator, SSEReply
from hardening_support import (
    BODY,
    CONTENT,
    EVENTS,
    KEY,
    REASONING,
    Sleeps,
    core_client,
    lc_model,
    li_messages,
    li_model,
)
from langchain_core import exceptions as lc

SURFACES = ["core-stream", "core-astream", "lc-stream", "lc-astream", "li-stream", "li-astream"]
CUTS = list(range(len(EVENTS) + 2))  # after 0..len(EVENTS) events, then after [DONE]


async def read(surface: str, emu: Emulator, got: list[str], max_retries: int = 0) -> str:
    """Stream through `surface`, appending each piece of answer text to `got`; the full text."""
    sleeps = Sleeps()
    if surface == "core-stream":
        for delta in core_client(emu, sleeps, max_retries).stream(BODY):
            got.append(delta.content or "")
    elif surface == "core-astream":
        async for delta in core_client(emu, sleeps, max_retries).astream(BODY):
            got.append(delta.content or "")
    elif surface == "lc-stream":
        for chunk in lc_model(emu, sleeps, max_retries).stream("hi"):
            got.append(chunk.content)
    elif surface == "lc-astream":
        async for chunk in lc_model(emu, sleeps, max_retries).astream("hi"):
            got.append(chunk.content)
    elif surface == "li-stream":
        for response in li_model(emu, sleeps, max_retries).stream_chat(li_messages()):
            got.append(response.delta or "")
    else:
        gen = await li_model(emu, sleeps, max_retries).astream_chat(li_messages())
        async for response in gen:
            got.append(response.delta or "")
    return "".join(got)


@pytest.mark.parametrize("inside", [False, True], ids=["at-boundary", "inside-event"])
@pytest.mark.parametrize("cut", CUTS, ids=[f"cut{c}" for c in CUTS])
@pytest.mark.parametrize("surface", SURFACES)
async def test_cut_stream_is_interrupted_never_short(
    emulator: Emulator, surface: str, cut: int, inside: bool
) -> None:
    emulator.enqueue(SSEReply(EVENTS, cut_after=cut, cut_inside=inside))
    got: list[str] = []
    if cut < len(EVENTS):  # the usage chunk that ends the answer never arrived
        with pytest.raises(ernie_aiml.StreamInterruptedError) as caught:
            await read(surface, emulator, got)
        # what was yielded before the cut is never the whole answer until the finish chunk
        assert "".join(got) != CONTENT or cut >= len(EVENTS) - 2
        if surface.startswith("lc"):
            assert isinstance(caught.value, lc.ModelConnectionError)
        assert caught.value.request_id  # the stream's x-inference-id
        assert KEY not in str(caught.value)
    else:
        assert await read(surface, emulator, got) == CONTENT
    assert len(emulator.chat_requests) == 1


@pytest.mark.parametrize("surface", ["core-stream", "core-astream"])
async def test_cut_before_the_first_event_is_retried(emulator: Emulator, surface: str) -> None:
    """Nothing was yielded, so the policy may retry: 2 cuts, then the whole stream."""
    emulator.enqueue(SSEReply(EVENTS, cut_after=0), SSEReply(EVENTS, cut_after=0), SSEReply(EVENTS))
    assert await read(surface, emulator, [], max_retries=2) == CONTENT
    assert len(emulator.chat_requests) == 3


@pytest.mark.parametrize("surface", ["core-stream", "core-astream"])
async def test_cut_after_tokens_is_never_retried(emulator: Emulator, surface: str) -> None:
    emulator.enqueue(SSEReply(EVENTS, cut_after=5), SSEReply(EVENTS))
    with pytest.raises(ernie_aiml.StreamInterruptedError):
        await read(surface, emulator, [], max_retries=2)
    assert len(emulator.chat_requests) == 1 and emulator.pending == 1


def test_core_complete_stream_has_reasoning_and_usage(emulator: Emulator) -> None:
    emulator.enqueue(SSEReply(EVENTS))
    deltas = list(core_client(emulator, Sleeps()).stream(BODY))
    assert "".join(d.content or "" for d in deltas) == CONTENT
    assert "".join(d.reasoning or "" for d in deltas) == REASONING
    assert (
        next(d.usage for d in deltas if d.usage).total_tokens == EVENTS[-1]["usage"]["total_tokens"]
    )


# ------------------------------------------------------------------ error events, bad JSON

ERROR_EVENT = {"error": {"message": "Generation failed: upstream overloaded", "code": "503"}}


@pytest.mark.parametrize("surface", SURFACES)
async def test_error_object_in_a_chunk_is_a_stream_error(emulator: Emulator, surface: str) -> None:
    emulator.enqueue(SSEReply([*EVENTS[:4], ERROR_EVENT], done=False))
    got: list[str] = []
    with pytest.raises(ernie_aiml.StreamError) as caught:
        await read(surface, emulator, got)
    assert "Generation failed: upstream overloaded" in caught.value.message
    assert caught.value.request_id
    if surface.startswith("lc"):
        assert isinstance(caught.value, lc.ModelAPIError)


@pytest.mark.parametrize(
    "bad", ['data: {"choices": [\n\n', "data: not json at all\n\n", "data: [1, 2]\n\n"]
)
@pytest.mark.parametrize("surface", SURFACES)
async def test_invalid_json_in_a_chunk_is_a_parse_error(
    emulator: Emulator, surface: str, bad: str
) -> None:
    emulator.enqueue(SSEReply([*EVENTS[:3], bad, *EVENTS[3:]]))
    with pytest.raises(ernie_aiml.ResponseParseError) as caught:
        await read(surface, emulator, [])
    if surface.startswith("lc"):
        assert isinstance(caught.value, lc.ModelAPIError)


# ------------------------------------------------------------------ normal ends without [DONE]


@pytest.mark.parametrize("surface", SURFACES)
async def test_normal_end_without_done_is_the_complete_answer(
    emulator: Emulator, surface: str
) -> None:
    emulator.enqueue(SSEReply(EVENTS, done=False))
    assert await read(surface, emulator, []) == CONTENT


@pytest.mark.parametrize("surface", SURFACES)
async def test_clean_eof_after_finish_without_usage_is_complete(
    emulator: Emulator, surface: str
) -> None:
    emulator.enqueue(SSEReply(EVENTS[:-1], done=False))
    # every surface asks for usage (stream_options.include_usage): absent, and said so
    with pytest.warns(ernie_aiml.MissingUsageWarning, match="usage of this answer is unknown"):
        assert await read(surface, emulator, []) == CONTENT


@pytest.mark.parametrize("surface", SURFACES)
async def test_clean_eof_before_finish_is_interrupted(emulator: Emulator, surface: str) -> None:
    """A properly closed body that never said it finished is still an incomplete answer."""
    emulator.enqueue(SSEReply(EVENTS[:-2], done=False))
    with pytest.raises(ernie_aiml.StreamInterruptedError):
        await read(surface, emulator, [])


async def test_emulator_default_stream_without_done(emulator: Emulator) -> None:
    with Emulator(done=False) as emu:
        text = await read("core-astream", emu, [])
    assert text == 'You said: "hi"'


def test_events_fixture_is_a_real_ten_plus_event_stream() -> None:
    assert len(EVENTS) >= 10
    assert EVENTS[-2]["choices"][0]["finish_reason"] == "stop"
    assert EVENTS[-1]["choices"] == [] and EVENTS[-1]["usage"]


@pytest.mark.parametrize("surface", ["core-stream", "lc-astream", "li-stream"])
async def test_wrong_shape_chunk_is_a_parse_error(emulator: Emulator, surface: str) -> None:
    emulator.enqueue(SSEReply([*EVENTS[:2], {"choices": [None]}, *EVENTS[2:]]))
    with pytest.raises(ernie_aiml.ResponseParseError):
        await read(surface, emulator, [])
