"""Shared fixtures: seed responses, a clean environment, and a running emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

_ENV_VARS = (
    "AIML_API_KEY",
    "AIMLAPI_API_KEY",
    "AIML_API_BASE",
    "AIMLAPI_API_BASE",
    "OPENAI_API_KEY",
)


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
