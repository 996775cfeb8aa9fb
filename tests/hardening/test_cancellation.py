"""Abandoning a stream mid-way closes its connection: nothing left in the pool, none on the server.

Each stream is a slow real stream (`event_delay`), abandoned after two pieces: by cancelling
the task that reads it, by `aclose()`/`close()` on the generator, or by leaving `with`.
The httpx pool (a caller-supplied client, so it can be inspected) must hold no open
connection, and the emulator must see the connection go away (polled, not timed).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from ernie_aiml.emulator import Emulator, SSEReply
from hardening_support import (
    BODY,
    EVENTS,
    Sleeps,
    core_client,
    eventually,
    lc_model,
    li_messages,
    li_model,
    pool_connections,
)

SLOW = SSEReply(EVENTS, event_delay=0.05)


def _open(conns: list[Any]) -> list[Any]:
    return [c for c in conns if not c.is_closed()]


async def _server_released(emu: Emulator, limit: float = 10.0) -> bool:
    """Poll (yielding to the loop, so deferred generator finalisers can run)."""
    for _ in range(int(limit / 0.01)):
        if emu.open_connections == 0:
            return True
        await asyncio.sleep(0.01)
    return emu.open_connections == 0


async def _agen(surface: str, emu: Emulator, client: httpx.AsyncClient) -> Any:
    sleeps = Sleeps()
    if surface == "core":
        return core_client(emu, sleeps, http_async_client=client).astream(BODY).__aiter__()
    if surface == "langchain":
        return lc_model(emu, sleeps, http_async_client=client).astream("hi")
    return await li_model(emu, sleeps, http_async_client=client).astream_chat(li_messages())


def _gen(surface: str, emu: Emulator, client: httpx.Client) -> Any:
    sleeps = Sleeps()
    if surface == "core":
        return iter(core_client(emu, sleeps, http_client=client).stream(BODY))
    if surface == "langchain":
        return lc_model(emu, sleeps, http_client=client).stream("hi")
    return li_model(emu, sleeps, http_client=client).stream_chat(li_messages())


SURFACES = ["core", "langchain", "llama_index"]


@pytest.mark.parametrize("surface", SURFACES)
async def test_async_generator_closed_early_releases_the_connection(
    emulator: Emulator, surface: str
) -> None:
    emulator.enqueue(SLOW)
    async with httpx.AsyncClient() as client:
        gen = await _agen(surface, emulator, client)
        await gen.__anext__()
        await gen.__anext__()
        assert len(_open(pool_connections(client))) == 1 and emulator.open_connections == 1
        await gen.aclose()
        assert await _server_released(emulator)
        assert _open(pool_connections(client)) == []
    assert emulator.pending == 0 and len(emulator.chat_requests) == 1


@pytest.mark.parametrize("surface", SURFACES)
async def test_cancelled_reader_task_releases_the_connection(
    emulator: Emulator, surface: str
) -> None:
    emulator.enqueue(SLOW)
    got: list[Any] = []
    two = asyncio.Event()

    async with httpx.AsyncClient() as client:

        async def reader() -> None:
            gen = await _agen(surface, emulator, client)
            async for item in gen:
                got.append(item)
                if len(got) == 2:
                    two.set()

        task = asyncio.create_task(reader())
        await asyncio.wait_for(two.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await _server_released(emulator)
        assert _open(pool_connections(client)) == []
    assert len(got) < len(EVENTS)


async def test_core_async_with_left_early_releases_the_connection(emulator: Emulator) -> None:
    emulator.enqueue(SLOW)
    async with httpx.AsyncClient() as client:
        stream = core_client(emulator, Sleeps(), http_async_client=client).astream(BODY)
        async with stream:
            async for _ in stream:
                break
        assert _open(pool_connections(client)) == []  # synchronous: closed by aclose()
        assert await _server_released(emulator)


@pytest.mark.parametrize("surface", SURFACES)
def test_sync_generator_closed_early_releases_the_connection(
    emulator: Emulator, surface: str
) -> None:
    emulator.enqueue(SLOW)
    with httpx.Client() as client:
        gen = _gen(surface, emulator, client)
        next(gen)
        next(gen)
        assert len(_open(pool_connections(client))) == 1
        gen.close()
        assert _open(pool_connections(client)) == []
        assert eventually(lambda: emulator.open_connections == 0)


def test_core_sync_with_left_early_releases_the_connection(emulator: Emulator) -> None:
    emulator.enqueue(SLOW)
    with httpx.Client() as client:
        with core_client(emulator, Sleeps(), http_client=client).stream(BODY) as stream:
            next(iter(stream))
        assert _open(pool_connections(client)) == []
        assert eventually(lambda: emulator.open_connections == 0)


def test_a_finished_stream_leaves_no_busy_connection(emulator: Emulator) -> None:
    """The contrast: a stream read to its end holds no connection (nothing after the end is
    read, so the connection is closed rather than pooled)."""
    with httpx.Client() as client:
        core = core_client(emulator, Sleeps(), http_client=client)
        for _ in range(3):
            emulator.enqueue(SSEReply(EVENTS))
            assert len(list(core.stream(BODY))) == len(EVENTS)
        assert _open(pool_connections(client)) == []
