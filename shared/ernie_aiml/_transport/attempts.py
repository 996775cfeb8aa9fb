"""One logical chat call across its forced-tool-choice fallbacks.

The call is admitted by the budget and gets its span once, when it is first sent; each
fallback body is prepared as a `Call` sharing that observer, and the refusal before it is
reported as a resend (a span event), not as a call of its own. The call fails only when the
whole chain fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors.classes import BadRequestError
from .._observe.hooks import CallObserver, start_call
from .http import Call

#: Not started yet (None is "started, unobserved").
_UNSTARTED: Any = object()


class Attempts:
    """The prepared `Call`s of one logical call and the observer they share."""

    __slots__ = ("body", "first", "observer", "prepare", "refused", "sent")

    def __init__(
        self, first: Call, body: dict[str, Any], prepare: Callable[[dict[str, Any]], Call]
    ) -> None:
        self.first = first
        self.body = body
        self.prepare = prepare
        self.observer: CallObserver | None = _UNSTARTED
        self.refused: BadRequestError | None = None
        self.sent = 0

    @property
    def started(self) -> bool:
        """Whether the call was admitted (and, if observed, its span started)."""
        return self.observer is not _UNSTARTED

    def start(self) -> CallObserver | None:
        """Admit the call once (`BudgetExceededError` if a budget is spent) before sending."""
        if self.observer is _UNSTARTED:
            first = self.first
            self.observer = start_call(
                first.url, self.body, limiter=first.limiter, model=first.model
            )
        return self.observer

    @property
    def wants_usage(self) -> bool:
        """Whether a stream of this call waits for the usage chunk after the finish reason:
        the body asks for it (`stream_options.include_usage`), or a `track_usage()` block or
        a span observes the call (AIML sends the chunk unasked; the budget needs its cost)."""
        if self.observer is not None and self.observer is not _UNSTARTED:
            return True
        options = self.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    def call_for(self, wire: dict[str, Any]) -> Call:
        """The `Call` that sends `wire`: the first one, or a fallback sharing its observer."""
        observer = self.start()
        call = self.first if wire is self.body else self.prepare(wire)
        call.observer = observer
        if self.sent and observer is not None:
            observer.retry(self.refused, self.sent - 1, 0.0)
        self.sent += 1
        return call

    def note(self, error: BaseException) -> None:
        """Keep a refusal so that the next attempt reports it."""
        if isinstance(error, BadRequestError):
            self.refused = error

    def failed(self, error: BaseException) -> None:
        """The whole chain failed: count it as far as the server reported, end the span."""
        observer = self.observer
        if observer is not _UNSTARTED and observer is not None:
            observer.failed(error)
