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
    "AIMLError": "_errors",
    "ConfigurationError": "_errors",
    "MissingAPIKeyError": "_errors",
    "InsecureTransportError": "_errors",
    "ParameterError": "_errors",
    "APIStatusError": "_errors",
    "BadRequestError": "_errors",
    "ContextOverflowError": "_errors",
    "AuthenticationError": "_errors",
    "PermissionDeniedError": "_errors",
    "NotFoundError": "_errors",
    "DeprecatedModelError": "_errors",
    "ConflictError": "_errors",
    "RequestTimeoutStatusError": "_errors",
    "RateLimitError": "_errors",
    "ServerError": "_errors",
    "APIConnectionError": "_errors",
    "APITimeoutError": "_errors",
    "StreamInterruptedError": "_errors",
    "StreamError": "_errors",
    "ResponseParseError": "_errors",
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
    "validate_params": "_params",
    "KNOWN_PARAMS": "_params",
    "build_chat_request": "_request",
    "normalize_tool": "_tools",
    "normalize_tool_choice": "_tools",
    "image_part": "_content",
    "file_part": "_content",
    "sniff_mime": "_content",
    # response side
    "parse_completion": "_response",
    "parse_delta": "_response",
    "parse_usage": "_response",
    "ToolCallAccumulator": "_accumulate",
    # forced tool choice refused: the fallback bodies both adapters retry with
    "is_tool_choice_refusal": "_fallback",
    "tool_choice_fallbacks": "_fallback",
    "send_with_tool_fallback": "_fallback",
    "asend_with_tool_fallback": "_fallback",
    # lazy package namespaces (used by both adapters)
    "lazy_module_exports": "_lazy",
    # transport
    "SSEDecoder": "_sse",
    "ServerSentEvent": "_sse",
    "RetryPolicy": "_retry",
    "AIMLClient": "_client",
    "ChatStream": "_stream",
    "AsyncChatStream": "_stream",
    # accounting
    "UsageTally": "_tally",
    "track_usage": "_tally",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._accumulate import ToolCallAccumulator
    from ._catalog import (
        DEFAULT_MODEL,
        DeprecatedModelWarning,
        ModelInfo,
        canonical_id,
        get_model,
        list_catalog,
        warn_if_deprecated,
    )
    from ._client import AIMLClient
    from ._content import file_part, image_part, sniff_mime
    from ._errors import (
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
    from ._fallback import (
        asend_with_tool_fallback,
        is_tool_choice_refusal,
        send_with_tool_fallback,
        tool_choice_fallbacks,
    )
    from ._lazy import lazy_module_exports
    from ._params import KNOWN_PARAMS, validate_params
    from ._request import build_chat_request
    from ._response import parse_completion, parse_delta, parse_usage
    from ._retry import RetryPolicy
    from ._settings import DEFAULT_BASE_URL, find_api_key, resolve_api_key, resolve_base_url
    from ._sse import ServerSentEvent, SSEDecoder
    from ._stream import AsyncChatStream, ChatStream
    from ._tally import UsageTally, track_usage
    from ._tools import normalize_tool, normalize_tool_choice
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
