"""Credits and token accounting across calls: `track_usage()` sums every call in a block.

The transport records each finished call (non-streamed answers, and streams on their
usage event) into every tally active in the current context, so one block can span
LangChain, LlamaIndex, sync, async and streamed calls alike.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ._types import Usage

_ACTIVE: contextvars.ContextVar[tuple[UsageTally, ...]] = contextvars.ContextVar(
    "ernie_aiml_usage_tallies", default=()
)


@dataclass
class UsageTally:
    """Running totals of tokens, reasoning tokens, credits and USD over several calls."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    credits_used: float = 0
    usd_spent: float = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(
        self,
        usage: Usage | None,
        credits_used: float | None = None,
        usd_spent: float | None = None,
    ) -> None:
        """Add one finished call."""
        with self._lock:
            self.calls += 1
            if usage is not None:
                self.prompt_tokens += usage.prompt_tokens
                self.completion_tokens += usage.completion_tokens
                self.total_tokens += usage.total_tokens
                self.reasoning_tokens += usage.reasoning_tokens or 0
                self.cached_tokens += usage.cached_tokens or 0
            if credits_used:
                self.credits_used += credits_used
            if usd_spent:
                self.usd_spent += usd_spent

    def summary(self) -> str:
        """One line for humans: calls, tokens, reasoning tokens, credits (and USD if known)."""
        text = (
            f"{self.calls} call{'s' if self.calls != 1 else ''}, "
            f"{self.total_tokens} tokens ({self.prompt_tokens} in, {self.completion_tokens} out, "
            f"{self.reasoning_tokens} reasoning), {self.credits_used:g} credits"
        )
        if self.usd_spent:
            text += f", ${self.usd_spent:.6f}"
        return text

    def __str__(self) -> str:
        return self.summary()


@contextmanager
def track_usage() -> Iterator[UsageTally]:
    """Sum tokens and credits of every call made in this block (this context and its tasks)."""
    tally = UsageTally()
    token = _ACTIVE.set((*_ACTIVE.get(), tally))
    try:
        yield tally
    finally:
        _ACTIVE.reset(token)


def record_usage(
    usage: Usage | None, credits_used: float | None = None, usd_spent: float | None = None
) -> None:
    """Called by the transport once per finished call; cheap when no tally is active."""
    for tally in _ACTIVE.get():
        tally.add(usage, credits_used, usd_spent)
