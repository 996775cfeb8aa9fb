"""The transport's hooks: each chat call is admitted by the budget, counted, and traced.

`start_call` runs once per logical chat call, when it is first sent (a stream: when it
connects), before anything goes out; its `CallObserver` is shared by every attempt of the
call (retries and the forced-tool-choice fallbacks, `_transport/attempts.py`) and reports
them, the answer or the stream's end, and failures. When no `track_usage()` block is open
and OpenTelemetry is off, `start_call` returns None and every other hook is one `is None`
test: nothing else runs per call, and nothing per streamed chunk.

The hooks take the core's neutral values (a URL, a body, a `Completion`, an `AnswerSummary`),
never the transport's objects: the transport calls down into this layer, never the reverse
(the layer contract in `pyproject.toml`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._types import AnswerSummary, Completion, Delta, Usage
from . import fleet_call
from . import telemetry as _telemetry
from .tally import UsageTally, active_tallies, admit, record_usage

if TYPE_CHECKING:
    from .fleet_call import FleetCall
    from .ratelimit import RateLimiter


class CallObserver:
    """Budget accounting and telemetry of one logical chat call (all its attempts)."""

    __slots__ = (
        "credits_used",
        "ended",
        "fleet",
        "inference_id",
        "recorded",
        "request_id",
        "tallies",
        "trace",
        "usage",
        "usd_spent",
    )

    def __init__(
        self,
        tallies: tuple[UsageTally, ...],
        trace: _telemetry.CallTrace | None,
        fleet: FleetCall | None = None,
    ) -> None:
        self.tallies = tallies
        self.fleet = fleet
        self.trace = trace
        self.recorded = False
        self.ended = False
        self.usage: Usage | None = None
        self.credits_used: float | None = None
        self.usd_spent: float | None = None
        self.inference_id: str | None = None
        self.request_id: str | None = None

    def retry(self, error: BaseException | None, attempt: int, delay: float) -> float:
        """A failed attempt is retried after `delay` seconds (longer if a shared 429 window
        is open): returns the wait."""
        if self.fleet is not None:
            delay = self.fleet.retry(error, delay)
        if self.trace is not None:
            self.trace.retry(error, attempt, delay)
        return delay

    def record(
        self, usage: Usage | None, credits_used: float | None, usd_spent: float | None
    ) -> None:
        """The server reported the call's usage and cost: count it once in every tally."""
        if self.recorded:
            return
        self.recorded = True
        self.usage, self.credits_used, self.usd_spent = usage, credits_used, usd_spent
        for tally in self.tallies:
            tally.add(usage, credits_used, usd_spent)
        if self.fleet is not None:
            self.fleet.record(usage, credits_used, usd_spent)

    def see(self, delta: Delta) -> None:
        """A streamed delta went by (only called when tracing)."""
        trace = self.trace
        if trace is not None:
            trace.see(delta)

    def completed(self, completion: Completion) -> None:
        """A non-streamed answer arrived: count it and end the span."""
        self.record(completion.usage, completion.credits_used, completion.usd_spent)
        if self.trace is not None:
            self.trace.completed(completion)
        summary = completion.summary()
        self.inference_id = summary.inference_id
        self.request_id = summary.request_id
        self._end(None)

    def finished(self) -> None:
        """A stream ended or was closed: count it (with what usage arrived) and end the span."""
        if not self.ended:
            self.record(None, None, None)
            self._end(None)

    def failed(self, error: BaseException) -> None:
        """The call raised: count it as far as the server reported, and end the span."""
        if self.ended:
            return
        fleet = self.fleet
        if self.recorded:
            for tally in self.tallies:
                tally.mark_failed()
            if fleet is not None:
                fleet.mark_failed()
        else:
            self.recorded = True
            for tally in self.tallies:
                tally.add(None, failed=True)
            if fleet is not None:
                fleet.record(None, None, None, failed=True)
        if fleet is not None:
            fleet.failed(error)
        self.request_id = getattr(error, "request_id", None) or self.request_id
        self._end(error)

    def _end(self, error: BaseException | None) -> None:
        self.ended = True
        if self.trace is not None:
            self.trace.end(
                self.usage,
                self.credits_used,
                self.usd_spent,
                self.inference_id,
                self.request_id,
                error,
            )


# ---------------------------------------------------------------------- hooks


def start_call(
    url: str,
    body: Mapping[str, Any],
    *,
    limiter: RateLimiter | None = None,
    model: str | None = None,
) -> CallObserver | None:
    """Admit a chat call to `url` (raises `BudgetExceededError` if a budget is spent);
    None if nothing observes it.

    Shared budgets and a shared rate limit (`fleet_call.py`) admit it first, on their store.
    """
    tallies = active_tallies()
    instruments = _telemetry.current()
    if not tallies and instruments is None and limiter is None:
        return None
    shared = limiter is not None or (tallies and fleet_call.SHARED_BUDGETS.opened)
    fleet = fleet_call.start_fleet_call(limiter, model, body, tallies) if shared else None
    if tallies:
        try:
            admit(tallies)
        except BaseException:
            if fleet is not None:
                fleet.cancel()
            raise
    trace = _telemetry.CallTrace(instruments, url, body) if instruments is not None else None
    return CallObserver(tallies, trace, fleet)


def call_completed(observer: CallObserver | None, completion: Completion) -> None:
    """A non-streamed chat answer was parsed."""
    if observer is None:
        record_usage(completion.usage, completion.credits_used, completion.usd_spent)
    else:
        observer.completed(completion)


def stream_recorded(observer: CallObserver | None, summary: AnswerSummary) -> None:
    """A stream saw its end, usage or cost (called once, before it reports how it ended)."""
    if observer is None:
        record_usage(summary.usage, summary.credits_used, summary.usd_spent)
    else:
        observer.inference_id = summary.inference_id
        if summary.request_id is not None:
            observer.request_id = summary.request_id
        observer.record(summary.usage, summary.credits_used, summary.usd_spent)
