"""Fixtures of the Ray tests: one real local Ray for the session (2 CPUs, no dashboard, a small
object store), an emulator in this process that the actors call over loopback, and (from
tests/fleet) a real redis-server for the shared budget.

The actors read the key from their environment, as on a cluster: Ray's `runtime_env`
sets `AIML_API_KEY` for every worker; nothing carries it in a pickle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fleet"))

from ernie_aiml.emulator import Emulator
from fleet_support import RedisServer, require_redis_server

if find_spec("ray") is None:  # nothing here can even be imported: skip the folder, or fail in CI
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError('ray is missing in CI: `make install` installs the "ray" extra')
    collect_ignore_glob = ["test_*.py"]
else:
    from ray_support import KEY, require_ray


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """One local Ray for the session (started once: seconds of CPU on 2 cores), 2 CPUs, the
    workers' key from `runtime_env`; shut down after the last test."""
    ray = require_ray()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=200 * 1024 * 1024,
        runtime_env={"env_vars": {"AIML_API_KEY": KEY}},
        log_to_driver=False,
        configure_logging=False,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(autouse=True)
def _ship_test_code(request: pytest.FixtureRequest) -> None:
    """The test modules are not importable on the workers: Ray pickles them by value."""
    if "ray_cluster" in request.fixturenames:
        import ray_support
        from ray import cloudpickle

        cloudpickle.register_pickle_by_value(ray_support)
        cloudpickle.register_pickle_by_value(request.module)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator (its request log and credit ledger start empty)."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module's own; its URL."""
    require_redis_server()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()
