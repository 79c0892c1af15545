"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share of a dataset."""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator

import ember

from .dataset import Dataset
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group_value(what: str) -> int:
    """``get_world_size()``/``get_rank()`` of ember's default process group, where one exists."""
    try:
        dist = importlib.import_module("ember.distributed")
    except ImportError:
        raise RuntimeError("Requires distributed package to be available") from None
    if hasattr(dist, "is_available") and not dist.is_available():
        raise RuntimeError("Requires distributed package to be available")
    if hasattr(dist, "is_initialized") and not dist.is_initialized():
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return int(getattr(dist, what)())


class DistributedSampler(Sampler):
    """The indices of replica ``rank`` out of ``num_replicas``: every ``num_replicas``-th index of
    one (optionally shuffled) order shared by all replicas.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: number of processes (default: the process group's world size).
        rank: this process's rank (default: from the process group).
        shuffle: shuffle with seed ``seed + epoch`` (call ``set_epoch`` every epoch).
        seed: base seed, the same on every replica.
        drop_last: drop the tail so that all replicas get the same number of indices; without it
            the order is padded by repeating its start.
    """

    def __init__(self, dataset: Dataset, num_replicas: int | None = None,
                 rank: int | None = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _process_group_value("get_world_size")
        if rank is None:
            rank = _process_group_value("get_rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = ember.Generator().manual_seed(self.seed + self.epoch)
            indices = ember.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch: with ``shuffle``, each epoch gets its own (shared) order."""
        self.epoch = epoch
