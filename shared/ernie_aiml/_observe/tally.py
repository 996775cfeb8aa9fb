"""Credits and token accounting across calls: `track_usage()` sums, and can cap, every call in a block.

The transport records each finished call (non-streamed answers, streams when they end,
failed calls as far as the server reported) into every tally active when the call
started, so one block can span LangChain, LlamaIndex, sync, async and streamed calls
alike. A tally with limits (`max_credits`, `max_usd`, `max_calls`, `max_tokens`) refuses
the next call, before anything is sent, once its budget is spent.

Tallies travel in a context variable: asyncio tasks, LangChain `batch`/`abatch` and
LlamaIndex workflow steps inherit them. A thread started while the block is open (a plain
`threading.Thread`, a new executor's workers), whose context has no tally of its own,
reports to the open blocks too; threads that already ran when the block opened (an
existing pool's workers) do only when run with `contextvars.copy_context().run`.
`scope="process"` counts (and caps) every call made in the process while the block is open,
whatever its thread. With `store="redis://…"` and `name=`, the block's budget is shared by
every process that opens that name on that store (`fleet.py`).
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from .._errors.classes import BudgetExceededError, ParameterError
from .._types import Usage

if TYPE_CHECKING:
    from .fleet import FleetBudget

_ACTIVE: contextvars.ContextVar[tuple[UsageTally, ...]] = contextvars.ContextVar(
    "ernie_aiml_usage_tallies", default=()
)
#: Tallies opened with `scope="process"`: they see every call, in any thread.
_PROCESS: tuple[UsageTally, ...] = ()
_PROCESS_LOCK = threading.Lock()
#: Context-scoped tallies whose block is open, with the threads that ran when it opened:
#: a thread started since, with no tally in its context, reports to them.
_OPEN: tuple[tuple[UsageTally, weakref.WeakSet[threading.Thread]], ...] = ()
#: Serialises "is any budget spent? then count the call as started" across tallies.
_ADMIT_LOCK = threading.Lock()
_LIMITS = ("max_calls", "max_credits", "max_usd", "max_tokens")


@dataclass
class UsageTally:
    """Running totals of tokens, reasoning tokens, credits and USD over several calls.

    `calls` counts the calls that were sent and ended, failed ones included (`failed_calls`
    of them); a stream never connected is no call. The
    `max_*` limits, when set, make the next call raise `BudgetExceededError` once reached;
    `max_calls` caps the calls *started*, so concurrent tasks cannot overshoot it.
    """

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    credits_used: float = 0
    usd_spent: float = 0
    failed_calls: int = 0
    max_credits: float | None = field(default=None, kw_only=True)
    max_usd: float | None = field(default=None, kw_only=True)
    max_calls: int | None = field(default=None, kw_only=True)
    max_tokens: int | None = field(default=None, kw_only=True)
    _started: int = field(default=0, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for name in _LIMITS:
            value = getattr(self, name)
            integral = name in ("max_calls", "max_tokens")
            kinds = (int,) if integral else (int, float)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, kinds) or not value >= 0
            ):  # `not >= 0`: NaN too, which would make every comparison with it false
                what = "an integer" if integral else "a number"
                raise ParameterError(f"{name} must be {what} >= 0 (got {value!r})")

    @property
    def limited(self) -> bool:
        """Whether any limit is set."""
        return any(getattr(self, name) is not None for name in _LIMITS)

    def add(
        self,
        usage: Usage | None,
        credits_used: float | None = None,
        usd_spent: float | None = None,
        *,
        failed: bool = False,
    ) -> None:
        """Add one finished call (`failed`: it raised; its usage is what the server reported)."""
        with self._lock:
            self.calls += 1
            if failed:
                self.failed_calls += 1
            # never lowered, never NaN: the parser refuses such values, this holds regardless
            if usage is not None:
                self.prompt_tokens += max(usage.prompt_tokens, 0)
                self.completion_tokens += max(usage.completion_tokens, 0)
                self.total_tokens += max(usage.total_tokens, 0)
                self.reasoning_tokens += max(usage.reasoning_tokens or 0, 0)
                self.cached_tokens += max(usage.cached_tokens or 0, 0)
            if credits_used is not None and credits_used > 0:
                self.credits_used += credits_used
            if usd_spent is not None and usd_spent > 0:
                self.usd_spent += usd_spent

    def mark_failed(self) -> None:
        """A call already counted (its usage arrived) raised afterwards."""
        with self._lock:
            self.failed_calls += 1

    def exceeded(self) -> tuple[str, float, float] | None:
        """`(limit, limit_value, spent)` of the first limit reached, or None."""
        spent_by_limit = (
            ("max_calls", self.max_calls, self._started),
            ("max_credits", self.max_credits, self.credits_used),
            ("max_usd", self.max_usd, self.usd_spent),
            ("max_tokens", self.max_tokens, self.total_tokens),
        )
        for name, limit, spent in spent_by_limit:
            if limit is not None and spent >= limit:
                return name, limit, spent
        return None

    def summary(self) -> str:
        """One line for humans: calls, tokens, reasoning tokens, credits (and USD if known)."""
        text = (
            f"{self.calls} call{'s' if self.calls != 1 else ''}, "
            f"{self.total_tokens} tokens ({self.prompt_tokens} in, {self.completion_tokens} out, "
            f"{self.reasoning_tokens} reasoning), {self.credits_used:g} credits"
        )
        if self.usd_spent:
            text += f", ${self.usd_spent:.6f}"
        if self.failed_calls:
            text += f", {self.failed_calls} failed"
        return text

    def __str__(self) -> str:
        return self.summary()


@overload
def track_usage(
    *,
    max_credits: float | None = None,
    max_usd: float | None = None,
    max_calls: int | None = None,
    max_tokens: int | None = None,
    scope: Literal["context", "process"] = "context",
    store: None = None,
) -> AbstractContextManager[UsageTally]: ...


@overload
def track_usage(
    *,
    max_credits: float | None = None,
    max_usd: float | None = None,
    max_calls: int | None = None,
    max_tokens: int | None = None,
    scope: Literal["context", "process"] = "context",
    store: str,
    name: str,
    per: Literal["day"] | None = None,
    hard_ceiling: bool = False,
    reserve: float | None = None,
    fail_open: bool = False,
    ttl: float = 600.0,
) -> AbstractContextManager[FleetBudget]: ...


def track_usage(
    *,
    max_credits: float | None = None,
    max_usd: float | None = None,
    max_calls: int | None = None,
    max_tokens: int | None = None,
    scope: Literal["context", "process"] = "context",
    store: str | None = None,
    **shared: Any,
) -> AbstractContextManager[UsageTally]:
    """Sum (and optionally cap) tokens and credits of every call made in this block.

    With a limit, the first call after the budget is spent raises `BudgetExceededError`
    before anything is sent; a call in flight always completes and is counted. Nested
    blocks each enforce their own limits. `scope="context"` (default) covers this context
    and the tasks it starts; `scope="process"` every thread of the process.

    With `store` (a Redis URL) and `name`, the budget is shared by every process that opens
    that name on that store (`FleetBudget`: `name`, `per`, `hard_ceiling`, `reserve`,
    `fail_open`, `ttl`); it is created on the store, or joined, when the block opens.
    """
    if scope not in ("context", "process"):
        raise ParameterError(f"scope must be 'context' or 'process' (got {scope!r})")
    if store is None:
        if shared:
            raise ParameterError(f"{next(iter(shared))} needs store= (a Redis URL)")
        tally = UsageTally(
            max_credits=max_credits, max_usd=max_usd, max_calls=max_calls, max_tokens=max_tokens
        )
        return _track(tally, scope)
    from .fleet import FleetBudget

    try:
        budget = FleetBudget(
            max_credits=max_credits,
            max_usd=max_usd,
            max_calls=max_calls,
            max_tokens=max_tokens,
            store=store,
            **shared,
        )
    except TypeError as exc:  # an unknown or missing keyword
        raise ParameterError(f"track_usage: {exc}") from None
    return _track(budget.open(), scope)


@contextmanager
def _track(tally: UsageTally, scope: str) -> Iterator[UsageTally]:
    """Make `tally` active for this block (this context, or every thread)."""
    if scope == "process":
        with _process_scope(tally):
            yield tally
        return
    token = _ACTIVE.set((*_ACTIVE.get(), tally))
    try:
        with _open_block(tally):
            yield tally
    finally:
        _ACTIVE.reset(token)


@contextmanager
def _process_scope(tally: UsageTally) -> Iterator[None]:
    """Register `tally` for every thread until the block ends."""
    global _PROCESS
    with _PROCESS_LOCK:
        _PROCESS = (*_PROCESS, tally)
    try:
        yield
    finally:
        with _PROCESS_LOCK:
            _PROCESS = tuple(t for t in _PROCESS if t is not tally)


@contextmanager
def _open_block(tally: UsageTally) -> Iterator[None]:
    """List `tally` for the threads started while its block is open."""
    global _OPEN
    entry = (tally, weakref.WeakSet(threading.enumerate()))
    with _PROCESS_LOCK:
        _OPEN = (*_OPEN, entry)
    try:
        yield
    finally:
        with _PROCESS_LOCK:
            _OPEN = tuple(e for e in _OPEN if e is not entry)


def _started_inside() -> tuple[UsageTally, ...]:
    """The open blocks this thread was started inside of (it was not running at their start)."""
    thread = threading.current_thread()
    return tuple(tally for tally, before in _OPEN if thread not in before)


def active_tallies() -> tuple[UsageTally, ...]:
    """The tallies a call starting now reports to: process-wide ones, then this context's
    (or, in a thread with none, those of the blocks open when the thread started)."""
    tallies = _ACTIVE.get()
    if not tallies and _OPEN:
        tallies = _started_inside()
    process = _PROCESS
    return (*process, *tallies) if process else tallies


def admit(tallies: tuple[UsageTally, ...]) -> None:
    """Count a call as started in `tallies`, or raise `BudgetExceededError` if one is spent."""
    with _ADMIT_LOCK:
        for tally in tallies:
            reached = tally.exceeded()
            if reached is not None:
                raise _budget_error(tally, *reached)
        for tally in tallies:
            tally._started += 1


def _budget_error(tally: UsageTally, limit: str, value: float, spent: float) -> BudgetExceededError:
    """The error naming the limit reached, what was spent of it, and the block's totals."""
    amounts = {
        "max_calls": f"{spent:g} calls started",
        "max_credits": f"{spent:g} credits spent",
        "max_usd": f"${spent:.6f} spent",
        "max_tokens": f"{spent:g} tokens used",
    }
    return BudgetExceededError(
        f"Budget exceeded: {amounts[limit]} reached {limit}={value:g}; the call was not sent "
        f"(this block so far: {tally.summary()})",
        body={"limit": limit, "limit_value": value, "spent": spent},
    )


def record_usage(
    usage: Usage | None, credits_used: float | None = None, usd_spent: float | None = None
) -> None:
    """Record a finished call into the tallies active now; cheap when none is."""
    for tally in active_tallies():
        tally.add(usage, credits_used, usd_spent)
