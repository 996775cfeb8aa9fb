"""Shared fixtures: seed responses, a clean environment, a running emulator, and the
session-wide check that every chat body the suite sends validates against AIML's spec."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
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
    from ernie_aiml.emulator import watch_bodies

    watch_bodies()


@pytest.fixture(autouse=True)
def _spec_conformance(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose chat bodies do not validate against their model's published schema
    (unless it is marked `invalid_body`): offline green must mean live green."""
    from ernie_aiml.emulator import body_check_count, body_checks, label_bodies

    expect_invalid = request.node.get_closest_marker("invalid_body") is not None
    start = body_check_count()
    label_bodies(request.node.nodeid, expect_invalid=expect_invalid)
    yield
    label_bodies(None)
    bad = [c for c in body_checks(since=start) if not c.valid and not c.expect_invalid]
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
    unlisted: dict[str, int] = {}
    for check in checks:
        for key in check.unlisted:
            name = f"{check.model}: {key}"
            unlisted[name] = unlisted.get(name, 0) + 1
    if unlisted:
        listing = ", ".join(f"{name} ({n})" for name, n in sorted(unlisted.items()))
        write(f"  top-level keys the model's schema does not list (AIML ignores them): {listing}")


def load_fixture(name: str) -> Any:
    """A JSON file from tests/fixtures (seed responses are under seeds/)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


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


LIVE_KEY = os.environ.get("AIML_API_KEY")
