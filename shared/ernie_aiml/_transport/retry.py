"""When to retry and how long to wait: the one retry policy of the package.

Retried: 408/409/429/5xx, connection errors and timeouts (`AIMLError.retryable`), at most
`max_retries` times (2 → 3 attempts in all). The wait honours `retry-after-ms` and
`Retry-After` (seconds or an HTTP date) up to `retry_after_cap`, else it is exponential
backoff with jitter. Sleep, clock and random source are injectable so tests run instantly
and assert the exact delays requested.
"""

from __future__ import annotations

import asyncio
import email.utils
import random as _random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from .._errors.classes import AIMLError, ParameterError
from .._settings import DEFAULT_MAX_RETRIES, check_max_retries


@dataclass
class RetryPolicy:
    """Retry budget and backoff: `delay(attempt, headers)` is the wait before retry `attempt`+1.

    Backoff is `min(initial_delay * 2**attempt, max_delay)` scaled by a factor drawn from
    `[1 - jitter, 1]`, so concurrent clients do not retry in lock step.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = 0.5
    max_delay: float = 8.0
    retry_after_cap: float = 60.0
    jitter: float = 0.25
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(
        default=asyncio.sleep, repr=False, compare=False
    )
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_max_retries(self.max_retries)
        for name in ("initial_delay", "max_delay", "retry_after_cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ParameterError(f"{name} must be a number >= 0 (got {value!r})")
        if not 0 <= self.jitter <= 1:
            raise ParameterError(f"jitter must be between 0 and 1 (got {self.jitter!r})")

    @property
    def max_attempts(self) -> int:
        """Attempts in all, the first one included."""
        return self.max_retries + 1

    def should_retry(self, error: AIMLError, attempt: int) -> bool:
        """True when `error` from 0-based `attempt` may be retried within the budget."""
        return error.retryable and attempt < self.max_retries

    def delay(self, attempt: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait after failed 0-based `attempt`: the server's wish, else backoff."""
        wanted = self.retry_after(headers)
        if wanted is not None:
            return wanted
        return self.backoff(attempt)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, never above `max_delay`."""
        base = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return base * (1.0 - self.jitter * self.random())

    def retry_after(self, headers: Mapping[str, str] | None) -> float | None:
        """`retry-after-ms`, else `Retry-After` (seconds or HTTP date), capped; None if absent."""
        if not headers:
            return None
        millis = _seconds(_header(headers, "retry-after-ms"))
        if millis is not None:
            return min(millis / 1000.0, self.retry_after_cap)
        value = _header(headers, "retry-after")
        if value is None:
            return None
        seconds = _seconds(value)
        if seconds is None:
            seconds = self._until(value)
        return None if seconds is None else min(seconds, self.retry_after_cap)

    def _until(self, http_date: str) -> float | None:
        try:
            when = email.utils.parsedate_to_datetime(http_date)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - self.clock())


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return None
    return seconds


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not hasattr(headers, "multi_items"):  # a plain dict: any case
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value
