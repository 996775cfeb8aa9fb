"""Helpers for the LangChain tests: models pointed at an emulator, seeds, stream merging."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessageChunk
from support import load_fixture

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


class ErnieSuiteConfig:
    """The langchain-tests capability switches for ernie-5.0, shared by the standard suites."""

    @property
    def chat_model_class(self) -> type[ChatErnieAIML]:
        return ChatErnieAIML

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "baidu/ernie-4.5-vl-424b-a47b"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        return {"invoke": ["reasoning_output"], "stream": ["reasoning_output"]}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> Any:
        """A prompt that makes ernie-5.0 think (thinking is on by default)."""
        model = ChatErnieAIML(**self.chat_model_params)  # type: ignore[attr-defined]
        prompt = "Explain why the sky is blue, thinking step by step."
        if not stream:
            return model.invoke(prompt)
        return merge(model.stream(prompt))
