"""A process-wide record of the chat bodies emulators checked against the spec.

Off by default (no cost, nothing kept). A test suite turns it on with `watch_bodies()`,
labels each test with `label_bodies(test_id, expect_invalid=...)`, and reads `body_checks()`
to prove that every body it sent validates against its model's published schema.

Emulators in child processes (notebook kernels, CLI runs) report too: when the environment
has `ERNIE_AIML_BODY_LOG=<file>`, importing the emulator starts watching and appends each
verdict to that file as a JSON line, labelled from `ERNIE_AIML_BODY_LABEL` and
`ERNIE_AIML_BODY_EXPECT_INVALID=1`; `read_body_log(file, offset)` reads them back.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from typing import Any

LOG_ENV = "ERNIE_AIML_BODY_LOG"
LABEL_ENV = "ERNIE_AIML_BODY_LABEL"
EXPECT_INVALID_ENV = "ERNIE_AIML_BODY_EXPECT_INVALID"


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
        self.log: str | None = None


_LEDGER = _Ledger()


def watch_bodies(on: bool = True, *, log: str | None = None) -> None:
    """Start (or stop) recording every chat body any emulator in this process checks;
    with `log`, also append each verdict to that file (one JSON line each)."""
    _LEDGER.watching = on
    _LEDGER.log = log


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
        if _LEDGER.log:
            with open(_LEDGER.log, "a", encoding="utf-8") as log:
                log.write(json.dumps(asdict(check), ensure_ascii=False, default=str) + "\n")


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


def add_body_checks(checks: list[BodyCheck]) -> None:
    """Add verdicts recorded elsewhere (e.g. read from a child process's log)."""
    with _LEDGER.lock:
        _LEDGER.checks.extend(checks)


def read_body_log(path: str, offset: int = 0) -> tuple[list[BodyCheck], int]:
    """The verdicts a log file holds from byte `offset` on, and the offset after them."""
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            data = log.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]
    checks = []
    for line in complete.splitlines():
        fields = json.loads(line)
        fields["unlisted"] = tuple(fields["unlisted"])
        checks.append(BodyCheck(**fields))
    return checks, offset + len(complete)


def _watch_from_environment() -> None:
    log = os.environ.get(LOG_ENV)
    if log:
        watch_bodies(log=log)
        expect = os.environ.get(EXPECT_INVALID_ENV) == "1"
        label_bodies(os.environ.get(LABEL_ENV), expect_invalid=expect)


_watch_from_environment()
