"""Helpers for the LlamaIndex adapter tests (their fixtures are in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ernie_aiml import RetryPolicy
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

KEY = "sk-aiml-TEST-9c1d2e3f4a5b"


SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


def seed(name: str) -> dict[str, Any]:
    """A real AIML response from tests/fixtures/seeds."""
    return json.loads((SEEDS / f"{name}.json").read_text(encoding="utf-8"))


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def seed_stream_events(body: dict[str, Any], size: int = 40) -> list[dict[str, Any]]:
    """The seed answer streamed the way AIML streams: reasoning first (its first piece next
    to the role), then content, a finish chunk, and a `choices: []` chunk with the seed's
    usage and `meta.usage`."""
    message = body["choices"][0]["message"]
    common = {"id": body["id"], "object": "chat.completion.chunk", "created": body["created"]}
    common["model"] = body["model"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**common, "choices": [choice], "usage": None}

    reasoning = _pieces(message.get("reasoning_content") or "", size)
    first: dict[str, Any] = {"role": "assistant", "content": None}
    if reasoning:
        first["reasoning_content"] = reasoning.pop(0)
    events = [chunk(first)]
    events += [chunk({"content": None, "reasoning_content": p}) for p in reasoning]
    events += [
        chunk({"content": p, "reasoning_content": None}) for p in _pieces(message["content"], size)
    ]
    events.append(chunk({}, body["choices"][0]["finish_reason"]))
    events.append({**common, "choices": [], "usage": body["usage"], "meta": body["meta"]})
    return events


def instant_retries(max_retries: int = 2) -> RetryPolicy:
    """The core's retry policy with no waiting, so retry tests are instant."""

    async def no_async_sleep(_: float) -> None:
        return None

    return RetryPolicy(max_retries=max_retries, sleep=lambda _: None, async_sleep=no_async_sleep)


class EventRecorder(BaseEventHandler):
    """Keeps every instrumentation event dispatched while it is registered."""

    events: list = []

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        """Class names of the LLM events seen, in order."""
        return [type(e).__name__ for e in self.events if "LLM" in type(e).__name__]
