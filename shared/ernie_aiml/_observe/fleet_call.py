"""One chat call under shared budgets and a shared rate limit: admitted once, settled once.

`start_fleet_call` runs with the call's other hooks, before anything is sent: each shared
budget admits it (a lease), the rate limiter gives it a turn. The wait they ask for (a turn
ahead, or a 429 window another process opened) is slept by the transport before the first
attempt (`hold`/`ahold`). A 429 opens (or extends) the shared window, which the retry then
waits out; a 403 stops the shared budgets for every process. Retries and the tool-choice
fallbacks share this object: one logical call counts once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._errors.classes import PermissionDeniedError, RateLimitError
from .._types import Usage
from .fleet import FleetBudget, Lease
from .ratelimit import BACKOFF_JITTER

if TYPE_CHECKING:
    from .hooks import CallObserver
    from .ratelimit import RateLimiter
    from .tally import UsageTally


class _Opened:
    """Whether any shared budget was made in this process: until then, calls skip the scan
    of their tallies for one (the in-process path stays as it was)."""

    opened = False


SHARED_BUDGETS = _Opened()

#: The window a 429 opens when its call gave up without a retry delay of its own (seconds).
FINAL_429_BACKOFF = 1.0


class FleetCall:
    """The leases and the rate-limit turn of one logical call."""

    __slots__ = ("leases", "limiter", "model", "wait")

    def __init__(
        self,
        leases: list[tuple[FleetBudget, Lease]],
        limiter: RateLimiter | None,
        model: str | None,
    ) -> None:
        self.leases = leases
        self.limiter = limiter
        self.model = model
        self.wait = 0.0

    def take_wait(self) -> float:
        """The seconds to hold before the first attempt (then 0: retries wait on their own)."""
        wait, self.wait = self.wait, 0.0
        return wait

    def record(
        self,
        usage: Usage | None,
        credits_used: float | None,
        usd_spent: float | None,
        *,
        failed: bool = False,
    ) -> None:
        """The call ended: settle every lease with its usage, charge its tokens."""
        mode: Literal["call", "failed"] = "failed" if failed else "call"
        for budget, lease in self.leases:
            budget.settle(lease, usage, credits_used, usd_spent, mode=mode, model=self.model)
        if self.limiter is not None and usage is not None:
            self.limiter.record_tokens(usage.total_tokens)

    def mark_failed(self) -> None:
        """The call, settled with its usage, raised afterwards."""
        for budget, lease in self.leases:
            budget.mark_failed_call(lease)

    def cancel(self) -> None:
        """The call was refused before it was sent (a local budget): undo its admissions."""
        for budget, lease in self.leases:
            budget.settle(lease, None, None, None, mode="cancel")

    def retry(self, error: BaseException | None, delay: float) -> float:
        """A retry after `error`: a 429 opens the shared window; the wait before the retry."""
        if isinstance(error, RateLimitError):
            left = self._open_backoff(delay)
            if left > delay:
                return left + left * BACKOFF_JITTER * random.random()
        return delay

    def failed(self, error: BaseException) -> None:
        """The call gave up: a 403 stops the shared budgets, a last 429 opens the window."""
        if isinstance(error, PermissionDeniedError):
            reason = f"AIML answered 403: {error.message}"
            if error.request_id:
                reason += f" (request id {error.request_id})"
            for budget, _ in self.leases:
                budget.stop(reason)
        elif isinstance(error, RateLimitError):
            self._open_backoff(FINAL_429_BACKOFF)

    def _open_backoff(self, seconds: float) -> float:
        left = 0.0
        for budget, _ in self.leases:
            left = max(left, budget.open_backoff(seconds))
        if self.limiter is not None:
            left = max(left, self.limiter.open_backoff(seconds))
        return left


def start_fleet_call(
    limiter: RateLimiter | None,
    model: str | None,
    body: Mapping[str, Any],
    tallies: tuple[UsageTally, ...],
) -> FleetCall | None:
    """Admit a call on its shared budgets and take its rate-limit turn; None if it has none.

    Raises `BudgetExceededError`, `CreditsExhaustedError`, `RateLimitTimeoutError` or (a
    store down, failing closed) `StoreUnavailableError`, with nothing sent.
    """
    budgets = [t for t in tallies if isinstance(t, FleetBudget)]
    if not budgets and limiter is None:
        return None
    leases: list[tuple[FleetBudget, Lease]] = []
    fleet = FleetCall(leases, limiter, model)
    try:
        for budget in budgets:
            lease = budget.admit(model, body)
            if lease is not None:
                leases.append((budget, lease))
                if lease.backoff:
                    fleet.wait = max(
                        fleet.wait, lease.backoff * (1 + BACKOFF_JITTER * random.random())
                    )
        if limiter is not None:
            fleet.wait = max(fleet.wait, limiter.turn() or 0.0)
    except BaseException:
        fleet.cancel()
        raise
    return fleet


def hold(observer: CallObserver | None) -> None:
    """Sleep out the wait the call's shared limits asked for, once, before its first attempt."""
    fleet = observer.fleet if observer is not None else None
    if fleet is not None:
        wait = fleet.take_wait()
        if wait > 0:
            time.sleep(wait)


async def ahold(observer: CallObserver | None) -> None:
    """Async `hold`: an asyncio sleep."""
    fleet = observer.fleet if observer is not None else None
    if fleet is not None:
        wait = fleet.take_wait()
        if wait > 0:
            await asyncio.sleep(wait)
