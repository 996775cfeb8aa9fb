"""One worker process of the fleet tests: calls the emulator under a shared budget or rate
limit, as a process of a real fleet would, and prints what happened as one JSON line.

Run as `python fleet_worker.py '<json settings>'` (see `fleet_support.run_workers`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import warnings
from contextlib import ExitStack
from typing import Any

import ernie_aiml
from ernie_aiml import AIMLClient, Message, RateLimiter, RetryPolicy, build_chat_request

MODEL = "baidu/ernie-4.5-vl-424b-a47b"


def body(text: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The chat body of one call, tagged with the worker and call number."""
    built = build_chat_request(MODEL, [Message(role="user", content=text)])
    if settings.get("max_tokens"):
        built["max_tokens"] = settings["max_tokens"]
    return built


def outcome(error: BaseException | None) -> str:
    """'ok', or the error's class name."""
    return "ok" if error is None else type(error).__name__


def client(settings: dict[str, Any]) -> AIMLClient:
    """A client of the emulator with the worker's retry policy and rate limiter."""
    limiter = settings.get("limiter")
    policy = RetryPolicy(initial_delay=settings.get("initial_delay", 0.01), jitter=0.0)
    return AIMLClient(
        api_key="sk-fleet",
        base_url=settings["base_url"],
        retry_policy=policy,
        rate_limiter=RateLimiter(**limiter) if limiter else None,
    )


def wait_for(path: str) -> None:
    """Wait until the test creates `path` (a step of the test's script)."""
    while not os.path.exists(path):
        time.sleep(0.02)


async def burst(settings: dict[str, Any], aiml: AIMLClient) -> dict[str, Any]:
    """`tasks` concurrent tasks, each making `calls` calls (stopping at its first refusal)."""
    tag = settings["tag"]

    async def task(number: int) -> list[str]:
        results = []
        for call in range(settings["calls"]):
            try:
                await aiml.achat(body(f"{tag} task {number} call {call}", settings))
            except ernie_aiml.AIMLError as exc:
                results.append(outcome(exc))
                if settings.get("until_refused", True):
                    break
            else:
                results.append("ok")
        return results

    runs = await asyncio.gather(*(task(n) for n in range(settings["tasks"])))
    await aiml.aclose()
    return {"outcomes": [o for run in runs for o in run]}


def phases(settings: dict[str, Any], aiml: AIMLClient) -> dict[str, Any]:
    """Sequential calls: `calls` of them per phase; between phases, the test's steps."""
    tag = settings["tag"]
    results: list[list[str]] = []
    for number, phase in enumerate(settings["phases"]):
        if phase.get("ready"):
            open(phase["ready"], "w").close()
        if phase.get("go"):
            wait_for(phase["go"])
        done: list[str] = []
        deadline = time.time() + phase.get("seconds", 0)
        call = 0
        while call < phase.get("calls", 0) or time.time() < deadline:
            try:
                aiml.chat(body(f"{tag} phase {number} call {call}", settings))
            except ernie_aiml.AIMLError as exc:
                done.append(outcome(exc))
            else:
                done.append("ok")
            call += 1
        results.append(done)
    aiml.close()
    return {"phases": results}


def stream(settings: dict[str, Any], aiml: AIMLClient) -> dict[str, Any]:
    """Start a stream, say so after its first delta, then read on (until killed)."""
    with aiml.stream(body(f"{settings['tag']} stream", settings)) as chunks:
        for number, _ in enumerate(chunks):
            if number == 0:
                print("streaming", flush=True)
    return {"outcomes": ["ended"]}


def warm_up(settings: dict[str, Any], aiml: AIMLClient) -> None:
    """Connect to the emulator and the store before the start: the first call of a cold
    process must not arrive late (the rate test counts arrivals)."""
    aiml.list_models()
    body("warm", settings)
    store = (settings.get("limiter") or settings.get("budget") or {}).get("store")
    if store:
        from ernie_aiml._observe.store import client as store_client

        store_client(store).ping()


def main() -> None:
    """Run the worker described by argv[1] and print its result."""
    settings = json.loads(sys.argv[1])
    aiml = client(settings)
    warm_up(settings, aiml)
    start_at = settings.get("start_at")
    if start_at:
        time.sleep(max(start_at - time.time(), 0))
    result: dict[str, Any] = {"tag": settings["tag"]}
    with warnings.catch_warnings(record=True) as caught, ExitStack() as stack:
        warnings.simplefilter("always")
        budget = None
        try:
            if settings.get("budget"):
                budget = stack.enter_context(ernie_aiml.track_usage(**settings["budget"]))
                result["created"] = budget.created
            mode = settings["mode"]
            if mode == "burst":
                result.update(asyncio.run(burst(settings, aiml)))
            elif mode == "phases":
                result.update(phases(settings, aiml))
            else:
                result.update(stream(settings, aiml))
        except ernie_aiml.AIMLError as exc:
            result["error"] = outcome(exc)
    result["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
