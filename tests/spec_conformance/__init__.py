"""The suite's spec conformance check: a pytest plugin (`pytest_plugins` in tests/conftest.py).

Every chat body a test sends to an emulator, or through `ValidatingTransport` (the suite's
`mock_transport`), must validate against its model's published request schema and list no
top-level key that schema does not: AIML ignores unlisted keys, so one sent unknowingly is a
silent no-op live (the suite is strict where `Emulator(strict=False)` users need not be).
Offline green must mean live green. A test that sends such bodies on purpose says so:
`@pytest.mark.invalid_body` (bodies the spec refuses), `@pytest.mark.unlisted_keys` (keys it
does not list). The run ends with the totals.

The plugin watches the runtime's public hook, `ernie_aiml.emulator.watch_bodies`. Emulators
in child processes (notebook kernels, `ernie-aiml emulator`) report through a log file: the
plugin puts `child/` first on PYTHONPATH, whose `sitecustomize.py` appends their verdicts.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ernie_aiml.emulator import BodyCheck

LOG_ENV = "ERNIE_AIML_TEST_BODY_LOG"
CHILD = str(Path(__file__).parent / "child")
MARKERS = {
    "invalid_body": "sends chat bodies AIML's spec refuses, on purpose",
    "unlisted_keys": "sends top-level keys the model's request schema does not list, on purpose",
}


@dataclass(frozen=True)
class Sender:
    """The test a body came from, and what its marks allow."""

    test: str | None = None
    invalid_on_purpose: bool = False
    unlisted_on_purpose: bool = False


NO_TEST = Sender()


@dataclass(frozen=True)
class Verdict:
    """One checked chat body, as the suite judges it."""

    model: Any
    problem: str | None
    unlisted: tuple[str, ...]
    source: str
    sender: Sender

    @property
    def fault(self) -> str | None:
        """Why this body fails the test that sent it, or None."""
        if self.problem is not None:
            return None if self.sender.invalid_on_purpose else self.problem
        if self.unlisted and not self.sender.unlisted_on_purpose:
            keys = ", ".join(self.unlisted)
            return f"top-level key(s) the schema does not list (AIML ignores them): {keys}"
        return None


@dataclass
class Ledger:
    """The run's verdicts, and the test that is running (bodies arrive from other threads)."""

    log: str
    verdicts: list[Verdict] = field(default_factory=list)
    sender: Sender = NO_TEST
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, model: Any, problem: str | None, unlisted: Any, source: str) -> None:
        """Keep one verdict under the running test."""
        with self.lock:
            self.verdicts.append(Verdict(model, problem, tuple(unlisted), source, self.sender))

    def watch(self, check: BodyCheck) -> None:
        """The `watch_bodies` callback: a body checked in this process."""
        self.record(check.model, check.problem, check.unlisted, check.source)

    def read_children(self, offset: int) -> None:
        """Keep the verdicts child processes appended to the log from byte `offset` on."""
        with open(self.log, "rb") as log:
            log.seek(offset)
            data = log.read()
        for line in data[: data.rfind(b"\n") + 1].splitlines():
            fields = json.loads(line)
            self.record(fields["model"], fields["problem"], fields["unlisted"], fields["source"])


_LEDGER = pytest.StashKey[Ledger]()
_UNWATCH = pytest.StashKey[Any]()
_SAVED_ENV = pytest.StashKey[dict[str, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the marks, watch this process's bodies, and let child processes report."""
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning} (exempt from that check)")
    from ernie_aiml.emulator import watch_bodies

    handle, log = tempfile.mkstemp(prefix="ernie-aiml-bodies-", suffix=".jsonl")
    os.close(handle)
    ledger = Ledger(log)
    config.stash[_LEDGER] = ledger
    config.stash[_UNWATCH] = watch_bodies(ledger.watch)
    saved = {name: os.environ.get(name) for name in (LOG_ENV, "PYTHONPATH")}
    config.stash[_SAVED_ENV] = saved
    os.environ[LOG_ENV] = log
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [CHILD, saved["PYTHONPATH"]]))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop watching; restore the environment; remove the children's log."""
    unwatch = config.stash.get(_UNWATCH, None)
    if unwatch is None:
        return
    unwatch()
    for name, value in config.stash[_SAVED_ENV].items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    Path(config.stash[_LEDGER].log).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _spec_conformance(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose chat bodies the spec refuses or that carry unlisted top-level keys,
    unless it is marked as doing so on purpose."""
    ledger = request.config.stash[_LEDGER]
    node = request.node
    sender = Sender(
        node.nodeid,
        invalid_on_purpose=node.get_closest_marker("invalid_body") is not None,
        unlisted_on_purpose=node.get_closest_marker("unlisted_keys") is not None,
    )
    offset = Path(ledger.log).stat().st_size
    with ledger.lock:
        ledger.sender, start = sender, len(ledger.verdicts)
    try:
        yield
        ledger.read_children(offset)
    finally:
        with ledger.lock:
            ledger.sender = NO_TEST
    faults = [(v, v.fault) for v in ledger.verdicts[start:] if v.fault]
    if faults:
        lines = [f"  {v.model} ({v.source}): {fault}" for v, fault in faults[:5]]
        pytest.fail(
            f"{len(faults)} chat bod{'y' if len(faults) == 1 else 'ies'} this test sent "
            "would fail or be ignored by AIML (mark the test invalid_body or unlisted_keys "
            "if on purpose):\n" + "\n".join(lines),
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """How many chat bodies were checked against the spec, and what did not conform."""
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None or not ledger.verdicts:
        return
    write = terminalreporter.write_line
    for line in summary(ledger.verdicts):
        write(line)


def summary(verdicts: list[Verdict]) -> list[str]:
    """The totals line, then the unlisted keys seen (with a test that sent each)."""
    valid = sum(v.problem is None for v in verdicts)
    on_purpose = sum(v.problem is not None and v.sender.invalid_on_purpose for v in verdicts)
    stray = len(verdicts) - valid - on_purpose
    sources = {s: sum(v.source == s for v in verdicts) for s in ("emulator", "transport")}
    unlisted = [v for v in verdicts if v.unlisted]
    unlisted_stray = sum(not v.sender.unlisted_on_purpose for v in unlisted)
    lines = [
        f"AIML spec conformance: {len(verdicts)} chat bodies checked ({sources['emulator']} by "
        f"emulators, {sources['transport']} by ValidatingTransport), {valid} valid, "
        f"{on_purpose} invalid on purpose (invalid_body), {stray} invalid elsewhere; "
        f"{len(unlisted) - unlisted_stray} with unlisted top-level keys on purpose "
        f"(unlisted_keys), {unlisted_stray} elsewhere"
    ]
    seen: dict[str, list[str]] = {}
    for verdict in unlisted:
        for key in verdict.unlisted:
            seen.setdefault(f"{verdict.model}: {key}", []).append(verdict.sender.test or "?")
    if seen:
        lines.append("  top-level keys the model's schema does not list (AIML ignores them):")
        for name, tests in sorted(seen.items()):
            lines.append(f"    {name} ({len(tests)}), e.g. {tests[0]}")
    return lines
