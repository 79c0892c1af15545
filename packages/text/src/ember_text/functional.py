"""Functional forms of the text transforms (``torchtext.functional``).

Each accepts one sequence (a list of tokens or ids) or a batch (a list of such lists).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

__all__ = ["to_tensor", "truncate", "add_token"]


def _is_batch(input: Any) -> bool:
    if not isinstance(input, (list, tuple)):
        raise TypeError(f"Input type not supported: expected a list of tokens/ids or a list of "
                        f"such lists, got {type(input).__name__}")
    return len(input) > 0 and isinstance(input[0], (list, tuple))


def to_tensor(input: Any, padding_value: int | None = None, dtype=ember.long) -> ember.Tensor:
    """A list of ids → 1-D tensor; a batch of lists → 2-D tensor ``(batch, longest)``.

    Args:
        input: ``list[int]`` or ``list[list[int]]``.
        padding_value: pads shorter rows of a batch to the longest; ``None`` requires equal
            lengths.
        dtype: the tensor's dtype (default ``ember.long``).
    """
    if not _is_batch(input):
        return ember.tensor(list(input), dtype=dtype)
    lengths = [len(ids) for ids in input]
    if padding_value is None:
        if len(set(lengths)) > 1:
            raise ValueError(f"to_tensor: the sequences have different lengths {lengths}; "
                             "pass padding_value to pad them")
        return ember.tensor([list(ids) for ids in input], dtype=dtype)
    out = np.full((len(input), max(lengths)), padding_value, dtype=np.int64)
    for row, ids in enumerate(input):
        out[row, :len(ids)] = ids
    return ember.tensor(out, dtype=dtype)


def truncate(input: Any, max_seq_len: int) -> Any:
    """Keep the first ``max_seq_len`` items of a sequence or of each sequence of a batch."""
    if _is_batch(input):
        return [list(ids[:max_seq_len]) for ids in input]
    return list(input[:max_seq_len])


def add_token(input: Any, token_id: Any, begin: bool = True) -> Any:
    """Add ``token_id`` (a token or an id) at the start (``begin``) or end of each sequence."""
    if _is_batch(input):
        return [add_token(list(ids), token_id, begin) for ids in input]
    return [token_id, *input] if begin else [*input, token_id]
