"""ernie_aiml: the framework-free core that speaks the AI/ML API for Baidu ERNIE models.

Public names load lazily, so `import ernie_aiml` stays cheap and imports neither
LangChain, LlamaIndex nor openai.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_module_exports as lazy_module_exports
from ._version import __version__ as __version__

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
    "AnswerSummary": "_types",
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
    "CreditsExhaustedError": "_errors.classes",
    "StoreUnavailableError": "_errors.classes",
    "RateLimitTimeoutError": "_errors.classes",
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
    "ResponseTooLargeError": "_errors.classes",
    "InvalidToolCallError": "_errors.classes",
    # settings
    "DEFAULT_BASE_URL": "_settings",
    "resolve_api_key": "_settings",
    "resolve_base_url": "_settings",
    "find_api_key": "_settings",
    "DEFAULT_MAX_RETRIES": "_settings",
    "check_client_options": "_settings",
    "APIKeyWhitespaceWarning": "_settings",
    "Limits": "_limits",
    "limits": "_limits",
    "configure_limits": "_limits",
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
    "collect_unknown_arguments": "_wire.extra",
    "normalize_tool": "_wire.tools",
    "normalize_tool_choice": "_wire.tools",
    "check_cache_control": "_wire.cache",
    "mark_last_tool": "_wire.cache",
    "count_tokens": "_tokens",
    "count_request_tokens": "_tokens",
    "tokenize": "_tokens",
    "count_prompt_tokens": "_wire.count",
    "text_message_tokens": "_wire.count",
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
    "FleetBudget": "_observe.fleet",
    "RateLimiter": "_observe.ratelimit",
    # tracing
    "configure_telemetry": "_observe.telemetry",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._catalog import DEFAULT_MODEL as DEFAULT_MODEL
    from ._catalog import DeprecatedModelWarning as DeprecatedModelWarning
    from ._catalog import ModelInfo as ModelInfo
    from ._catalog import UnknownModelWarning as UnknownModelWarning
    from ._catalog import canonical_id as canonical_id
    from ._catalog import check_model as check_model
    from ._catalog import get_model as get_model
    from ._catalog import list_catalog as list_catalog
    from ._catalog import warn_if_deprecated as warn_if_deprecated
    from ._catalog import warn_if_unknown as warn_if_unknown
    from ._errors.classes import AIMLError as AIMLError
    from ._errors.classes import APIConnectionError as APIConnectionError
    from ._errors.classes import APIStatusError as APIStatusError
    from ._errors.classes import APITimeoutError as APITimeoutError
    from ._errors.classes import AuthenticationError as AuthenticationError
    from ._errors.classes import BadRequestError as BadRequestError
    from ._errors.classes import BudgetExceededError as BudgetExceededError
    from ._errors.classes import ConfigurationError as ConfigurationError
    from ._errors.classes import ConflictError as ConflictError
    from ._errors.classes import ContextOverflowError as ContextOverflowError
    from ._errors.classes import CreditsExhaustedError as CreditsExhaustedError
    from ._errors.classes import DeprecatedModelError as DeprecatedModelError
    from ._errors.classes import InsecureTransportError as InsecureTransportError
    from ._errors.classes import InvalidToolCallError as InvalidToolCallError
    from ._errors.classes import MissingAPIKeyError as MissingAPIKeyError
    from ._errors.classes import NotFoundError as NotFoundError
    from ._errors.classes import ParameterError as ParameterError
    from ._errors.classes import PermissionDeniedError as PermissionDeniedError
    from ._errors.classes import RateLimitError as RateLimitError
    from ._errors.classes import RateLimitTimeoutError as RateLimitTimeoutError
    from ._errors.classes import RequestTimeoutStatusError as RequestTimeoutStatusError
    from ._errors.classes import ResponseParseError as ResponseParseError
    from ._errors.classes import ResponseTooLargeError as ResponseTooLargeError
    from ._errors.classes import ServerError as ServerError
    from ._errors.classes import StoreUnavailableError as StoreUnavailableError
    from ._errors.classes import StreamError as StreamError
    from ._errors.classes import StreamInterruptedError as StreamInterruptedError
    from ._extras import install_command as install_command
    from ._extras import missing_modules as missing_modules
    from ._extras import not_installed as not_installed
    from ._extras import require_extra as require_extra
    from ._limits import Limits as Limits
    from ._limits import configure_limits as configure_limits
    from ._limits import limits as limits
    from ._observe.fleet import FleetBudget as FleetBudget
    from ._observe.ratelimit import RateLimiter as RateLimiter
    from ._observe.tally import UsageTally as UsageTally
    from ._observe.tally import track_usage as track_usage
    from ._observe.telemetry import configure_telemetry as configure_telemetry
    from ._settings import DEFAULT_BASE_URL as DEFAULT_BASE_URL
    from ._settings import DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES
    from ._settings import APIKeyWhitespaceWarning as APIKeyWhitespaceWarning
    from ._settings import check_client_options as check_client_options
    from ._settings import find_api_key as find_api_key
    from ._settings import resolve_api_key as resolve_api_key
    from ._settings import resolve_base_url as resolve_base_url
    from ._tokens import count_request_tokens as count_request_tokens
    from ._tokens import count_tokens as count_tokens
    from ._tokens import tokenize as tokenize
    from ._transport.client import AIMLClient as AIMLClient
    from ._transport.owner import ClientOwner as ClientOwner
    from ._transport.retry import RetryPolicy as RetryPolicy
    from ._transport.sse import ServerSentEvent as ServerSentEvent
    from ._transport.sse import SSEDecoder as SSEDecoder
    from ._transport.stream import AsyncChatStream as AsyncChatStream
    from ._transport.stream import ChatStream as ChatStream
    from ._transport.stream_state import MissingUsageWarning as MissingUsageWarning
    from ._types import AnswerSummary as AnswerSummary
    from ._types import Completion as Completion
    from ._types import Delta as Delta
    from ._types import FilePart as FilePart
    from ._types import ImagePart as ImagePart
    from ._types import InvalidToolCall as InvalidToolCall
    from ._types import Message as Message
    from ._types import Part as Part
    from ._types import TextPart as TextPart
    from ._types import ToolCall as ToolCall
    from ._types import ToolCallChunk as ToolCallChunk
    from ._types import Usage as Usage
    from ._types import tool_call_id as tool_call_id
    from ._wire.accumulate import ToolCallAccumulator as ToolCallAccumulator
    from ._wire.cache import check_cache_control as check_cache_control
    from ._wire.cache import mark_last_tool as mark_last_tool
    from ._wire.call import ChatSettings as ChatSettings
    from ._wire.call import chat_request as chat_request
    from ._wire.content import file_part as file_part
    from ._wire.content import image_part as image_part
    from ._wire.content import sniff_mime as sniff_mime
    from ._wire.count import count_prompt_tokens as count_prompt_tokens
    from ._wire.count import text_message_tokens as text_message_tokens
    from ._wire.extra import collect_unknown_arguments as collect_unknown_arguments
    from ._wire.params import FIELD_PARAMS as FIELD_PARAMS
    from ._wire.params import KNOWN_PARAMS as KNOWN_PARAMS
    from ._wire.params import validate_params as validate_params
    from ._wire.request import build_chat_request as build_chat_request
    from ._wire.response import parse_arguments as parse_arguments
    from ._wire.response import parse_completion as parse_completion
    from ._wire.response import parse_delta as parse_delta
    from ._wire.response import parse_usage as parse_usage
    from ._wire.response import wire_usage as wire_usage
    from ._wire.response_format import json_schema_format as json_schema_format
    from ._wire.response_format import normalize_response_format as normalize_response_format
    from ._wire.tool_calls import entry_fields as entry_fields
    from ._wire.tool_calls import tool_call_entry as tool_call_entry
    from ._wire.tools import normalize_tool as normalize_tool
    from ._wire.tools import normalize_tool_choice as normalize_tool_choice
