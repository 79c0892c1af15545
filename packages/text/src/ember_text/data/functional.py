"""Helpers on datasets, as in ``torchtext.data.functional``."""

from __future__ import annotations

from ember.utils.data import Dataset

__all__ = ["to_map_style_dataset"]


class _MapStyleDataset(Dataset):
    def __init__(self, iter_data):
        self._data = list(iter_data)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


def to_map_style_dataset(iter_data) -> Dataset:
    """Read an iterable-style dataset once into memory and return a map-style dataset
    (``len`` and indexing), e.g. for ``random_split`` or a shuffling ``DataLoader``."""
    return _MapStyleDataset(iter_data)
