"""The emulator's prompt cache: `cache_control` marks as ernie-5.0's spec describes them.

The prefix of a request up to a marked block (tools first, then the messages' parts in
order) is remembered for the mark's `ttl` (5 minutes unless "1h"). A later request to the
same model whose prefix up to one of its own marks is remembered reports that prefix's
prompt tokens as `usage.prompt_tokens_details.cached_tokens` (the longest such prefix; a hit
refreshes it). A request without marks reads and writes nothing: nothing is cached.
Prefix tokens are counted like `prompt_tokens` (`count_request_tokens` of the prefix).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .._tokens import count_request_tokens

TTL_SECONDS: dict[str, float] = {"5m": 300.0, "1h": 3600.0}


def _ttl(mark: Any) -> float:
    ttl = mark.get("ttl") if isinstance(mark, Mapping) else None
    return TTL_SECONDS.get(ttl, TTL_SECONDS["5m"]) if isinstance(ttl, str) else TTL_SECONDS["5m"]


def _list(value: Any) -> list[Any]:
    """A body field that should be a list (the body may be unvalidated)."""
    return value if isinstance(value, list) else []


def marked_prefixes(body: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], float]]:
    """Each prefix of `body` that ends at a `cache_control` mark, with the mark's TTL."""
    tools = _list(body.get("tools"))
    messages = _list(body.get("messages"))
    for i, tool in enumerate(tools):
        if isinstance(tool, Mapping) and "cache_control" in tool:
            yield {"tools": tools[: i + 1], "messages": []}, _ttl(tool["cache_control"])
    for j, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for k, part in enumerate(content):
            if isinstance(part, Mapping) and "cache_control" in part:
                cut = {**message, "content": content[: k + 1]}
                yield (
                    {"tools": tools, "messages": [*messages[:j], cut]},
                    _ttl(part["cache_control"]),
                )


def _unmarked(item: Any) -> Any:
    """A tool or part without its mark: a prefix is the same whatever its marks say."""
    if isinstance(item, Mapping) and "cache_control" in item:
        return {k: v for k, v in item.items() if k != "cache_control"}
    return item


def _key(model: Any, prefix: Mapping[str, Any]) -> str:
    """The identity of a prefix of a request to `model`."""
    messages = [
        {**m, "content": [_unmarked(p) for p in m["content"]]}
        if isinstance(m, Mapping) and isinstance(m.get("content"), list)
        else m
        for m in prefix["messages"]
    ]
    tools = [_unmarked(t) for t in prefix["tools"]]
    text = json.dumps([model, tools, messages], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class PromptCache:
    """Marked prefixes seen recently, per model; `clock` is swappable for TTL tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def read_and_store(self, body: Mapping[str, Any]) -> int | None:
        """Cached prompt tokens of this request, remembering its marked prefixes.

        None when the request carries no mark (its usage then has no cache details).
        """
        prefixes = list(marked_prefixes(body))
        if not prefixes:
            return None
        model = body.get("model")
        now = self.clock()
        cached = 0
        with self._lock:
            for prefix, ttl in prefixes:
                key = _key(model, prefix)
                if self._expiry.get(key, -1.0) > now:
                    tokens = count_request_tokens(prefix["messages"], prefix["tools"])
                    cached = max(cached, tokens)
                self._expiry[key] = now + ttl
        return cached

    def clear(self) -> None:
        """Forget every prefix."""
        with self._lock:
            self._expiry.clear()
