"""ernie_aiml: the framework-free core that speaks the AI/ML API for Baidu ERNIE models.

Public names load lazily, so `import ernie_aiml` stays cheap and imports neither
LangChain, LlamaIndex nor openai.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_module_exports
from ._version import __version__

_EXPORTS: dict[str, str] = {
    # neutral types
    "TextPart": "_types",
    "ImagePart": "_types",
    "FilePart": "_types",
    "Part": "_types",
    "ToolCall": "_types",
    "InvalidToolCall": "_types",
    "Message": "_types",
    "Usage": "_types",
    "Completion": "_types",
    "ToolCallChunk": "_types",
    "Delta": "_types",
    "tool_call_id": "_types",
    # errors
    "AIMLError": "_errors.classes",
    "ConfigurationError": "_errors.classes",
    "MissingAPIKeyError": "_errors.classes",
    "InsecureTransportError": "_errors.classes",
    "ParameterError": "_errors.classes",
    "BudgetExceededError": "_errors.classes",
    "APIStatusError": "_errors.classes",
    "BadRequestError": "_errors.classes",
    "ContextOverflowError": "_errors.classes",
    "AuthenticationError": "_errors.classes",
    "PermissionDeniedError": "_errors.classes",
    "NotFoundError": "_errors.classes",
    "DeprecatedModelError": "_errors.classes",
    "ConflictError": "_errors.classes",
    "RequestTimeoutStatusError": "_errors.classes",
    "RateLimitError": "_errors.classes",
    "ServerError": "_errors.classes",
    "APIConnectionError": "_errors.classes",
    "APITimeoutError": "_errors.classes",
    "StreamInterruptedError": "_errors.classes",
    "StreamError": "_errors.classes",
    "ResponseParseError": "_errors.classes",
    "InvalidToolCallError": "_errors.classes",
    # settings
    "DEFAULT_BASE_URL": "_settings",
    "resolve_api_key": "_settings",
    "resolve_base_url": "_settings",
    "find_api_key": "_settings",
    # catalog
    "DEFAULT_MODEL": "_catalog",
    "ModelInfo": "_catalog",
    "get_model": "_catalog",
    "canonical_id": "_catalog",
    "list_catalog": "_catalog",
    "warn_if_deprecated": "_catalog",
    "DeprecatedModelWarning": "_catalog",
    "UnknownModelWarning": "_catalog",
    "warn_if_unknown": "_catalog",
    "check_model": "_catalog",
    "FIELD_PARAMS": "_wire.params",
    "json_schema_format": "_wire.response_format",
    "normalize_response_format": "_wire.response_format",
    # request side
    "validate_params": "_wire.params",
    "KNOWN_PARAMS": "_wire.params",
    "build_chat_request": "_wire.request",
    "ChatSettings": "_wire.call",
    "chat_request": "_wire.call",
    "normalize_tool": "_wire.tools",
    "normalize_tool_choice": "_wire.tools",
    "image_part": "_wire.content",
    "file_part": "_wire.content",
    "sniff_mime": "_wire.content",
    # response side
    "parse_completion": "_wire.response",
    "parse_delta": "_wire.response",
    "parse_usage": "_wire.response",
    "parse_arguments": "_wire.response",
    "ToolCallAccumulator": "_wire.accumulate",
    "tool_call_entry": "_wire.tool_calls",
    "entry_fields": "_wire.tool_calls",
    "wire_usage": "_wire.response",
    # lazy package namespaces (used by both adapters)
    "lazy_module_exports": "_lazy",
    "install_command": "_extras",
    "missing_modules": "_extras",
    "not_installed": "_extras",
    "require_extra": "_extras",
    # transport
    "SSEDecoder": "_transport.sse",
    "ServerSentEvent": "_transport.sse",
    "RetryPolicy": "_transport.retry",
    "AIMLClient": "_transport.client",
    "ClientOwner": "_transport.owner",
    "ChatStream": "_transport.stream",
    "AsyncChatStream": "_transport.stream",
    "MissingUsageWarning": "_transport.stream_state",
    # accounting
    "UsageTally": "_observe.tally",
    "track_usage": "_observe.tally",
    # tracing
    "configure_telemetry": "_observe.telemetry",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._catalog import (
        DEFAULT_MODEL,
        DeprecatedModelWarning,
        ModelInfo,
        UnknownModelWarning,
        canonical_id,
        check_model,
        get_model,
        list_catalog,
        warn_if_deprecated,
        warn_if_unknown,
    )
    from ._errors.classes import (
        AIMLError,
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BudgetExceededError,
        ConfigurationError,
        ConflictError,
        ContextOverflowError,
        DeprecatedModelError,
        InsecureTransportError,
        InvalidToolCallError,
        MissingAPIKeyError,
        NotFoundError,
        ParameterError,
        PermissionDeniedError,
        RateLimitError,
        RequestTimeoutStatusError,
        ResponseParseError,
        ServerError,
        StreamError,
        StreamInterruptedError,
    )
    from ._extras import install_command, missing_modules, not_installed, require_extra
    from ._lazy import lazy_module_exports
    from ._observe.tally import UsageTally, track_usage
    from ._observe.telemetry import configure_telemetry
    from ._settings import DEFAULT_BASE_URL, find_api_key, resolve_api_key, resolve_base_url
    from ._transport.client import AIMLClient
    from ._transport.owner import ClientOwner
    from ._transport.retry import RetryPolicy
    from ._transport.sse import ServerSentEvent, SSEDecoder
    from ._transport.stream import AsyncChatStream, ChatStream
    from ._transport.stream_state import MissingUsageWarning
    from ._types import (
        Completion,
        Delta,
        FilePart,
        ImagePart,
        InvalidToolCall,
        Message,
        Part,
        TextPart,
        ToolCall,
        ToolCallChunk,
        Usage,
        tool_call_id,
    )
    from ._wire.accumulate import ToolCallAccumulator
    from ._wire.call import ChatSettings, chat_request
    from ._wire.content import file_part, image_part, sniff_mime
    from ._wire.params import FIELD_PARAMS, KNOWN_PARAMS, validate_params
    from ._wire.request import build_chat_request
    from ._wire.response import (
        parse_arguments,
        parse_completion,
        parse_delta,
        parse_usage,
        wire_usage,
    )
    from ._wire.response_format import json_schema_format, normalize_response_format
    from ._wire.tool_calls import entry_fields, tool_call_entry
    from ._wire.tools import normalize_tool, normalize_tool_choice
