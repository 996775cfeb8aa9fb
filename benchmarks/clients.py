"""The clients the benchmark measures, each behind one small interface.

A client has a `name`, a `kind` (`floor`, `ours` or `anchor`), a `framework` (`none`,
`langchain`, `llama_index`), the import statement whose cost is measured, and
`setup(base_url)`, `call()`, `stream()`, `aopen(base_url)`, `astream()`, `aclose()`.
Framework imports happen inside `setup`/`aopen`, so a worker imports only what it measures.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import payloads

API_KEY = "sk-bench-dummy"
SYSTEM = "You are a helpful assistant."
QUESTION = "What is six times seven?"


def _n_from_url(base_url: str, default: int = 500) -> int:
    """The stream length a base URL asks the server for (`/nN/v1`), for the null models."""
    match = re.search(r"/n(\d+)/v1", base_url)
    return int(match.group(1)) if match else default


class Client:
    """The interface: one instance per worker process."""

    name: ClassVar[str]
    kind: ClassVar[str]
    framework: ClassVar[str]
    #: The statement timed in a fresh interpreter (None: not timed).
    import_stmt: ClassVar[str | None]
    #: Modules that must not be in `sys.modules` after `import_stmt` (the adapters' promise).
    forbidden: ClassVar[tuple[str, ...]] = ()
    #: Whether `call`/`stream` talk to the server (null models do not).
    uses_server: ClassVar[bool] = True

    def setup(self, base_url: str) -> None:
        """Build the sync client (imports happen here)."""
        raise NotImplementedError

    def call(self) -> str:
        """One non-streamed call; returns the answer text."""
        raise NotImplementedError

    def stream(self) -> str:
        """Consume one whole stream; returns the answer text."""
        raise NotImplementedError

    async def aopen(self, base_url: str) -> None:
        """Build the async client, inside the running loop."""
        self.setup(base_url)

    async def astream(self) -> str:
        """Consume one whole stream asynchronously; returns the answer text."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release async resources."""


# --------------------------------------------------------------------------- raw httpx


class RawHttpx(Client):
    """The transport floor: an httpx POST plus `json.loads` (per SSE line when streaming)."""

    name = "raw httpx"
    kind = "floor"
    framework = "none"
    import_stmt = "import httpx"

    def _body(self, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": payloads.MODEL,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": QUESTION},
            ],
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def setup(self, base_url: str) -> None:
        import httpx

        self.url = base_url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {API_KEY}"}
        self.client = httpx.Client(headers=self.headers)

    def call(self) -> str:
        response = self.client.post(self.url, json=self._body(False))
        response.raise_for_status()
        return json.loads(response.content)["choices"][0]["message"]["content"]

    def events(self) -> Iterator[dict[str, Any]]:
        """One streamed request: each SSE event's JSON, until `[DONE]`."""
        with self.client.stream("POST", self.url, json=self._body(True)) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    return
                yield json.loads(data)

    def stream(self) -> str:
        parts = []
        for chunk in self.events():
            for choice in chunk["choices"]:
                text = choice["delta"].get("content")
                if text:
                    parts.append(text)
        return "".join(parts)

    async def aopen(self, base_url: str) -> None:
        import httpx

        self.url = base_url.rstrip("/") + "/chat/completions"
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        self.aclient = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {API_KEY}"}, limits=limits, timeout=60.0
        )

    async def aevents(self) -> AsyncIterator[dict[str, Any]]:
        """Async `events`."""
        async with self.aclient.stream("POST", self.url, json=self._body(True)) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    return
                yield json.loads(data)

    async def astream(self) -> str:
        parts = []
        async for chunk in self.aevents():
            for choice in chunk["choices"]:
                text = choice["delta"].get("content")
                if text:
                    parts.append(text)
        return "".join(parts)

    async def aclose(self) -> None:
        await self.aclient.aclose()


