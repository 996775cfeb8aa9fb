"""Helpers of the fleet tests: a real `redis-server` of their own, and worker processes.

Each server runs on 127.0.0.1 and a free port, in a temporary folder, without persistence
(`--save '' --appendonly no`), and is stopped by the test that started it; never the
system's service.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

WORKER = Path(__file__).with_name("fleet_worker.py")
MODEL = "baidu/ernie-4.5-vl-424b-a47b"


def require_redis_server() -> str:
    """The `redis-server` binary; skipped without one, except in CI, where it must be there."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("redis-server is missing in CI: .ci/run installs it (apt redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return binary


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One `redis-server` process of a test's own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:PORT/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Launch the server and wait until it answers."""
        self.process = subprocess.Popen(
            [
                require_redis_server(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(500):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def spawn(settings: dict[str, Any]) -> subprocess.Popen[str]:
    """Start one worker process with these settings."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(settings)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result_of(worker: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    """A worker's JSON result (its last line of output); fails with its stderr if none."""
    out, err = worker.communicate(timeout=timeout)
    lines = out.strip().splitlines()
    if worker.returncode != 0 or not lines:
        raise AssertionError(f"worker failed ({worker.returncode}): {err[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_workers(settings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run workers side by side, starting their calls together; their results in order."""
    start_at = time.time() + 1.5  # all have imported ernie_aiml by then
    workers = [spawn({"start_at": start_at, **s}) for s in settings]
    return [result_of(w) for w in workers]


def tag_of(request: Any) -> str:
    """Which worker sent a recorded chat request (the first word of its message)."""
    return str(request.json["messages"][-1]["content"]).split()[0]


def most_in_window(times: Sequence[float], window: float) -> int:
    """The most of `times` that fall in any half-open interval of `window` seconds."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        inside = sum(1 for t in ordered[i:] if t < start + window)
        best = max(best, inside)
    return best
