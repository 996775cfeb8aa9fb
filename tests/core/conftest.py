"""Fixtures of the core and CLI tests."""

from __future__ import annotations

import pytest
from ernie_aiml.emulator import Emulator


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The CLI reads the key and base URL from the environment, like a user's shell."""
    monkeypatch.setenv("AIML_API_KEY", "test-key")
    monkeypatch.setenv("AIML_API_BASE", emulator.base_url)
    monkeypatch.setenv("NO_COLOR", "1")
    return emulator
