"""Shared helpers for the hardening suite: clients with recorded retry sleeps, adapters on
the emulator, a real ~10-event stream, and a poll for conditions the server reaches later.

Not a conftest.py: a second module named `conftest` would shadow `tests/conftest.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from ernie_aiml import AIMLClient, RetryPolicy
from ernie_aiml.emulator import Emulator, stream_events

KEY = "sk-aiml-HARDEN-q7Zx4Lm9Pw2Vt8Rk"
MODEL = "baidu/ernie-5.0"
BODY: dict[str, Any] = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "hi"}],
    "stream_options": {"include_usage": True},  # as both adapters ask: over after the usage
}
CONTENT = "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun."
REASONING = "The user wants a sentence about a fox."
#: A real AIML-shaped stream: role+reasoning, reasoning, 7 content pieces, finish, usage.
EVENTS: list[dict[str, Any]] = stream_events(CONTENT, reasoning=REASONING, chunk_size=12)


class Sleeps(list):
    """A recording `sleep`/`async_sleep` pair for `RetryPolicy`: retries take no time."""

    def sleep(self, seconds: float) -> None:
        self.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.append(seconds)

    def policy(self, max_retries: int = 2) -> RetryPolicy:
        return RetryPolicy(max_retries=max_retries, sleep=self.sleep, async_sleep=self.async_sleep)


def core_client(emu: Emulator, sleeps: Sleeps, max_retries: int = 2, **kwargs: Any) -> AIMLClient:
    """An `AIMLClient` on the emulator whose retry waits are recorded, not slept."""
    return AIMLClient(
        api_key=KEY, base_url=emu.base_url, retry_policy=sleeps.policy(max_retries), **kwargs
    )


def lc_model(emu: Emulator, sleeps: Sleeps, max_retries: int = 2, **kwargs: Any) -> Any:
    """A `ChatErnieAIML` on the emulator with a recording `retry_policy` (its public field)."""
    from langchain_ernie_aiml import ChatErnieAIML

    kwargs.setdefault("base_url", emu.base_url)
    return ChatErnieAIML(
        api_key=KEY, max_retries=max_retries, retry_policy=sleeps.policy(max_retries), **kwargs
    )


def li_model(emu: Emulator, sleeps: Sleeps, max_retries: int = 2, **kwargs: Any) -> Any:
    """An `ErnieAIML` on the emulator with a recording `retry_policy` (its public field)."""
    from llama_index_ernie_aiml import ErnieAIML

    kwargs.setdefault("base_url", emu.base_url)
    return ErnieAIML(api_key=KEY, retry_policy=sleeps.policy(max_retries), **kwargs)


def li_messages(text: str = "hi") -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content=text)]


def eventually(condition: Callable[[], bool], limit: float = 10.0) -> bool:
    """Poll `condition` until true or `limit` seconds passed (a liveness bound, not a timing)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def pool_connections(client: httpx.Client | httpx.AsyncClient) -> list[Any]:
    """The httpcore pool's connections of an httpx client (default transport)."""
    return list(client._transport._pool.connections)  # type: ignore[attr-defined]


def all_text(exc: BaseException) -> str:
    """str, repr, args, the traceback, and the same for every chained cause/context."""
    import traceback

    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        parts += [repr(getattr(current, name, None)) for name in ("message", "body", "hint")]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)
