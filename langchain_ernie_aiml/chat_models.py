"""`ChatErnieAIML`: Baidu ERNIE on the AI/ML API as a langchain-core chat model.

Everything AIML-specific (request body, validation, HTTP, SSE, retries, parsing, credits)
is the core's (`ernie_aiml`); this module maps LangChain calls onto it and back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, NoReturn

import ernie_aiml
import httpx
from ernie_aiml import DEFAULT_MAX_RETRIES, Completion, RetryPolicy, integration
from ernie_aiml.integration import (
    FIELD_PARAMS,
    ChatSettings,
    ClientOwner,
    check_client_options,
    collect_unknown_arguments,
)
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils import get_pydantic_field_names
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from typing_extensions import Self

from . import _blocks
from ._errors import to_langchain_error
from ._messages import (
    MODEL_PROVIDER,
    cache_control_of,
    completion_to_message,
    text_tokens,
    to_core_messages,
)
from ._stream import StreamEnd
from ._structured import StructuredOutputMethod, structured_output
from .data._profiles import profile_for

logger = logging.getLogger(__name__)

_blocks.register()


def _aiml_error_in(exc: ValidationError) -> ernie_aiml.AIMLError | None:
    """The core error a validator raised, if that is what pydantic wrapped."""
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ernie_aiml.AIMLError):
            return cause
    return None


class ChatErnieAIML(ClientOwner, BaseChatModel):
    """Baidu ERNIE models on the AI/ML API, with reasoning, tools, vision and credits.

    Example:
        from langchain_ernie_aiml import ChatErnieAIML

        llm = ChatErnieAIML(model="baidu/ernie-5.0")  # key from AIML_API_KEY
        msg = llm.invoke("Why is the sky blue?")
        msg.additional_kwargs.get("reasoning_content"), msg.content
    """

    model_name: str = Field(default=ernie_aiml.DEFAULT_MODEL, alias="model")
    """Model id or alias (`baidu/ernie-5.0`, `baidu/ernie-4.5-vl-424b-a47b`, ...)."""
    api_key: SecretStr | None = Field(default=None)
    """AI/ML API key; else `AIML_API_KEY`, then `AIMLAPI_API_KEY` (never `OPENAI_API_KEY`)."""
    base_url: str | None = None
    """API base URL; else `AIML_API_BASE`/`AIMLAPI_API_BASE`, else `https://api.aimlapi.com/v1`."""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    enable_thinking: bool | None = None
    """ernie-5.0 only: turn chain-of-thought on or off (on by default server-side)."""
    thinking_budget: int | None = None
    """ernie-5.0 only: maximum reasoning tokens (>= 100), with thinking on."""
    timeout: float | httpx.Timeout | None = None
    """Seconds (the read timeout) or an `httpx.Timeout`."""
    deadline: float | None = None
    """Total seconds one call may take, retries and the whole answer included (the core's
    two hours if unset); past it, `APITimeoutError`."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt, done once, in the core's transport."""
    retry_policy: RetryPolicy | None = Field(default=None, exclude=True, repr=False)
    """Full retry policy (backoff, sleep); overrides `max_retries` when set. Not serialised."""
    streaming: bool = False
    stream_usage: bool = True
    """Ask for token usage on streams (one chunk carries `usage_metadata`)."""
    default_headers: dict[str, str] | None = None
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """An `httpx.Client` to use (never closed by this class)."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """An `httpx.AsyncClient` to use (never closed by this class)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """More request fields (LlamaIndex's `additional_kwargs`): generation parameters and
    `tools`/`tool_choice`/`parallel_tool_calls`/`response_format`/`stream_options` go through
    the same checks as their own arguments; `model`, `messages`, `stream` and constructor
    arguments are refused; the rest is sent as given."""
    extra_body: dict[str, Any] | None = None
    """Request fields applied after `model_kwargs` (e.g. `{"provider": "baidu"}`), checked
    the same way."""
    preserve_reasoning_in_history: bool = False
    """Send earlier turns' `reasoning_content` back (off: ERNIE's schemas lack the field)."""
    include_response_headers: bool = False
    """Put the HTTP response headers in `response_metadata["headers"]`."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    _client: ernie_aiml.AIMLClient | None = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any) -> None:
        """Build the model; a bad parameter or a missing key raises the core's own error."""
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            cause = _aiml_error_in(exc)
            if cause is None:
                raise
            raise cause from None

    # ----------------------------------------------------------------- validation

    @model_validator(mode="before")
    @classmethod
    def _collect_ernie_aiml_extra_kwargs(cls, values: Any) -> Any:
        """Unknown arguments go to `model_kwargs` (a near miss of a known one is refused);
        parameters are checked by the core as given, before pydantic coerces them (`True`
        is no 1.0). The caller's dicts are never changed."""
        if not isinstance(values, dict):
            return values
        check_client_options(values)
        values = collect_unknown_arguments(
            values, _field_names(), cls.__name__, "model_kwargs", stacklevel=5
        )
        _settings_given(values).check()
        return values

    @model_validator(mode="after")
    def _validate_ernie_aiml_params(self) -> Self:
        """Key present and checked where it is read, before any request."""
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        self.api_key = SecretStr(integration.resolve_api_key(key))
        integration.check_model(self.model_name, stacklevel=4)
        return self

    # ----------------------------------------------------------------- framework

    @property
    def _llm_type(self) -> str:
        return "chat-ernie-aiml"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Serialisable with `dumpd`/`load`; the key is stored as a secret reference."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """`["langchain_ernie_aiml", "chat_models"]`."""
        return ["langchain_ernie_aiml", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key is restored from `AIML_API_KEY`."""
        return {"api_key": "AIML_API_KEY"}

    @property
    def _default_params(self) -> dict[str, Any]:
        return self._settings().generation_params()

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """The base class's LangSmith params, built directly (it probes `self.model`, whose
        failed lookup raises inside pydantic on every call), with a valid `ls_stop` only."""
        model = kwargs.get("model")
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER,
            ls_model_type="chat",
            ls_model_name=model if isinstance(model, str) else self.model_name,
        )
        temperature = kwargs.get("temperature")
        if not isinstance(temperature, (int, float)):
            temperature = self.temperature
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens")
        if not isinstance(max_tokens, int):
            max_tokens = self.max_tokens
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop is None:
            stop = kwargs.get("stop", self.stop)
        if isinstance(stop, str) and stop:
            params["ls_stop"] = [stop]
        elif isinstance(stop, (list, tuple)) and stop:
            params["ls_stop"] = list(stop)
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        return profile_for(self.model_name)

    # ----------------------------------------------------------------- requests

    def _settings(self) -> ChatSettings:
        """This instance's side of every request, in the core's neutral form."""
        return ChatSettings(
            self.model_name,
            {name: getattr(self, name) for name in FIELD_PARAMS},
            self.model_kwargs,
            self.extra_body,
            self.stream_usage,
            self.preserve_reasoning_in_history,
            "model_kwargs",
            _field_names(),
        )

    def _request(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        stream: bool,
        kwargs: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        """The requested model id and the validated request body for one call."""
        if stop is not None:
            kwargs["stop"] = stop
        settings = self._settings()
        body = integration.chat_request(
            settings, to_core_messages(messages), stream=stream, options=kwargs
        )
        return kwargs.get("model") or settings.model, body

    def _result(self, completion: Completion, model: str) -> ChatResult:
        message = completion_to_message(completion, model)
        if self.include_response_headers and completion.headers is not None:
            message.response_metadata["headers"] = dict(completion.headers)
        llm_output: dict[str, Any] = {"model_name": model}
        if "token_usage" in message.response_metadata:
            llm_output["token_usage"] = message.response_metadata["token_usage"]
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output=llm_output)

    # ----------------------------------------------------------------- generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            model, body = self._request(messages, stop, False, kwargs)
            completion = self.aiml_client.chat(body)
        except ernie_aiml.AIMLError as exc:
            _reraise(exc)
        return self._result(completion, model)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            model, body = self._request(messages, stop, False, kwargs)
            completion = await self.aiml_client.achat(body)
        except ernie_aiml.AIMLError as exc:
            _reraise(exc)
        return self._result(completion, model)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        try:
            model, body = self._request(messages, stop, True, kwargs)
            stream = self.aiml_client.stream(body).open()
        except ernie_aiml.AIMLError as exc:
            _reraise(exc)
        end = StreamEnd(model)
        step = end.step
        new_token = run_manager.on_llm_new_token if run_manager is not None else None
        try:
            with stream:
                for delta in stream:
                    chunk = step(delta)
                    if chunk is None:
                        continue
                    if new_token is not None:
                        new_token(chunk.text, chunk=chunk)
                    yield chunk
        except ernie_aiml.AIMLError as exc:
            _reraise(exc)
        last = end.last_chunk(stream, self.include_response_headers)
        if new_token is not None:
            new_token("", chunk=last)
        yield last

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        try:
            model, body = self._request(messages, stop, True, kwargs)
            stream = await self.aiml_client.astream(body).open()
        except ernie_aiml.AIMLError as exc:
            _reraise(exc)
        end = StreamEnd(model)
        step = end.step
        new_token = run_manager.on_llm_new_token if run_manager is not None else None
        try:
            async with stream:
                async for delta in stream:
                    chunk = step(delta)
                    if chunk is None:
                        continue
                    if new_token is not None:
                        await new_token(chunk.text, chunk=chunk)
                    yield chunk
        except ernie_aiml.AIMLError as exc:
            _reraise(exc)
        last = end.last_chunk(stream, self.include_response_headers)
        if new_token is not None:
            await new_token("", chunk=last)
        yield last

    # ----------------------------------------------------------------- counting

    def get_num_tokens(self, text: str) -> int:
        """Estimated ERNIE tokens of `text`, offline (no tokenizer download, no extra)."""
        if self.custom_get_token_ids is not None:
            return super().get_num_tokens(text)
        return ernie_aiml.count_tokens(text)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool] | None = None,
    ) -> int:
        """Estimated prompt tokens of a call with these messages and tools, offline.

        The body this model would send, counted as AIML's usage reports it (calibrated on
        real answers; the emulator reports the same figure), so `trim_messages(...,
        token_counter=llm)` keeps a history inside a budget.
        """
        formatted = [_format_tool(tool, None) for tool in tools or ()]
        plain, rest = text_tokens(messages, self.preserve_reasoning_in_history)
        return integration.count_prompt_tokens(
            self._settings(), to_core_messages(rest), formatted or None, text_tokens=plain
        )

    # ----------------------------------------------------------------- tools

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        cache_control: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (any LangChain tool form) and optionally force their use.

        `tool_choice`: "auto", "none", "required"/"any"/True, a tool's name, or a dict.
        `cache_control` (e.g. `{"type": "ephemeral"}`) marks the last tool, so the tool list
        is a cached prefix (ernie-5.0); a tool dict may carry its own `cache_control` too.
        Tool schemas are normalised for AIML here, so a bad one fails at bind time.
        """
        formatted = integration.mark_last_tool(
            [_format_tool(tool, strict) for tool in tools], cache_control
        )
        names = [t["function"]["name"] for t in formatted]
        choice = integration.normalize_tool_choice(tool_choice, names)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: StructuredOutputMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers parsed into `schema` (Pydantic class, TypedDict or JSON schema).

        `method`: "function_calling" (a forced tool; if a thinking model refuses the forced
        choice, the call is retried without thinking, then with tool_choice="auto"),
        "json_schema" (`response_format` json_schema) or "json_mode" (`json_object`).
        With `include_raw=True` the result is `{"raw", "parsed", "parsing_error"}`.
        """
        if kwargs:
            raise ValueError(f"Received unsupported arguments {sorted(kwargs)}")
        return structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict
        )


