"""`ErnieAIML`: ERNIE on the AI/ML API as a LlamaIndex `FunctionCallingLLM`.

All HTTP, SSE, retries and wire mapping happen in `ernie_aiml`; this class translates
LlamaIndex messages, tools and responses to and from the core's neutral types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import httpx
from ernie_aiml import (
    KNOWN_PARAMS,
    AIMLClient,
    AsyncChatStream,
    ChatStream,
    MissingAPIKeyError,
    RetryPolicy,
    asend_with_tool_fallback,
    build_chat_request,
    get_model,
    resolve_api_key,
    resolve_base_url,
    send_with_tool_fallback,
    validate_params,
    warn_if_deprecated,
)
from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr, SecretStr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from ._messages import to_core_messages
from ._responses import completion_to_chat_response
from ._stream import StreamFolder
from ._tools import tool_selections

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

DEFAULT_MODEL = "baidu/ernie-5.0"
#: Context window assumed for a model the catalog does not know (the smallest current ERNIE
#: class): prompts are packed for it, so an unknown model is never over-filled.
DEFAULT_CONTEXT_WINDOW = 32_000
#: Tokens reserved for the answer when `max_tokens` is unset (AIML documents no output cap).
DEFAULT_NUM_OUTPUT = 4_096

# The core's generation parameters, each a field of the same name here (sorted: a stable
# order on the wire).
_GENERATION_FIELDS = tuple(sorted(KNOWN_PARAMS))
# Keyword arguments LlamaIndex passes around that must never reach the request body.
_FRAMEWORK_KWARGS = frozenset(
    {"tool_required", "verbose", "allow_parallel_tool_calls", "error_on_no_tool_call", "formatted"}
)
# Fields handed to the core's client as they are (same names there).
_CLIENT_FIELDS = (
    "base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "http_client",
    "http_async_client",
    "retry_policy",
)
_REQUEST_OPTIONS = ("tools", "tool_choice", "parallel_tool_calls", "response_format")
# Fields a pickle never holds: the key (re-read from the environment on load) and the
# caller's HTTP clients (process-local resources).
_NOT_PICKLED = ("api_key", "http_client", "http_async_client")


def _client_of(llm: ErnieAIML) -> AIMLClient:
    """`llm._client`, read from pydantic's private dict (its `__getattr__` costs ~1 µs/call)."""
    return llm.__pydantic_private__["_client"]  # type: ignore[index]


