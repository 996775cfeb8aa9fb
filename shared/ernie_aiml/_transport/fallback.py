"""The forced-tool-choice fallback: retry bodies for a thinking model that refuses one.

A thinking model may answer a forced `tool_choice` ("required" or a named function) with a
400. `AIMLClient` then resends the call, once per fallback: first with thinking off where the
model has a switch (ernie-5.0), then with `tool_choice="auto"`. `ToolChoiceFallback` makes
every decision without I/O; the sync and async shells below only send.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

from .._catalog import get_model
from .._errors.classes import BadRequestError

__all__ = [
    "ToolChoiceFallback",
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


class ToolChoiceFallback:
    """The fallback decisions of one call, without I/O: what to send after each refusal.

    `label` names the fallback of the body `after()` returned last (None: the original);
    `error` is what to raise once `after()` returns None: the error itself when it was not a
    refusal, else the original refusal.
    """

    __slots__ = ("_rest", "body", "error", "label")

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.label: str | None = None
        self.error: BaseException | None = None
        self._rest: Iterator[tuple[str, dict[str, Any]]] | None = None

    def after(self, error: BaseException) -> dict[str, Any] | None:
        """The body to send after `error`, or None when the call has failed (`self.error`)."""
        if not is_tool_choice_refusal(error):
            self.error = error
            return None
        if self._rest is None:
            self.error = error
            self._rest = iter(tool_choice_fallbacks(self.body))
        step = next(self._rest, None)
        if step is None:
            return None
        self.label, wire = step
        _log(self.body, self.label)
        return wire


def send_with_tool_fallback(
    send: Callable[[dict[str, Any]], T], body: dict[str, Any]
) -> tuple[T, str | None]:
    """`send(body)`; if it refuses a forced tool choice, each fallback body in turn.

    Returns the result and the label of the fallback that worked (None for none). A
    non-refusal error propagates at once; if every fallback is refused, the original
    error is raised.
    """
    plan = ToolChoiceFallback(body)
    wire: dict[str, Any] | None = body
    while wire is not None:
        try:
            return send(wire), plan.label
        except BadRequestError as exc:
            wire = plan.after(exc)
    assert plan.error is not None
    raise plan.error


async def asend_with_tool_fallback(
    send: Callable[[dict[str, Any]], Awaitable[T]], body: dict[str, Any]
) -> tuple[T, str | None]:
    """Async `send_with_tool_fallback`: same bodies, order, labels and errors."""
    plan = ToolChoiceFallback(body)
    wire: dict[str, Any] | None = body
    while wire is not None:
        try:
            return await send(wire), plan.label
        except BadRequestError as exc:
            wire = plan.after(exc)
    assert plan.error is not None
    raise plan.error
