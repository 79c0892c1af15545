"""Sorting and order statistics: sort/argsort/topk/kthvalue, median/mode, unique, counting
(bincount, histc) and binary search (searchsorted, bucketize).

Everything is built from the ``sort`` primitive plus comparisons, scans and indexing, so a
backend with only the primitives runs it. Values that come with indices are gathered from the
input at those indices: their gradient flows back to the picked positions.
"""

from __future__ import annotations

import builtins
import math

from .. import _dtype
from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..autograd.grad_mode import no_grad
from ._dispatch import as_tensor_like, kernel, needs_grad
from .reduction import (
    _arange_along,
    _cat,
    _cummax_values,
    _nonempty_dim,
    _scalar_result,
    _slice_along,
    _squeeze_if,
    _take_along,
    return_types,
)


def _sort_call(x: Tensor, d: int, descending: bool):
    """(values, int64 indices) of a stable sort along ``d`` (NaN counts as the largest)."""
    values, indices = kernel(x._be, "sort")(x._data, d, bool(descending), True)
    return wrap(values, x), wrap(indices, x)


def _picked(input: Tensor, values: Tensor, indices: Tensor, d: int) -> Tensor:
    """The sorted values; gathered again when a gradient must flow back to the input."""
    return _take_along(input, indices, d) if needs_grad(input) else values


# ---- sort & friends ---------------------------------------------------------------------------

@tensor_method
def sort(input, dim=-1, descending=False, *, stable=False):
    """``return_types.sort(values, indices)`` along ``dim``. The sort is always stable (equal
    elements keep their order); NaN sorts as the largest value, like PyTorch."""
    d = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return _scalar_result(return_types.sort, input)
    values, indices = _sort_call(input, d, descending)
    return return_types.sort(_picked(input, values, indices, d), indices)


