"""Errors that are both the core's `ernie_aiml` error and LangChain's `Model*Error`.

Code catching `ernie_aiml.RateLimitError` and code catching
`langchain_core.exceptions.ModelRateLimitError` both keep working (the langchain-openai 1.x
pattern). `to_langchain_error` turns a core error into its dual class; client-side
errors (bad parameters, a missing key) are raised as the core made them.
"""

from __future__ import annotations

import ernie_aiml
from langchain_core import exceptions as lc

__all__ = [
    "ErnieAIMLAPIError",
    "ErnieAIMLAuthenticationError",
    "ErnieAIMLBadRequestError",
    "ErnieAIMLBudgetExceededError",
    "ErnieAIMLConflictError",
    "ErnieAIMLConnectionError",
    "ErnieAIMLContextOverflowError",
    "ErnieAIMLCreditsExhaustedError",
    "ErnieAIMLDeprecatedModelError",
    "ErnieAIMLNotFoundError",
    "ErnieAIMLPermissionDeniedError",
    "ErnieAIMLRateLimitError",
    "ErnieAIMLRequestTimeoutError",
    "ErnieAIMLResponseParseError",
    "ErnieAIMLServerError",
    "ErnieAIMLStreamError",
    "ErnieAIMLStreamInterruptedError",
    "ErnieAIMLTimeoutError",
    "to_langchain_error",
]


class ErnieAIMLBadRequestError(ernie_aiml.BadRequestError, lc.ModelInvalidRequestError):
    """400/422: the server rejected the request body."""


class ErnieAIMLContextOverflowError(
    ernie_aiml.ContextOverflowError, lc.ContextOverflowError, lc.ModelInvalidRequestError
):
    """400 saying the prompt does not fit the model's context window."""


class ErnieAIMLAuthenticationError(ernie_aiml.AuthenticationError, lc.ModelAuthenticationError):
    """401: the key is missing, wrong or disabled."""


class ErnieAIMLPermissionDeniedError(
    ernie_aiml.PermissionDeniedError, lc.ModelPermissionDeniedError
):
    """403: out of credits, or the key's spend limit is reached."""


class ErnieAIMLNotFoundError(ernie_aiml.NotFoundError, lc.ModelNotFoundError):
    """404: wrong path or unknown model."""


class ErnieAIMLDeprecatedModelError(ernie_aiml.DeprecatedModelError, lc.ModelNotFoundError):
    """404 for a model AIML no longer serves; the message names the active ones."""


class ErnieAIMLRateLimitError(ernie_aiml.RateLimitError, lc.ModelRateLimitError):
    """429 after the transport's retries."""


class ErnieAIMLAPIError(ernie_aiml.APIStatusError, lc.ModelAPIError):
    """A status the other classes do not cover."""


class ErnieAIMLServerError(ernie_aiml.ServerError, lc.ModelAPIError):
    """5xx after the transport's retries."""


class ErnieAIMLConflictError(ernie_aiml.ConflictError, lc.ModelAPIError):
    """409 after the transport's retries."""


class ErnieAIMLRequestTimeoutError(ernie_aiml.RequestTimeoutStatusError, lc.ModelTimeoutError):
    """408: the server timed out waiting for the request."""


class ErnieAIMLStreamError(ernie_aiml.StreamError, lc.ModelAPIError):
    """The server sent an error object inside a stream."""


class ErnieAIMLResponseParseError(ernie_aiml.ResponseParseError, lc.ModelAPIError):
    """A 2xx answer whose body or stream event is not the JSON AIML documents."""


class ErnieAIMLTimeoutError(ernie_aiml.APITimeoutError, lc.ModelTimeoutError):
    """A connect, read, write or pool timeout."""


class ErnieAIMLConnectionError(ernie_aiml.APIConnectionError, lc.ModelConnectionError):
    """The request never got an answer: refused, reset, DNS, TLS."""


class ErnieAIMLStreamInterruptedError(ernie_aiml.StreamInterruptedError, lc.ModelConnectionError):
    """The stream ended before the server said it was done: never a short answer."""


class ErnieAIMLBudgetExceededError(ernie_aiml.BudgetExceededError, lc.ModelError):
    """A `track_usage(max_...=)` budget is spent: the call was refused before being sent."""


class ErnieAIMLCreditsExhaustedError(
    ernie_aiml.CreditsExhaustedError, ErnieAIMLBudgetExceededError
):
    """A shared budget stopped by AIML's 403 in some process of the fleet: not sent."""


# Most specific first: the first core class the error is an instance of wins.
_DUALS: tuple[tuple[type[ernie_aiml.AIMLError], type[ernie_aiml.AIMLError]], ...] = (
    (ernie_aiml.ContextOverflowError, ErnieAIMLContextOverflowError),
    (ernie_aiml.BadRequestError, ErnieAIMLBadRequestError),
    (ernie_aiml.AuthenticationError, ErnieAIMLAuthenticationError),
    (ernie_aiml.PermissionDeniedError, ErnieAIMLPermissionDeniedError),
    (ernie_aiml.DeprecatedModelError, ErnieAIMLDeprecatedModelError),
    (ernie_aiml.NotFoundError, ErnieAIMLNotFoundError),
    (ernie_aiml.RateLimitError, ErnieAIMLRateLimitError),
    (ernie_aiml.RequestTimeoutStatusError, ErnieAIMLRequestTimeoutError),
    (ernie_aiml.APITimeoutError, ErnieAIMLTimeoutError),
    (ernie_aiml.APIConnectionError, ErnieAIMLConnectionError),
    (ernie_aiml.StreamInterruptedError, ErnieAIMLStreamInterruptedError),
    (ernie_aiml.ServerError, ErnieAIMLServerError),
    (ernie_aiml.ConflictError, ErnieAIMLConflictError),
    (ernie_aiml.APIStatusError, ErnieAIMLAPIError),
    (ernie_aiml.StreamError, ErnieAIMLStreamError),
    (ernie_aiml.ResponseParseError, ErnieAIMLResponseParseError),
    (ernie_aiml.CreditsExhaustedError, ErnieAIMLCreditsExhaustedError),
    (ernie_aiml.BudgetExceededError, ErnieAIMLBudgetExceededError),
)
_DUAL_CLASSES = frozenset(dual for _, dual in _DUALS)


def to_langchain_error(error: BaseException) -> BaseException:
    """The dual-class twin of a core error (same message, status, request id), else `error`."""
    if type(error) in _DUAL_CLASSES or not isinstance(error, ernie_aiml.AIMLError):
        return error
    for core_cls, dual in _DUALS:
        if isinstance(error, core_cls):
            twin = dual(
                error.message,
                status_code=error.status_code,
                request_id=error.request_id,
                body=error.body,
                hint=error.hint,
            )
            twin.__cause__ = error
            return twin
    return error
