"""Batch inference on Ray Data: `ChatBatch` for `Dataset.map_batches`, and `map_chat`.

Each row's prompt (or list of chat messages) goes through the core client, concurrently on
asyncio inside each actor; every row comes back with its answer, usage, cost and error
columns. Shared budgets and rate limits (`store=`, `name=`) hold across the cluster.
Without Ray (`pip install "ernie-aiml[ray]"`) the import fails at once, saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ernie_aiml.integration import lazy_module_exports, require_extra

require_extra("ernie_aiml_ray", "ray", "ray", "pyarrow")

_EXPORTS: dict[str, str] = {
    "ChatBatch": "_batch",
    "map_chat": "_job",
    "OUTPUT_COLUMNS": "_rows",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from ._batch import ChatBatch as ChatBatch
    from ._job import map_chat as map_chat
    from ._rows import OUTPUT_COLUMNS as OUTPUT_COLUMNS
