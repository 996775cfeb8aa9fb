"""`ErnieAIML`: ERNIE on the AI/ML API as a LlamaIndex `FunctionCallingLLM`.

All HTTP, SSE, retries and wire mapping happen in `ernie_aiml`; this class translates
LlamaIndex messages, tools and responses to and from the core's neutral types.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import httpx
from ernie_aiml import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    AIMLClient,
    RateLimiter,
    RetryPolicy,
    count_tokens,
    get_model,
)
from ernie_aiml.integration import (
    FIELD_PARAMS,
    ChatSettings,
    ClientOwner,
    chat_request,
    check_client_options,
    check_model,
    collect_unknown_arguments,
    count_prompt_tokens,
    mark_last_tool,
    resolve_api_key,
    resolve_base_url,
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
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from ._messages import to_core_messages
from ._responses import completion_to_chat_response
from ._stream import StreamFolder
from ._tools import tool_selections

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

#: Context window assumed for a model the catalog does not know (the smallest current ERNIE
#: class): prompts are packed for it, so an unknown model is never over-filled.
DEFAULT_CONTEXT_WINDOW = 32_000
#: Tokens reserved for the answer when `max_tokens` is unset (AIML documents no output cap).
DEFAULT_NUM_OUTPUT = 4_096

# The core's generation parameters, each a field of the same name here (sorted: a stable
# order on the wire).
_GENERATION_FIELDS = tuple(sorted(FIELD_PARAMS))
# Keyword arguments LlamaIndex passes that the core's request path must not send.
_FRAMEWORK_KWARGS = frozenset(
    {"tool_required", "verbose", "allow_parallel_tool_calls", "error_on_no_tool_call", "formatted"}
)


class ErnieAIML(ClientOwner, FunctionCallingLLM):
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
    timeout: float | httpx.Timeout | None = Field(
        default=None,
        description="Read timeout in seconds, or an httpx.Timeout; the core's defaults if unset.",
    )
    deadline: float | None = Field(
        default=None,
        description="Total seconds one call may take, retries and the whole answer included "
        "(the core's two hours if unset); past it, APITimeoutError.",
    )
    max_retries: int = Field(
        default=DEFAULT_MAX_RETRIES,
        description="Retries after the first attempt (2 means 3 attempts).",
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
    rate_limiter: RateLimiter | None = Field(
        default=None,
        exclude=True,
        description=(
            "A rate limit shared by a fleet (ernie_aiml.RateLimiter: requests and tokens per "
            "minute on Redis); every call waits its turn."
        ),
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "More request fields (LangChain's model_kwargs): generation parameters and "
            "tools/tool_choice/parallel_tool_calls/response_format/stream_options go through "
            "the same checks as their own arguments; model, messages, stream and constructor "
            "arguments are refused; the rest is sent as given."
        ),
    )
    preserve_reasoning_in_history: bool = Field(
        default=False, description="Send earlier turns' reasoning back as reasoning_content."
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Override the catalog's context window."
    )

    _client: AIMLClient | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        """Validate everything a request will need now, so a bad setup fails before any call.

        The core checks the values as given, before pydantic could coerce "yes" to True;
        unknown arguments go to `additional_kwargs` as in LangChain (a near miss is refused).
        """
        check_client_options(data)
        data = collect_unknown_arguments(
            data, _field_names(), type(self).__name__, "additional_kwargs"
        )
        given = {name: data[name] for name in _GENERATION_FIELDS if name in data}
        extra = data.get("additional_kwargs")
        ChatSettings(
            data.get("model", DEFAULT_MODEL),
            given,
            extra if isinstance(extra, dict) else {},
            extra_name="additional_kwargs",
            fields=_field_names(),
        ).check()
        super().__init__(**data)
        self.base_url = resolve_base_url(self.base_url)
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        self.api_key = SecretStr(resolve_api_key(key))
        check_model(self.model)

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

    def _settings(self) -> ChatSettings:
        """This instance's side of every request, in the core's neutral form."""
        return ChatSettings(
            self.model,
            {name: getattr(self, name) for name in _GENERATION_FIELDS},
            self.additional_kwargs,
            preserve_reasoning_in_history=self.preserve_reasoning_in_history,
            extra_name="additional_kwargs",
            fields=_field_names(),
        )

    def _request(
        self, messages: Sequence[ChatMessage], stream: bool, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        """The request body for `messages` plus per-call options, and the client request id."""
        request_id = kwargs.pop("client_request_id", None) if kwargs else None
        body = chat_request(
            self._settings(),
            to_core_messages(messages),
            stream=stream,
            options=kwargs,
            ignore=_FRAMEWORK_KWARGS,
        )
        return body, request_id

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
        completion = self.aiml_client.chat(body, client_request_id=request_id)
        return completion_to_chat_response(completion, completion.tool_choice_fallback)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, request_id = self._request(messages, False, kwargs)
        completion = await self.aiml_client.achat(body, client_request_id=request_id)
        return completion_to_chat_response(completion, completion.tool_choice_fallback)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        body, request_id = self._request(messages, True, kwargs)
        stream = self.aiml_client.stream(body, client_request_id=request_id)

        def gen() -> ChatResponseGen:
            with stream:
                fold = StreamFolder(stream.tool_choice_fallback).fold
                for delta in stream:
                    yield fold(delta)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        body, request_id = self._request(messages, True, kwargs)
        stream = self.aiml_client.astream(body, client_request_id=request_id)

        async def gen() -> ChatResponseAsyncGen:
            async with stream:
                fold = StreamFolder(stream.tool_choice_fallback).fold
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

    # --------------------------------------------------------------- counting

    def get_num_tokens(self, text: str) -> int:
        """Estimated ERNIE tokens of `text`, offline (as `tokenizer` and ChatErnieAIML count)."""
        return count_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: Sequence[ChatMessage], tools: Sequence[BaseTool] | None = None
    ) -> int:
        """Estimated prompt tokens of a chat with these messages and tools, offline: the
        figure AIML's usage reports (the emulator reports exactly this one)."""
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools or ()]
        return count_prompt_tokens(self._settings(), to_core_messages(messages), specs or None)

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
        cache_control: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat arguments with OpenAI-style tool specs; the core normalises them for AIML.

        `cache_control` (e.g. `{"type": "ephemeral"}`) marks the last tool, so the tool
        list is a cached prefix (ernie-5.0).
        """
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = mark_last_tool(
            [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools],
            cache_control,
        )
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


@lru_cache(maxsize=1)
def _field_names() -> frozenset[str]:
    """The constructor's argument names (fields and their aliases), read once."""
    fields = ErnieAIML.model_fields
    return frozenset(fields).union(f.alias for f in fields.values() if f.alias)


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
