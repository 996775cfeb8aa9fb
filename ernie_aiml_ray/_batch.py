"""`ChatBatch`: the callable class `Dataset.map_batches` runs in each actor.

Ray builds one instance per actor from picklable settings (`BatchConfig`); the client is
made lazily on the actor's first batch, bound to one event loop the actor keeps for all its
batches (so pooled connections are reused and never cross loops), and closed when Ray
shuts the actor down (`__del__`) or the process exits. The key is read from the actor's
environment by the core client, never carried in the pickle.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
from ernie_aiml import AIMLClient, RateLimiter, track_usage

from ._config import BatchConfig, OnError
from ._rows import RowResult, output_names, with_outputs


class ChatBatch:
    """One chat call per row of a batch, `concurrency` at a time, each row's outcome in columns.

    Pass the class to `Dataset.map_batches` with `fn_constructor_kwargs` (or use
    `ernie_aiml_ray.map_chat`). Every row comes back: answered, or with `error_type` and
    `error` set (never dropped; `on_error="raise"` fails the job instead). Rows that already
    have an answer (a job resumed on its own output) are passed through without a request.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        input_column: str = "prompt",
        system_prompt: str | None = None,
        params: Mapping[str, Any] | None = None,
        response_format: Any = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: Any = None,
        concurrency: int = 16,
        max_retries: int = 2,
        on_error: OnError = "record",
        budget: Mapping[str, Any] | None = None,
        rate_limit: Mapping[str, Any] | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.config = BatchConfig(
            **({"model": model} if model is not None else {}),
            input_column=input_column,
            system_prompt=system_prompt,
            params=dict(params or {}),
            response_format=response_format,
            tools=tools,
            tool_choice=tool_choice,
            concurrency=concurrency,
            max_retries=max_retries,
            on_error=on_error,
            budget=budget,
            rate_limit=rate_limit,
            base_url=base_url,
            timeout=timeout,
        )
        self._names = output_names(self.config.has_tools, response_format is not None)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: AIMLClient | None = None

    def __repr__(self) -> str:
        return f"ChatBatch(model={self.config.model!r}, input_column={self.config.input_column!r})"

    def __getstate__(self) -> dict[str, Any]:
        # the settings only: a copy makes its own loop and client (and reads the key itself)
        return {**self.__dict__, "_loop": None, "_client": None}

    # ------------------------------------------------------------------ Ray's entry point

    def __call__(self, batch: Any) -> pa.Table:
        """Answer one batch (a pyarrow Table, a pandas DataFrame or a dict of columns)."""
        table = _as_table(batch)
        if self.config.input_column not in table.column_names:
            raise KeyError(
                f"input column {self.config.input_column!r} is not in the batch "
                f"(columns: {', '.join(table.column_names)})"
            )
        loop = self._event_loop()
        rows = loop.run_until_complete(self._answer(table))
        return with_outputs(table, self._names, rows)

    def close(self) -> None:
        """Close the client and the actor's event loop (idempotent)."""
        loop, client = self._loop, self._client
        self._loop = self._client = None
        if loop is None or loop.is_closed():
            return
        if client is not None:
            loop.run_until_complete(client.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        _OPEN.discard(self)

    def __del__(self) -> None:
        # Ray Data deletes the UDF when it shuts the actor down
        with contextlib.suppress(Exception):
            self.close()

    # ------------------------------------------------------------------ per actor, lazily

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            _OPEN.add(self)
        return self._loop

    def _aiml_client(self) -> AIMLClient:
        """The actor's client, made on first use (on its loop): its key from the environment."""
        if self._client is None:
            limit = self.config.rate_limit
            self._client = AIMLClient(
                base_url=self.config.base_url,
                timeout=self.config.timeout,
                max_retries=self.config.max_retries,
                rate_limiter=RateLimiter(**limit) if limit is not None else None,
            )
        return self._client

    # ------------------------------------------------------------------ the rows

    async def _answer(self, table: pa.Table) -> list[RowResult | None]:
        cells = table.column(self.config.input_column).to_pylist()
        done = (
            table.column("answer").to_pylist()
            if "answer" in table.column_names
            else [None] * len(cells)
        )
        client = self._aiml_client()
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(cell: Any, answered: Any) -> RowResult | None:
            if answered is not None:
                return None  # resumed: answered before, never sent again
            async with gate:
                return await self._row(client, cell)

        with self._budget():
            return list(
                await asyncio.gather(*(one(c, a) for c, a in zip(cells, done, strict=True)))
            )

    async def _row(self, client: AIMLClient, cell: Any) -> RowResult:
        completion = None
        try:
            body = self.config.body(self.config.messages(cell))
            completion = await client.achat(body)
            return RowResult.answered(completion, self.config.parse(completion.content))
        except Exception as exc:
            if self.config.on_error == "raise":
                raise
            return RowResult.failed(exc, completion)

    @contextlib.contextmanager
    def _budget(self) -> Iterator[None]:
        """The job's shared budget around a batch (joined on the store, never reset)."""
        if self.config.budget is None:
            yield
            return
        with track_usage(**self.config.budget):
            yield


#: Instances with a loop open (weakly: Ray Data's deleting the UDF still runs `__del__`),
#: closed when the actor's process exits.
_OPEN: weakref.WeakSet[ChatBatch] = weakref.WeakSet()


@atexit.register
def _close_open() -> None:
    for batch in list(_OPEN):
        with contextlib.suppress(Exception):
            batch.close()


def _as_table(batch: Any) -> pa.Table:
    if isinstance(batch, pa.Table):
        return batch
    if isinstance(batch, Mapping):
        return pa.table({k: _column(v) for k, v in batch.items()})
    from_pandas = pa.Table.from_pandas
    return from_pandas(batch, preserve_index=False)


def _column(values: Any) -> Any:
    return values.tolist() if hasattr(values, "tolist") else list(values)
