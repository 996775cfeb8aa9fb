"""LangChain integration for Baidu ERNIE on the AI/ML API: `ChatErnieAIML`.

Names load lazily so `import langchain_ernie_aiml` stays cheap until a class is used. Without
langchain-core the import fails at once, saying `pip install "ernie-aiml[langchain]"`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ernie_aiml.integration import lazy_module_exports, require_extra

require_extra("langchain_ernie_aiml", "langchain", "langchain_core")

_EXPORTS: dict[str, str] = {
    "ChatErnieAIML": "chat_models",
    "ErnieRateLimiter": "_rate_limiter",
    "get_aiml_usage_callback": "_usage",
    "AIMLUsageCallback": "_usage",
    "ErnieAIMLAPIError": "_errors",
    "ErnieAIMLAuthenticationError": "_errors",
    "ErnieAIMLBadRequestError": "_errors",
    "ErnieAIMLBudgetExceededError": "_errors",
    "ErnieAIMLConflictError": "_errors",
    "ErnieAIMLConnectionError": "_errors",
    "ErnieAIMLCreditsExhaustedError": "_errors",
    "ErnieAIMLContextOverflowError": "_errors",
    "ErnieAIMLDeprecatedModelError": "_errors",
    "ErnieAIMLNotFoundError": "_errors",
    "ErnieAIMLPermissionDeniedError": "_errors",
    "ErnieAIMLRateLimitError": "_errors",
    "ErnieAIMLRequestTimeoutError": "_errors",
    "ErnieAIMLResponseParseError": "_errors",
    "ErnieAIMLServerError": "_errors",
    "ErnieAIMLStreamError": "_errors",
    "ErnieAIMLStreamInterruptedError": "_errors",
    "ErnieAIMLTimeoutError": "_errors",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._errors import ErnieAIMLAPIError as ErnieAIMLAPIError
    from ._errors import ErnieAIMLAuthenticationError as ErnieAIMLAuthenticationError
    from ._errors import ErnieAIMLBadRequestError as ErnieAIMLBadRequestError
    from ._errors import ErnieAIMLBudgetExceededError as ErnieAIMLBudgetExceededError
    from ._errors import ErnieAIMLConflictError as ErnieAIMLConflictError
    from ._errors import ErnieAIMLConnectionError as ErnieAIMLConnectionError
    from ._errors import ErnieAIMLContextOverflowError as ErnieAIMLContextOverflowError
    from ._errors import ErnieAIMLCreditsExhaustedError as ErnieAIMLCreditsExhaustedError
    from ._errors import ErnieAIMLDeprecatedModelError as ErnieAIMLDeprecatedModelError
    from ._errors import ErnieAIMLNotFoundError as ErnieAIMLNotFoundError
    from ._errors import ErnieAIMLPermissionDeniedError as ErnieAIMLPermissionDeniedError
    from ._errors import ErnieAIMLRateLimitError as ErnieAIMLRateLimitError
    from ._errors import ErnieAIMLRequestTimeoutError as ErnieAIMLRequestTimeoutError
    from ._errors import ErnieAIMLResponseParseError as ErnieAIMLResponseParseError
    from ._errors import ErnieAIMLServerError as ErnieAIMLServerError
    from ._errors import ErnieAIMLStreamError as ErnieAIMLStreamError
    from ._errors import ErnieAIMLStreamInterruptedError as ErnieAIMLStreamInterruptedError
    from ._errors import ErnieAIMLTimeoutError as ErnieAIMLTimeoutError
    from ._rate_limiter import ErnieRateLimiter as ErnieRateLimiter
    from ._usage import AIMLUsageCallback as AIMLUsageCallback
    from ._usage import get_aiml_usage_callback as get_aiml_usage_callback
    from .chat_models import ChatErnieAIML as ChatErnieAIML
