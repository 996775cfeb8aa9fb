"""`map_chat`: a Ray Dataset with every row answered by `ChatBatch` on a pool of actors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._batch import ChatBatch

if TYPE_CHECKING:
    from ray.data import Dataset


def map_chat(
    dataset: Dataset,
    *,
    actors: int = 2,
    batch_size: int = 256,
    num_cpus: float = 1,
    **config: Any,
) -> Dataset:
    """`dataset.map_batches(ChatBatch, ...)` on `actors` actors, `batch_size` rows per batch.

    `config` holds `ChatBatch`'s arguments (model, input_column, params, concurrency,
    budget, ...); they are checked here, on the driver, before any actor starts.
    """
    from ray.data import ActorPoolStrategy

    ChatBatch(**config)  # a bad setting fails now, not in every actor
    return dataset.map_batches(
        ChatBatch,
        fn_constructor_kwargs=config,
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ActorPoolStrategy(size=actors),
        num_cpus=num_cpus,
    )