class Core(Client):
    """Our core alone: `build_chat_request` + `AIMLClient` (what both adapters sit on)."""

    name = "ernie_aiml core"
    kind = "core"
    framework = "none"
    import_stmt = "from ernie_aiml import AIMLClient, build_chat_request"
    forbidden = ("openai", "langchain_core", "langchain", "llama_index")

    def setup(self, base_url: str) -> None:
        import ernie_aiml

        self.core = ernie_aiml
        self.client = ernie_aiml.AIMLClient(api_key=API_KEY, base_url=base_url)
        self.messages = [
            ernie_aiml.Message(role="system", content=SYSTEM),
            ernie_aiml.Message(role="user", content=QUESTION),
        ]

    def _body(self, stream: bool) -> dict[str, Any]:
        return self.core.build_chat_request(payloads.MODEL, self.messages, stream=stream)

    def call(self) -> str:
        return self.client.chat(self._body(False)).content

    def stream(self) -> str:
        parts = []
        with self.client.stream(self._body(True)) as deltas:
            for delta in deltas:
                if delta.content:
                    parts.append(delta.content)
        return "".join(parts)

    async def aopen(self, base_url: str) -> None:
        self.setup(base_url)

    async def astream(self) -> str:
        parts = []
        async with self.client.astream(self._body(True)) as deltas:
            async for delta in deltas:
                if delta.content:
                    parts.append(delta.content)
        return "".join(parts)

    async def aclose(self) -> None:
        await self.client.aclose()


# --------------------------------------------------------------------------- LangChain


def _lc_messages() -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage(SYSTEM), HumanMessage(QUESTION)]


def _lc_text(chunk: Any) -> str:
    content = chunk.content
    if isinstance(content, str):
        return content
    return "".join(
        block.get("text", "")
        for block in content
        if isinstance(block, dict) and block.get("type") == "text"
    )


class _JointFloor:
    """Mixin for a null model that makes the raw httpx request itself (one call path)."""

    import_stmt = None
    uses_server = True
    build_chunk = None
    null_class: Any  # (n, raw) -> the null model class

    def make(self, base_url: str) -> Any:
        self.raw = RawHttpx()
        self.raw.setup(base_url)
        return self.null_class(_n_from_url(base_url), self.raw)()

    async def aopen(self, base_url: str) -> None:
        self.setup(base_url)  # type: ignore[attr-defined]
        await self.raw.aopen(base_url)

    async def aclose(self) -> None:
        await self.raw.aclose()


class _LangChainClient(Client):
    """Shared driving code: `invoke`, `stream`, `astream` on a chat model."""

    framework = "langchain"

    def make(self, base_url: str) -> Any:
        raise NotImplementedError

    def setup(self, base_url: str) -> None:
        self.model = self.make(base_url)
        self.messages = _lc_messages()

    def call(self) -> str:
        return _lc_text(self.model.invoke(self.messages))

    def stream(self) -> str:
        return "".join(_lc_text(chunk) for chunk in self.model.stream(self.messages))

    async def astream(self) -> str:
        parts = [_lc_text(chunk) async for chunk in self.model.astream(self.messages)]
        return "".join(parts)


def _null_chat_model_class(n: int, raw: RawHttpx | None = None) -> Any:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    usage = {"input_tokens": 13, "output_tokens": 2 * n, "total_tokens": 13 + 2 * n}
    result = ChatResult(
        generations=[
            ChatGeneration(
                message=AIMessage(
                    content=payloads.expected_content(50),
                    additional_kwargs={"reasoning_content": payloads.expected_reasoning(50)},
                    usage_metadata=usage,
                    response_metadata={"finish_reason": "stop", "model_name": payloads.MODEL},
                )
            )
        ]
    )
    chunks = [
        ChatGenerationChunk(
            message=AIMessageChunk(
                content="", additional_kwargs={"reasoning_content": payloads.reasoning_token(i)}
            )
        )
        for i in range(n)
    ]
    chunks += [
        ChatGenerationChunk(message=AIMessageChunk(content=payloads.content_token(i)))
        for i in range(n)
    ]
    chunks.append(
        ChatGenerationChunk(
            message=AIMessageChunk(content="", response_metadata={"finish_reason": "stop"})
        )
    )
    chunks.append(
        ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))  # type: ignore[arg-type]
    )

    class NullChatModel(BaseChatModel):
        """A bare BaseChatModel yielding pre-built chunks: langchain-core's own cost."""

        @property
        def _llm_type(self) -> str:
            return "null"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            if raw is not None:
                raw.call()
            return result

        async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            return result

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            if raw is None:
                yield from chunks
                return
            for chunk, _event in zip(chunks, raw.events(), strict=True):
                yield chunk

        async def _astream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            if raw is None:
                for chunk in chunks:
                    yield chunk
                return
            position = 0
            async for _event in raw.aevents():
                yield chunks[position]
                position += 1

    return NullChatModel


