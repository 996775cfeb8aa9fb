"""Load: 1,000 concurrent async calls and 200 concurrent streams, 0 lost or mixed-up answers.

Each request carries a unique token; the emulator's default responder echoes the last user
message, so every answer must contain its own token and no other. Memory is bounded: the
Python memory blocks alive at the peak of the run, per concurrent job, stay under a bound
(`sys.getallocatedblocks`: a count of objects, the same on any machine, unlike RSS, which
depends on the allocator and page size; figures are printed, run with `-s` to see them).
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from ernie_aiml import AIMLClient
from ernie_aiml.emulator import Emulator
from hardening_support import KEY, MODEL, Sleeps, core_client, lc_model, li_messages, li_model

TOKEN = re.compile(r"tok-\d+-[0-9a-f]{8}")
#: Python memory blocks alive per concurrent job at the peak (client, emulator thread and the
#: emulator's record of every request together); the figures seen are 350-600.
PEAK_BLOCKS_PER_JOB = 3_000


def _prompt(i: int, run: str) -> str:
    return f"Please repeat tok-{i}-{run} back to me."


def _body(text: str) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


def _rss() -> int:
    """Resident set size of this process (client and emulator thread), in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _measure(jobs: list[Callable[[], Awaitable[str]]]) -> tuple[list[Any], int, int]:
    """Run all jobs at once; the peak growth of Python memory blocks and of the RSS, sampled
    while they run (tracemalloc would slow the emulator thread down tenfold)."""
    gc.collect()  # the earlier tests' garbage must not be freed into the measurement
    blocks, rss = sys.getallocatedblocks(), _rss()
    peak_blocks, peak_rss = blocks, rss
    gathered = asyncio.gather(*(job() for job in jobs), return_exceptions=True)
    while not gathered.done():
        peak_blocks, peak_rss = max(peak_blocks, sys.getallocatedblocks()), max(peak_rss, _rss())
        await asyncio.sleep(0.05)
    peak_blocks, peak_rss = max(peak_blocks, sys.getallocatedblocks()), max(peak_rss, _rss())
    return gathered.result(), peak_blocks - blocks, peak_rss - rss


def _check(results: list[Any], run: str, emu: Emulator, label: str, peak: tuple[int, int]) -> None:
    blocks, rss = peak
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors[:3]
    mixed = 0
    for i, text in enumerate(results):
        if TOKEN.findall(text) != [f"tok-{i}-{run}"]:
            mixed += 1
    print(
        f"\n[load] {label}: {len(results)} answers, 0 errors, {mixed} mixed, "
        f"{len(emu.chat_requests)} requests, {blocks / len(results):.0f} blocks per job at "
        f"the peak, RSS growth {rss / 1e6:.1f} MB"
    )
    assert mixed == 0
    assert len(emu.chat_requests) == len(results)
    assert blocks < PEAK_BLOCKS_PER_JOB * len(results)


async def test_1000_concurrent_calls_default_client(emulator: Emulator) -> None:
    """The core's own AsyncClient (its pool: 1,000 connections, 100 kept alive)."""
    run = uuid.uuid4().hex[:8]
    client = AIMLClient(api_key=KEY, base_url=emulator.base_url, max_retries=0)

    def job(i: int) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            return (await client.achat(_body(_prompt(i, run)))).content

        return go

    results, blocks, rss = await _measure([job(i) for i in range(1000)])
    await client.aclose()
    _check(results, run, emulator, "core achat x1000 (default pool)", (blocks, rss))


async def test_200_concurrent_streams(emulator: Emulator) -> None:
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        client = core_client(emulator, Sleeps(), max_retries=0, http_async_client=http)

        def job(i: int) -> Callable[[], Awaitable[str]]:
            async def go() -> str:
                parts = []
                async for delta in client.astream(_body(_prompt(i, run))):
                    parts.append(delta.content or "")
                return "".join(parts)

            return go

        results, blocks, rss = await _measure([job(i) for i in range(200)])
    _check(results, run, emulator, "core astream x200", (blocks, rss))


async def test_langchain_200_concurrent_ainvoke_and_astream(emulator: Emulator) -> None:
    run = uuid.uuid4().hex[:8]
    llm = lc_model(emulator, Sleeps(), max_retries=0)

    def job(i: int) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            if i % 2:
                return str((await llm.ainvoke(_prompt(i, run))).content)
            return "".join([str(c.content) async for c in llm.astream(_prompt(i, run))])

        return go

    results, blocks, rss = await _measure([job(i) for i in range(200)])
    _check(results, run, emulator, "langchain ainvoke/astream x200", (blocks, rss))


async def test_llama_index_200_concurrent_achat_and_astream(emulator: Emulator) -> None:
    run = uuid.uuid4().hex[:8]
    llm = li_model(emulator, Sleeps(), max_retries=0)

    def job(i: int) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            if i % 2:
                return str((await llm.achat(li_messages(_prompt(i, run)))).message.content)
            gen = await llm.astream_chat(li_messages(_prompt(i, run)))
            return "".join([r.delta or "" async for r in gen])

        return go

    results, blocks, rss = await _measure([job(i) for i in range(200)])
    await llm.aclose()
    _check(results, run, emulator, "llama_index achat/astream_chat x200", (blocks, rss))
