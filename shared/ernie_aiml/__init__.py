"""ernie_aiml: Baidu ERNIE models on the AI/ML API, without a framework.

The user API: the client (`AIMLClient`), requests and answers, the model catalog, offline
token counts, budgets and rate limits (`track_usage`), tracing and the typed errors. What
the LangChain and LlamaIndex adapters build on is `ernie_aiml.integration`; the loopback
AIML server for tests is `ernie_aiml.emulator`. Everything else is private. Names load
lazily, so `import ernie_aiml` stays cheap and imports no framework (nor httpx until used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_module_exports as _lazy_module_exports
from ._version import __version__ as __version__

_EXPORTS: dict[str, str] = {
    # the client
    "AIMLClient": "_transport.client",
    "ChatStream": "_transport.stream",
    "AsyncChatStream": "_transport.stream",
    "RetryPolicy": "_transport.retry",
    "DEFAULT_BASE_URL": "_settings",
    "DEFAULT_MAX_RETRIES": "_settings",
    # a request and its answer
    "Message": "_types",
    "TextPart": "_types",
    "ImagePart": "_types",
    "FilePart": "_types",
    "image_part": "_wire.content",
    "file_part": "_wire.content",
    "build_chat_request": "_wire.request",
    "Completion": "_types",
    "Delta": "_types",
    "Usage": "_types",
    "ToolCall": "_types",
    "InvalidToolCall": "_types",
    # models
    "DEFAULT_MODEL": "_catalog",
    "ModelInfo": "_catalog",
    "get_model": "_catalog",
    "list_catalog": "_catalog",
    # counting tokens offline
    "count_tokens": "_tokens",
    "count_request_tokens": "_tokens",
    # usage, budgets and rate limits
    "track_usage": "_observe.tally",
    "UsageTally": "_observe.tally",
    "FleetBudget": "_observe.fleet",
    "RateLimiter": "_observe.ratelimit",
    # tracing
    "configure_telemetry": "_observe.telemetry",
    # limits against a broken or hostile server
    "Limits": "_limits",
    "limits": "_limits",
    "configure_limits": "_limits",
    # warnings
    "DeprecatedModelWarning": "_catalog",
    "UnknownModelWarning": "_catalog",
    "MissingUsageWarning": "_transport.stream_state",
    "StoreUnavailableWarning": "_observe.fleet",
    "APIKeyWhitespaceWarning": "_settings",
    # errors (one hierarchy under AIMLError)
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
}

__all__ = ["__version__", *_EXPORTS]

__getattr__, __dir__ = _lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._catalog import DEFAULT_MODEL as DEFAULT_MODEL
    from ._catalog import DeprecatedModelWarning as DeprecatedModelWarning
    from ._catalog import ModelInfo as ModelInfo
    from ._catalog import UnknownModelWarning as UnknownModelWarning
    from ._catalog import get_model as get_model
    from ._catalog import list_catalog as list_catalog
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
    from ._limits import Limits as Limits
    from ._limits import configure_limits as configure_limits
    from ._limits import limits as limits
    from ._observe.fleet import FleetBudget as FleetBudget
    from ._observe.fleet import StoreUnavailableWarning as StoreUnavailableWarning
    from ._observe.ratelimit import RateLimiter as RateLimiter
    from ._observe.tally import UsageTally as UsageTally
    from ._observe.tally import track_usage as track_usage
    from ._observe.telemetry import configure_telemetry as configure_telemetry
    from ._settings import DEFAULT_BASE_URL as DEFAULT_BASE_URL
    from ._settings import DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES
    from ._settings import APIKeyWhitespaceWarning as APIKeyWhitespaceWarning
    from ._tokens import count_request_tokens as count_request_tokens
    from ._tokens import count_tokens as count_tokens
    from ._transport.client import AIMLClient as AIMLClient
    from ._transport.retry import RetryPolicy as RetryPolicy
    from ._transport.stream import AsyncChatStream as AsyncChatStream
    from ._transport.stream import ChatStream as ChatStream
    from ._transport.stream_state import MissingUsageWarning as MissingUsageWarning
    from ._types import Completion as Completion
    from ._types import Delta as Delta
    from ._types import FilePart as FilePart
    from ._types import ImagePart as ImagePart
    from ._types import InvalidToolCall as InvalidToolCall
    from ._types import Message as Message
    from ._types import TextPart as TextPart
    from ._types import ToolCall as ToolCall
    from ._types import Usage as Usage
    from ._wire.content import file_part as file_part
    from ._wire.content import image_part as image_part
    from ._wire.request import build_chat_request as build_chat_request
