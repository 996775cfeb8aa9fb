"""One typed error hierarchy for everything that can go wrong talking to AIML.

Every error carries the HTTP status (when there was one), the server's own message and
its request id. None ever carries the API key: messages come from the server body or
from this package, never from request headers.
"""

from __future__ import annotations

from typing import Any


class AIMLError(Exception):
    """Base of every error this package raises."""

    #: Whether the transport may retry the request that raised this.
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.body = body
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        facts = []
        if self.status_code is not None:
            facts.append(f"status {self.status_code}")
        if self.request_id:
            facts.append(f"request id {self.request_id}")
        return f"{text} [{', '.join(facts)}]" if facts else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.message, self.status_code, self.request_id, self.body, self.hint),
        )


def _rebuild(
    cls: type[AIMLError], message: str, status: Any, rid: Any, body: Any, hint: Any
) -> AIMLError:
    """Unpickle helper: exceptions with keyword-only arguments need one."""
    return cls(message, status_code=status, request_id=rid, body=body, hint=hint)


# ----------------------------------------------------------- client-side errors


class ConfigurationError(AIMLError, ValueError):
    """The client is set up so that no request can be made (no key, unsafe URL)."""


class MissingAPIKeyError(ConfigurationError):
    """No key given and neither AIML_API_KEY nor AIMLAPI_API_KEY is set."""


class InsecureTransportError(ConfigurationError):
    """Refused to send the key over plain http to a host that is not loopback."""


class ParameterError(AIMLError, ValueError):
    """A request parameter is invalid; raised before any network traffic."""


class BudgetExceededError(AIMLError):
    """A `track_usage(max_...=)` block has spent its budget; the call was not sent.

    `body` holds `{"limit", "limit_value", "spent"}` so the facts survive pickling and
    the adapters' dual classes; the properties read them.
    """

    @property
    def limit(self) -> str | None:
        """The limit that was reached: "max_credits", "max_usd", "max_calls" or "max_tokens"."""
        return self.body.get("limit") if isinstance(self.body, dict) else None

    @property
    def limit_value(self) -> float | None:
        """The value the block was given for that limit."""
        return self.body.get("limit_value") if isinstance(self.body, dict) else None

    @property
    def spent(self) -> float | None:
        """What the block had spent of that limit when the call was refused."""
        return self.body.get("spent") if isinstance(self.body, dict) else None


class CreditsExhaustedError(BudgetExceededError):
    """A shared budget is stopped: a process of the fleet got AIML's 403 (out of credits, or
    the key's spend limit); every process refuses its calls until the budget is `reset()`."""


class StoreUnavailableError(AIMLError):
    """The store of a shared budget or rate limit (Redis) cannot be reached, and the budget
    fails closed (the default): the call was not sent."""


class RateLimitTimeoutError(AIMLError):
    """A shared rate limit would make the call wait longer than its `max_wait`: not sent."""


# ----------------------------------------------------------- server answers


class APIStatusError(AIMLError):
    """The server answered with a non-2xx status."""


class BadRequestError(APIStatusError):
    """400/422: the server rejected the request body."""


class ContextOverflowError(BadRequestError):
    """400 whose message says the prompt is longer than the model's context window."""


class AuthenticationError(APIStatusError):
    """401: the key is missing, wrong or disabled."""


class PermissionDeniedError(APIStatusError):
    """403: out of credits, or the key's spend limit is reached."""


class NotFoundError(APIStatusError):
    """404: wrong path or unknown model."""


class DeprecatedModelError(NotFoundError):
    """404 for a model the server says is deprecated; the hint names active ones."""


class ConflictError(APIStatusError):
    """409: a conflicting request; retried."""

    retryable = True


class RequestTimeoutStatusError(APIStatusError):
    """408: the server timed out waiting for the request; retried."""

    retryable = True


class RateLimitError(APIStatusError):
    """429: too many requests or the free-tier limit; retried with backoff."""

    retryable = True


class ServerError(APIStatusError):
    """5xx: the server or a gateway failed; retried a bounded number of times."""

    retryable = True


# ----------------------------------------------------------- network and stream


class APIConnectionError(AIMLError):
    """The request never got an answer: refused, reset, DNS, TLS."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """Connect, read, write or pool timeout."""


class StreamInterruptedError(AIMLError):
    """The stream ended before the server said it was done: never a short answer."""


class StreamError(AIMLError):
    """The server sent an error object inside a stream."""


class ResponseParseError(AIMLError):
    """A 2xx answer whose body or stream event is not the JSON AIML documents."""


class ResponseTooLargeError(ResponseParseError):
    """An answer, error body, stream or SSE event passed a size limit (`ernie_aiml.limits()`);
    the message names the limit and how to raise it. Never retried."""


class InvalidToolCallError(ResponseParseError, ValueError):
    """A finished answer's tool call cannot be run: no name, or arguments that are not a
    complete JSON object (e.g. cut off by `max_tokens`, `finish_reason="length"`)."""
