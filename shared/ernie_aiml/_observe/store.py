"""The store a fleet shares its budgets and rate limits on: a Redis URL, checked, and one
client per URL and process.

Nothing of `redis` is imported until a store is used (`pip install "ernie-aiml[redis]"`).
Every command runs as a Lua script (`fleet_scripts.py`), so one call costs one round trip
and each decision is atomic across processes. A store that cannot be reached becomes
`StoreUnavailableError`; the caller decides whether that fails closed or open.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from .._errors.classes import ParameterError, StoreUnavailableError
from .._extras import require_extra

_SCHEMES = ("redis", "rediss", "unix")
_NAME = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Connect and answer timeouts (seconds): a store down must fail a call fast, not hang it.
CONNECT_TIMEOUT = 1.0
ANSWER_TIMEOUT = 2.0

_CLIENTS: dict[str, Any] = {}
_SCRIPTS: dict[tuple[int, str], Any] = {}
_LOCK = threading.Lock()


def masked_url(url: str) -> str:
    """`url` with any password replaced by `***`, for messages and reprs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def check_store_url(url: Any) -> str:
    """`url` if it is a usable Redis URL (`redis://`, `rediss://`, `unix://`), else ParameterError."""
    if not isinstance(url, str) or not url:
        raise ParameterError(
            f"store must be a Redis URL such as 'redis://host:6379/0' (got {url!r})"
        )
    shown = masked_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ParameterError(f"store is not a valid URL ({shown!r}): {exc}") from None
    if parts.scheme not in _SCHEMES:
        raise ParameterError(
            f"store must start with redis://, rediss:// or unix:// (got {shown!r})"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ParameterError(f"store names no socket path (got {shown!r})")
        return url
    if not parts.hostname:
        raise ParameterError(f"store names no host (got {shown!r})")
    if port == 0:
        raise ParameterError(f"store port must be 1 to 65535 (got {shown!r})")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ParameterError(f"store database must be a number such as /0 (got {shown!r})")
    return url


def check_name(name: Any) -> str:
    """A budget or rate limit name: 1 to 128 characters from A-Z a-z 0-9 . _ : -."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    raise ParameterError(
        f"name must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got {name!r})"
    )


def client(url: str) -> Any:
    """The Redis client of `url` in this process (made once; redis-py reconnects after fork)."""
    found = _CLIENTS.get(url)
    if found is not None:
        return found
    require_extra("a shared budget or rate limit (store=)", "redis", "redis")
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with _LOCK:
        found = _CLIENTS.get(url)
        if found is None:
            found = _CLIENTS[url] = redis.Redis.from_url(
                url,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=ANSWER_TIMEOUT,
                # one quick retry for a pooled connection the server dropped, no backoff
                retry=Retry(NoBackoff(), 1),
                decode_responses=True,
            )
    return found


def run(url: str, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
    """Run one Lua script on the store (EVALSHA, loading it on first use): one round trip.

    Raises `StoreUnavailableError` when the store cannot be reached or answers an error.
    """
    redis_client = client(url)
    key = (id(redis_client), script)
    runner = _SCRIPTS.get(key)
    if runner is None:
        runner = _SCRIPTS[key] = redis_client.register_script(script)
    import redis

    try:
        return runner(keys=keys, args=args)
    except redis.RedisError as exc:
        raise StoreUnavailableError(
            f"the store {masked_url(url)} is unavailable: {type(exc).__name__}: {exc}"
        ) from None
