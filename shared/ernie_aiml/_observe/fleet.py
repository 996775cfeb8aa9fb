"""`FleetBudget`: one budget shared by name on a store (Redis) by every process that opens it.

`track_usage(max_calls=50, store="redis://host:6379/0", name="nightly")` yields one. Each
call is admitted by one atomic Lua script (`fleet_scripts.ADMIT`): the limits are checked
against the whole fleet's tally and the call is counted as started, with a lease that
expires after `ttl` seconds should its process die. When the call ends it is settled (its
usage added, its lease released) by a second script. The object is also a `UsageTally`,
so it travels through contexts, threads and `scope="process"` like any block; its own
counters are this process's share, `snapshot()` the fleet's.

Default spend rule (as in one process): a call starts while there is room, and calls in
flight complete and count. `hard_ceiling=True` reserves each call's worst case before it is
sent (`worst_case_tokens`, priced at the highest credits-per-token seen for the model on
this store, or `reserve=` credits) and settles to the actual, so the spend stays under the
limits.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .._catalog import get_model
from .._errors.classes import (
    BudgetExceededError,
    CreditsExhaustedError,
    ParameterError,
    StoreUnavailableError,
)
from .._types import Usage
from . import fleet_scripts as scripts
from .store import check_name, check_store_url, masked_url, run
from .tally import UsageTally

__all__ = ["FleetBudget", "Lease", "StoreUnavailableWarning", "worst_case_tokens"]

#: AIML's documented rate (docs FAQ): $1 = 2,000,000 credits.
USD_PER_CREDIT = 1 / 2_000_000
_RATES = "ernie_aiml:rates"
_LIMITS = ("max_calls", "max_credits", "max_usd", "max_tokens")
_TALLY_FIELDS = (
    "calls",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "credits_used",
    "usd_spent",
    "failed_calls",
)


class StoreUnavailableWarning(UserWarning):
    """A fail-open budget or rate limit could not reach its store: calls go on uncounted."""


@dataclass(frozen=True, slots=True)
class Lease:
    """One admitted call on a shared budget: its window and lease id (for settling it)."""

    window: str
    id: str
    backoff: float  # seconds left of a shared 429 window when admitted


@dataclass(eq=False, repr=False)
class FleetBudget(UsageTally):
    """A budget shared by `name` on `store` by every process and machine that opens it.

    Its limits are stored once, by the first process to open it; a process opening it with
    other limits gets `ParameterError`, one opening it with none adopts them. `per="day"`
    starts a fresh tally at 00:00 UTC (the store's clock). `fail_open=False` (default):
    a call refused with `StoreUnavailableError` while the store is down; `True`: calls go
    on uncounted, with one `StoreUnavailableWarning`.
    """

    store: str = field(default="", kw_only=True)
    name: str = field(default="", kw_only=True)
    per: Literal["day"] | None = field(default=None, kw_only=True)
    hard_ceiling: bool = field(default=False, kw_only=True)
    reserve: float | None = field(default=None, kw_only=True)
    fail_open: bool = field(default=False, kw_only=True)
    ttl: float = field(default=600.0, kw_only=True)
    #: Whether `open()` created the budget on the store (False: it joined an existing one).
    created: bool = field(default=False, init=False, repr=False, compare=False)
    _warned: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_store_url(self.store)
        check_name(self.name)
        for limit in _LIMITS:
            if getattr(self, limit) == 0:
                raise ParameterError(f"{limit} must be > 0 for a shared budget (got 0)")
        if self.per not in (None, "day"):
            raise ParameterError(f"per must be None or 'day' (got {self.per!r})")
        _positive("ttl", self.ttl)
        if self.reserve is not None:
            _positive("reserve", self.reserve)
        if self.hard_ceiling and all(getattr(self, n) is None for n in _LIMITS):
            raise ParameterError("hard_ceiling=True needs a limit (max_credits, max_usd, ...)")
        self._prefix = f"ernie_aiml:budget:{{{self.name}}}"
        from .fleet_call import SHARED_BUDGETS

        SHARED_BUDGETS.opened = True
        self._keys = (f"{self._prefix}:cfg", f"{self._prefix}:stop", f"{self._prefix}:backoff")

    def __repr__(self) -> str:
        limits = ", ".join(f"{n}={getattr(self, n)!r}" for n in _LIMITS if getattr(self, n))
        return f"FleetBudget({self.name!r} on {masked_url(self.store)!r}{', ' if limits else ''}{limits})"

    # ------------------------------------------------------------------ settings

    def _settings(self) -> list[str]:
        return [
            *(_text(getattr(self, n)) for n in _LIMITS),
            self.per or "",
            "1" if self.hard_ceiling else "0",
        ]

    def open(self) -> FleetBudget:
        """Create the budget on the store if it is new, else join it (never resetting it)."""
        try:
            answer = run(self.store, scripts.OPEN, self._keys[:1], self._settings())
        except StoreUnavailableError as exc:
            self._unavailable(exc)
            return self
        stored = answer[1:]
        self.created = answer[0] == 1
        if answer[0] == 0 and not any(getattr(self, n) is not None for n in _LIMITS):
            for limit, value in zip(_LIMITS, stored, strict=False):
                setattr(self, limit, _number(value, integral=limit in ("max_calls", "max_tokens")))
            self.per = "day" if stored[4] == "day" else None
            self.hard_ceiling = stored[5] == "1"
            return self
        mine = self._settings()
        names = (*_LIMITS, "per", "hard_ceiling")
        for label, have, want in zip(names, stored, mine, strict=True):
            if _same(have, want):
                continue
            raise ParameterError(
                f"{label}={_shown(label, want)} differs from the shared budget {self.name!r} on "
                f"the store ({label}={_shown(label, have)}): open it with the same limits, with none "
                "(to join it), or reset() it"
            )
        return self

    # ------------------------------------------------------------------ calls

    def exceeded(self) -> tuple[str, float, float] | None:
        """Never locally: a shared budget is checked on the store, when a call is admitted."""
        return None

    def admit(self, model: str | None, body: Mapping[str, Any]) -> Lease | None:
        """Admit one call on the store (one round trip), or raise `BudgetExceededError`.

        None when the store is down and the budget fails open.
        """
        need = worst_case_tokens(model, body) if self.hard_ceiling else 0
        lease_id = uuid.uuid4().hex
        args = [
            self._prefix,
            lease_id,
            int(self.ttl * 1000),
            need,
            model or "",
            _text(self.reserve),
            repr(USD_PER_CREDIT),
            *self._settings(),
        ]
        try:
            answer = run(self.store, scripts.ADMIT, [*self._keys, _RATES], args)
        except StoreUnavailableError as exc:
            self._unavailable(exc)
            return None
        if answer[0] == "ok":
            return Lease(answer[1], lease_id, int(answer[2]) / 1000)
        if answer[0] == "stopped":
            raise CreditsExhaustedError(
                f"The shared budget {self.name!r} is stopped: {answer[1]}; the call was not "
                "sent (top up, then reset() the budget)",
                body={"limit": "server_credits", "limit_value": None, "spent": None},
            )
        raise self._over(answer[1], float(answer[2]), float(answer[3]), answer[4:])

    def settle(
        self,
        lease: Lease,
        usage: Usage | None,
        credits_used: float | None,
        usd_spent: float | None,
        *,
        mode: Literal["call", "failed", "cancel"] = "call",
        model: str | None = None,
    ) -> None:
        """The admitted call ended (or, `cancel`, was never sent): add it, release its lease."""
        u = usage or Usage()
        args = [
            self._prefix,
            lease.window,
            lease.id,
            mode,
            u.prompt_tokens,
            u.completion_tokens,
            u.total_tokens,
            u.reasoning_tokens or 0,
            u.cached_tokens or 0,
            repr(float(credits_used or 0)),
            repr(float(usd_spent or 0)),
            model or "",
        ]
        self._quietly(scripts.SETTLE, [_RATES], args)

    def mark_failed_call(self, lease: Lease) -> None:
        """A call already settled with its usage raised afterwards."""
        self._quietly(scripts.MARK_FAILED, [f"{self._prefix}:t:{lease.window}"], [])

    def stop(self, reason: str) -> None:
        """Stop the budget for every process (after AIML's 403) until `reset()`."""
        self._quietly(scripts.STOP, [self._keys[1]], [reason])

    def open_backoff(self, seconds: float) -> float:
        """Open (or extend) the shared 429 window; the seconds left of it."""
        left = self._quietly(scripts.BACKOFF, [self._keys[2]], [max(int(seconds * 1000), 1)])
        return seconds if left is None else int(left) / 1000

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> UsageTally:
        """The whole fleet's tally (this window's) with the budget's limits: one round trip."""
        tally, _, _, _, _ = self._read()
        return tally

    def remaining(self) -> dict[str, float]:
        """What is left of each limit set, fleet-wide (calls started, spend and reservations)."""
        tally, started, reserved, _, _ = self._read()
        spent = {
            "max_calls": started,
            "max_credits": tally.credits_used + reserved[0],
            "max_usd": tally.usd_spent + reserved[1],
            "max_tokens": tally.total_tokens + reserved[2],
        }
        return {
            limit: max(getattr(tally, limit) - spent[limit], 0)
            for limit in _LIMITS
            if getattr(tally, limit) is not None
        }

    def summary(self) -> str:
        """The fleet's totals in one line, with the calls in flight and whether it is stopped."""
        tally, _, _, in_flight, stopped = self._read()
        text = f"{self.name}: {tally.summary()}"
        if in_flight:
            text += f", {in_flight} in flight"
        if stopped:
            text += f" (stopped: {stopped})"
        return text

    def reset(self) -> None:
        """Forget the fleet's tally, leases, 429 window and stop; store this budget's limits."""
        run(self.store, scripts.RESET, self._keys, [self._prefix, *self._settings()])

    def _read(self) -> tuple[UsageTally, int, tuple[float, float, int], int, str]:
        raw, cfg, stopped, _ = run(self.store, scripts.SNAPSHOT, self._keys, [self._prefix])
        values = dict(zip(raw[::2], raw[1::2], strict=True))
        limits = {
            n: _number(v, integral=n in ("max_calls", "max_tokens"))
            for n, v in zip(_LIMITS, cfg, strict=False)
        }
        tally = UsageTally(**limits)
        for name in _TALLY_FIELDS:
            number = float(values.get(name, 0))
            setattr(tally, name, number if name in ("credits_used", "usd_spent") else int(number))
        reserved = (
            float(values.get("r_credits", 0)),
            float(values.get("r_usd", 0)),
            int(float(values.get("r_tokens", 0))),
        )
        started = int(float(values.get("started", 0)))
        return tally, started, reserved, int(float(values.get("inflight", 0))), stopped

    # ------------------------------------------------------------------ failures

    def _over(
        self, limit: str, value: float, spent: float, extra: list[Any]
    ) -> BudgetExceededError:
        what = {
            "max_calls": f"{spent:g} calls started",
            "max_credits": f"{spent:g} credits spent",
            "max_usd": f"${spent:.6f} spent",
            "max_tokens": f"{spent:g} tokens used",
        }[limit]
        if extra == ["reserved"]:
            what += " or reserved by calls in flight, with this call's worst case,"
        elif extra == ["busy"]:
            what += (
                " (no credits-per-token rate is known yet for this model and no reserve= was "
                "given: its first call runs alone, and one is in flight)"
            )
        return BudgetExceededError(
            f"Budget exceeded: {what} reached {limit}={value:g} on the shared budget "
            f"{self.name!r}; the call was not sent",
            body={"limit": limit, "limit_value": value, "spent": spent},
        )

    def _unavailable(self, error: StoreUnavailableError) -> None:
        """Fail closed (raise) or open (warn once, go on uncounted)."""
        if not self.fail_open:
            raise error
        self._warn(error, "lets calls go on uncounted (fail_open=True)")

    def _warn(self, error: StoreUnavailableError, what: str) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"{error.message}; the shared budget {self.name!r} {what}",
                StoreUnavailableWarning,
                stacklevel=4,
            )

    def _quietly(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script after a call was sent: a store failure then warns, never raises
        (the answer is not lost for the sake of the tally)."""
        try:
            return run(self.store, script, keys, args)
        except StoreUnavailableError as exc:
            self._warn(exc, "misses what a call that was sent reported")
            return None


def worst_case_tokens(model: str | None, body: Mapping[str, Any]) -> int:
    """A call's most tokens: its input's estimate (`input_tokens_bound`) plus its most output
    (`max_completion_tokens`, else `max_tokens` + `thinking_budget`, else the model's
    context window)."""
    size = input_tokens_bound(body)
    output = body.get("max_completion_tokens")
    if not isinstance(output, int):
        most = body.get("max_tokens")
        budget = body.get("thinking_budget")
        if isinstance(most, int):
            output = most + (budget if isinstance(budget, int) else 0)
        else:
            info = get_model(model) if model else None
            if info is None or info.context_window is None:
                raise ParameterError(
                    "max_tokens is needed on every call under a hard_ceiling budget for a "
                    f"model whose context window is unknown (model {model!r})"
                )
            output = info.context_window
    return size + int(output)


def input_tokens_bound(body: Mapping[str, Any]) -> int:
    """An upper estimate of a request's input tokens: the UTF-8 bytes of every text in its
    messages and tools (a token is at least one byte), 8 per message, and `IMAGE_TOKENS`
    per image or file (whose data is no measure of its tokens)."""
    total = 0
    for message in body.get("messages") or ():
        total += 8 + _text_bytes(message)
    tools = body.get("tools")
    return total + (_text_bytes(tools) if tools else 0)


#: What one image or file part is assumed to cost in input tokens, at most.
IMAGE_TOKENS = 4096


def _text_bytes(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, Mapping):
        return sum(
            IMAGE_TOKENS if key in ("image_url", "file") else _text_bytes(item)
            for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return sum(_text_bytes(item) for item in value)
    return 0


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ParameterError(f"{name} must be a number > 0 (got {value!r})")


def _text(value: float | None) -> str:
    return "" if value is None else repr(value)


def _number(value: str | None, *, integral: bool) -> Any:
    if not value:
        return None
    number = float(value)
    return int(number) if integral else number


def _shown(label: str, setting: str | None) -> str:
    """A stored setting as the user wrote it: 5, 0.5, 'day', True or None."""
    if label == "hard_ceiling":
        return str(setting == "1")
    if not setting:
        return "None"
    return repr(setting) if label == "per" else f"{float(setting):g}"


def _same(have: str | None, want: str) -> bool:
    if (have or "") == want:
        return True
    try:
        return float(have or "nan") == float(want)
    except ValueError:
        return False