class NullLangChain(_LangChainClient):
    """The LangChain floor: a bare BaseChatModel returning pre-built results and chunks."""

    name = "null langchain"
    kind = "floor"
    import_stmt = "from langchain_core.language_models import BaseChatModel"
    uses_server = False

    def make(self, base_url: str) -> Any:
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        self.chunk_types = (ChatGenerationChunk, AIMessageChunk)
        return _null_chat_model_class(_n_from_url(base_url))()

    def build_chunk(self) -> Any:
        """One content chunk built the way an adapter must: AIMessageChunk + generation chunk."""
        generation_chunk, message_chunk = self.chunk_types
        return generation_chunk(message=message_chunk(content=" answer"))


class NullLangChainHttpx(_JointFloor, NullLangChain):
    """The null model doing the raw httpx request itself: framework + transport in one path.

    Summing two floors measured apart misses what they cost together in one call path
    (caches, allocator); this measures that sum directly.
    """

    name = "null langchain + httpx"
    null_class = staticmethod(_null_chat_model_class)


class OursLangChain(_LangChainClient):
    """`ChatErnieAIML`."""

    name = "ChatErnieAIML"
    kind = "ours"
    import_stmt = "from langchain_ernie_aiml import ChatErnieAIML"
    forbidden = ("openai", "llama_index", "langchain_openai")

    def make(self, base_url: str) -> Any:
        from langchain_ernie_aiml import ChatErnieAIML

        return ChatErnieAIML(model=payloads.MODEL, api_key=API_KEY, base_url=base_url)


class AnchorLangChain(_LangChainClient):
    """`langchain_openai.ChatOpenAI` pointed at the same server."""

    name = "ChatOpenAI"
    kind = "anchor"
    import_stmt = "from langchain_openai import ChatOpenAI"

    def make(self, base_url: str) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=payloads.MODEL, api_key=API_KEY, base_url=base_url, stream_usage=True
        )


# --------------------------------------------------------------------------- LlamaIndex


def _li_messages() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=QUESTION)]


def _li_final_text(last: Any, deltas: list[str]) -> str:
    """The answer text: the last response's message, or the deltas when that is not it."""
    content = last.message.content if last is not None else None
    return content if content else "".join(deltas)


class _LlamaIndexClient(Client):
    """Shared driving code: `chat`, `stream_chat`, `astream_chat` on an LLM."""

    framework = "llama_index"

    def make(self, base_url: str) -> Any:
        raise NotImplementedError

    def setup(self, base_url: str) -> None:
        self.llm = self.make(base_url)
        self.messages = _li_messages()

    def call(self) -> str:
        return self.llm.chat(self.messages).message.content or ""

    def stream(self) -> str:
        last = None
        deltas = []
        for response in self.llm.stream_chat(self.messages):
            last = response
            if response.delta:
                deltas.append(response.delta)
        return _li_final_text(last, deltas)

    async def astream(self) -> str:
        last = None
        deltas = []
        async for response in await self.llm.astream_chat(self.messages):
            last = response
            if response.delta:
                deltas.append(response.delta)
        return _li_final_text(last, deltas)


