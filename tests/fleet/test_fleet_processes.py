"""A shared budget and rate limit across real OS processes, on a real Redis, against the
emulator (which counts the requests that reach it and the credits it charged)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import AIMLClient, FleetBudget, Message, build_chat_request, track_usage
from ernie_aiml.emulator import ErrorReply, SSEReply, stream_events
from fleet_support import (
    MODEL,
    RedisServer,
    most_in_window,
    result_of,
    run_workers,
    spawn,
    tag_of,
)

BODY = build_chat_request(MODEL, [Message(role="user", content="Hi")])


def outcomes(results: list[dict[str, Any]]) -> list[str]:
    return [o for r in results for o in r["outcomes"]]


def test_max_calls_is_never_exceeded_by_4_processes_of_25_tasks(
    emulator: Any, store: str, name: str
) -> None:
    budget = {"store": store, "name": name, "max_calls": 50}
    workers = [
        {"tag": f"w{i}", "mode": "burst", "base_url": emulator.base_url, "budget": budget}
        | {"tasks": 25, "calls": 1}
        for i in range(4)
    ]
    results = run_workers(workers)
    done = outcomes(results)
    assert len(emulator.chat_requests) == 50  # counted at the server
    assert done.count("ok") == 50
    assert done.count("BudgetExceededError") == 50  # refused before anything was sent
    assert sum(r["created"] for r in results) == 1  # created once, joined three times
    tally = FleetBudget(store=store, name=name).open().snapshot()
    assert (tally.calls, tally.max_calls) == (50, 50)
    assert tally.credits_used == emulator.credits_charged


def test_default_spend_overshoots_by_no_more_than_the_calls_in_flight(
    emulator: Any, store: str, name: str
) -> None:
    limit = 400
    budget = {"store": store, "name": name, "max_credits": limit}
    workers = [
        {"tag": f"w{i}", "mode": "burst", "base_url": emulator.base_url, "budget": budget}
        | {"tasks": 5, "calls": 100}
        for i in range(2)
    ]
    done = outcomes(run_workers(workers))
    charged, charges = emulator.credits_charged, emulator.charges
    in_flight = 10  # 2 processes x 5 tasks: at most this many calls run at once
    assert charged >= limit  # the budget was spent...
    # ...and past it only by calls admitted while it had room, each at most one call's cost
    assert charged - limit < in_flight * max(charges)
    assert done.count("BudgetExceededError") == in_flight  # every task was stopped
    assert done.count("ok") == len(charges) == len(emulator.chat_requests)
    tally = FleetBudget(store=store, name=name).open().snapshot()
    assert tally.credits_used == charged  # every call counted once, none lost


def test_hard_ceiling_never_exceeds_the_limit(emulator: Any, store: str, name: str) -> None:
    limit = 400
    budget = {"store": store, "name": name, "max_credits": limit, "hard_ceiling": True}
    # one call first: the store learns the model's credits per token from it
    with AIMLClient(api_key="k", base_url=emulator.base_url) as client, track_usage(**budget):
        client.chat({**BODY, "max_tokens": 40})
    workers = [
        {"tag": f"w{i}", "mode": "burst", "base_url": emulator.base_url, "budget": budget}
        | {"tasks": 5, "calls": 100, "max_tokens": 40}
        for i in range(2)
    ]
    done = outcomes(run_workers(workers))
    charged = emulator.credits_charged
    assert charged <= limit  # never over, whatever the concurrency
    worst = max(emulator.charges) * 3  # a reservation: far more than a call costs here
    assert charged > limit - 10 * worst  # but most of it was used
    assert done.count("BudgetExceededError") == 10
    snapshot = FleetBudget(store=store, name=name).open()
    assert snapshot.snapshot().credits_used == charged
    assert snapshot.remaining()["max_credits"] == limit - charged  # no reservation left


def test_rate_limit_holds_the_requests_per_window_at_the_server(
    emulator: Any, store: str, name: str
) -> None:
    limiter = {"store": store, "name": name, "rpm": 120}
    workers = [
        {"tag": f"w{i}", "mode": "phases", "base_url": emulator.base_url, "limiter": limiter}
        | {"phases": [{"calls": 7}]}
        for i in range(3)
    ]
    results = run_workers(workers)
    assert all(r["phases"] == [["ok"] * 7] for r in results)
    arrivals = [r.received for r in emulator.chat_requests]
    assert len(arrivals) == 21
    # 120 per minute is 10 per 5 s; one more fits where a window starts on a request
    assert most_in_window(arrivals, 5.0) <= 10 + 1


def test_a_worker_killed_mid_stream_frees_its_reservation_within_the_ttl(
    emulator: Any, store: str, name: str
) -> None:
    ttl = 3.0
    budget = {"store": store, "name": name, "max_credits": 100, "hard_ceiling": True}
    budget |= {"reserve": 60, "ttl": ttl}
    events = stream_events("a long answer " * 20, model=MODEL, chunk_size=4, prompt=4)
    emulator.enqueue(SSEReply(events, event_delay=0.5))
    with (
        AIMLClient(api_key="k", base_url=emulator.base_url) as client,
        track_usage(**budget) as shared,
    ):
        worker = spawn(
            {"tag": "killed", "mode": "stream", "base_url": emulator.base_url, "budget": budget}
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "streaming"
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate()
        assert shared.remaining() == {"max_credits": 40}  # 60 held by the dead worker's call
        with pytest.raises(ernie_aiml.BudgetExceededError):
            client.chat(BODY)
        for _ in range(int(ttl * 100)):  # its lease expires on the store's clock
            if shared.remaining() == {"max_credits": 100}:
                break
            time.sleep(0.05)
        assert shared.remaining() == {"max_credits": 100}
        client.chat(BODY)
    tally = shared.snapshot()
    # the dead call is not counted as finished, its reservation was released once
    assert (tally.calls, tally.credits_used) == (1, 17)
    assert "in flight" not in shared.summary()
    assert len(emulator.chat_requests) == 2


def test_redis_stopped_mid_run_fail_closed_raises_fail_open_goes_on(
    emulator: Any, own_redis: RedisServer, name: str, tmp_path: Any
) -> None:
    go = str(tmp_path / "go")
    workers = []
    for mode in ("closed", "open"):
        budget = {"store": own_redis.url, "name": name, "max_calls": 1000}
        budget["fail_open"] = mode == "open"
        phases = [{"calls": 3}, {"ready": str(tmp_path / mode), "go": go, "calls": 3}]
        settings = {"tag": mode, "mode": "phases", "base_url": emulator.base_url}
        workers.append(spawn(settings | {"budget": budget, "phases": phases}))
    for mode in ("closed", "open"):
        while not (tmp_path / mode).exists():
            time.sleep(0.02)
    own_redis.stop()
    open(go, "w").close()
    closed, opened = (result_of(w) for w in workers)
    assert closed["phases"] == [["ok"] * 3, ["StoreUnavailableError"] * 3]
    assert closed["warnings"] == []
    assert opened["phases"] == [["ok"] * 3, ["ok"] * 3]
    [warning] = opened["warnings"]  # once, not per call
    assert warning.startswith("StoreUnavailableWarning: the store redis://127.0.0.1:")
    tags = [tag_of(r) for r in emulator.chat_requests]
    assert (tags.count("closed"), tags.count("open")) == (3, 6)


def test_a_429_in_one_process_holds_back_the_others(emulator: Any, store: str, name: str) -> None:
    emulator.enqueue(ErrorReply(429, "Too Many Requests"))
    window = 2.0  # the first retry's backoff (initial_delay, no jitter)
    budget = {"store": store, "name": name, "max_calls": 100_000}
    workers = [
        {"tag": f"w{i}", "mode": "phases", "base_url": emulator.base_url, "budget": budget}
        | {"phases": [{"seconds": 4.0}], "initial_delay": window}
        for i in range(3)
    ]
    results = run_workers(workers)
    assert all(set(r["phases"][0]) == {"ok"} for r in results)
    requests = emulator.chat_requests
    first = requests[0]  # the one answered 429
    hit, start = tag_of(first), first.received
    others = [r.received - start for r in requests[1:] if tag_of(r) != hit]
    before = [t for t in others if t < 0.3]  # in flight when the window opened
    held = [t for t in others if 0.3 <= t < window]
    after = [t for t in others if t >= window]
    assert held == []  # nobody sent while the shared window was open
    assert len(before) <= 4
    assert len(after) > 10  # and all went on after it
    retry = next(r for r in requests[1:] if tag_of(r) == hit)
    assert retry.received - start >= window


def test_a_403_stops_the_shared_budget_for_every_process(
    emulator: Any, store: str, name: str
) -> None:
    emulator.enqueue(ErrorReply(403, "You've run out of credits. Please top up your balance"))
    budget = {"store": store, "name": name, "max_calls": 1000}
    settings = {"mode": "phases", "base_url": emulator.base_url, "budget": budget}
    [first] = run_workers([settings | {"tag": "first", "phases": [{"calls": 1}]}])
    assert first["phases"] == [["PermissionDeniedError"]]
    others = run_workers([settings | {"tag": f"w{i}", "phases": [{"calls": 2}]} for i in range(2)])
    assert [r["phases"] for r in others] == [[["CreditsExhaustedError"] * 2]] * 2
    assert len(emulator.chat_requests) == 1
    shared = FleetBudget(store=store, name=name).open()
    assert "stopped: AIML answered 403: You've run out of credits" in shared.summary()
    shared.reset()  # topped up: the fleet goes on
    with AIMLClient(api_key="k", base_url=emulator.base_url) as client, track_usage(**budget):
        client.chat(BODY)
