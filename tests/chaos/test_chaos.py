"""Faults between client and emulator (`ChaosProxy`), on every surface and mode.

What holds for each call: it returns exactly the answer the emulator sends without the
proxy (text, reasoning, tool calls, usage, credits), or raises one of our typed errors;
never a short answer, never an untyped exception, never a hang (an outer bound in
`chaos_support.call` fails the test); no request after output was produced (README
"Errors and retries"); `track_usage` counts exactly what completed calls were charged.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Iterator
from typing import Any

import ernie_aiml
import pytest
from chaos_proxy import ChaosProxy, Plan, offset_after
from chaos_support import MODES, SURFACES, Answer, Config, Outcome, call
from ernie_aiml.emulator import Emulator

CASES = [(s, m) for s in SURFACES for m in MODES]
IDS = [f"{s}-{m}" for s, m in CASES]
#: Counts across the module, printed at its end (pytest -s) for the report.
TOTALS: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def proxy(emu: Emulator) -> Iterator[ChaosProxy]:
    with ChaosProxy(emu.port, seed=20) as chaos:
        yield chaos


_REFERENCE: dict[tuple[str, str, bool], tuple[Answer, bytes]] = {}


def reference(
    surface: str, mode: str, emu: Emulator, proxy: ChaosProxy, tools: bool = False
) -> tuple[Answer, bytes]:
    """The answer without faults, and the response bytes the emulator sent for it."""
    key = (surface, mode, tools)
    if key not in _REFERENCE:
        direct = call(surface, mode, emu.base_url, emu, Config(tools=tools))
        assert direct.answer is not None, direct.error
        proxy.script()
        through = call(surface, mode, proxy.base_url, emu, Config(tools=tools))
        assert through.answer == direct.answer  # a clean proxy is transparent
        _REFERENCE[key] = (direct.answer, bytes(proxy.received[-1]))
    return _REFERENCE[key]


def judge(outcome: Outcome, expected: Answer, mode: str, max_retries: int) -> None:
    """The rules every faulted call obeys (see the module docstring)."""
    TOTALS["calls"] += 1
    TOTALS[f"outcome {outcome.kind}"] += 1
    if outcome.error is None:
        assert outcome.answer == expected  # exactly the answer: never a short one
        assert outcome.tally.credits_used == expected.credits
    else:
        assert isinstance(outcome.error, ernie_aiml.AIMLError), repr(outcome.error)
        assert outcome.tally.credits_used == 0  # a failed call is never charged to the budget
    sent = outcome.requests_after - outcome.requests_before
    assert 1 <= sent <= max_retries + 1
    if outcome.requests_at_output is not None:  # no retry once output was produced
        assert outcome.requests_after == outcome.requests_at_output


def _stream(mode: str) -> bool:
    return mode in ("stream", "astream")


def named_offsets(data: bytes, stream: bool) -> dict[str, int]:
    """Reset points in one response: before the status line, inside the headers, inside a
    chunk, and (streams) between the finish chunk and the usage chunk."""
    head = data.index(b"\r\n\r\n") + 4
    offsets = {"before-status": 0, "inside-headers": head // 2}
    if stream:
        third = offset_after(data, b"data: ", 3)
        offsets["inside-chunk"] = third + 7
        finish = data.index(b'"finish_reason": "stop"')
        offsets["finish-then-usage"] = data.index(b"\n\n", finish) + 2
    else:
        offsets["inside-chunk"] = head + (len(data) - head) // 2
        offsets["last-byte"] = len(data) - 1
    return offsets


@pytest.mark.parametrize(("surface", "mode"), CASES, ids=IDS)
def test_every_byte_split_yields_the_exact_answer(
    surface: str, mode: str, emu: Emulator, proxy: ChaosProxy
) -> None:
    """Every response byte on its own write: SSE lines, `data:`, JSON and UTF-8 cut."""
    expected, _ = reference(surface, mode, emu, proxy)
    proxy.script(then=Plan(split=1, name="split"))
    outcome = call(surface, mode, proxy.base_url, emu, Config())
    TOTALS["faults split"] += 1
    judge(outcome, expected, mode, 1)
    assert outcome.error is None


@pytest.mark.parametrize(("surface", "mode"), CASES, ids=IDS)
def test_reset_at_every_named_offset(
    surface: str, mode: str, emu: Emulator, proxy: ChaosProxy
) -> None:
    """A reset before the status line or inside the headers is retried to the exact answer;
    inside a stream's chunk it raises `StreamInterruptedError` without a retry; between the
    finish and the usage chunk it raises too (the usage asked for never came)."""
    expected, data = reference(surface, mode, emu, proxy)
    for where, offset in named_offsets(data, _stream(mode)).items():
        for rst in (True, False):
            proxy.script(Plan(reset_at=offset, rst=rst, name=f"reset {where}"))
            outcome = call(surface, mode, proxy.base_url, emu, Config())
            TOTALS[f"faults reset {where}"] += 1
            judge(outcome, expected, mode, 1)
            if where in ("before-status", "inside-headers") or not _stream(mode):
                assert outcome.error is None, (where, outcome.error)  # retried, exact
                assert outcome.requests_after - outcome.requests_before == 2
            else:
                assert isinstance(outcome.error, ernie_aiml.StreamInterruptedError), (
                    where,
                    outcome.error,
                )


@pytest.mark.parametrize(("surface", "mode"), CASES, ids=IDS)
def test_half_open_fires_the_read_timeout(
    surface: str, mode: str, emu: Emulator, proxy: ChaosProxy
) -> None:
    """The server side goes silent mid-answer with the socket open: the read timeout fires
    (retried while no output was produced): `APITimeoutError`, or for a stream that
    produced output `StreamInterruptedError` naming the read timeout."""
    expected, data = reference(surface, mode, emu, proxy)
    middle = len(data) // 2
    proxy.script(then=Plan(half_open_at=middle, name="half-open"))
    outcome = call(surface, mode, proxy.base_url, emu, Config(read=0.3))
    TOTALS["faults half-open"] += 2 if outcome.requests_at_output is None else 1
    judge(outcome, expected, mode, 1)
    if outcome.requests_at_output is None:
        assert isinstance(outcome.error, ernie_aiml.APITimeoutError), outcome.error
    else:
        assert isinstance(outcome.error, ernie_aiml.StreamInterruptedError), outcome.error
        assert "read timeout" in str(outcome.error)
    if outcome.requests_at_output is None:  # no output: the timeout was retried
        assert outcome.requests_after - outcome.requests_before == 2


@pytest.mark.parametrize(("surface", "mode"), CASES)
def test_slow_drip_is_cut_at_the_deadline(
    surface: str, mode: str, emu: Emulator, proxy: ChaosProxy
) -> None:
    """One byte every 40 ms (under the 0.4 s read timeout) for longer than `deadline=0.4`:
    `APITimeoutError` naming the deadline, within the deadline plus one read (the proxy has
    sent at most a few dozen bytes when the client gives up: headers alone are ~200). Sync
    calls are cut inside the status line too: the clients we build read their sockets
    through `deadline_transport.DeadlineTransport`."""
    reference(surface, mode, emu, proxy)
    proxy.script(then=Plan(drip=0.04, name="drip"))
    outcome = call(surface, mode, proxy.base_url, emu, Config(deadline=0.4, max_retries=0))
    TOTALS["faults drip"] += 1
    TOTALS["calls"] += 1
    TOTALS[f"outcome {outcome.kind}"] += 1
    assert isinstance(outcome.error, ernie_aiml.APITimeoutError), outcome.error
    assert "total deadline of 0.4 s" in str(outcome.error)
    # 0.4 s / 40 ms = 10 bytes; generous slack for a loaded machine, far under the headers
    assert proxy.sent[-1] < 100


def random_plan(rng: random.Random, size: int) -> Plan:
    """One fault, or a clean connection with latency/jitter/bandwidth shaping."""
    kind = rng.choice(["shape", "shape", "split", "reset", "reset", "half-open"])
    shape: dict[str, Any] = {
        "latency": rng.choice([0.0, 0.001, 0.003]),
        "jitter": rng.choice([0.0, 0.002]),
        "bandwidth": rng.choice([None, 200_000.0, 50_000.0]),
    }
    if kind == "split":
        return Plan(split=rng.choice([1, 2, 3, 7]), name="split", **shape)
    if kind == "reset":
        return Plan(reset_at=rng.randrange(size), rst=rng.random() < 0.5, name="reset", **shape)
    if kind == "half-open":
        return Plan(half_open_at=rng.randrange(size), name="half-open", **shape)
    return Plan(name="shape", **shape)


def test_random_faults_with_a_fixed_seed(emu: Emulator, proxy: ChaosProxy) -> None:
    """Faults mixed at random (seed 20) over every surface and mode, with tool calls too."""
    rng = random.Random(20)
    for round_ in range(2):
        for surface, mode in CASES:
            tools = round_ % 2 == 1
            expected, data = reference(surface, mode, emu, proxy, tools)
            plans = [random_plan(rng, len(data)) for _ in range(2)]
            proxy.script(*plans)
            before = proxy.connections
            outcome = call(surface, mode, proxy.base_url, emu, Config(read=0.3, tools=tools))
            for plan in proxy.used[before:]:
                TOTALS[f"faults random {plan.name}"] += 1
            judge(outcome, expected, mode, 1)
            if tools and (surface == "langchain" or (surface == "core" and not _stream(mode))):
                assert expected.tool_calls  # the tool call is part of what is compared


def test_budget_counts_exactly_what_completed_calls_were_charged(
    emu: Emulator, proxy: ChaosProxy
) -> None:
    """Under one `track_usage`, mixed faults: the tally's credits are the emulator's
    charges for the calls that completed (charges for cut answers are never counted)."""
    rng = random.Random(7)
    expected, data = reference("core", "astream", emu, proxy)
    completed = 0
    with ernie_aiml.track_usage() as outer:
        for _ in range(12):
            proxy.script(random_plan(rng, len(data)))
            # async: the call's task runs in a copy of this context, so `outer` sees it
            outcome = call("core", "astream", proxy.base_url, emu, Config(read=0.3))
            judge(outcome, expected, "astream", 1)
            completed += outcome.error is None
    assert 0 < completed < 12  # the seed mixes successes and failures
    assert outer.credits_used == completed * expected.credits
    assert outer.calls == 12


def test_zz_report_counts() -> None:
    """Prints the module's totals (run with -s); calls were made."""
    print("\nchaos totals:", dict(sorted(TOTALS.items())))
    assert TOTALS["calls"] > 0
