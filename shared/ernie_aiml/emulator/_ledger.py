"""A process-wide record of the chat bodies emulators checked against the spec.

Off by default (no cost, nothing kept). A test suite turns it on with `watch_bodies()`,
labels each test with `label_bodies(test_id, expect_invalid=...)`, and reads `body_checks()`
to prove that every body it sent validates against its model's published schema.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BodyCheck:
    """One chat body an emulator received, with the spec's verdict on it.

    `problem` is the 400 detail (None when the body is valid); `unlisted` the top-level keys
    the model's schema does not list (valid, but ignored by AIML); `label` and
    `expect_invalid` are what `label_bodies` said when the body arrived; `body` is kept only
    when the body is invalid (None otherwise, so a long session keeps little).
    """

    model: Any
    problem: str | None
    unlisted: tuple[str, ...]
    label: str | None
    expect_invalid: bool
    body: Any

    @property
    def valid(self) -> bool:
        """True when the body validates against its model's request schema."""
        return self.problem is None


class _Ledger:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.watching = False
        self.checks: list[BodyCheck] = []
        self.label: str | None = None
        self.expect_invalid = False


_LEDGER = _Ledger()


def watch_bodies(on: bool = True) -> None:
    """Start (or stop) recording every chat body any emulator in this process checks."""
    _LEDGER.watching = on


def watching_bodies() -> bool:
    """True while `watch_bodies()` is on."""
    return _LEDGER.watching


def label_bodies(label: str | None, *, expect_invalid: bool = False) -> None:
    """Tag the bodies that arrive from now on (e.g. with a test id; `expect_invalid` for
    tests that send invalid bodies on purpose)."""
    with _LEDGER.lock:
        _LEDGER.label = label
        _LEDGER.expect_invalid = expect_invalid


def record_body(body: Any, problem: str | None, unlisted: tuple[str, ...]) -> None:
    """Keep one verdict (only while watching)."""
    if not _LEDGER.watching:
        return
    model = body.get("model") if isinstance(body, dict) else None
    with _LEDGER.lock:
        kept = body if problem is not None else None
        check = BodyCheck(model, problem, unlisted, _LEDGER.label, _LEDGER.expect_invalid, kept)
        _LEDGER.checks.append(check)


def body_checks(label: str | None = None, *, since: int = 0) -> list[BodyCheck]:
    """The recorded verdicts from the `since`-th on, oldest first; only `label`'s when given."""
    with _LEDGER.lock:
        checks = _LEDGER.checks[since:]
    return checks if label is None else [c for c in checks if c.label == label]


def body_check_count() -> int:
    """How many verdicts are recorded (a bookmark for `body_checks(since=...)`)."""
    with _LEDGER.lock:
        return len(_LEDGER.checks)


def clear_body_checks() -> None:
    """Forget every recorded verdict."""
    with _LEDGER.lock:
        _LEDGER.checks.clear()
