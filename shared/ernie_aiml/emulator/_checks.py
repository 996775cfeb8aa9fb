"""Each chat body an emulator or a `ValidatingTransport` receives, checked against the spec.

`check_body` validates a body against its model's published request schema (when the
double validates, or when someone watches) and hands the verdict to every watcher:
`watch_bodies(callback)` is how a test suite proves that the bodies it sends conform,
wherever they are sent from. Nothing is kept here; a watcher keeps what it needs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ._validate import strict_error, unlisted_keys, validation_error

Source = Literal["emulator", "transport"]


@dataclass(frozen=True)
class BodyCheck:
    """One chat body, with the spec's verdict on it.

    `problem` is the 400 detail (None when the body validates); `unlisted` the top-level keys
    the model's schema does not list (valid, but AIML ignores them); `source` which double
    checked it (`"emulator"` or `"transport"`: a `ValidatingTransport`).
    """

    model: Any
    body: Any
    problem: str | None
    unlisted: tuple[str, ...]
    source: Source

    @property
    def valid(self) -> bool:
        """True when the body validates against its model's request schema."""
        return self.problem is None


NOT_JSON = "Body validation error: body must be a JSON object"
_Watcher = Callable[[BodyCheck], None]
_WATCHERS: list[_Watcher] = []
_LOCK = threading.Lock()


def watch_bodies(callback: _Watcher) -> Callable[[], None]:
    """Call `callback` with every chat body any emulator or `ValidatingTransport` in this
    process checks (from the thread that received it; it must not raise), also when they
    do not validate (`validate=False`). Returns the function that stops the watch."""
    with _LOCK:
        _WATCHERS.append(callback)

    def unwatch() -> None:
        with _LOCK:
            if callback in _WATCHERS:
                _WATCHERS.remove(callback)

    return unwatch


def check_body(body: Any, source: Source, *, validate: bool) -> BodyCheck | None:
    """The verdict on one chat body, told to every watcher; None when nobody asked for one
    (not validating and not watched) or, when only watched, `jsonschema` is missing."""
    watchers = list(_WATCHERS)
    if not (validate or watchers):
        return None
    try:
        problem = validation_error(body)
    except ImportError:
        if validate:
            raise
        return None
    unlisted = unlisted_keys(body) if problem is None else ()
    model = body.get("model") if isinstance(body, dict) else None
    check = BodyCheck(model, body, problem, unlisted, source)
    for watcher in watchers:
        watcher(check)
    return check


def body_refusal(
    body: Any, source: Source, *, validate: bool, strict: bool
) -> tuple[BodyCheck | None, str | None]:
    """The check of one parsed chat body (None: it was not JSON) and the message of AIML's
    400 when it would refuse it (`validate`; `strict` also refuses keys the schema does not
    list). A body that is not JSON is refused even when not validating."""
    if body is None:
        return None, NOT_JSON
    check = check_body(body, source, validate=validate)
    if check is None or not validate:
        return check, None
    detail = check.problem
    if detail is None and strict and check.unlisted:
        detail = strict_error(check.unlisted)
    return check, (f"Body validation error: {detail}" if detail else None)


def json_body(content: bytes) -> Any:
    """A request body as JSON, or None (empty, or not JSON)."""
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None
