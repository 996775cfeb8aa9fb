"""Generation parameters: checked against AIML's documented ranges before any request.

A bad value fails here with a message naming the parameter, its allowed range and the
value given, instead of a 400 "Body validation error" one network round trip later.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, cast

from .._catalog import MODELS, ModelInfo, get_model
from .._errors.classes import ParameterError

MAX_STOP_SEQUENCES = 4


def _number(name: str, value: Any, low: float, high: float) -> float:
    """A finite real number (never a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ParameterError(
            f"{name} must be a number between {low:g} and {high:g} (got {value!r})"
        )
    number = cast(float, value)  # any Real: typeshed's numbers.Real has no comparison with float
    if not math.isfinite(number) or not low <= number <= high:
        raise ParameterError(f"{name} must be between {low:g} and {high:g} (got {value!r})")
    return number if type(number) in (int, float) else float(number)


def _integer(name: str, value: Any, low: int) -> int:
    """An integer (never a bool or a float) of at least `low`."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ParameterError(f"{name} must be an integer >= {low} (got {value!r})")
    if value < low:
        raise ParameterError(f"{name} must be an integer >= {low} (got {value!r})")
    return int(value)


def _unset(name: str, value: Any) -> bool:
    """None, or an empty stop list (LangChain passes `stop=[]` to mean "no stop")."""
    if value is None:
        return True
    return name == "stop" and isinstance(value, (list, tuple)) and not value


def _stop(value: Any) -> str | list[str]:
    """A non-empty string, or a list of one to four non-empty strings."""
    if isinstance(value, str):
        if not value:
            raise ParameterError("stop must be a non-empty string or a list of them (got '')")
        return value
    if not isinstance(value, (list, tuple)):
        raise ParameterError(
            f"stop must be a string or a list of at most {MAX_STOP_SEQUENCES} strings "
            f"(got {value!r})"
        )
    if len(value) > MAX_STOP_SEQUENCES:
        raise ParameterError(
            f"stop takes at most {MAX_STOP_SEQUENCES} sequences (got {len(value)}: {value!r})"
        )
    for item in value:
        if not isinstance(item, str) or not item:
            raise ParameterError(
                f"stop sequences must be non-empty strings (got {item!r} in {value!r})"
            )
    return list(value)


def _text(name: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{name} must be a non-empty string (got {value!r})")
    return value


def _flag(name: str, value: Any) -> bool:
    """A real bool: 1/0/"yes" are refused so a typo cannot flip thinking on or off."""
    if not isinstance(value, bool):
        raise ParameterError(f"{name} must be True or False (got {value!r})")
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "temperature": lambda v: _number("temperature", v, 0, 2),
    "top_p": lambda v: _number("top_p", v, 0.01, 1),
    "max_tokens": lambda v: _integer("max_tokens", v, 1),
    "stop": _stop,
    "seed": lambda v: _integer("seed", v, 1),
    "frequency_penalty": lambda v: _number("frequency_penalty", v, -2, 2),
    "presence_penalty": lambda v: _number("presence_penalty", v, -2, 2),
    "enable_thinking": lambda v: _flag("enable_thinking", v),
    "thinking_budget": lambda v: _integer("thinking_budget", v, 100),
    "max_completion_tokens": lambda v: _integer("max_completion_tokens", v, 1),
    "provider": lambda v: _text("provider", v),
    "normalize_tool_schemas": lambda v: _flag("normalize_tool_schemas", v),
}

#: The parameters `validate_params` knows; anything else is not sent by it.
KNOWN_PARAMS: frozenset[str] = frozenset(_CHECKS)
#: The generation parameters both adapters have as fields of the same name.
FIELD_PARAMS: tuple[str, ...] = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "enable_thinking",
    "thinking_budget",
)
#: Parameters only some models' specs list (`ModelInfo.extra_params` says which).
_MODEL_SPECIFIC = frozenset(
    {
        "max_completion_tokens",
        "provider",
        "normalize_tool_schemas",
        "enable_thinking",
        "thinking_budget",
    }
)

_SWITCH_MODELS = ", ".join(m.id for m in MODELS if m.thinking_switch)


def _check_model_specific(info: ModelInfo | None, out: dict[str, Any]) -> None:
    """Parameters only some specs list, only for those models; a budget only with thinking."""
    if info is not None:
        used = [k for k in out if k in _MODEL_SPECIFIC and k not in info.extra_params]
        thinking = [k for k in used if k in ("enable_thinking", "thinking_budget")]
        if thinking:
            raise ParameterError(
                f"{' and '.join(thinking)} not supported by {info.id}: only {_SWITCH_MODELS} "
                "has a thinking switch"
            )
        if used:
            raise ParameterError(
                f"{used[0]} not supported by {info.id}; models that take it: "
                f"{_models_taking(used[0])}"
            )
    if out.get("enable_thinking") is False and "thinking_budget" in out:
        raise ParameterError(
            "thinking_budget needs enable_thinking (got enable_thinking=False, "
            f"thinking_budget={out['thinking_budget']!r})"
        )


def validate_params(model: str | None, **params: Any) -> dict[str, Any]:
    """Check generation parameters for `model` and return the wire-ready ones that are set.

    None values, an empty `stop` list (`stop=""` stays an error) and names this package
    does not know are left out (send those through `extra_body`). Unknown models get
    range checks only, no capability checks.
    """
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        check = _CHECKS.get(name)
        if check is not None and not _unset(name, value):
            out[name] = check(value)
    if not _MODEL_SPECIFIC.isdisjoint(out):
        _check_model_specific(get_model(model), out)
    return out


def _models_taking(name: str) -> str:
    """The active catalog models whose spec lists `name` (else every model that does)."""
    takers = [m for m in MODELS if name in m.extra_params]
    active = [m.id for m in takers if not m.deprecated]
    return ", ".join(active or [m.id for m in takers])
