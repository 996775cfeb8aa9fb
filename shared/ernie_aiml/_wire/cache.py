"""Prompt-caching marks (`cache_control`): checked, and refused where a model has none.

ernie-5.0's spec takes `cache_control: {"type": "ephemeral", "ttl"?: "5m" | "1h"}` on text,
image and file parts of every role and on tools: the prefix of the request up to a mark is
cached, and a later request repeating it reports those tokens as
`usage.prompt_tokens_details.cached_tokens`. Other ERNIE specs have no such field, so a mark
for them is refused before any request instead of being dropped in silence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._catalog import MODELS, ModelInfo
from .._errors.classes import ParameterError

CACHE_TYPES: tuple[str, ...] = ("ephemeral",)
CACHE_TTLS: tuple[str, ...] = ("5m", "1h")

_CACHING_MODELS = ", ".join(m.id for m in MODELS if m.prompt_caching and not m.deprecated)


def check_cache_control(value: Any, where: str = "cache_control") -> dict[str, Any]:
    """A `cache_control` mark as sent: `{"type": "ephemeral"}` plus `ttl` when given."""
    if not isinstance(value, Mapping):
        raise ParameterError(
            f"{where}: cache_control must be a dict such as {{'type': 'ephemeral'}} (got {value!r})"
        )
    unknown = sorted(set(value) - {"type", "ttl"})
    if unknown:
        raise ParameterError(
            f"{where}: cache_control takes only 'type' and 'ttl' (got {', '.join(unknown)})"
        )
    kind = value.get("type")
    if kind not in CACHE_TYPES:
        raise ParameterError(f"{where}: cache_control type must be 'ephemeral' (got {kind!r})")
    mark: dict[str, Any] = {"type": kind}
    ttl = value.get("ttl")
    if ttl is not None:
        if ttl not in CACHE_TTLS:
            raise ParameterError(f"{where}: cache_control ttl must be '5m' or '1h' (got {ttl!r})")
        mark["ttl"] = ttl
    return mark


def cache_mark(value: Any, info: ModelInfo | None, where: str) -> dict[str, Any]:
    """The checked mark for a request to `info`'s model (unknown models: format only)."""
    mark = check_cache_control(value, where)
    if info is not None and not info.prompt_caching:
        raise ParameterError(
            f"{where}: {info.id} does not take cache_control (prompt caching); "
            f"models that do: {_CACHING_MODELS}"
        )
    return mark


def mark_last_tool(
    tools: Sequence[Mapping[str, Any]], cache_control: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """`tools` with the last one marked: the whole tool list becomes a cached prefix.

    Both adapters' tool-binding option (`cache_control=`) goes through here.
    """
    out = [dict(tool) for tool in tools]
    if cache_control is not None:
        if not out:
            raise ParameterError("cache_control for tools needs at least one tool")
        out[-1]["cache_control"] = check_cache_control(cache_control, "tools")
    return out
