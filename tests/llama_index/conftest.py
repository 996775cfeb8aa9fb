"""Fixtures of the LlamaIndex adapter tests: models on the test's emulator, an event recorder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from li_support import KEY, EventRecorder
from llama_index.core.instrumentation import get_dispatcher

from llama_index_ernie_aiml import ErnieAIML


@pytest.fixture
def make_llm(emulator: Any) -> Callable[..., ErnieAIML]:
    """Build an `ErnieAIML` pointed at the test's emulator."""

    def make(**kwargs: Any) -> ErnieAIML:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", emulator.base_url)
        return ErnieAIML(**kwargs)

    return make


@pytest.fixture
def llm(make_llm: Callable[..., ErnieAIML]) -> ErnieAIML:
    """An `ErnieAIML` (ernie-5.0) on the emulator."""
    return make_llm()


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    """An `EventRecorder` on the root dispatcher for the duration of one test."""
    dispatcher = get_dispatcher()
    handler = EventRecorder(events=[])
    dispatcher.add_event_handler(handler)
    try:
        yield handler
    finally:
        dispatcher.event_handlers.remove(handler)
