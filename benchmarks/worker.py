"""Measure clients in this (fresh) process and print the results as one JSON line.

`cpu` mode: client CPU is `time.process_time()` of this process only (the server runs in
another process). Per call: batches of non-streamed calls; per chunk: the CPU of consuming
whole streams divided by the JSON chunks on the wire. All clients live in this one process
and their batches are interleaved round-robin; the headline is the median over rounds.

`concurrency` mode: one client per process; C concurrent async streams: wall time, how many
completed with the exact text, peak RSS of the process.

Usage: `python benchmarks/worker.py cpu --clients A B ... --base-url URL --bulk-base-url URL`
       `python benchmarks/worker.py concurrency NAME --conc-base-url URL`
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


class _Series:
    """One measured quantity: `fn` run `count` times per batch, `units` per run."""

    def __init__(self, name: str, metric: str, fn: Callable[[], Any], units: int) -> None:
        self.name, self.metric, self.fn, self.units = name, metric, fn, units
        self.count = 1
        self.cpu_us: list[float] = []
        self.wall_us: list[float] = []
        self.error: str | None = None

    def batch(self) -> None:
        """One timed batch (an exception ends the series and is recorded)."""
        if self.error is not None:
            return
        try:
            cpu, wall = _batch_cpu(self.fn, self.count)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.error = f"{type(exc).__name__}: {exc}"[:500]
            return
        self.cpu_us.append(cpu / (self.count * self.units) * 1e6)
        self.wall_us.append(wall / (self.count * self.units) * 1e6)

    def summary(self) -> dict[str, Any]:
        """Median (the headline), min and all samples, in µs per unit."""
        if not self.cpu_us:
            return {"error": self.error or "no samples"}
        out = {
            "cpu_us": statistics.median(self.cpu_us),
            "cpu_us_min": min(self.cpu_us),
            "cpu_us_all": self.cpu_us,
            "wall_us": statistics.median(self.wall_us),
            "runs_per_batch": self.count,
            "units_per_run": self.units,
        }
        if self.error:
            out["error"] = self.error
        return out


def _prepare(
    name: str, metric: str, fn: Callable[[], Any], expected: str, units: int
) -> tuple[_Series | None, dict[str, Any]]:
    """Warm up `fn`, check its answer text, size its batches; or the error it raised."""
    try:
        for _ in range(5 if units > 1 else 20):
            text = fn()
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return None, {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return _Series(name, metric, fn, units), {"text_ok": text == expected}


def _setup_series(
    name: str, args: argparse.Namespace, results: dict[str, Any]
) -> list[tuple[_Series, dict[str, Any]]]:
    """Build a client (twice for the two framings) and its series; records a skip reason."""
    cls = CLIENTS[name]
    entry: dict[str, Any] = {"client": name, "kind": cls.kind}
    results[name] = entry
    events = payloads.stream_event_count(args.n)
    clients = {}
    try:
        for framing, url in (("event", args.base_url), ("bulk", args.bulk_base_url)):
            if framing == "bulk" and not cls.uses_server:
                continue
            clients[framing] = cls()
            clients[framing].setup(url)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        reason = "not importable" if isinstance(exc, ImportError) else "setup failed"
        entry["skipped"] = f"{reason}: {type(exc).__name__}: {exc}"[:500]
        return []
    plans: list[tuple[str, Callable[[], Any], str, int]] = [
        ("call", clients["event"].call, payloads.expected_content(50), 1),
        ("stream", clients["event"].stream, payloads.expected_content(args.n), events),
    ]
    if "bulk" in clients:
        plans.append(
            ("stream_bulk", clients["bulk"].stream, payloads.expected_content(args.n), events)
        )
    build = getattr(clients["event"], "build_chunk", None)
    if build is not None:
        plans.append(("build_chunk", build, "", 1))
    out = []
    for metric, fn, expected, units in plans:
        series, info = _prepare(name, metric, fn, expected, units)
        if metric == "build_chunk":
            info.pop("text_ok", None)
        entry[metric] = info
        if series is not None:
            series.count = _calibrate(fn, args.target, 1, 50000)
            out.append((series, info))
    return out


def measure_cpu(args: argparse.Namespace) -> dict[str, Any]:
    """All clients in this process, batches interleaved round-robin so that noise from the
    rest of the machine falls on every client alike; the order rotates every round."""
    results: dict[str, Any] = {}
    series: list[tuple[_Series, dict[str, Any]]] = []
    for name in args.clients:
        series += _setup_series(name, args, results)
    if not args.no_freeze:
        # Everything set up so far (modules, clients, the null models' pre-built objects) goes
        # to the permanent generation: the garbage collector then walks only what the
        # measured calls allocate, whichever other clients share this process.
        gc.collect()
        gc.freeze()
    for round_ in range(args.repeats):
        shift = round_ % max(len(series), 1)
        for one, _ in series[shift:] + series[:shift]:
            one.batch()
    for one, info in series:
        info.update(one.summary())
    for name, entry in results.items():
        if "stream" in entry and "stream_bulk" not in entry and not CLIENTS[name].uses_server:
            entry["stream_bulk"] = entry["stream"]
    results["_rss_mb"] = rss_mb()
    return results


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
    client.setup(base_url)  # imports, so the RSS before is the client's own
    before = rss_mb()
    result = asyncio.run(_concurrent(client, base_url, streams, n))
    result["rss_before_mb"] = before
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main() -> None:
    """Parse arguments, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    cpu = sub.add_parser("cpu", help="CPU per call and per chunk, all clients interleaved")
    cpu.add_argument("--clients", nargs="+", required=True, choices=sorted(CLIENTS))
    cpu.add_argument("--base-url", required=True, help="one HTTP chunk per SSE event")
    cpu.add_argument("--bulk-base-url", required=True, help="the whole stream in one HTTP chunk")
    cpu.add_argument("--n", type=int, default=500)
    cpu.add_argument("--repeats", type=int, default=7)
    cpu.add_argument("--target", type=float, default=0.2, help="CPU seconds per batch")
    cpu.add_argument("--no-freeze", action="store_true", help="skip gc.freeze() after set-up")
    conc = sub.add_parser("concurrency", help="concurrent async streams of one client")
    conc.add_argument("client", choices=sorted(CLIENTS))
    conc.add_argument("--conc-base-url", required=True)
    conc.add_argument("--conc-n", type=int, default=10)
    conc.add_argument("--streams", type=int, default=1000)
    args = parser.parse_args()

    if args.mode == "cpu":
        print(json.dumps(measure_cpu(args)))
        return
    client = CLIENTS[args.client]()
    try:
        result = measure_concurrency(client, args.conc_base_url, args.streams, args.conc_n)
    except ImportError as exc:
        result = {"skipped": f"not importable: {exc}"}
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
