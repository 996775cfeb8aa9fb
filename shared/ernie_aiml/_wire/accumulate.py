"""Streamed tool-call fragments assembled into complete calls.

Keyed by `index` alone: the id is fixed by the call's first fragment (the server's, else
`call_<index>`) so every snapshot and the final call agree; `name` and ernie-5.0's
`extra_content` replace when present (never concatenated, since AIML may repeat them on every
fragment), `arguments` append. So it is right whether several calls share one chunk, the id
comes once or every time, and arguments are cut anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._types import InvalidToolCall, ToolCall, ToolCallChunk, tool_call_id
from .response import make_tool_call


class _Slot:
    """What is known so far about the call at one index; its id is fixed at creation."""

    __slots__ = ("arguments", "extra_content", "id", "name")

    def __init__(self, id: str) -> None:
        self.id = id
        self.name: str | None = None
        self.arguments: list[str] = []
        self.extra_content: Any = None


class ToolCallAccumulator:
    """Collects `ToolCallChunk`s from a stream; `ordered()` gives the calls so far, by index.

    `snapshot()` is the cheap raw view for per-chunk display; `ordered()` mixes valid and
    invalid calls in index order.
    """

    __slots__ = ("_slots",)

    def __init__(self) -> None:
        self._slots: dict[int, _Slot] = {}

    def add(self, chunks: Iterable[ToolCallChunk]) -> None:
        """Merge the fragments of one delta (any number of calls, in any order)."""
        for chunk in chunks:
            self.merge(chunk)

    def merge(self, chunk: ToolCallChunk) -> tuple[str | None, str | None, Any]:
        """Merge one fragment; returns what it told for the first time about its call:
        the call's id (on its first fragment), its name, its `extra_content` (else None).

        For frameworks whose chunks are merged by concatenation (LangChain): each of these
        must be sent once, or the merge would repeat it.
        """
        slot = self._slots.get(chunk.index)
        new_id = None
        if slot is None:
            new_id = tool_call_id(chunk.id, chunk.index)
            slot = self._slots[chunk.index] = _Slot(new_id)
        name = chunk.name
        if name:
            first_name = name if slot.name is None else None
            slot.name = name
        else:
            first_name = None
        if chunk.arguments:
            slot.arguments.append(chunk.arguments)
        extra = chunk.extra_content
        if extra is not None and slot.extra_content is None:
            # the first one, as LangChain's chunk merging keeps: both adapters echo alike
            slot.extra_content = extra
            return new_id, first_name, extra
        return new_id, first_name, None

    def __bool__(self) -> bool:
        return bool(self._slots)

    def __len__(self) -> int:
        return len(self._slots)

    def snapshot(self) -> list[tuple[str, str | None, str]]:
        """(id, name, raw arguments so far) per call, by index; no JSON parsing, so cheap.

        For showing in-progress tool calls on every chunk; the id is the one `ordered()`
        gives the finished call.
        """
        return [
            (slot.id, slot.name, "".join(slot.arguments)) for _, slot in sorted(self._slots.items())
        ]

    def id_of(self, index: int) -> str:
        """The id of the call at `index` (after one of its fragments was merged)."""
        return self._slots[index].id

    def extra_contents(self) -> list[Any]:
        """ernie-5.0's `extra_content` per call so far (None where absent), by index."""
        return [slot.extra_content for _, slot in sorted(self._slots.items())]

    def ordered(self) -> list[ToolCall | InvalidToolCall]:
        """Every call, valid (`ToolCall`) or not (`InvalidToolCall`), in the server's index order."""
        return [
            make_tool_call(index, slot.id, slot.name, "".join(slot.arguments), slot.extra_content)
            for index, slot in sorted(self._slots.items())
        ]


class ToolCallIndexes:
    """Keeps apart two calls a stream sends at one `index` under different ids.

    Fragments are merged by index downstream (LangChain's chunk merging, `ToolCallAccumulator`),
    so a second id at a used index would merge two calls into one that could run the wrong
    tool. The second call moves to a fresh index (its later id-less fragments follow it); a
    server index that meets a moved one moves too. A well-formed stream is left as sent.
    """

    __slots__ = ("_ids", "_table", "_used")

    def __init__(self) -> None:
        self._table: dict[int, int] = {}  # the server's index -> the index passed on
        self._ids: dict[int, str | None] = {}  # the server's index -> its current call's id
        self._used: set[int] = set()

    def fix(self, chunks: Iterable[ToolCallChunk]) -> None:
        """Re-index the fragments of one delta in place."""
        for chunk in chunks:
            index = chunk.index
            out = self._table.get(index)
            known = self._ids.get(index)
            if out is None or (chunk.id is not None and known is not None and chunk.id != known):
                out = index if out is None and index not in self._used else max(self._used) + 1
                self._table[index] = out
                self._ids[index] = chunk.id
                self._used.add(out)
            elif known is None:
                self._ids[index] = chunk.id
            chunk.index = out
