"""`ClientOwner`: the lifecycle both adapters share, for a pydantic model that owns a client.

One `AIMLClient` per instance, built on first use under a lock from the instance's fields
(`api_key`, `base_url`, `timeout`, `max_retries`, `retry_policy`, `default_headers`,
`http_client`, `http_async_client`). `close()`/`aclose()` (and `with`/`async with`) close
what the instance owns. A copy (`model_copy`, `copy.copy`, `copy.deepcopy`) gets a client of
its own, built from its own fields; a caller's httpx clients are shared, never copied. A
pickle holds neither the key (re-read from `AIML_API_KEY`/`AIMLAPI_API_KEY` on load) nor
any client (a caller's one is dropped with a warning and the unpickled model builds its own).
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from .._errors.classes import MissingAPIKeyError
from .._observe.ratelimit import RateLimiter
from .._settings import DEFAULT_MAX_RETRIES, KEY_ENV_VARS, find_api_key
from .client import AIMLClient

#: Building a client is rare (once per instance): one lock for all instances is enough.
_BUILD_LOCK = threading.Lock()
_CALLER_CLIENTS = ("http_client", "http_async_client")


def _core_limiter(limiter: Any) -> RateLimiter | None:
    """The shared rate limit the client applies: the core's own, or what a framework's wrapper
    (LangChain's `ErnieRateLimiter`, whose slot langchain-core takes) leaves to the client;
    None for a framework's other limiters, which the framework applies itself."""
    if isinstance(limiter, RateLimiter):
        return limiter
    transport: Any = getattr(limiter, "transport_limiter", None)
    return transport if isinstance(transport, RateLimiter) else None


class ClientOwner:
    """Mixin for a pydantic model with the client fields and a `_client` private attribute."""

    api_key: SecretStr | None
    http_client: Any
    http_async_client: Any

    if TYPE_CHECKING:  # declared by each model as `PrivateAttr(default=None)`
        _client: AIMLClient | None

    @property
    def aiml_client(self) -> AIMLClient:
        """The core client of this instance (one per instance, made on first use)."""
        client = self._client
        if client is None:
            with _BUILD_LOCK:
                client = self._client
                if client is None:
                    client = self._client = self._build_client()
        return client

    def _build_client(self) -> AIMLClient:
        key = self.api_key
        return AIMLClient(
            api_key=key.get_secret_value() if key is not None else None,
            base_url=getattr(self, "base_url", None),
            timeout=getattr(self, "timeout", None),
            max_retries=getattr(self, "max_retries", DEFAULT_MAX_RETRIES),
            retry_policy=getattr(self, "retry_policy", None),
            default_headers=getattr(self, "default_headers", None),
            deadline=getattr(self, "deadline", None),
            http_client=self.http_client,
            http_async_client=self.http_async_client,
            rate_limiter=_core_limiter(getattr(self, "rate_limiter", None)),
        )

    def _take_client(self) -> AIMLClient | None:
        """Detach this instance's client (the next call builds a fresh one)."""
        client = self._client
        self._client = None
        return client

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Close the HTTP clients this instance made (a caller's `http_client` stays open)."""
        client = self._take_client()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Async `close`: awaits the closing of this event loop's async client."""
        client = self._take_client()
        if client is not None:
            await client.aclose()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ copies

    def __copy__(self) -> Any:
        """A shallow copy with no client: it builds its own from its own fields."""
        copied = super().__copy__()  # type: ignore[misc]
        copied._take_client()
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        """A deep copy with no client; a caller's httpx clients are shared, not copied."""
        memo = {} if memo is None else memo
        for name in _CALLER_CLIENTS:
            value = getattr(self, name, None)
            if value is not None:
                memo[id(value)] = value
        client = self._client
        if client is not None:
            memo[id(client)] = None
        return super().__deepcopy__(memo)  # type: ignore[misc]

    # ------------------------------------------------------------------ pickling

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the configuration only: no key, no client (a caller's is dropped with a
        warning). Public pydantic API only: the field values (`model_fields`), rebuilt by
        `model_construct`, so neither a framework base's `__getstate__` (which may drop
        fields) nor its `__setstate__` (which may re-run `__init__`) is involved."""
        dropped = [name for name in _CALLER_CLIENTS if getattr(self, name, None) is not None]
        if dropped:
            warnings.warn(
                f"{type(self).__name__} is pickled without its {' and '.join(dropped)} "
                "(process-local resources): the unpickled model builds its own",
                RuntimeWarning,
                stacklevel=2,
            )
        cls = type(self)
        values = {name: getattr(self, name) for name in cls.model_fields}  # type: ignore[attr-defined]
        values.update({"api_key": None, **dict.fromkeys(_CALLER_CLIENTS)})
        fields_set = set(self.model_fields_set)  # type: ignore[attr-defined]
        return (_unpickle, (cls, values, fields_set))


def _unpickle(cls: Any, values: dict[str, Any], fields_set: set[str]) -> Any:
    """A pickled model, rebuilt from its values, with the key from the environment."""
    key = find_api_key(None)
    if key is None:
        raise MissingAPIKeyError(
            f"{cls.__name__} is pickled without its API key: set "
            f"{' or '.join(KEY_ENV_VARS)} where it is unpickled. OPENAI_API_KEY is never used."
        )
    return cls.model_construct(_fields_set=fields_set, **{**values, "api_key": SecretStr(key)})
