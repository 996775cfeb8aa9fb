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

from pydantic import BaseModel, SecretStr

from .._errors.classes import MissingAPIKeyError
from .._settings import KEY_ENV_VARS, find_api_key
from .client import AIMLClient

#: Building a client is rare (once per instance): one lock for all instances is enough.
_BUILD_LOCK = threading.Lock()
_CALLER_CLIENTS = ("http_client", "http_async_client")


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
            max_retries=getattr(self, "max_retries", 2),
            retry_policy=getattr(self, "retry_policy", None),
            default_headers=getattr(self, "default_headers", None),
            deadline=getattr(self, "deadline", None),
            http_client=self.http_client,
            http_async_client=self.http_async_client,
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

    def __getstate__(self) -> dict[Any, Any]:
        """The configuration only: no key, no client (a caller's is dropped with a warning)."""
        dropped = [name for name in _CALLER_CLIENTS if getattr(self, name, None) is not None]
        if dropped:
            warnings.warn(
                f"{type(self).__name__} is pickled without its {' and '.join(dropped)} "
                "(process-local resources): the unpickled model builds its own",
                RuntimeWarning,
                stacklevel=2,
            )
        # A copy without the key and the clients (public API), pickled as pydantic pickles
        # it: a framework base's own __getstate__ may drop fields from the live instance.
        clean = self.model_copy(  # type: ignore[attr-defined]
            update={"api_key": None, **dict.fromkeys(_CALLER_CLIENTS)}
        )
        state: dict[Any, Any] = BaseModel.__getstate__(clean)
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """The saved configuration, with the key from the environment."""
        # pydantic's own: a framework base may re-run __init__ and swallow a missing key.
        BaseModel.__setstate__(self, state)  # type: ignore[arg-type]
        key = find_api_key(None)
        if key is None:
            raise MissingAPIKeyError(
                f"{type(self).__name__} is pickled without its API key: set "
                f"{' or '.join(KEY_ENV_VARS)} where it is unpickled. OPENAI_API_KEY is never used."
            )
        self.api_key = SecretStr(key)
