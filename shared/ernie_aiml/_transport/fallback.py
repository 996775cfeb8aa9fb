"""The forced-tool-choice fallback: retry bodies for a thinking model that refuses one.

A thinking model may answer a forced `tool_choice` ("required" or a named function) with a
400. Both adapters then retry: first with thinking off where the model has a switch
(ernie-5.0), then with `tool_choice="auto"`. The logic lives here so they do it alike.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .._catalog import get_model
from .._errors.classes import BadRequestError

__all__ = [
    "asend_with_tool_fallback",
    "is_tool_choice_refusal",
    "send_with_tool_fallback",
    "tool_choice_fallbacks",
]

logger = logging.getLogger("ernie_aiml")

T = TypeVar("T")

_FORCED_CHOICES = ("required",)


def is_tool_choice_refusal(error: BaseException) -> bool:
    """Whether `error` is a 400 refusing the request's `tool_choice` (worth a fallback)."""
    return isinstance(error, BadRequestError) and "tool_choice" in (error.message or "").lower()


def _is_forced(choice: Any) -> bool:
    """A choice that forces a tool call: "required" or a named function (a dict)."""
    return isinstance(choice, Mapping) or (isinstance(choice, str) and choice in _FORCED_CHOICES)


def tool_choice_fallbacks(body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, retry body) pairs to try in order after a refused forced tool choice.

    ernie-5.0 (a thinking switch) first gets `enable_thinking=False` (without a
    `thinking_budget`); any model then gets `tool_choice="auto"`. Empty when the choice
    is not forced or the body has no tools. `body` itself is never changed.
    """
    if not body.get("tools") or not _is_forced(body.get("tool_choice")):
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    model = body.get("model")
    info = get_model(model) if isinstance(model, str) else None
    if info is not None and info.thinking_switch and body.get("enable_thinking") is not False:
        no_thinking = {k: v for k, v in body.items() if k != "thinking_budget"}
        no_thinking["enable_thinking"] = False
        out.append(("enable_thinking=false", no_thinking))
    out.append(("tool_choice=auto", {**body, "tool_choice": "auto"}))
    return out


def _log(body: Mapping[str, Any], label: str) -> None:
    logger.info("%s refused a forced tool_choice; retrying with %s", body.get("model"), label)


def send_with_tool_fallback(
    send: Callable[[dict[str, Any]], T], body: dict[str, Any]
) -> tuple[T, str | None]:
    """`send(body)`; if it refuses a forced tool choice, each fallback body in turn.

    Returns the result and the label of the fallback that worked (None for none). A
    non-refusal error propagates at once; if every fallback is refused, the original
    error is raised.
    """
    try:
        return send(body), None
    except BadRequestError as exc:
        if not is_tool_choice_refusal(exc):
            raise
        error = exc
    for label, retry in tool_choice_fallbacks(body):
        _log(body, label)
        try:
            return send(retry), label
        except BadRequestError as exc:
            if not is_tool_choice_refusal(exc):
                raise
    raise error


async def asend_with_tool_fallback(
    send: Callable[[dict[str, Any]], Awaitable[T]], body: dict[str, Any]
) -> tuple[T, str | None]:
    """Async `send_with_tool_fallback`: same bodies, order, labels and errors."""
    try:
        return await send(body), None
    except BadRequestError as exc:
        if not is_tool_choice_refusal(exc):
            raise
        error = exc
    for label, retry in tool_choice_fallbacks(body):
        _log(body, label)
        try:
            return await send(retry), label
        except BadRequestError as exc:
            if not is_tool_choice_refusal(exc):
                raise
    raise error
