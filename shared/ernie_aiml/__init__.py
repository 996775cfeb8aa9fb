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
    # errors
    "AIMLError": "_errors.classes",
    "ConfigurationError": "_errors.classes",
    "MissingAPIKeyError": "_errors.classes",
    "InsecureTransportError": "_errors.classes",
    "ParameterError": "_errors.classes",
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
    # request side
    "validate_params": "_wire.params",
    "KNOWN_PARAMS": "_wire.params",
    "build_chat_request": "_wire.request",
    "normalize_tool": "_wire.tools",
    "normalize_tool_choice": "_wire.tools",
    "image_part": "_wire.content",
    "file_part": "_wire.content",
    "sniff_mime": "_wire.content",
    # response side
    "parse_completion": "_wire.response",
    "parse_delta": "_wire.response",
    "parse_usage": "_wire.response",
    "ToolCallAccumulator": "_wire.accumulate",
    # forced tool choice refused: the fallback bodies both adapters retry with
    "is_tool_choice_refusal": "_transport.fallback",
    "tool_choice_fallbacks": "_transport.fallback",
    "send_with_tool_fallback": "_transport.fallback",
    "asend_with_tool_fallback": "_transport.fallback",
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
    "ChatStream": "_transport.stream",
    "AsyncChatStream": "_transport.stream",
    # accounting
    "UsageTally": "_tally",
    "track_usage": "_tally",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._catalog import (
        DEFAULT_MODEL,
        DeprecatedModelWarning,
        ModelInfo,
        canonical_id,
        get_model,
        list_catalog,
        warn_if_deprecated,
    )
    from ._errors.classes import (
        AIMLError,
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ConflictError,
        ContextOverflowError,
        DeprecatedModelError,
        InsecureTransportError,
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
    from ._settings import DEFAULT_BASE_URL, find_api_key, resolve_api_key, resolve_base_url
    from ._tally import UsageTally, track_usage
    from ._transport.client import AIMLClient
    from ._transport.fallback import (
        asend_with_tool_fallback,
        is_tool_choice_refusal,
        send_with_tool_fallback,
        tool_choice_fallbacks,
    )
    from ._transport.retry import RetryPolicy
    from ._transport.sse import ServerSentEvent, SSEDecoder
    from ._transport.stream import AsyncChatStream, ChatStream
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
    )
    from ._wire.accumulate import ToolCallAccumulator
    from ._wire.content import file_part, image_part, sniff_mime
    from ._wire.params import KNOWN_PARAMS, validate_params
    from ._wire.request import build_chat_request
    from ._wire.response import parse_completion, parse_delta, parse_usage
    from ._wire.tools import normalize_tool, normalize_tool_choice
