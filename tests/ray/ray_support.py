"""Helpers of the Ray tests: an emulator that fails a fixed share of requests, a ChatBatch
that kills its own actor once, and counting the emulator's requests per prompt."""

from __future__ import annotations

import collections
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from ernie_aiml.emulator import Emulator, ErrorReply

from ernie_aiml_ray import ChatBatch

#: The key every Ray worker gets from `runtime_env` (the emulator takes any non-empty key).
KEY = "emulator-key"


class FlakyEmulator(Emulator):
    """Every 20th chat request (by arrival) gets a 500, every 50th a 429: about 5% and 2%."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = 0
        self.scripted_errors = collections.Counter[int]()

    async def _chat(self, record: Any, http: Any, extra: Any) -> bool:
        self.arrivals += 1  # the emulator's one event loop thread: no race
        status = 500 if self.arrivals % 20 == 7 else 429 if self.arrivals % 50 == 13 else None
        if status is not None:
            self.scripted_errors[status] += 1
            self.enqueue(ErrorReply(status, f"scripted {status}"))
        return await super()._chat(record, http, extra)


def prompts_sent(emu: Emulator) -> collections.Counter[str]:
    """How many requests the emulator received for each (last user) prompt."""
    return collections.Counter(r.json["messages"][-1]["content"] for r in emu.chat_requests)


class KillOnce(ChatBatch):
    """A ChatBatch whose actor SIGKILLs itself in the middle of a batch, once per job
    (`marker`: a file made atomically by the first actor to get there)."""

    def __init__(self, marker: str, after: int, **config: Any) -> None:
        super().__init__(**config)
        self.marker = marker
        self.after = after
        self.rows = 0

    async def _row(self, client: Any, cell: Any) -> Any:
        result = await super()._row(client, cell)
        self.rows += 1
        if self.rows == self.after:
            try:
                Path(self.marker).touch(exist_ok=False)
            except FileExistsError:
                return result
            os.kill(os.getpid(), signal.SIGKILL)
        return result


def require_ray() -> Any:
    """Ray itself; skipped without it, except in CI, where `make test-ray` must run these."""
    try:
        import ray
    except ImportError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail('ray is missing in CI: `make install` installs the "ray" extra')
        pytest.skip('ray is not installed (pip install "ernie-aiml[ray]")')
    return ray


def ledger(emu: Emulator, answers: int) -> list[float]:
    """The emulator's charges once all `answers` are booked (it books each just after
    sending it, so the client can read an answer a moment before its charge is added)."""
    for _ in range(1000):
        if len(emu.charges) >= answers:
            break
        time.sleep(0.01)
    return emu.charges
