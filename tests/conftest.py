"""Shared fixtures: seed responses, a clean environment, a running emulator; the plugin that
checks every chat body the suite sends against AIML's spec."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
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

_ENV_VARS = (
    "AIML_API_KEY",
    "AIMLAPI_API_KEY",
    "AIML_API_BASE",
    "AIMLAPI_API_BASE",
    "OPENAI_API_KEY",
)
# every chat body the suite sends is held to AIML's published schema (tests/spec_conformance)
pytest_plugins = ["spec_conformance"]


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