class ErnieAIML(FunctionCallingLLM):
    """Baidu ERNIE on the AI/ML API: chat, streaming, tools, reasoning, images and PDFs.

    The key comes from `api_key`, else `AIML_API_KEY`, else `AIMLAPI_API_KEY` (never
    `OPENAI_API_KEY`); it is kept out of `to_dict()`, `to_json()`, repr and event payloads.

    Example:
        ```python
        from llama_index.llms.ernie_aiml import ErnieAIML

        llm = ErnieAIML(model="baidu/ernie-5.0")
        print(llm.complete("Say hi").text)
        ```
    """

    model: str = Field(default=DEFAULT_MODEL, description="AI/ML API model id or alias.")
    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="AI/ML API key (never serialised)."
    )
    base_url: str | None = Field(
        default=None, description="API base URL; AIML_API_BASE or the public endpoint if unset."
    )
    temperature: float | None = Field(default=None, description="Sampling temperature, 0-2.")
    top_p: float | None = Field(default=None, description="Nucleus sampling, 0.01-1.")
    max_tokens: int | None = Field(default=None, description="Maximum answer tokens.")
    stop: str | list[str] | None = Field(default=None, description="Up to 4 stop sequences.")
    seed: int | None = Field(default=None, description="Sampling seed (>= 1).")
    frequency_penalty: float | None = Field(default=None, description="-2 to 2.")
    presence_penalty: float | None = Field(default=None, description="-2 to 2.")
    enable_thinking: bool | None = Field(
        default=None, description="Thinking switch (models that have one, e.g. ernie-5.0)."
    )
    thinking_budget: int | None = Field(
        default=None, description="Maximum reasoning tokens (>= 100) when thinking is on."
    )
    timeout: float | None = Field(
        default=None, description="Read timeout in seconds; the core's defaults if unset."
    )
    max_retries: int = Field(
        default=2, ge=0, description="Retries after the first attempt (2 means 3 attempts)."
    )
    default_headers: dict[str, str] | None = Field(
        default=None, description="Extra HTTP headers sent with every request."
    )
    http_client: httpx.Client | None = Field(
        default=None, exclude=True, repr=False, description="A caller-owned httpx.Client."
    )
    http_async_client: httpx.AsyncClient | None = Field(
        default=None, exclude=True, repr=False, description="A caller-owned httpx.AsyncClient."
    )
    retry_policy: RetryPolicy | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Full retry policy (backoff, sleep); overrides max_retries when set.",
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra request-body fields, merged last."
    )
    preserve_reasoning_in_history: bool = Field(
        default=False, description="Send earlier turns' reasoning back as reasoning_content."
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Override the catalog's context window."
    )

    _client: AIMLClient = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        """Validate everything a request will need now, so a bad setup fails before any call."""
        # The core checks the values as given, before pydantic could coerce "yes" to True.
        given = {name: data[name] for name in _GENERATION_FIELDS if name in data}
        validate_params(data.get("model", DEFAULT_MODEL), **given)
        super().__init__(**data)
        self.base_url = resolve_base_url(self.base_url)
        warn_if_deprecated(self.model)
        self._connect()

    def _connect(self) -> None:
        """Resolve the key (given, else the environment) and build the core client for it."""
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        self.api_key = SecretStr(resolve_api_key(key))
        settings = {name: getattr(self, name) for name in _CLIENT_FIELDS}
        self._client = AIMLClient(api_key=self.api_key.get_secret_value(), **settings)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the configuration only: no key, no HTTP clients (ours or the caller's)."""
        # pydantic's state, not BaseComponent's: that one deletes unpicklable fields from the
        # live instance's own __dict__ and keeps the key.
        state = BaseModel.__getstate__(self)
        private = state.get("__pydantic_private__") or {}
        return {
            **state,
            "__dict__": {**state["__dict__"], **dict.fromkeys(_NOT_PICKLED)},
            "__pydantic_private__": {k: v for k, v in private.items() if k != "_client"},
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle: the saved configuration, the key from the environment, a fresh client."""
        # pydantic's, not BaseComponent's re-__init__ that swallows a missing key.
        BaseModel.__setstate__(self, state)
        try:
            self._connect()
        except MissingAPIKeyError:
            raise MissingAPIKeyError(
                "ErnieAIML is pickled without its API key: set AIML_API_KEY (or "
                "AIMLAPI_API_KEY) where it is unpickled. OPENAI_API_KEY is never used."
            ) from None

    @classmethod
    def class_name(cls) -> str:
        """Serialisation id of this LLM."""
        return "ErnieAIML"

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output budget and tool support from the core's model catalog.

        A copy of the cached value, so a caller editing it cannot change other instances.
        """
        return _metadata(self.model, self.context_window, self.max_tokens)[0].model_copy()

    def to_payload(self) -> dict[str, Any]:
        """The metadata for events and callbacks (no key), as a fresh dict on every call."""
        payload = _metadata(self.model, self.context_window, self.max_tokens)[1]
        return {"class_name": self.class_name(), **payload}

    # ------------------------------------------------------------------ requests

    def _generation_params(self) -> dict[str, Any]:
        """The generation fields that are set (None ones are not sent)."""
        return {
            name: value for name in _GENERATION_FIELDS if (value := getattr(self, name)) is not None
        }

    def _request(
        self, messages: Sequence[ChatMessage], stream: bool, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        """The request body for `messages` plus per-call options, and the client request id."""
        params = self._generation_params()
        if not kwargs:
            return self._build(messages, stream, params, self.additional_kwargs, {}), None
        kwargs = dict(kwargs)
        client_request_id = kwargs.pop("client_request_id", None)
        for name in _GENERATION_FIELDS:
            if name in kwargs:
                params[name] = kwargs.pop(name)
        options = {name: kwargs.pop(name) for name in _REQUEST_OPTIONS if name in kwargs}
        extra_body = {**self.additional_kwargs, **kwargs.pop("extra_body", {})}
        extra_body.update(
            (key, value) for key, value in kwargs.items() if key not in _FRAMEWORK_KWARGS
        )
        return self._build(messages, stream, params, extra_body, options), client_request_id

    def _build(
        self,
        messages: Sequence[ChatMessage],
        stream: bool,
        params: dict[str, Any],
        extra_body: dict[str, Any],
        options: dict[str, Any],
    ) -> dict[str, Any]:
        """The core's request body for the resolved parameters and options."""
        return build_chat_request(
            self.model,
            to_core_messages(messages),
            params=params,
            stream=stream,
            preserve_reasoning_in_history=self.preserve_reasoning_in_history,
            extra_body=extra_body,
            **options,
        )

    # ------------------------------------------------------------------ chat

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One answer: `[ThinkingBlock?, TextBlock, ToolCallBlock…]` plus usage and credits."""
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async `chat`, natively async (no thread hop)."""
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Cumulative responses; `delta` is answer text, `thinking_delta` the reasoning."""
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async `stream_chat`: returns an async generator (what LlamaIndex's agents await)."""
        return self._astream_chat(messages, **kwargs)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, request_id = self._request(messages, False, kwargs)
        send = partial(_client_of(self).chat, client_request_id=request_id)
        completion, fallback = send_with_tool_fallback(send, body)
        return completion_to_chat_response(completion, fallback)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, request_id = self._request(messages, False, kwargs)
        send = partial(_client_of(self).achat, client_request_id=request_id)
        completion, fallback = await asend_with_tool_fallback(send, body)
        return completion_to_chat_response(completion, fallback)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        body, request_id = self._request(messages, True, kwargs)
        client = _client_of(self)

        def open_stream(wire: dict[str, Any]) -> ChatStream:
            return client.stream(wire, client_request_id=request_id).open()

        def gen() -> Iterator[ChatResponse]:
            stream, fallback = send_with_tool_fallback(open_stream, body)
            fold = StreamFolder(fallback).fold
            with stream:
                for delta in stream:
                    yield fold(delta)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        body, request_id = self._request(messages, True, kwargs)
        client = _client_of(self)

        async def open_stream(wire: dict[str, Any]) -> AsyncChatStream:
            return await client.astream(wire, client_request_id=request_id).open()

        async def gen() -> AsyncIterator[ChatResponse]:
            stream, fallback = await asend_with_tool_fallback(open_stream, body)
            fold = StreamFolder(fallback).fold
            async with stream:
                async for delta in stream:
                    yield fold(delta)

        return gen()

    # ------------------------------------------------------------------ completion

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """`chat` with `prompt` as one user message."""
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async `complete`."""
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Streamed `complete`: each response's `delta` is new answer text."""
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async `stream_complete`: returns an async generator."""
        return await astream_chat_to_completion_decorator(self._astream_chat_awaitable)(
            prompt, **kwargs
        )

    async def _astream_chat_awaitable(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return self._astream_chat(messages, **kwargs)

    # ------------------------------------------------------------------ tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat arguments with OpenAI-style tool specs; the core normalises them for AIML."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        if tool_choice is None:
            tool_choice = "required" if tool_required else "auto"
        return {
            "messages": messages,
            "tools": specs or None,
            "tool_choice": tool_choice if specs else None,
            "parallel_tool_calls": allow_parallel_tool_calls if specs else None,
            **kwargs,
        }

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls were allowed."""
        if not allow_parallel_tool_calls:
            _keep_first_tool_call(response.message)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls of a response: lenient for stream snapshots, strict once finished.

        A finished call with incomplete arguments raises `InvalidToolCallError`, never runs.
        """
        return tool_selections(response, error_on_no_tool_call)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the pooled sync HTTP client (caller-supplied clients are left open)."""
        self._client.close()

    async def aclose(self) -> None:
        """Close the pooled async HTTP clients (caller-supplied clients are left open)."""
        await self._client.aclose()


@lru_cache(maxsize=64)
def _metadata(
    model: str, context_window: int | None, max_tokens: int | None
) -> tuple[LLMMetadata, dict[str, Any]]:
    """`ErnieAIML.metadata` for these settings and its dump, built once per settings.

    `metadata` and `to_payload` run on every call; the settings are their whole input (the
    catalog is static), so a change of model or override simply finds another entry.
    """
    info = get_model(model)
    if context_window is None:
        context_window = info.context_window if info else DEFAULT_CONTEXT_WINDOW
    metadata = LLMMetadata(
        context_window=context_window,
        num_output=max_tokens or DEFAULT_NUM_OUTPUT,
        is_chat_model=True,
        is_function_calling_model=info.tools if info else True,
        model_name=model,
        system_role=MessageRole.SYSTEM,
    )
    return metadata, metadata.model_dump()


def _keep_first_tool_call(message: ChatMessage) -> None:
    """Drop every tool call after the first one, in blocks and in `additional_kwargs`."""
    seen = False
    blocks = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        blocks.append(block)
    message.blocks = blocks
    calls = message.additional_kwargs.get("tool_calls")
    if calls:
        message.additional_kwargs["tool_calls"] = calls[:1]
