"""Measure one client in this (fresh) process and print its results as one JSON line.

Client CPU is `time.process_time()` of this process only (the server runs in another
process). Per call: batches of non-streamed calls, median over repeats. Per chunk: the CPU
of consuming whole streams divided by the JSON chunks on the wire, median over repeats.
Then C concurrent async streams: wall time, how many completed with the exact text, peak RSS.

Usage: `python benchmarks/worker.py NAME --base-url URL --conc-base-url URL ...`
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import payloads
from clients import CLIENTS, Client


def rss_mb() -> float:
    """Current resident set size of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batch_cpu(fn: Callable[[], Any], count: int) -> tuple[float, float]:
    """CPU and wall seconds of `count` calls of `fn`."""
    gc.collect()
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    for _ in range(count):
        fn()
    return time.process_time() - cpu0, time.perf_counter() - wall0


def _calibrate(fn: Callable[[], Any], target: float, lo: int, hi: int) -> int:
    """How many calls of `fn` make a batch of about `target` CPU seconds."""
    probe = 3
    cpu, _ = _batch_cpu(fn, probe)
    per = max(cpu / probe, 1e-7)
    return max(lo, min(hi, int(target / per)))


def measure_calls(client: Client, repeats: int, target: float) -> dict[str, Any]:
    """CPU (and wall) µs per non-streamed call: median of `repeats` batches."""
    for _ in range(20):
        client.call()
    text = client.call()
    count = _calibrate(client.call, target, 20, 20000)
    cpu_us, wall_us = [], []
    for _ in range(repeats):
        cpu, wall = _batch_cpu(client.call, count)
        cpu_us.append(cpu / count * 1e6)
        wall_us.append(wall / count * 1e6)
    return {
        "cpu_us": statistics.median(cpu_us),
        "cpu_us_all": cpu_us,
        "wall_us": statistics.median(wall_us),
        "calls_per_repeat": count,
        "text_ok": text == payloads.expected_content(50),
    }


def measure_stream(client: Client, n: int, repeats: int, target: float) -> dict[str, Any]:
    """CPU (and wall) µs per streamed chunk: median over `repeats` batches of whole streams."""
    events = payloads.stream_event_count(n)
    text = client.stream()
    count = _calibrate(client.stream, target, 1, 200)
    cpu_us, wall_us = [], []
    for _ in range(repeats):
        cpu, wall = _batch_cpu(client.stream, count)
        cpu_us.append(cpu / (count * events) * 1e6)
        wall_us.append(wall / (count * events) * 1e6)
    return {
        "cpu_us": statistics.median(cpu_us),
        "cpu_us_all": cpu_us,
        "wall_us": statistics.median(wall_us),
        "chunks_per_stream": events,
        "streams_per_repeat": count,
        "text_ok": text == payloads.expected_content(n),
    }


def measure_build(build: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """CPU µs to build one framework chunk object the way an adapter must (for reference)."""
    count = 20000
    cpu_us = []
    for _ in range(repeats):
        cpu, _ = _batch_cpu(build, count)
        cpu_us.append(cpu / count * 1e6)
    return {"cpu_us": statistics.median(cpu_us)}


async def _concurrent(client: Client, base_url: str, streams: int, n: int) -> dict[str, Any]:
    await client.aopen(base_url)
    expected = payloads.expected_content(n)
    try:
        await client.astream()  # warm the pool and the code paths
        gc.collect()
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        results = await asyncio.gather(
            *(client.astream() for _ in range(streams)), return_exceptions=True
        )
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
    finally:
        await client.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    ok = sum(1 for r in results if r == expected)
    sample = None
    if errors:
        sample = f"{type(errors[0]).__name__}: {errors[0]}"[:300]
    elif ok < streams:
        wrong = next(r for r in results if r != expected)
        sample = f"wrong text ({len(wrong)} chars, expected {len(expected)}): {wrong[:80]!r}"
    return {
        "streams": streams,
        "chunks_per_stream": payloads.stream_event_count(n),
        "completed": ok,
        "errors": len(errors),
        "wrong": streams - ok - len(errors),
        "problem": sample,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def measure_concurrency(client: Client, base_url: str, streams: int, n: int) -> dict[str, Any]:
    """Wall time of `streams` concurrent async streams; peak RSS of the process after."""
    before = rss_mb()
    result = asyncio.run(_concurrent(client, base_url, streams, n))
    result["rss_before_mb"] = before
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def _phase(results: dict[str, Any], key: str, fn: Callable[[], dict[str, Any]]) -> None:
    try:
        results[key] = fn()
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        results[key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}


def main() -> None:
    """Parse arguments, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--conc-base-url", required=True)
    parser.add_argument("--bulk-base-url", help="the same server, whole stream in one HTTP chunk")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--conc-n", type=int, default=10)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.25, help="CPU seconds per batch")
    parser.add_argument("--skip-concurrency", action="store_true")
    args = parser.parse_args()

    client = CLIENTS[args.client]()
    results: dict[str, Any] = {"client": client.name, "kind": client.kind}
    try:
        client.setup(args.base_url)
    except ImportError as exc:
        results["skipped"] = f"not importable: {exc}"
        print(json.dumps(results))
        return
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        results["skipped"] = f"setup failed: {type(exc).__name__}: {exc}"[:500]
        print(json.dumps(results))
        return
    results["rss_after_setup_mb"] = rss_mb()
    _phase(results, "call", lambda: measure_calls(client, args.repeats, args.target))
    _phase(results, "stream", lambda: measure_stream(client, args.n, args.repeats, args.target))
    if args.bulk_base_url and client.uses_server:
        client.setup(args.bulk_base_url)
        _phase(
            results,
            "stream_bulk",
            lambda: measure_stream(client, args.n, args.repeats, args.target),
        )
    elif "stream" in results:
        results["stream_bulk"] = results["stream"]
    build = getattr(client, "build_chunk", None)
    if build is not None:
        _phase(results, "build_chunk", lambda: measure_build(build, args.repeats))
    if not args.skip_concurrency:
        _phase(
            results,
            "concurrency",
            lambda: measure_concurrency(client, args.conc_base_url, args.streams, args.conc_n),
        )
    results["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
