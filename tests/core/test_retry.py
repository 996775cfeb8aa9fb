"""RetryPolicy: budget, which errors retry, Retry-After handling, backoff with jitter."""

from __future__ import annotations

import httpx
import pytest
from ernie_aiml._errors.classes import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ParameterError,
    RateLimitError,
    ServerError,
)
from ernie_aiml._transport.retry import RetryPolicy

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def policy(**kwargs: object) -> RetryPolicy:
    kwargs.setdefault("random", lambda: 0.0)
    kwargs.setdefault("clock", lambda: NOW)
    return RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_defaults() -> None:
    p = RetryPolicy()
    assert (p.max_retries, p.initial_delay, p.max_delay, p.retry_after_cap) == (2, 0.5, 8.0, 60.0)
    assert p.max_attempts == 3


def test_should_retry_budget_and_kinds() -> None:
    p = policy()
    assert p.should_retry(ServerError("x", status_code=503), 0)
    assert p.should_retry(RateLimitError("x", status_code=429), 1)
    assert not p.should_retry(RateLimitError("x", status_code=429), 2)
    assert p.should_retry(APIConnectionError("x"), 0)
    assert p.should_retry(APITimeoutError("x"), 0)
    assert not p.should_retry(BadRequestError("x", status_code=400), 0)
    assert not p.should_retry(AuthenticationError("x", status_code=401), 0)
    assert not policy(max_retries=0).should_retry(ServerError("x"), 0)


def test_backoff_without_jitter_doubles_and_caps() -> None:
    p = policy()
    assert [p.delay(n, None) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_with_maximal_jitter() -> None:
    p = policy(random=lambda: 1.0)
    assert [p.delay(n, {}) for n in range(5)] == [0.375, 0.75, 1.5, 3.0, 6.0]


def test_backoff_jitter_range_with_the_real_random_source() -> None:
    p = RetryPolicy()
    for attempt in range(6):
        base = min(0.5 * 2**attempt, 8.0)
        for _ in range(50):
            assert base * 0.75 <= p.delay(attempt, None) <= base


def test_retry_after_seconds() -> None:
    p = policy()
    assert p.delay(0, httpx.Headers({"Retry-After": "3"})) == 3.0
    assert p.delay(2, {"retry-after": "1.5"}) == 1.5
    assert p.delay(0, {"Retry-After": "0"}) == 0.0


def test_retry_after_ms_wins_over_retry_after() -> None:
    p = policy()
    assert p.delay(0, {"retry-after-ms": "250", "retry-after": "9"}) == 0.25


def test_retry_after_is_capped() -> None:
    p = policy()
    assert p.delay(0, {"Retry-After": "3600"}) == 60.0
    assert p.delay(0, {"retry-after-ms": "120000"}) == 60.0
    assert policy(retry_after_cap=5.0).delay(0, {"Retry-After": "30"}) == 5.0


def test_retry_after_http_date() -> None:
    p = policy()
    assert p.delay(0, {"Retry-After": "Tue, 14 Nov 2023 22:13:27 GMT"}) == 7.0
    assert p.delay(0, {"Retry-After": "Tue, 14 Nov 2023 22:13:00 GMT"}) == 0.0  # in the past
    assert p.delay(0, {"Retry-After": "Tue, 14 Nov 2023 23:13:20 GMT"}) == 60.0  # capped


def test_unparsable_retry_after_falls_back_to_backoff() -> None:
    p = policy()
    assert p.delay(1, {"Retry-After": "soon"}) == 1.0
    assert p.delay(1, {"retry-after-ms": "-5"}) == 1.0
    assert p.delay(1, {"Retry-After": "nan"}) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retries": -1}, "max_retries must be an integer >= 0 (got -1)"),
        ({"max_retries": True}, "max_retries must be an integer >= 0 (got True)"),
        ({"max_retries": 1.5}, "max_retries must be an integer >= 0 (got 1.5)"),
        ({"initial_delay": -1}, "initial_delay must be a number >= 0 (got -1)"),
        ({"jitter": 2}, "jitter must be between 0 and 1 (got 2)"),
    ],
)
def test_invalid_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError) as info:
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message
