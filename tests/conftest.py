"""Shared fixtures: seed responses, a clean environment, a running emulator, and the
session-wide check that every chat body the suite sends validates against AIML's spec."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_budget import PROFILE
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# `deep` is Hypothesis' default budget (100 examples unless a test asks for more through
# `fuzz_budget.examples`), `quick` a fifth of it. Neither keeps an example database (nothing
# is left in the tree) nor has a deadline (timings on a shared 2-core machine are noise).
settings.register_profile(
    "deep", deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("quick", settings.get_profile("deep"), max_examples=20)
settings.load_profile(PROFILE)
# Hypothesis still caches what it learns of the code (.hypothesis/constants): not in the tree
set_hypothesis_home_dir(
    os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    or os.path.join(tempfile.gettempdir(), "ernie-aiml-hypothesis")
)

_BODY_LOG = pytest.StashKey[str]()
_ENV_VARS = (
    "AIML_API_KEY",
    "AIMLAPI_API_KEY",
    "AIML_API_BASE",
    "AIMLAPI_API_BASE",
    "OPENAI_API_KEY",
)


def pytest_configure(config: pytest.Config) -> None:
    """Register `invalid_body` and record every chat body the in-process emulators check."""
    config.addinivalue_line(
        "markers",
        "invalid_body: sends chat bodies AIML's spec refuses, on purpose (exempt from the "
        "spec conformance check)",
    )
    import tempfile

    from ernie_aiml.emulator import _ledger

    handle, path = tempfile.mkstemp(prefix="ernie-aiml-bodies-", suffix=".jsonl")
    os.close(handle)
    # child processes (notebook kernels, CLI runs) append their verdicts to this file
    os.environ[_ledger.LOG_ENV] = path
    _ledger.watch_bodies(log=None)
    config.stash[_BODY_LOG] = path


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the child processes' verdict file."""
    path = config.stash.get(_BODY_LOG, None)
    if path:
        os.environ.pop("ERNIE_AIML_BODY_LOG", None)
        Path(path).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _spec_conformance(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fail a test whose chat bodies do not validate against their model's published schema
    (unless it is marked `invalid_body`): offline green must mean live green. Bodies sent to
    emulators in child processes count too (they report through the log file)."""
    from ernie_aiml.emulator import _ledger

    nodeid = request.node.nodeid
    expect_invalid = request.node.get_closest_marker("invalid_body") is not None
    monkeypatch.setenv(_ledger.LABEL_ENV, nodeid)
    monkeypatch.setenv(_ledger.EXPECT_INVALID_ENV, "1" if expect_invalid else "0")
    log = request.config.stash[_BODY_LOG]
    offset = Path(log).stat().st_size
    start = _ledger.body_check_count()
    _ledger.label_bodies(nodeid, expect_invalid=expect_invalid)
    yield
    _ledger.label_bodies(None)
    _ledger.add_body_checks(_ledger.read_body_log(log, offset)[0])
    checks = _ledger.body_checks(since=start)
    bad = [c for c in checks if not c.valid and not c.expect_invalid]
    if bad:
        lines = [f"  {c.model}: {c.problem}" for c in bad[:5]]
        pytest.fail(
            f"{len(bad)} chat bod{'y' if len(bad) == 1 else 'ies'} sent to the emulator "
            "fail AIML's published schema:\n" + "\n".join(lines),
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many chat bodies were checked against the spec, and what did not conform."""
    from ernie_aiml.emulator import body_checks

    checks = body_checks()
    if not checks:
        return
    valid = sum(c.valid for c in checks)
    on_purpose = sum(not c.valid and c.expect_invalid for c in checks)
    stray = len(checks) - valid - on_purpose
    write = terminalreporter.write_line
    write(
        f"AIML spec conformance: {len(checks)} chat bodies checked, {valid} valid, "
        f"{on_purpose} invalid on purpose (invalid_body), {stray} invalid elsewhere"
    )
    unlisted: dict[str, list[str]] = {}
    for check in checks:
        for key in check.unlisted:
            unlisted.setdefault(f"{check.model}: {key}", []).append(check.label or "?")
    if unlisted:
        write("  top-level keys the model's schema does not list (AIML ignores them):")
        for name, labels in sorted(unlisted.items()):
            write(f"    {name} ({len(labels)}), e.g. {labels[0]}")


@pytest.fixture(autouse=True)
def _clean_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline tests never see the developer's real key or base URL."""
    if request.node.get_closest_marker("live"):
        return
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator() -> Iterator[Any]:
    """A fresh emulator on 127.0.0.1 for one test."""
    from ernie_aiml.emulator import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture
def benchmark() -> Callable[..., Any]:
    """Stand-in for pytest-benchmark's fixture (the plugin is off: no table, no .benchmarks/).

    Runs the function once, untimed: langchain-tests' `test_init_time` still checks that the
    model can be built; this suite asserts no timings.
    """

    def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return run


LIVE_KEY = os.environ.get("AIML_API_KEY")


@pytest.fixture
def otel() -> Iterator[Any]:
    """Fresh tracer and meter providers handed to the core (the global ones stay unset)."""
    import ernie_aiml
    from support import OTel

    telemetry = OTel()
    ernie_aiml.configure_telemetry(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    try:
        yield telemetry
    finally:
        ernie_aiml.configure_telemetry()
