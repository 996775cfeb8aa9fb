"""Size limits that keep a hostile or broken server (or outside input) from exhausting memory.

Sane defaults far above anything a real ERNIE answer or request needs; a user raises one
process-wide with `configure_limits(answer_bytes=...)`. Response sizes count decoded bytes
as they arrive (a gzip bomb stops at the limit, not after inflating); passing one raises
`ResponseTooLargeError` naming it. Request-side limits (tool schemas, images) raise
`ParameterError` before anything is sent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ._errors.classes import ParameterError

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force (`limits()`); each a positive integer."""

    #: Decoded bytes of one non-streamed answer (a real one is well under 1 MiB).
    answer_bytes: int = 16 * MIB
    #: Decoded bytes of an error body read for its message (only 200 characters are shown).
    error_bytes: int = 1 * MIB
    #: One SSE line or event (a real event is a few hundred bytes).
    event_bytes: int = 8 * MIB
    #: Decoded bytes of one whole stream (a 100k-token reasoning answer is ~50 MiB of events).
    stream_bytes: int = 512 * MIB
    #: Schema nodes of one tool's parameters once every `$ref` is inlined.
    schema_nodes: int = 100_000
    #: Characters of one base64 image or file (a data URL's payload).
    image_bytes: int = 32 * MIB


_LIMITS = Limits()


def limits() -> Limits:
    """The limits in force."""
    return _LIMITS


def configure_limits(**changes: Any) -> Limits:
    """Raise (or lower) limits process-wide, e.g. `configure_limits(answer_bytes=64 << 20)`;
    returns the previous `Limits` (pass its fields back to restore them)."""
    global _LIMITS
    names = {field.name for field in dataclasses.fields(Limits)}
    for name, value in changes.items():
        if name not in names:
            raise ParameterError(f"unknown limit {name!r}; limits are {', '.join(sorted(names))}")
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ParameterError(f"{name} must be an integer > 0 (got {value!r})")
    previous = _LIMITS
    _LIMITS = dataclasses.replace(previous, **changes)
    return previous
