"""The dataset object every ember_text dataset returns: an iterable-style dataset that
streams its records from the files on disk (like torchtext's datapipes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ember.utils.data import IterableDataset, get_worker_info

__all__ = ["RawTextIterableDataset"]


class RawTextIterableDataset(IterableDataset):
    r"""Records read lazily, in file order, from a parser.

    In a ``DataLoader`` with ``num_workers > 0`` each worker yields every
    ``num_workers``-th record (starting at its id), so every record comes exactly once. For
    shuffling or random access, make a map-style copy with
    :func:`ember_text.data.to_map_style_dataset`.

    Args:
        name: the dataset and split, for ``repr`` and error messages.
        records: a picklable callable returning a fresh iterator over the records (it runs
            in the worker processes).

    Examples:
        >>> train = AG_NEWS(split="train")
        >>> label, text = next(iter(train))
    """

    def __init__(self, name: str, records: Callable[[], Iterator[Any]]) -> None:
        self.name = name
        self._records = records
        self._length: int | None = None

    def __iter__(self) -> Iterator[Any]:
        info = get_worker_info()
        if info is None or info.num_workers == 1:
            yield from self._records()
            return
        for i, record in enumerate(self._records()):
            if i % info.num_workers == info.id:
                yield record

    def __len__(self) -> int:
        if self._length is None:  # counted once, by reading the file
            self._length = sum(1 for _ in self._records())
        return self._length

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"
