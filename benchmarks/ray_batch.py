"""Batch inference through Ray Data beside a plain asyncio loop over the core client (not
part of the test run; `make bench-ray`).

Both send the same prompts to one emulator in a process of its own (schema checks off, so
the server costs the same to both). Rows:
- plain: one process, `AIMLClient.achat` under a semaphore (the same concurrency in total),
  wall time and this process's CPU per row;
- ray: `map_chat` on a local Ray (2 CPUs, 2 actors), wall time, the actors' CPU per row (each
  batch reports its actor's `getrusage`), and the CPU of every Ray process (driver, GCS,
  raylet, workers) per row; the peak RSS of each actor;
- budget: a `hard_ceiling=True` shared budget (`max_credits`) on a real redis-server over a
  job that wants more than it allows: the spend the store saw, and its overshoot (must be 0).

Usage: `.venv/bin/python benchmarks/ray_batch.py [--rows 10000] [--concurrency 16]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import psutil
import pyarrow as pa
import ray
from ernie_aiml import AIMLClient, FleetBudget, Message
from ernie_aiml.integration import ChatSettings, chat_request
from fleet import redis_server  # the fleet benchmark's own redis-server on a free port

from ernie_aiml_ray import ChatBatch, map_chat

MODEL = "baidu/ernie-4.5-vl-424b-a47b"
KEY = "emulator-key"
EMULATOR = """
import sys
from ernie_aiml.emulator import Emulator
with Emulator(port=int(sys.argv[1]), validate=False):
    print("ready", flush=True)
    sys.stdin.read()
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    """The emulator in its own process; its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", EMULATOR, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc, f"http://127.0.0.1:{port}/v1"


def prompts(n: int) -> list[str]:
    """`n` distinct prompts."""
    return [f"Summarise item {i} in one line." for i in range(n)]


async def plain_loop(base_url: str, rows: list[str], concurrency: int) -> None:
    """The baseline: one process, one client, `concurrency` calls in flight."""
    client = AIMLClient(base_url=base_url)
    gate = asyncio.Semaphore(concurrency)
    settings = ChatSettings(model=MODEL)

    async def one(prompt: str) -> None:
        async with gate:
            body = chat_request(settings, [Message(role="user", content=prompt)], stream=False)
            await client.achat(body)

    await asyncio.gather(*(one(p) for p in rows))
    await client.aclose()


class MeasuredBatch(ChatBatch):
    """`ChatBatch` reporting its actor's pid, CPU seconds so far and peak RSS with each batch."""

    def __call__(self, batch: Any) -> pa.Table:
        table = super().__call__(batch)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        n = table.num_rows
        return (
            table.append_column("_pid", pa.array([os.getpid()] * n))
            .append_column("_cpu", pa.array([usage.ru_utime + usage.ru_stime] * n))
            .append_column("_rss_kb", pa.array([usage.ru_maxrss] * n))
        )


def ray_cpu() -> float:
    """CPU seconds so far of this driver and every process of the local Ray (its workers are
    titled `ray::…`, its daemons run from Ray's package); exited workers are not counted."""
    total = 0.0
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if proc.pid == os.getpid() or line.startswith("ray::") or "site-packages/ray/" in line:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
    return total


def run_ray(base_url: str, rows: list[str], concurrency: int) -> dict[str, Any]:
    """Ray Data on 2 actors: wall, actors' CPU per row, all of Ray's CPU per row, peak RSS."""
    ds = ray.data.from_items([{"prompt": p} for p in rows])
    cpu0, wall0 = ray_cpu(), time.perf_counter()
    out = ds.map_batches(
        MeasuredBatch,
        fn_constructor_kwargs={"model": MODEL, "base_url": base_url, "concurrency": concurrency},
        batch_size=500,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=2),
    ).take_all()
    wall, cpu_all = time.perf_counter() - wall0, ray_cpu() - cpu0
    answered = sum(r["answer"] is not None for r in out)
    per_actor: dict[int, tuple[float, int]] = {}
    for r in out:
        cpu, rss = per_actor.get(r["_pid"], (0.0, 0))
        per_actor[r["_pid"]] = (max(cpu, r["_cpu"]), max(rss, r["_rss_kb"]))
    return {
        "answered": answered,
        "wall": wall,
        "actor_cpu": sum(cpu for cpu, _ in per_actor.values()),
        "all_cpu": cpu_all,
        "rss_mb": [rss / 1024 for _, rss in per_actor.values()],
    }


def budget_overshoot(base_url: str, rows: list[str]) -> tuple[float, float, int]:
    """A hard-ceiling budget over a job that wants more: (limit, spent, rows answered)."""
    if shutil.which("redis-server") is None:
        return (0.0, 0.0, -1)
    server, store = redis_server(tempfile.mkdtemp())
    try:
        limit = 20_000.0
        budget = {
            "store": store,
            "name": "bench",
            "max_credits": limit,
            "hard_ceiling": True,
            "reserve": 200.0,
        }
        out = map_chat(
            ray.data.from_items([{"prompt": p} for p in rows]),
            model=MODEL,
            base_url=base_url,
            params={"max_tokens": 100},
            budget=budget,
            batch_size=250,
        ).take_all()
        spent = FleetBudget(store=store, name="bench").open().snapshot().credits_used
        return limit, spent, sum(r["answer"] is not None for r in out)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    """Run both, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    os.environ["AIML_API_KEY"] = KEY
    emulator, base_url = start_emulator()
    rows = prompts(args.rows)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        asyncio.run(plain_loop(base_url, rows, 2 * args.concurrency))
        plain_wall, plain_cpu = time.perf_counter() - wall0, time.process_time() - cpu0

        ray.init(
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=200 * 1024 * 1024,
            runtime_env={"env_vars": {"AIML_API_KEY": KEY}},
            log_to_driver=False,
        )
        ray.data.DataContext.get_current().enable_progress_bars = False
        measured = run_ray(base_url, rows, args.concurrency)
        limit, spent, answered = budget_overshoot(base_url, rows[:2000])
        ray.shutdown()
    finally:
        emulator.stdin.close()  # type: ignore[union-attr]
        emulator.wait()

    n = args.rows
    print(f"{n} prompts, concurrency {args.concurrency} per actor (plain: {2 * args.concurrency})")
    print(
        f"plain asyncio loop   {n / plain_wall:8.0f} rows/s   CPU {plain_cpu / n * 1e6:7.0f} µs/row"
    )
    print(
        f"ray data, 2 actors   {n / measured['wall']:8.0f} rows/s   "
        f"CPU {measured['actor_cpu'] / n * 1e6:7.0f} µs/row in the actors "
        f"(ratio {measured['actor_cpu'] / plain_cpu:.2f}x), "
        f"{measured['all_cpu'] / n * 1e6:.0f} µs/row all Ray processes "
        f"(ratio {measured['all_cpu'] / plain_cpu:.2f}x); answered {measured['answered']}"
    )
    print("peak RSS per actor   " + ", ".join(f"{mb:.0f} MB" for mb in measured["rss_mb"]))
    if answered < 0:
        print("budget overshoot     (no redis-server: skipped)")
    else:
        print(
            f"budget overshoot     hard ceiling max_credits={limit:g}: spent {spent:g} over "
            f"{answered} rows, overshoot {max(0.0, spent - limit):g}"
        )


if __name__ == "__main__":
    main()