def _null_llm_class(n: int, raw: RawHttpx | None = None) -> Any:
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

    answer = ChatResponse(
        message=ChatMessage(
            role=MessageRole.ASSISTANT,
            content=payloads.expected_content(50),
            additional_kwargs={"reasoning_content": payloads.expected_reasoning(50)},
        ),
        additional_kwargs={"prompt_tokens": 13, "completion_tokens": 100},
    )
    responses = []
    reasoning = ""
    for i in range(n):
        reasoning += payloads.reasoning_token(i)
        responses.append(
            ChatResponse(
                message=ChatMessage(
                    role=MessageRole.ASSISTANT,
                    content="",
                    additional_kwargs={"reasoning_content": reasoning},
                ),
                delta="",
            )
        )
    content = ""
    for i in range(n):
        token = payloads.content_token(i)
        content += token
        responses.append(
            ChatResponse(
                message=ChatMessage(role=MessageRole.ASSISTANT, content=content), delta=token
            )
        )
    final = ChatMessage(role=MessageRole.ASSISTANT, content=content)
    responses.append(ChatResponse(message=final, delta=""))
    responses.append(
        ChatResponse(message=final, delta="", additional_kwargs={"completion_tokens": 2 * n})
    )

    class NullLLM(CustomLLM):
        """A bare CustomLLM whose chat methods return pre-built responses: llama-index-core's cost."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name="null")

        @llm_chat_callback()
        def chat(self, messages, **kwargs):  # type: ignore[no-untyped-def]
            if raw is not None:
                raw.call()
            return answer

        @llm_chat_callback()
        def stream_chat(self, messages, **kwargs):  # type: ignore[no-untyped-def]
            if raw is None:
                yield from responses
                return
            for response, _event in zip(responses, raw.events(), strict=True):
                yield response

        @llm_chat_callback()
        async def achat(self, messages, **kwargs):  # type: ignore[no-untyped-def]
            return answer

        @llm_chat_callback()
        async def astream_chat(self, messages, **kwargs):  # type: ignore[no-untyped-def]
            async def gen():  # type: ignore[no-untyped-def]
                if raw is None:
                    for response in responses:
                        yield response
                    return
                position = 0
                async for _event in raw.aevents():
                    yield responses[position]
                    position += 1

            return gen()

        @llm_completion_callback()
        def complete(self, prompt, formatted=False, **kwargs):  # type: ignore[no-untyped-def]
            return CompletionResponse(text=answer.message.content or "")

        @llm_completion_callback()
        def stream_complete(self, prompt, formatted=False, **kwargs):  # type: ignore[no-untyped-def]
            yield CompletionResponse(text=answer.message.content or "")

    return NullLLM


class NullLlamaIndex(_LlamaIndexClient):
    """The LlamaIndex floor: a bare CustomLLM returning pre-built ChatResponses."""

    name = "null llama-index"
    kind = "floor"
    import_stmt = "from llama_index.core.llms import CustomLLM"
    uses_server = False

    def make(self, base_url: str) -> Any:
        from llama_index.core.base.llms.types import ChatMessage, ChatResponse

        self.response_types = (ChatResponse, ChatMessage)
        return _null_llm_class(_n_from_url(base_url))()

    def build_chunk(self) -> Any:
        """One streamed response built the way an adapter must: ChatMessage + ChatResponse."""
        chat_response, chat_message = self.response_types
        message = chat_message(role="assistant", content=" the answer")
        return chat_response(message=message, delta=" answer")


class NullLlamaIndexHttpx(_JointFloor, NullLlamaIndex):
    """The null LLM doing the raw httpx request itself: framework + transport in one path."""

    name = "null llama-index + httpx"
    null_class = staticmethod(_null_llm_class)


class OursLlamaIndex(_LlamaIndexClient):
    """`ErnieAIML`."""

    name = "ErnieAIML"
    kind = "ours"
    import_stmt = "from llama_index_ernie_aiml import ErnieAIML"
    forbidden = ("openai", "langchain_core", "langchain", "llama_index.llms.openai")

    def make(self, base_url: str) -> Any:
        from llama_index_ernie_aiml import ErnieAIML

        return ErnieAIML(model=payloads.MODEL, api_key=API_KEY, base_url=base_url)


class AnchorLlamaIndex(_LlamaIndexClient):
    """`llama_index.llms.openai_like.OpenAILike` pointed at the same server."""

    name = "OpenAILike"
    kind = "anchor"
    import_stmt = "from llama_index.llms.openai_like import OpenAILike"

    def make(self, base_url: str) -> Any:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=payloads.MODEL,
            api_key=API_KEY,
            api_base=base_url,
            is_chat_model=True,
            is_function_calling_model=True,
            context_window=128000,
        )


CLIENTS: dict[str, type[Client]] = {
    cls.name: cls
    for cls in (
        RawHttpx,
        Core,
        NullLangChain,
        NullLangChainHttpx,
        OursLangChain,
        AnchorLangChain,
        NullLlamaIndex,
        NullLlamaIndexHttpx,
        OursLlamaIndex,
        AnchorLlamaIndex,
    )
}
