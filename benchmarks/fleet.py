"""What a shared budget and rate limit cost per call, over loopback, beside the in-process
budget (CPU and wall µs per call; not part of the test run).

Rows: the transport's per-call hooks (`start_call` + `call_completed`, as in `observe.py`)
with no budget, with an in-process `track_usage(max_credits=...)`, with a Redis-backed one
(admission and settlement: two scripts, one round trip each), with a shared `RateLimiter`
(one round trip), and with both; then a whole `AIMLClient.chat` on an in-process
`httpx.MockTransport` with and without the shared budget. Starts its own `redis-server` on a
free port (`apt-get install redis-server`; needs the `redis` extra).

Usage: `.venv/bin/python benchmarks/fleet.py [--calls N]`
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx
from ernie_aiml import AIMLClient, RateLimiter, track_usage
from ernie_aiml._observe.hooks import call_completed, start_call
from observe import ANSWER, BODY, COMPLETION  # the same call and answer as observe.py


def per_call(fn: Callable[[], Any], calls: int, rounds: int = 5) -> tuple[float, float]:
    """Best-of-`rounds` (CPU µs, wall µs) per call of `fn` over `calls` calls."""
    for _ in range(min(calls, 200)):
        fn()
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(calls):
            fn()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    return best_cpu / calls * 1e6, best_wall / calls * 1e6


def client(limiter: RateLimiter | None = None) -> AIMLClient:
    raw = json.dumps(ANSWER).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=raw))
    return AIMLClient(
        api_key="sk-bench",
        base_url="http://127.0.0.1:9/v1",
        http_client=httpx.Client(transport=transport),
        rate_limiter=limiter,
    )


def hooks(limiter: RateLimiter | None = None) -> Callable[[], None]:
    call = client(limiter)._prepare(
        "POST", "/chat/completions", BODY, "application/json", None, None
    )

    def run() -> None:
        call.observer = start_call(call, BODY)
        call_completed(call, COMPLETION)

    return run


def redis_server(folder: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.01)
    return server, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    rows: list[tuple[str, tuple[float, float]]] = []
    rows.append(("hooks, no budget", per_call(hooks(), calls * 10)))
    with track_usage(max_credits=1e12):
        rows.append(
            ("hooks, in-process track_usage(max_credits=...)", per_call(hooks(), calls * 10))
        )
    with tempfile.TemporaryDirectory() as folder:
        server, store = redis_server(folder)
        try:
            shared = {"store": store, "name": "bench", "max_credits": 1e12}
            with track_usage(**shared):
                rows.append(
                    (
                        "hooks, Redis track_usage(store=...) (2 round trips)",
                        per_call(hooks(), calls),
                    )
                )
            limiter = RateLimiter(store=store, name="bench", rpm=1e9)
            rows.append(
                ("hooks, Redis RateLimiter (1 round trip)", per_call(hooks(limiter), calls))
            )
            with track_usage(**shared | {"name": "bench-both"}):
                rows.append(
                    (
                        "hooks, Redis budget + rate limit (3 round trips)",
                        per_call(hooks(limiter), calls),
                    )
                )
            plain = client()
            rows.append(
                (
                    "AIMLClient.chat, mock transport, no budget",
                    per_call(lambda: plain.chat(BODY), calls),
                )
            )
            with track_usage(**shared | {"name": "bench-chat"}):
                rows.append(
                    (
                        "AIMLClient.chat, mock transport, Redis budget",
                        per_call(lambda: plain.chat(BODY), calls),
                    )
                )
        finally:
            server.terminate()
            server.wait()
    width = max(len(label) for label, _ in rows)
    print(f"{'per call':<{width}}  {'CPU µs':>8}  {'wall µs':>8}")
    for label, (cpu, wall) in rows:
        print(f"{label:<{width}}  {cpu:8.1f}  {wall:8.1f}")


if __name__ == "__main__":
    main()