@tensor_method
def argsort(input, dim=-1, descending=False, *, stable=False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (see :func:`sort`)."""
    return sort(input, dim, descending, stable=stable).indices


@tensor_method
def msort(input) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


@tensor_method
def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """``return_types.topk(values, indices)``: the ``k`` largest (or smallest) elements along
    ``dim``, in sorted order (also when ``sorted=False``); ties keep the earlier element first."""
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    x = input.reshape(1) if input.ndim == 0 else input
    values, indices = _sort_call(x, d, largest)
    key = _slice_along(d, 0, k)
    values, indices = values[key], indices[key]
    values = _picked(x, values, indices, d)
    if input.ndim == 0 and k == 1:
        values, indices = values.reshape(()), indices.reshape(())
    return return_types.topk(values, indices)


@tensor_method
def kthvalue(input, k, dim=-1, keepdim=False):
    """``return_types.kthvalue(values, indices)``: the k-th smallest element (1-based) along
    ``dim``."""
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.ndim == 0:
        return _scalar_result(return_types.kthvalue, input)
    values, indices = _sort_call(input, d, False)
    key = _slice_along(d, k - 1, k)
    values, indices = values[key], indices[key]
    values = _picked(input, values, indices, d)
    return return_types.kthvalue(_squeeze_if(values, d, keepdim), _squeeze_if(indices, d, keepdim))


# ---- median / mode ----------------------------------------------------------------------------

def _median_position(s: Tensor, d: int, ignore_nan: bool) -> Tensor:
    """Where the (lower) median sits in each slice of ``s``, sorted along ``d`` with NaN last:
    the first NaN when NaN propagates, else index (valid - 1) // 2 of the non-NaN elements."""
    from .elementwise import where

    n = s.shape[d]
    if not s.dtype.is_floating_point:
        return _full_like_reduced(s, d, (n - 1) // 2)
    nans = s.isnan().sum(d, keepdim=True)
    valid = n - nans
    if ignore_nan:
        return ((valid - 1) // 2).clamp(min=0)
    return where(nans > 0, valid, (n - 1) // 2)


def _full_like_reduced(s: Tensor, d: int, value: int) -> Tensor:
    from .creation import full

    shape = list(s.shape)
    shape[d] = 1
    return full(tuple(shape), value, dtype=_dtype.int64, device=s.device)


def _evenly_distributed(input: Tensor, value: Tensor) -> Tensor:
    """``value`` (detached, selected from ``input``) made differentiable like PyTorch's median
    without dim: the gradient is shared evenly by the elements equal to it (NaN: the NaNs)."""
    mask = (input.isnan() if bool(value.isnan()) else input == value) \
        if input.dtype.is_floating_point else input == value
    from .elementwise import where

    # zero in value (also next to NaN elsewhere), 1/count in gradient on each masked element
    zero = where(mask, input - input.detach(), 0).sum() / mask.sum()
    return value + zero


def _median_all(name: str, input: Tensor, ignore_nan: bool) -> Tensor:
    if input.numel() == 0:
        from .creation import full

        if not input.dtype.is_floating_point:
            raise RuntimeError(f"{name}(): cannot compute the median of an empty integer tensor")
        return full((), math.nan, dtype=input.dtype, device=input.device)
    with no_grad():
        flat = input.detach().reshape(-1)
        s, _ = _sort_call(flat, 0, False)
        value = _take_along(s, _median_position(s, 0, ignore_nan), 0).reshape(())
    return _evenly_distributed(input, value) if needs_grad(input) else value


def _median_dim(name: str, input: Tensor, dim, keepdim: bool, ignore_nan: bool):
    cls = getattr(return_types, name)
    d = _wrap_dim(dim, input.ndim)
    _nonempty_dim(name, input, d)
    if input.ndim == 0:
        return _scalar_result(cls, input)
    s, si = _sort_call(input.detach(), d, False)
    with no_grad():
        pos = _median_position(s, d, ignore_nan)
        indices = _take_along(si, pos, d)
    values = _take_along(input, indices, d) if needs_grad(input) else _take_along(s, pos, d)
    return cls(_squeeze_if(values, d, keepdim), _squeeze_if(indices, d, keepdim))


@tensor_method
def median(input, dim=None, keepdim=False):
    """The lower median (of all elements, or ``return_types.median(values, indices)`` along
    ``dim``); NaN propagates."""
    if dim is None:
        return _median_all("median", input, False)
    return _median_dim("median", input, dim, keepdim, False)


@tensor_method
def nanmedian(input, dim=None, keepdim=False):
    """Like :func:`median`, ignoring NaN (NaN only where a slice is all NaN)."""
    if dim is None:
        return _median_all("nanmedian", input, True)
    return _median_dim("nanmedian", input, dim, keepdim, True)


@tensor_method
def mode(input, dim=-1, keepdim=False):
    """``return_types.mode(values, indices)``: the most frequent value along ``dim`` (the
    smallest among equally frequent ones) and the last index where it occurs."""
    from .elementwise import where

    d = _wrap_dim(dim, input.ndim)
    _nonempty_dim("mode", input, d)
    if input.ndim == 0:
        return _scalar_result(return_types.mode, input)
    with no_grad():
        s, si = _sort_call(input.detach(), d, False)
        n = s.shape[d]
        pos = _arange_along(n, d, s.ndim, s)
        starts = _cat([_full_like_reduced(s, d, 1).to(_dtype.bool),
                       s[_slice_along(d, 1, None)] != s[_slice_along(d, 0, n - 1)]], d)
        run_start = _cummax_values(where(starts, pos, 0), d)
        # run length so far; its first maximum ends the smallest most-frequent run
        best = (pos - run_start).argmax(d, keepdim=True)
        indices = _take_along(si, best, d)
    values = _take_along(input, indices, d)
    return return_types.mode(_squeeze_if(values, d, keepdim), _squeeze_if(indices, d, keepdim))


# ---- unique -----------------------------------------------------------------------------------

def _lexsort_rows(rows: Tensor) -> Tensor:
    """The stable permutation sorting the rows of a 2-d tensor lexicographically (one stable
    sort per column, last column first)."""
    from .creation import arange

    order = arange(rows.shape[0], device=rows.device)
    for j in reversed(range(rows.shape[1])):
        _, o = _sort_call(rows[order, j], 0, False)
        order = order[o]
    return order


def _unique_runs(rows: Tensor, order: Tensor):
    """Collapse runs of equal consecutive rows of ``rows[order]``: (unique rows, the run of
    each input row, run lengths)."""
    from .creation import ones, zeros

    s = rows[order]
    n = s.shape[0]
    if n == 0:
        uniq, inverse, counts = s, zeros(0, dtype=_dtype.int64, device=rows.device), \
            zeros(0, dtype=_dtype.int64, device=rows.device)
    else:
        differs = (s[1:] != s[:-1]).any(1)
        new = _cat([ones(1, dtype=_dtype.bool, device=rows.device), differs], 0)
        run = new.to(_dtype.int64).cumsum(0) - 1
        starts = wrap(kernel(new._be, "nonzero")(new._data), new)[:, 0]
        uniq = s[starts]
        k = uniq.shape[0]
        inverse = zeros(n, dtype=_dtype.int64, device=rows.device).index_put((order,), run)
        counts = zeros(k, dtype=_dtype.int64, device=rows.device).index_put(
            (run,), ones(n, dtype=_dtype.int64, device=rows.device), accumulate=True)
    return uniq, inverse, counts


def _unique_impl(input: Tensor, sort_first: bool, return_inverse: bool, return_counts: bool,
                 dim):
    from .creation import arange

    x = input.detach()
    with no_grad():
        if dim is None:
            rows = x.reshape(-1, 1)
            order = _sort_call(x.reshape(-1), 0, False)[1] if sort_first else \
                arange(rows.shape[0], device=x.device)
            uniq, inverse, counts = _unique_runs(rows, order)
            uniq, inverse = uniq.reshape(-1), inverse.reshape(input.shape)
        else:
            d = _wrap_dim(dim, x.ndim)
            perm = [d] + [i for i in range(x.ndim) if i != d]
            moved = x.permute(perm)
            rest = tuple(moved.shape[1:])
            rows = moved.reshape(moved.shape[0], -1)
            order = _lexsort_rows(rows) if sort_first else \
                arange(rows.shape[0], device=x.device)
            uniq, inverse, counts = _unique_runs(rows, order)
            back = [0] * x.ndim
            for i, p in enumerate(perm):
                back[p] = i
            uniq = uniq.reshape((uniq.shape[0],) + rest).permute(back).contiguous()
    out = [uniq]
    if return_inverse:
        out.append(inverse)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


@tensor_method
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct elements (or slices along ``dim``) in ascending order, optionally with the
    inverse indices (position of each input element in the output) and the counts.

    The output is always sorted (``sorted=False`` is allowed to return any order)."""
    return _unique_impl(input, True, return_inverse, return_counts, dim)


@tensor_method
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (or slices along ``dim``)."""
    return _unique_impl(input, False, return_inverse, return_counts, dim)


# ---- counting ---------------------------------------------------------------------------------

@tensor_method
def bincount(input, weights=None, minlength=0) -> Tensor:
    """Counts (or summed ``weights``) of each value of a 1-d non-negative integer tensor, of
    length ``max(input) + 1`` or ``minlength``. Float32 weights give float32, other weights
    float64, no weights int64."""
    from .creation import ones, zeros

    if input.dtype.is_floating_point or input.dtype.is_complex or input.dtype is _dtype.bool:
        raise RuntimeError(f"\"bincount_cpu\" not implemented for '{_type_name(input.dtype)}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    n = input.numel()
    if n and int(input.amin()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = builtins.max(int(input.amax()) + 1 if n else 0, minlength)
    idx = input.to(_dtype.int64)
    with no_grad():
        if weights is None:
            return zeros(size, dtype=_dtype.int64, device=input.device).index_put(
                (idx,), ones(n, dtype=_dtype.int64, device=input.device), accumulate=True)
        dt = _dtype.float32 if weights.dtype is _dtype.float32 else _dtype.float64
        return zeros(size, dtype=dt, device=input.device).index_put(
            (idx,), weights.detach().to(dt), accumulate=True)


def _type_name(dt) -> str:
    from .inplace import _type_name as name

    return name(dt)


@tensor_method
def histc(input, bins=100, min=0, max=0) -> Tensor:  # noqa: A002
    """Histogram of ``bins`` equal-width bins over [min, max] (the data's range when min == max);
    elements outside are ignored, the last bin includes ``max``."""
    from .creation import ones, zeros
    from .elementwise import where

    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{_type_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    lo, hi = float(min), float(max)
    x = input.detach()
    if lo == hi and x.numel():
        lo, hi = float(x.amin()), float(x.amax())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    with no_grad():
        flat = x.reshape(-1)
        inside = (flat >= lo) & (flat <= hi)
        pos = ((flat - lo) * bins / (hi - lo)).floor()
        pos = where(inside, pos.clamp(0, bins - 1), bins).to(_dtype.int64)
        counts = zeros(bins + 1, dtype=input.dtype, device=input.device).index_put(
            (pos,), ones(flat.shape[0], dtype=input.dtype, device=input.device),
            accumulate=True)
    return counts[:bins]


# ---- binary search ----------------------------------------------------------------------------

def _searchsorted_rows(seq: Tensor, values: Tensor, right: bool) -> Tensor:
    """For 2-d ``seq`` (rows sorted) and ``values`` with as many rows: the number of elements
    of each row < value (<= with ``right``). One stable sort of the merged rows: equal keys keep
    the values before (left) or after (right) the sequence, so the sequence elements ahead of a
    value are exactly the ones it counts."""
    from .creation import ones, zeros

    n, m = seq.shape[-1], values.shape[-1]
    rows = seq.shape[0]
    is_seq = [zeros(rows, m, dtype=_dtype.int64, device=seq.device),
              ones(rows, n, dtype=_dtype.int64, device=seq.device)]
    parts = [values, seq]
    if right:
        parts, is_seq = parts[::-1], is_seq[::-1]
    merged, tags = _cat(parts, 1), _cat(is_seq, 1)
    _, order = _sort_call(merged, 1, False)
    tags = _take_along(tags, order, 1)
    seq_before = tags.cumsum(1) - tags
    counts = zeros(rows, n + m, dtype=_dtype.int64, device=seq.device)
    key = (_arange_along(rows, 0, 2, order), order)
    counts = counts.index_put(key, seq_before)
    return counts[:, n:] if right else counts[:, :m]


@tensor_method(name="searchsorted")
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None) -> Tensor:
    """Indices where ``input`` would be inserted into the innermost dim of ``sorted_sequence``
    to keep it sorted: the first such index, or the last with ``right=True`` / ``side="right"``.
    """
    seq = sorted_sequence
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    values = as_tensor_like(input, seq) if scalar else input
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if seq.ndim != 1 and tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(seq.shape)} and "
                           f"input value tensor {list(values.shape)}")
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(seq.shape)}and got sorter "
                               f"tensor {list(sorter.shape)}")
        seq = _take_along(seq.detach(), sorter.to(_dtype.int64), seq.ndim - 1)
    dt = _dtype.promote_types(seq.dtype, values.dtype)
    with no_grad():
        seq, vals = seq.detach().to(dt), values.detach().to(dt)
        if seq.ndim == 1:
            out = _searchsorted_rows(seq.reshape(1, -1), vals.reshape(1, -1), right)
        else:
            lead = tuple(seq.shape[:-1])
            out = _searchsorted_rows(seq.reshape(-1, seq.shape[-1]),
                                     vals.reshape(-1, vals.shape[-1] if vals.ndim else 1), right)
            out = out.reshape(lead + (values.shape[-1],))
        out = out.reshape(values.shape)
    return out.to(_dtype.int32) if out_int32 else out


def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """The bucket of each element for the 1-d sorted ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


Tensor.bucketize = bucketize


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
