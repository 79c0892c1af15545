"""apply_to_collection: map a function over the tensors of a nested batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import ember


def apply_to_collection(data, dtype, function):
    """Apply ``function`` to every element of type ``dtype`` in nested lists/tuples/dicts/dataclasses."""
    if isinstance(data, dtype):
        return function(data)
    if isinstance(data, Mapping):
        return type(data)({k: apply_to_collection(v, dtype, function) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(apply_to_collection(v, dtype, function) for v in data))
    if isinstance(data, Sequence) and not isinstance(data, str):
        return type(data)(apply_to_collection(v, dtype, function) for v in data)
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        fields = {f.name: apply_to_collection(getattr(data, f.name), dtype, function) for f in dataclasses.fields(data)}
        return dataclasses.replace(data, **fields)
    return data


def move_data_to_device(batch, device):
    """Move every tensor of ``batch`` to ``device``."""
    return apply_to_collection(batch, ember.Tensor, lambda t: t.to(device))
