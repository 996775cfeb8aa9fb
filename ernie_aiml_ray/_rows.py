"""One row's outcome, and the output columns every row gets (answered, failed or skipped).

A row is answered when its `answer` is not null; a failed row has a null answer and its
`error_type` / `error` filled. That is the resume rule: a row with an answer is never sent
again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from ernie_aiml import AIMLError, Completion

#: Every output column and its Arrow type, in order (`tool_calls` only when tools are bound,
#: `parsed` only with structured output).
OUTPUT_COLUMNS: dict[str, pa.DataType] = {
    "answer": pa.string(),
    "reasoning": pa.string(),
    "finish_reason": pa.string(),
    "tool_calls": pa.string(),
    "parsed": pa.string(),
    "input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
    "credits": pa.float64(),
    "usd": pa.float64(),
    "request_id": pa.string(),
    "error_type": pa.string(),
    "error": pa.string(),
}


@dataclass(slots=True)
class RowResult:
    """The output columns of one row, by name (absent: null)."""

    values: dict[str, Any]

    @classmethod
    def answered(cls, completion: Completion, parsed: str | None) -> RowResult:
        """A row the model answered."""
        usage = completion.usage
        headers = completion.headers or {}
        values: dict[str, Any] = {
            "answer": completion.content,
            "reasoning": completion.reasoning,
            "finish_reason": completion.finish_reason,
            "tool_calls": _tool_calls_json(completion),
            "parsed": parsed,
            "credits": completion.credits_used,
            "usd": completion.usd_spent,
            "request_id": headers.get("x-request-id") or completion.id,
        }
        if usage is not None:
            values["input_tokens"] = usage.prompt_tokens
            values["output_tokens"] = usage.completion_tokens
            values["reasoning_tokens"] = usage.reasoning_tokens
        return cls(values)

    @classmethod
    def failed(cls, error: BaseException, completion: Completion | None = None) -> RowResult:
        """A row whose call failed after its retries (or whose answer did not parse)."""
        values = cls.answered(completion, None).values if completion is not None else {}
        values["answer"] = None  # not answered: a resumed job sends it again
        values["error_type"] = type(error).__name__
        values["error"] = error.message if isinstance(error, AIMLError) else str(error)
        request_id = getattr(error, "request_id", None)
        if request_id:
            values["request_id"] = request_id
        return cls(values)


def _tool_calls_json(completion: Completion) -> str:
    calls = [
        {"id": call.id, "name": call.name, "arguments": call.arguments}
        for call in completion.tool_calls
    ]
    return json.dumps(calls, ensure_ascii=False)


def output_names(has_tools: bool, structured: bool) -> list[str]:
    """The output columns of a job, in order."""
    return [
        name
        for name in OUTPUT_COLUMNS
        if (name != "tool_calls" or has_tools) and (name != "parsed" or structured)
    ]


def with_outputs(
    table: pa.Table, names: Sequence[str], rows: Sequence[RowResult | None]
) -> pa.Table:
    """`table` with its output columns (re)set from `rows`; a None row keeps its old values
    (an answered row of a resumed job)."""
    old = {name: table.column(name).to_pylist() for name in names if name in table.column_names}
    keep = [name for name in table.column_names if name not in OUTPUT_COLUMNS]
    out = table.select(keep)
    for name in names:
        previous = old.get(name)
        values = [
            (previous[i] if previous is not None else None) if row is None else row.values.get(name)
            for i, row in enumerate(rows)
        ]
        out = out.append_column(
            pa.field(name, OUTPUT_COLUMNS[name]), pa.array(values, OUTPUT_COLUMNS[name])
        )
    return out
