"""The forced-tool-choice fallback: which bodies are retried, in what order, which error wins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from ernie_aiml import BadRequestError, RateLimitError
from ernie_aiml._transport.fallback import (
    asend_with_tool_fallback,
    is_tool_choice_refusal,
    send_with_tool_fallback,
    tool_choice_fallbacks,
)

TOOLS = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
MESSAGES = [{"role": "user", "content": "add 2 and 3"}]
NAMED = {"type": "function", "function": {"name": "add"}}


def refusal(text: str = "tool_choice") -> BadRequestError:
    return BadRequestError(
        f"Thinking mode does not support {text} 'required'", status_code=400, request_id="r-1"
    )


def body(model: str = "baidu/ernie-5.0", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": MESSAGES, "tools": TOOLS, **extra}


class FakeSend:
    """Records every body it is given; raises the queued errors first, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> str:
        self.bodies.append(request)
        if self.errors:
            raise self.errors.pop(0)
        return f"ok {len(self.bodies)}"


# ------------------------------------------------------------------ refusal


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (refusal(), True),
        (refusal("TOOL_CHOICE"), True),
        (BadRequestError("Body validation error: temperature"), False),
        (RateLimitError("tool_choice rate limited", status_code=429), False),
        (ValueError("tool_choice"), False),
    ],
)
def test_is_tool_choice_refusal(error: BaseException, expected: bool) -> None:
    assert is_tool_choice_refusal(error) is expected


# ------------------------------------------------------------------ bodies


def test_ernie_5_turns_thinking_off_then_goes_auto() -> None:
    original = body(tool_choice="required", enable_thinking=True, thinking_budget=500)
    before = dict(original)
    assert tool_choice_fallbacks(original) == [
        (
            "enable_thinking=false",
            {
                "model": "baidu/ernie-5.0",
                "messages": MESSAGES,
                "tools": TOOLS,
                "tool_choice": "required",
                "enable_thinking": False,
            },
        ),
        (
            "tool_choice=auto",
            {
                "model": "baidu/ernie-5.0",
                "messages": MESSAGES,
                "tools": TOOLS,
                "tool_choice": "auto",
                "enable_thinking": True,
                "thinking_budget": 500,
            },
        ),
    ]
    assert original == before


def test_alias_of_the_switch_model_and_a_named_function_choice() -> None:
    labels = [label for label, _ in tool_choice_fallbacks(body("ernie-5.0", tool_choice=NAMED))]
    assert labels == ["enable_thinking=false", "tool_choice=auto"]


@pytest.mark.parametrize(
    "request_body",
    [
        body("baidu/ernie-5.0", tool_choice="required", enable_thinking=False),
        body("baidu/ernie-x1-turbo-32k", tool_choice="required"),
        body("someone/unknown-model", tool_choice=NAMED),
    ],
)
def test_without_a_thinking_switch_to_flip_only_auto(request_body: dict[str, Any]) -> None:
    assert tool_choice_fallbacks(request_body) == [
        ("tool_choice=auto", {**request_body, "tool_choice": "auto"})
    ]


@pytest.mark.parametrize(
    "request_body",
    [
        body(),
        body(tool_choice="auto"),
        body(tool_choice="none"),
        {"model": "baidu/ernie-5.0", "messages": MESSAGES, "tool_choice": "required"},
        body(tool_choice="required", tools=[]),
    ],
)
def test_no_fallbacks_when_the_choice_is_not_forced_or_there_are_no_tools(
    request_body: dict[str, Any],
) -> None:
    assert tool_choice_fallbacks(request_body) == []


# ------------------------------------------------------------------ sync


def test_success_first_time_uses_no_fallback() -> None:
    send = FakeSend()
    request = body(tool_choice="required")
    assert send_with_tool_fallback(send, request) == ("ok 1", None)
    assert send.bodies == [request]


def test_refused_then_thinking_off_works(caplog: pytest.LogCaptureFixture) -> None:
    send = FakeSend(refusal())
    request = body(tool_choice="required", thinking_budget=500)
    with caplog.at_level(logging.INFO, logger="ernie_aiml"):
        assert send_with_tool_fallback(send, request) == ("ok 2", "enable_thinking=false")
    assert send.bodies == [request, {**body(tool_choice="required"), "enable_thinking": False}]
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            "ernie_aiml",
            logging.INFO,
            "baidu/ernie-5.0 refused a forced tool_choice; retrying with enable_thinking=false",
        )
    ]


def test_refused_twice_then_auto_works() -> None:
    send = FakeSend(refusal(), refusal())
    request = body(tool_choice=NAMED)
    assert send_with_tool_fallback(send, request) == ("ok 3", "tool_choice=auto")
    assert [b.get("enable_thinking") for b in send.bodies] == [None, False, None]
    assert [b["tool_choice"] for b in send.bodies] == [NAMED, NAMED, "auto"]


def test_all_refused_reraises_the_original_error() -> None:
    first, second, third = refusal(), refusal(), refusal()
    send = FakeSend(first, second, third)
    with pytest.raises(BadRequestError) as info:
        send_with_tool_fallback(send, body(tool_choice="required"))
    assert info.value is first
    assert len(send.bodies) == 3


def test_a_non_refusal_error_propagates_at_once() -> None:
    error = RateLimitError("slow down", status_code=429)
    send = FakeSend(error)
    with pytest.raises(RateLimitError) as info:
        send_with_tool_fallback(send, body(tool_choice="required"))
    assert info.value is error
    assert len(send.bodies) == 1


def test_a_non_refusal_error_during_a_fallback_propagates() -> None:
    other = BadRequestError("Body validation error: messages", status_code=400)
    send = FakeSend(refusal(), other)
    with pytest.raises(BadRequestError) as info:
        send_with_tool_fallback(send, body(tool_choice="required"))
    assert info.value is other
    assert len(send.bodies) == 2


def test_a_refusal_without_a_forced_choice_is_reraised_unchanged() -> None:
    error = refusal()
    send = FakeSend(error)
    with pytest.raises(BadRequestError) as info:
        send_with_tool_fallback(send, body(tool_choice="auto"))
    assert info.value is error
    assert len(send.bodies) == 1


# ------------------------------------------------------------------ async


def asend_of(send: FakeSend) -> Callable[[dict[str, Any]], Any]:
    async def asend(request: dict[str, Any]) -> str:
        return send(request)

    return asend


async def test_async_uses_the_same_bodies_and_labels() -> None:
    send = FakeSend(refusal(), refusal())
    request = body(tool_choice="required")
    result = await asend_with_tool_fallback(asend_of(send), request)
    assert result == ("ok 3", "tool_choice=auto")
    assert send.bodies == [request, *(b for _, b in tool_choice_fallbacks(request))]


async def test_async_success_and_errors() -> None:
    assert await asend_with_tool_fallback(asend_of(FakeSend()), body()) == ("ok 1", None)
    first = refusal()
    with pytest.raises(BadRequestError) as info:
        await asend_with_tool_fallback(
            asend_of(FakeSend(first, refusal(), refusal())), body(tool_choice="required")
        )
    assert info.value is first
    error = RateLimitError("slow down", status_code=429)
    send = FakeSend(error)
    with pytest.raises(RateLimitError) as rate:
        await asend_with_tool_fallback(asend_of(send), body(tool_choice="required"))
    assert rate.value is error
    assert len(send.bodies) == 1
