"""Fixtures of the fleet tests: a real Redis server per module, a fresh one per test that
stops it, and an emulator the worker processes call over loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_support import RedisServer, require_redis_server


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of this module's own (each test uses budget names of its own)."""
    require_redis_server()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for one test (that may stop it)."""
    require_redis_server()
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def store(redis_server: RedisServer) -> str:
    """The module's Redis URL."""
    return redis_server.url


@pytest.fixture
def name() -> str:
    """A budget name no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}"
