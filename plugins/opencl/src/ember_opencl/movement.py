"""Movement and view primitives. Views (view, permute, expand, slice, as_strided) only compute a
new geometry over the same Storage; contiguous and cat copy through the cast kernels."""

from __future__ import annotations

import math

from .array import CLArray, contiguous_strides, empty, restride
from .elementwise import cast, check_devices


def _view_strides(shape, strides, new_shape):
    """PyTorch's computeStride: strides giving ``new_shape`` over the same memory, or None."""
    if math.prod(shape) == 0 or not shape:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = strides[d - 1]
                tensor_numel = view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def view(x: CLArray, shape) -> CLArray:
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        shape = tuple(x.size // known if s == -1 else s for s in shape)
    if math.prod(shape) != x.size:
        raise ValueError(f"shape '{list(shape)}' is invalid for input of size {x.size}")
    strides = _view_strides(x.shape, x.strides, shape)
    if strides is None:
        raise ValueError(f"view size {list(shape)} is not compatible with input tensor's size "
                         f"{list(x.shape)} and stride {list(x.strides)}: at least one dimension "
                         "spans across two contiguous subspaces. Use .reshape(...) instead.")
    return restride(x, shape, strides)


def permute(x: CLArray, dims) -> CLArray:
    dims = tuple(dims)
    return restride(x, tuple(x.shape[d] for d in dims), tuple(x.strides[d] for d in dims))


def expand(x: CLArray, shape) -> CLArray:
    shape = tuple(shape)
    lead = len(shape) - x.ndim
    strides = (0,) * lead + tuple(0 if size == 1 and want != 1 else st for size, want, st in
                                  zip(x.shape, shape[lead:], x.strides))
    return restride(x, shape, strides)


def slice_(x: CLArray, key) -> CLArray:
    """Basic indexing: ints, slices with step > 0, None and one Ellipsis."""
    key = tuple(key)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if any(k is Ellipsis for k in key):
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:at] + (slice(None),) * (x.ndim - used) + key[at + 1:]
    else:
        key = key + (slice(None),) * (x.ndim - used)
    shape, strides, offset, d = [], [], x.offset, 0
    for k in key:
        if k is None:
            shape.append(1)
            strides.append(strides[-1] * shape[-2] if shape[:-1] else 1)
            continue
        size, st = x.shape[d], x.strides[d]
        if isinstance(k, slice):
            start, stop, step = k.indices(size)
            n = len(range(start, stop, step))
            if n:
                offset += start * st
            shape.append(n)
            strides.append(st * step)
        else:
            i = int(k)
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
            offset += (i % size) * st
        d += 1
    return restride(x, shape, strides, offset)


def as_strided(x: CLArray, shape, strides, offset) -> CLArray:
    shape, strides = tuple(int(s) for s in shape), tuple(int(s) for s in strides)
    capacity = x.storage.nbytes // x.dtype.itemsize
    if math.prod(shape) and (offset + sum((n - 1) * s for n, s in zip(shape, strides)) >= capacity
                             or offset < 0):
        raise RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)} and "
                           f"storage offset {offset} are out of bounds for a storage of "
                           f"{capacity} elements")
    return restride(x, shape, strides, int(offset))


def contiguous(x: CLArray) -> CLArray:
    return cast(x, x.dtype)


def cat(xs, dim: int) -> CLArray:
    xs = list(xs)
    check_devices("cat", *xs)
    first = xs[0]
    size = sum(x.shape[dim] for x in xs)
    out = empty(first.device, first.shape[:dim] + (size,) + first.shape[dim + 1:], first.dtype)
    at = 0
    for x in xs:
        n = x.shape[dim]
        if n:
            part = restride(out, x.shape, out.strides, out.offset + at * out.strides[dim])
            cast(x, out.dtype, out=part)
        at += n
    return out
