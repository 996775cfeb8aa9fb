"""Helpers for the LangChain tests: models pointed at an emulator, seeds, stream merging."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conftest import load_fixture
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessageChunk

from langchain_ernie_aiml import ChatErnieAIML

SEED_MODELS: dict[str, str] = load_fixture("seeds/index.json")


def seed(name: str) -> dict[str, Any]:
    """A real AIML response body from tests/fixtures/seeds."""
    return load_fixture(f"seeds/{name}.json")


def model_for(emu: Any, **kwargs: Any) -> ChatErnieAIML:
    """A `ChatErnieAIML` talking to the emulator with a test key and no retry delays."""
    kwargs.setdefault("max_retries", 0)
    return ChatErnieAIML(api_key="test-key", base_url=emu.base_url, **kwargs)


def merge(chunks: Iterable[AIMessageChunk]) -> AIMessageChunk:
    """All chunks added up, as LangChain users aggregate a stream."""
    full: AIMessageChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


class TokenRecorder(BaseCallbackHandler):
    """Records every `on_llm_new_token` call and the chat-model start options."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[Any] = []
        self.starts: list[dict[str, Any]] = []

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.starts.append(kwargs)


class AsyncTokenRecorder(AsyncCallbackHandler):
    """Async twin of `TokenRecorder`."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[Any] = []

    async def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)
