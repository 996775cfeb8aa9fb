"""`RateLimiter`: requests and tokens per minute shared by name on a store (Redis).

Requests follow GCRA: each call takes the next free slot, one every `60/rpm` seconds,
whichever process asks, in one atomic script (`fleet_scripts.ACQUIRE`), and sleeps until
it. So the server never sees more than the limit in any window (plus the one request a
window's edge can hold), and waiting processes are served in turn instead of retrying in
lock step. Tokens count when a call reports its usage; a call starts while the last
minute's tokens are under `tpm`. A shared 429 window (opened by any process that got a
429) holds every call too. A wait longer than `max_wait` raises `RateLimitTimeoutError`
without taking a slot.

`AIMLClient(rate_limiter=...)` and both adapters use it (LangChain through
`langchain_ernie_aiml.ErnieRateLimiter`, a langchain-core `BaseRateLimiter`).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import warnings
from typing import Any

from .._errors.classes import ParameterError, RateLimitTimeoutError, StoreUnavailableError
from . import fleet_scripts as scripts
from .store import check_name, check_store_url, masked_url, run

__all__ = ["RateLimiter"]

#: Share of a shared 429 window added at random, so processes leaving it do not retry together.
BACKOFF_JITTER = 0.25


class RateLimiter:
    """Requests (`rpm`) and tokens (`tpm`) per minute for every process using `name` on `store`.

    `max_wait` bounds how long a call waits for its turn (seconds). `fail_open=False`
    (default): a store that cannot be reached refuses the call (`StoreUnavailableError`);
    `True`: calls go on unlimited, with one warning.
    """

    def __init__(
        self,
        *,
        store: str,
        name: str,
        rpm: float | None = None,
        tpm: int | None = None,
        max_wait: float = 60.0,
        fail_open: bool = False,
    ) -> None:
        self.store = check_store_url(store)
        self.name = check_name(name)
        for label, value in (("rpm", rpm), ("tpm", tpm)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
            ):
                raise ParameterError(f"{label} must be a number > 0 (got {value!r})")
        if rpm is None and tpm is None:
            raise ParameterError("a RateLimiter needs rpm, tpm or both")
        if isinstance(max_wait, bool) or not isinstance(max_wait, (int, float)) or max_wait < 0:
            raise ParameterError(f"max_wait must be a number >= 0 (got {max_wait!r})")
        self.rpm = rpm
        self.tpm = tpm
        self.max_wait = float(max_wait)
        self.fail_open = fail_open
        self.takes_slots = True
        prefix = f"ernie_aiml:rate:{{{name}}}"
        self._keys = [f"{prefix}:req", f"{prefix}:tok", f"{prefix}:backoff"]
        self._interval_ms = math.ceil(60_000 / rpm) if rpm else 0
        self._warned = False

    def __repr__(self) -> str:
        return (
            f"RateLimiter({self.name!r} on {masked_url(self.store)!r}, rpm={self.rpm!r}, "
            f"tpm={self.tpm!r}, max_wait={self.max_wait!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (self.store, self.name, self.rpm, self.tpm, self.max_wait, self.fail_open),
        )

    def counting_tokens_only(self) -> RateLimiter:
        """A view that takes no request slot (a framework took it): it only counts tokens
        and honours the shared 429 window."""
        view = _rebuild(self.store, self.name, self.rpm, self.tpm, self.max_wait, self.fail_open)
        view.takes_slots = False
        view._interval_ms = 0
        return view

    # ------------------------------------------------------------------ taking a turn

    def turn(self, *, bound: float | None = None) -> float | None:
        """Take this call's slot (one round trip): the seconds to wait before sending.

        Raises `RateLimitTimeoutError` if that would exceed `bound` (default `max_wait`);
        `bound=0` with a wait ahead returns None without taking a slot.
        """
        limit = self.max_wait if bound is None else bound
        args = [self._interval_ms, 60_000 if self.tpm else 0, int(limit * 1000)]
        try:
            ok, wait_ms, backoff_ms = run(self.store, scripts.ACQUIRE, self._keys, args)
        except StoreUnavailableError as exc:
            self._unavailable(exc)
            return 0.0
        if not ok:
            if bound == 0:
                return None
            raise RateLimitTimeoutError(
                f"The shared rate limit {self.name!r} would hold this call {wait_ms / 1000:g} s, "
                f"longer than max_wait={limit:g} s; the call was not sent"
            )
        return _jittered(wait_ms, backoff_ms)

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take a turn and sleep until it (blocking), or take one only if it is free now."""
        wait = self.turn(bound=None if blocking else 0)
        if wait is None:
            return False
        if wait:
            time.sleep(wait)
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """Async `acquire`: the wait is an asyncio sleep."""
        wait = self.turn(bound=None if blocking else 0)
        if wait is None:
            return False
        if wait:
            await asyncio.sleep(wait)
        return True

    # ------------------------------------------------------------------ after a call

    def record_tokens(self, tokens: int) -> None:
        """Charge a finished call's tokens to the per-minute token limit."""
        if self.tpm and tokens > 0:
            self._quietly(scripts.TOKENS, self._keys[1:2], [math.ceil(tokens * 60_000 / self.tpm)])

    def open_backoff(self, seconds: float) -> float:
        """Open (or extend) the shared 429 window; the seconds left of it."""
        left = self._quietly(scripts.BACKOFF, self._keys[2:], [max(int(seconds * 1000), 1)])
        return seconds if left is None else int(left) / 1000

    # ------------------------------------------------------------------ failures

    def _unavailable(self, error: StoreUnavailableError) -> None:
        if not self.fail_open:
            raise error
        self._warn(error)

    def _warn(self, error: StoreUnavailableError) -> None:
        if not self._warned:
            self._warned = True
            from .fleet import StoreUnavailableWarning

            warnings.warn(
                f"{error.message}; the shared rate limit {self.name!r} lets calls go on "
                "unlimited (fail_open=True)",
                StoreUnavailableWarning,
                stacklevel=4,
            )

    def _quietly(self, script: str, keys: list[str], args: list[object]) -> Any:
        try:
            return run(self.store, script, keys, args)
        except StoreUnavailableError as exc:
            self._warn(exc)
            return None


def _jittered(wait_ms: int, backoff_ms: int) -> float:
    """The wait in seconds; one held by a 429 window gets up to 25% more at random."""
    wait = wait_ms / 1000
    if backoff_ms and wait_ms <= backoff_ms:
        wait += backoff_ms / 1000 * BACKOFF_JITTER * random.random()
    return wait


def _rebuild(
    store: str, name: str, rpm: float | None, tpm: int | None, max_wait: float, fail_open: bool
) -> RateLimiter:
    return RateLimiter(
        store=store, name=name, rpm=rpm, tpm=tpm, max_wait=max_wait, fail_open=fail_open
    )
