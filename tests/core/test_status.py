"""Status code and error body → the exact typed error, message and request id."""

from __future__ import annotations

import json

import httpx
import pytest
from ernie_aiml._catalog import deprecation_hint
from ernie_aiml._errors.classes import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContextOverflowError,
    DeprecatedModelError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutStatusError,
    ServerError,
)
from ernie_aiml._errors.from_status import error_from_body, error_from_response

RID = "798b860e-98c2-4e8e-8c50-550bcfc2eccc"


def aiml_body(status: int | str, message: str) -> bytes:
    """AIML's documented flat error body (statusCode as a string, as the docs show it)."""
    return json.dumps(
        {
            "message": message,
            "path": "/v1/chat/completions",
            "requestId": RID,
            "statusCode": str(status),
            "timestamp": "2025-03-11T07:13:27.813Z",
        }
    ).encode()


CASES = [
    (400, "Body validation error", BadRequestError, True),
    (
        400,
        "Unsupported value: 'messages[0].role' does not support 'system' with this model.",
        BadRequestError,
        False,
    ),
    (401, "This request requires a valid API key.", AuthenticationError, False),
    (403, "You've run out of credits. Please top up your balance.", PermissionDeniedError, False),
    (404, "Not Found", NotFoundError, False),
    (408, "Request Timeout", RequestTimeoutStatusError, True),
    (409, "Conflict", ConflictError, True),
    (422, "Invalid enum value. Expected 'auto' | 'none', received 'any'", BadRequestError, False),
    (429, "Too Many Requests", RateLimitError, True),
    (
        429,
        "Free-tier limit: You've reached your free limit for the hour.",
        RateLimitError,
        False,
    ),
    (500, "Internal server error", ServerError, False),
    (500, "The model is under maintenance. Please try again later.", ServerError, True),
    (502, "Bad Gateway", ServerError, False),
    (503, "Service unavailable", ServerError, True),
    (504, "Generation timeout", ServerError, False),
]


@pytest.mark.parametrize(("status", "message", "cls", "int_code"), CASES)
def test_aiml_flat_bodies(status: int, message: str, cls: type, int_code: bool) -> None:
    body = aiml_body(status if int_code else str(status), message)
    error = error_from_response(status, body, httpx.Headers({"x-request-id": "other"}))
    assert type(error) is cls
    assert error.message == message
    assert error.status_code == status
    assert error.request_id == RID
    assert str(error) == f"{message} [status {status}, request id {RID}]"
    assert error.body["path"] == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (403, False), (404, False), (408, True), (409, True),
     (422, False), (429, True), (500, True), (502, True), (503, True), (504, True)],
)  # fmt: skip
def test_retryable_flags(status: int, retryable: bool) -> None:
    assert error_from_response(status, aiml_body(status, "x"), {}).retryable is retryable


def test_unlisted_status_is_plain_api_status_error() -> None:
    error = error_from_response(402, aiml_body(402, "Payment Required"), {})
    assert type(error) is APIStatusError
    assert error.message == "Payment Required"


def test_openai_error_shape() -> None:
    body = {"error": {"message": "Invalid model", "type": "invalid_request_error", "code": None}}
    error = error_from_response(400, json.dumps(body), {"x-request-id": "req_1"})
    assert type(error) is BadRequestError
    assert error.message == "Invalid model"
    assert error.request_id == "req_1"


def test_context_overflow_by_message_and_by_code() -> None:
    by_message = error_from_response(
        400, aiml_body(400, "This model's maximum context length is 128000 tokens"), {}
    )
    assert type(by_message) is ContextOverflowError
    body = {"error": {"message": "Prompt too large", "code": "context_length_exceeded"}}
    assert type(error_from_response(400, json.dumps(body), {})) is ContextOverflowError
    too_many = error_from_response(422, aiml_body(422, "Too many tokens in the prompt"), {})
    assert type(too_many) is ContextOverflowError


def test_deprecated_404_with_hint_from_requested_model() -> None:
    error = error_from_response(
        404, aiml_body(404, "Model is deprecated"), {}, model="baidu/ernie-4.5-0.3b"
    )
    assert type(error) is DeprecatedModelError
    assert isinstance(error, NotFoundError)
    assert error.message == "Model is deprecated"
    assert error.hint == deprecation_hint("baidu/ernie-4.5-0.3b")
    assert str(error) == (
        f"Model is deprecated ({deprecation_hint('baidu/ernie-4.5-0.3b')}) "
        f"[status 404, request id {RID}]"
    )


def test_deprecated_404_without_model() -> None:
    error = error_from_response(404, aiml_body(404, "Model is deprecated"), {})
    assert type(error) is DeprecatedModelError
    assert error.hint == deprecation_hint("the requested model")


def test_gateway_html_is_stripped_and_truncated() -> None:
    page = (
        "<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
        "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
        "</body></html>"
    )
    error = error_from_response(502, page.encode(), {"x-inference-id": "inf-9"})
    assert type(error) is ServerError
    assert error.message == "HTTP 502 from the server: 502 Bad Gateway 502 Bad Gateway nginx"
    assert error.request_id == "inf-9"
    assert error.body == page


def test_long_text_body_keeps_first_200_chars() -> None:
    error = error_from_response(503, "x" * 500, {})
    assert error.message == "HTTP 503 from the server: " + "x" * 200


def test_empty_body_uses_reason_phrase() -> None:
    assert error_from_response(504, b"", {}).message == "HTTP 504 from the server: Gateway Timeout"


def test_json_that_is_not_an_object_is_text() -> None:
    error = error_from_response(500, b'"oops"', {})
    assert error.message == 'HTTP 500 from the server: "oops"'


def test_request_id_header_order_and_case() -> None:
    body = json.dumps({"message": "Bad Gateway"})
    assert (
        error_from_response(502, body, {"X-Request-Id": "a", "X-Inference-Id": "b"}).request_id
        == "a"
    )
    assert error_from_response(502, body, {"X-Inference-Id": "b"}).request_id == "b"
    assert error_from_response(502, body, None).request_id is None


def test_error_from_body_reads_status_from_body() -> None:
    error = error_from_body({"message": "Too Many Requests", "statusCode": "429", "requestId": RID})
    assert type(error) is RateLimitError
    assert error.status_code == 429
    assert error.request_id == RID


def test_error_from_body_without_status_is_api_status_error() -> None:
    error = error_from_body({"error": {"message": "boom"}})
    assert type(error) is APIStatusError
    assert error.status_code is None
    assert str(error) == "boom"


def test_message_list_is_joined() -> None:
    body = {
        "message": ["model must be a string", "messages should not be empty"],
        "statusCode": 400,
    }
    assert error_from_body(body).message == "model must be a string; messages should not be empty"
