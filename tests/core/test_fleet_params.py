"""Shared budgets and rate limits without a Redis server: bad input is refused before
anything is sent or written, secrets stay masked, and a store that cannot be reached
fails closed (a typed error) or open (calls go on, one warning)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from ernie_aiml import (
    AIMLClient,
    FleetBudget,
    Message,
    ParameterError,
    RateLimiter,
    StoreUnavailableError,
    build_chat_request,
    track_usage,
)
from ernie_aiml._observe import store as store_module
from ernie_aiml._observe.fleet import StoreUnavailableWarning

BODY = build_chat_request("baidu/ernie-4.5-vl-424b-a47b", [Message(role="user", content="Hi")])


@pytest.fixture
def nothing_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any store round trip fails the test."""

    def refuse(*args: Any) -> Any:
        raise AssertionError("the store was used")

    monkeypatch.setattr(store_module, "run", refuse)
    monkeypatch.setattr("ernie_aiml._observe.fleet.run", refuse)


@pytest.fixture
def closed_store() -> str:
    """A Redis URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"store": "http://h:6379"}, r"store must start with redis://, rediss:// or unix://"),
        ({"store": "redis://"}, r"store names no host \(got 'redis://'\)"),
        ({"store": "redis://h:99999/0"}, r"store is not a valid URL"),
        ({"store": "redis://h:6379/zero"}, r"store database must be a number"),
        ({"store": 6379}, r"store must be a Redis URL"),
        ({"name": ""}, r"name must be 1 to 128 characters"),
        ({"name": "x" * 129}, r"name must be 1 to 128 characters"),
        ({"name": "a b"}, r"name must be 1 to 128 characters"),
        ({"max_calls": 0}, r"max_calls must be > 0 for a shared budget \(got 0\)"),
        ({"max_credits": -1}, r"max_credits must be a number >= 0 \(got -1\)"),
        ({"max_tokens": 2.5}, r"max_tokens must be an integer >= 0"),
        ({"per": "week"}, r"per must be None or 'day' \(got 'week'\)"),
        ({"ttl": 0}, r"ttl must be a number > 0 \(got 0\)"),
        ({"reserve": -5}, r"reserve must be a number > 0 \(got -5\)"),
        ({"colour": "red"}, r"unexpected keyword argument 'colour'"),
    ],
)
def test_bad_input_is_refused_before_the_store_is_touched(
    nothing_written: None, kwargs: dict[str, Any], message: str
) -> None:
    settings = {"store": "redis://127.0.0.1:6379/0", "name": "nightly", "max_calls": 5} | kwargs
    with pytest.raises(ParameterError, match=message):
        track_usage(**settings)


def test_shared_settings_without_a_store_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"name needs store= \(a Redis URL\)"):
        track_usage(max_calls=1, name="nightly")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rpm": 0}, r"rpm must be a number > 0 \(got 0\)"),
        ({"tpm": -1}, r"tpm must be a number > 0"),
        ({"rpm": None}, r"a RateLimiter needs rpm, tpm or both"),
        ({"max_wait": -1}, r"max_wait must be a number >= 0"),
        ({"store": "redis//h"}, r"store must start with"),
        ({"name": "{x}"}, r"name must be 1 to 128 characters"),
    ],
)
def test_a_rate_limiter_refuses_bad_input(kwargs: dict[str, Any], message: str) -> None:
    settings = {"store": "redis://127.0.0.1:6379/0", "name": "aiml", "rpm": 60} | kwargs
    with pytest.raises(ParameterError, match=message):
        RateLimiter(**settings)


def test_a_client_takes_only_a_core_rate_limiter() -> None:
    with pytest.raises(ParameterError, match=r"rate_limiter must be an ernie_aiml\.RateLimiter"):
        AIMLClient(api_key="k", rate_limiter="60/min")  # type: ignore[arg-type]


def test_the_store_password_never_shows() -> None:
    url = "redis://:hunter2-secret@127.0.0.1:1/0"
    budget = FleetBudget(store=url, name="nightly", max_calls=3)
    limiter = RateLimiter(store=url, name="aiml", rpm=1)
    assert "hunter2" not in repr(budget) and "hunter2" not in repr(limiter)
    assert "redis://:***@127.0.0.1:1/0" in repr(budget)
    with pytest.raises(StoreUnavailableError) as info:
        budget.open()
    assert "hunter2" not in str(info.value)
    assert "the store redis://:***@127.0.0.1:1/0 is unavailable" in str(info.value)


def test_fail_closed_refuses_when_the_store_is_down(closed_store: str, emulator: Any) -> None:
    with pytest.raises(StoreUnavailableError, match=r"the store redis://127\.0\.0\.1:\d+/0"):
        track_usage(max_calls=3, store=closed_store, name="nightly")
    limiter = RateLimiter(store=closed_store, name="aiml", rpm=60)
    with (
        AIMLClient(api_key="k", base_url=emulator.base_url, rate_limiter=limiter) as client,
        pytest.raises(StoreUnavailableError),
    ):
        client.chat(BODY)
    assert emulator.chat_requests == []


def test_fail_open_goes_on_and_warns_once(closed_store: str, emulator: Any) -> None:
    with (
        AIMLClient(api_key="k", base_url=emulator.base_url) as client,
        pytest.warns(StoreUnavailableWarning) as caught,
        track_usage(max_calls=1, store=closed_store, name="n", fail_open=True) as budget,
    ):
        for _ in range(3):
            client.chat(BODY)
    assert len(caught) == 1
    assert "lets calls go on uncounted (fail_open=True)" in str(caught[0].message)
    assert len(emulator.chat_requests) == 3
    assert budget.calls == 3  # this process's own count still runs
