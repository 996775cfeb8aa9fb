"""The ERNIE model table: what each id can do, and whether AIML still serves it.

Facts come from AIML's OpenAPI specs and model pages (2026-06/08). Lookup accepts the
request id, the dotted or dashed spelling, with or without `baidu/`, and the names the
server echoes back. Unknown ids are not errors: they pass through with no capability
claims, so a model AIML adds tomorrow works today.
"""

from __future__ import annotations

import difflib
import functools
import threading
import warnings
from dataclasses import dataclass
from typing import Literal

DEFAULT_MODEL = "baidu/ernie-5.0"

Status = Literal["active", "deprecated"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Capabilities of one ERNIE model on AIML."""

    id: str
    aliases: tuple[str, ...]
    context_window: int
    reasoning: bool
    thinking_switch: bool
    vision: bool
    pdf_input: bool
    tools: bool
    status: Status
    max_output_tokens: int | None = None
    #: Optional body fields this model's spec lists beyond those every ERNIE spec has.
    extra_params: frozenset[str] = frozenset()
    #: Whether its spec takes `cache_control` marks on content parts and tools.
    prompt_caching: bool = False

    @property
    def deprecated(self) -> bool:
        """True when AIML lists the model as no longer callable."""
        return self.status == "deprecated"


def _m(
    id: str,
    ctx: int,
    *aliases: str,
    reasoning: bool = False,
    switch: bool = False,
    vision: bool = False,
    pdf: bool = False,
    tools: bool = False,
    status: Status = "deprecated",
    provider: bool = False,
    caching: bool = False,
) -> ModelInfo:
    # Every spec but ernie-5.0's lists max_completion_tokens; ernie-5.0's lists the thinking
    # switch and tool-schema normalisation instead. Some list `provider` routing.
    extra = set(_SWITCH_PARAMS if switch else _PRE_5_PARAMS)
    if provider:
        extra.add("provider")
    return ModelInfo(
        id,
        aliases,
        ctx,
        reasoning,
        switch,
        vision,
        pdf,
        tools,
        status,
        extra_params=frozenset(extra),
        prompt_caching=caching,
    )


_PRE_5_PARAMS = ("max_completion_tokens",)
_SWITCH_PARAMS = ("enable_thinking", "thinking_budget", "normalize_tool_schemas")


MODELS: tuple[ModelInfo, ...] = (
    _m(
        "baidu/ernie-5.0",
        128_000,
        "ernie-5.0",
        reasoning=True,
        switch=True,
        vision=True,
        pdf=True,
        tools=True,
        status="active",
        provider=True,
        caching=True,
    ),
    _m(
        "baidu/ernie-4.5-vl-424b-a47b",
        123_000,
        "ernie-4.5-vl-424b-a47b",
        vision=True,
        pdf=True,
        tools=True,
        status="active",
        provider=True,
    ),
    _m(
        "baidu/ernie-x1-1-preview",
        64_000,
        "baidu/ernie-x1.1-preview",
        "ernie-x1.1-preview",
        reasoning=True,
    ),
    _m("baidu/ernie-x1-turbo-32k", 32_000, "ernie-x1-turbo-32k", reasoning=True),
    _m(
        "baidu/ernie-5-0-thinking-preview",
        128_000,
        "baidu/ernie-5.0-thinking-preview",
        "ernie-5.0-thinking-preview",
        reasoning=True,
    ),
    _m(
        "baidu/ernie-5-0-thinking-latest",
        128_000,
        "baidu/ernie-5.0-thinking-latest",
        "ernie-5.0-thinking-latest",
        reasoning=True,
    ),
    _m(
        "baidu/ernie-4.5-21b-a3b",
        120_000,
        "baidu/ernie-4.5-21B-a3b",
        "ernie-4.5-21b-a3b",
        tools=True,
    ),
    _m(
        "baidu/ernie-4.5-21b-a3b-thinking",
        131_000,
        "baidu/ernie-4.5-21B-a3b-thinking",
        "ernie-4.5-21b-a3b-thinking",
        reasoning=True,
        tools=True,
        provider=True,
    ),
    _m("baidu/ernie-4.5-300b-a47b", 123_000, "ernie-4.5-300b-a47b", tools=True, provider=True),
    _m("baidu/ernie-4.5-300b-a47b-paddle", 123_000, "ernie-4.5-300b-a47b-paddle"),
    _m("baidu/ernie-4.5-0.3b", 120_000, "ernie-4.5-0.3b"),
    _m("baidu/ernie-4-5-8k-preview", 8_000, "baidu/ernie-4.5-8k-preview", "ernie-4.5-8k-preview"),
    _m("baidu/ernie-4-5-turbo-128k", 128_000, "baidu/ernie-4.5-turbo-128k", "ernie-4.5-turbo-128k"),
    _m(
        "baidu/ernie-4-5-turbo-vl-32k",
        32_000,
        "baidu/ernie-4.5-turbo-vl-32k",
        "ernie-4.5-turbo-vl-32k",
        vision=True,
        pdf=True,  # its spec takes `file` parts
    ),
    _m(
        "baidu/ernie-4.5-vl-28b-a3b",
        30_000,
        "ernie-4.5-vl-28b-a3b",
        vision=True,
        pdf=True,
        tools=True,
    ),
)

ACTIVE_MODELS: tuple[str, ...] = tuple(m.id for m in MODELS if m.status == "active")


def _key(name: str) -> str:
    """Spelling-insensitive key: lower case, no `baidu/`, dots as dashes."""
    name = name.strip().lower()
    name = name.removeprefix("baidu/")
    return name.replace(".", "-")


_INDEX: dict[str, ModelInfo] = {}
for _info in MODELS:
    for _name in (_info.id, *_info.aliases):
        _INDEX.setdefault(_key(_name), _info)


def get_model(name: str | None) -> ModelInfo | None:
    """The catalog entry for an id or alias, or None for a model the catalog does not know."""
    if not name:
        return None
    if type(name) is str:
        return _lookup(name)
    return _INDEX.get(_key(name))


@functools.lru_cache(maxsize=256)
def _lookup(name: str) -> ModelInfo | None:
    """`get_model` for a str, cached: the catalog is static and looked up per request."""
    return _INDEX.get(_key(name))


def canonical_id(name: str) -> str:
    """The request id AIML expects for a known alias; unknown names are returned unchanged."""
    info = get_model(name)
    return info.id if info else name


def list_catalog() -> tuple[ModelInfo, ...]:
    """Every ERNIE model the package knows, active first."""
    return MODELS


class DeprecatedModelWarning(UserWarning):
    """Warned once per process when a model AIML no longer serves is chosen."""


def deprecation_hint(name: str) -> str:
    """What to use instead of a deprecated model, for warnings and 404 errors."""
    return (
        f"{name} is listed by AI/ML API as deprecated and can no longer be called; "
        f"use {ACTIVE_MODELS[0]} (reasoning, vision, PDF, tools) or "
        f"{ACTIVE_MODELS[1]} (vision, PDF, tools)"
    )


_warned: set[str] = set()
_warn_lock = threading.Lock()


def warn_if_deprecated(name: str, *, stacklevel: int = 3) -> bool:
    """Warn (once per process and model) when `name` is deprecated; True if it is."""
    info = get_model(name)
    if info is None or not info.deprecated:
        return False
    with _warn_lock:
        if info.id in _warned:
            return True
        _warned.add(info.id)
    warnings.warn(deprecation_hint(info.id), DeprecatedModelWarning, stacklevel=stacklevel)
    return True


class UnknownModelWarning(UserWarning):
    """Warned once per process and name when a model id is not in the catalog."""


def closest_models(name: str) -> list[str]:
    """The catalog ids closest to `name` (by id or alias spelling), best first (up to 3)."""
    spellings = {_key(n): info.id for info in MODELS for n in (info.id, *info.aliases)}
    matches = difflib.get_close_matches(_key(name), list(spellings), n=6, cutoff=0.75)
    return list(dict.fromkeys(spellings[m] for m in matches))[:3]


def unknown_model_hint(name: str) -> str:
    """What to say about an id the catalog does not know: it is sent as given."""
    close = closest_models(name)
    suggestion = (
        f"closest known: {', '.join(close)}"
        if close
        else f"AI/ML API serves {', '.join(ACTIVE_MODELS)}"
    )
    return (
        f"{name!r} is not an ERNIE model this package knows; it is sent as given, with no "
        f"capability checks ({suggestion})"
    )


def warn_if_unknown(name: str, *, stacklevel: int = 3) -> bool:
    """Warn (once per process and name) when the catalog does not know `name`; True if so."""
    if get_model(name) is not None:
        return False
    with _warn_lock:
        if ("?", name) in _warned_unknown:
            return True
        _warned_unknown.add(("?", name))
    warnings.warn(unknown_model_hint(name), UnknownModelWarning, stacklevel=stacklevel)
    return True


_warned_unknown: set[tuple[str, str]] = set()


def check_model(name: str, *, stacklevel: int = 3) -> None:
    """Warn once when `name` is deprecated or unknown (adapters call it at construction)."""
    if not warn_if_deprecated(name, stacklevel=stacklevel + 1):
        warn_if_unknown(name, stacklevel=stacklevel + 1)