@lru_cache(maxsize=1)
def _field_names() -> frozenset[str]:
    """The constructor's argument names (fields and aliases), read once."""
    return frozenset(get_pydantic_field_names(ChatErnieAIML))


def _format_tool(tool: Any, strict: bool | None) -> dict[str, Any]:
    """One LangChain tool as AIML's tool dict; a dict's `cache_control` mark is kept."""
    openai_tool = convert_to_openai_tool(tool, strict=strict)
    mark = cache_control_of(tool)
    if mark is not None:
        openai_tool = {**openai_tool, "cache_control": mark}
    return integration.normalize_tool(openai_tool)


def _settings_given(values: dict[str, Any]) -> ChatSettings:
    """The constructor's arguments as the core's settings, before pydantic coerces them."""
    raw = {name: values[name] for name in FIELD_PARAMS if name in values}
    if "stop_sequences" in values:
        raw["stop"] = values["stop_sequences"]
    model = values.get("model", values.get("model_name", ernie_aiml.DEFAULT_MODEL))
    extra = values.get("model_kwargs")
    return ChatSettings(
        model if isinstance(model, str) else ernie_aiml.DEFAULT_MODEL,
        raw,
        extra if isinstance(extra, dict) else {},
        values.get("extra_body"),
        extra_name="model_kwargs",
        fields=_field_names(),
    )


def _reraise(exc: ernie_aiml.AIMLError) -> NoReturn:
    """Raise the LangChain-facing twin of a core error, chained to it."""
    twin = to_langchain_error(exc)
    if twin is exc:
        raise exc
    raise twin from exc


__all__ = ["ChatErnieAIML"]
