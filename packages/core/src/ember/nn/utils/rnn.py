"""Variable-length sequences for the recurrent layers: ``PackedSequence`` and the pad/pack helpers.

A packed batch stores the sequences (sorted by decreasing length) time step by time step:
``data`` holds, for each step ``t``, the ``batch_sizes[t]`` sequences that are still running.
The lengths are host-side metadata (an int64 CPU tensor, like PyTorch's); moving data between
layouts is one differentiable ``index_select`` with an index computed from them.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "pack_sequence", "unpack_sequence", "unpad_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the data and the ``batch_sizes`` of a packed batch (build it with
    ``pack_padded_sequence`` or ``pack_sequence``, never directly).

    Attributes:
        data: ``(sum(lengths), *)`` the packed steps.
        batch_sizes: int64 CPU tensor, the batch size at each time step.
        sorted_indices, unsorted_indices: the permutation that sorted the batch by length (and
            its inverse), or None when the batch was given sorted.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence needs batch_sizes; build it with "
                             "pack_padded_sequence or pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data`` (and the indices, for a device) moved/cast; ``batch_sizes`` stays on the
        CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        idx = [None if i is None else i.to(dev) for i in (self.sorted_indices,
                                                           self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=_dt("float64"))

    def float(self) -> PackedSequence:
        return self.to(dtype=_dt("float32"))

    def half(self) -> PackedSequence:
        return self.to(dtype=_dt("float16"))

    @property
    def is_cuda(self) -> bool:
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        return False


def _dt(name: str):
    import ember

    return getattr(ember, name)


def invert_permutation(permutation):
    """The inverse of a permutation (an int64 tensor), or None for None."""
    if permutation is None:
        return None
    from ...ops.creation import arange, empty_like

    out = empty_like(permutation)
    out.scatter_(0, permutation, arange(permutation.numel(), device=permutation.device))
    return out


def _host_lengths(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        lengths = lengths.cpu().numpy()
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _int_tensor(values, device=None) -> Tensor:
    from ...ops.creation import tensor

    return tensor(np.asarray(values, dtype=np.int64), device=device)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """For sorted-decreasing ``lengths``: how many sequences are longer than each step."""
    steps = np.arange(int(lengths[0]) if lengths.size else 0)
    return (lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def _packed_rows(batch_sizes: np.ndarray, batch: int) -> np.ndarray:
    """Row ``t * batch + b`` of the ``(T·B, *)`` padded layout for every packed element."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)]) \
        if batch_sizes.size else np.zeros(0, np.int64)


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) of sequences with
    the given ``lengths``.

    With ``enforce_sorted`` the lengths must be decreasing; otherwise the batch is sorted and the
    permutation kept in the result (``sorted_indices``/``unsorted_indices``).
    """
    lens = _host_lengths(lengths)
    batch_dim = 0 if batch_first else 1
    if lens.size != input.shape[batch_dim]:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                         f"{lens.size} (batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if lens.size and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lens.size and lens[0] > input.shape[1 - batch_dim]:
        raise RuntimeError(f"Start (0) + length ({int(lens[0])}) exceeds dimension size "
                           f"({input.shape[1 - batch_dim]}).")
    x = input.transpose(0, 1) if batch_first else input
    bs = _batch_sizes(lens)
    batch = x.shape[1]
    rows = _packed_rows(bs, batch)
    if order is not None:  # packed element (t, b) reads the padded row of the b-th longest
        rows = rows - rows % batch + order[rows % batch]
    flat = x.reshape((x.shape[0] * batch,) + tuple(x.shape[2:]))
    data = flat.index_select(0, _int_tensor(rows, x.device))
    sorted_indices = None if order is None else _int_tensor(order, input.device)
    return PackedSequence(data, _int_tensor(bs), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length=None):
    """Inverse of ``pack_padded_sequence``: returns ``(padded, lengths)``, ``padded`` of shape
    ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) in the original batch order and
    ``lengths`` an int64 CPU tensor."""
    from ...ops.creation import full
    from ...ops.joining import cat

    data, bs = sequence.data, _host_lengths(sequence.batch_sizes)
    max_len = bs.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        max_len = int(total_length)
    batch = int(bs[0]) if bs.size else 0
    lens = np.array([(bs > b).sum() for b in range(batch)], dtype=np.int64)  # sorted order
    # each padded slot (t, b) reads a packed row, or the padding row appended at the end
    offsets = np.concatenate([[0], np.cumsum(bs)])
    src = np.full((max_len, batch), data.shape[0], dtype=np.int64)
    for t, n in enumerate(bs):
        src[t, :n] = offsets[t] + np.arange(n)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        perm = unsorted.cpu().numpy().astype(np.int64)
        src, lens = src[:, perm], lens[perm]
    if batch_first:
        src = src.T
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                   device=data.device)
    padded = cat([data, pad_row], 0).index_select(0, _int_tensor(src.reshape(-1), data.device))
    return padded.reshape(src.shape + tuple(data.shape[1:])), _int_tensor(lens)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` if
    ``batch_first``), padding with ``padding_value`` on ``padding_side`` ("right"/"left")."""
    from ...ops.creation import full
    from ...ops.joining import cat, stack

    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    out = []
    for s in sequences:
        n = max_len - s.shape[0]
        if n:
            pad = full((n,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        out.append(s)
    return stack(out, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)`` (decreasing lengths unless not
    ``enforce_sorted``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences of a packed batch, in its original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [x[:n] for x, n in zip(padded.unbind(0), lengths.tolist())]


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The list of sequences ``(L_i, *)`` of a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [s[:n] for s, n in zip(x.unbind(0), _host_lengths(lengths).tolist())]
