"""Reductions over any axes (sum, prod, amax, amin, argmax, argmin), scans along one axis
(cumsum, cumprod) and sort: the ``reduce`` program of each element type."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .array import CLArray, empty
from .geometry import MAXD, merge_dims
from .runtime import MAX_GROUPS

RWG = 128  # the RWG of kernels/reduce.cl


def _dims_tuple(dims, ndim: int) -> tuple:
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, int):
        dims = (dims,)
    return tuple(sorted({d % ndim if ndim else 0 for d in dims}))


def _split(x: CLArray, dims: tuple):
    """(kept shape, kept strides, reduced shape, reduced strides), each group merged."""
    kept = [d for d in range(x.ndim) if d not in dims]
    ks, (kst,) = merge_dims([x.shape[d] for d in kept], [[x.strides[d] for d in kept]])
    rs, (rst,) = merge_dims([x.shape[d] for d in dims], [[x.strides[d] for d in dims]])
    if len(ks) > MAXD or len(rs) > MAXD:
        raise RuntimeError(f"the OpenCL backend reduces at most {MAXD} non-mergeable dimensions "
                           f"(input {list(x.shape)}, strides {list(x.strides)})")
    return ks, kst, rs, rst


def _pack_words(head, *groups) -> np.ndarray:
    words = list(head)
    for grp in groups:
        words += list(grp) + [0] * (MAXD - len(grp))
    return np.asarray(words, np.int32)


def _reduce(name: str, x: CLArray, dims, keepdim: bool, out_dtype) -> CLArray:
    dims = _dims_tuple(dims, x.ndim)
    kept_shape = tuple(n for d, n in enumerate(x.shape) if d not in dims)
    shape = tuple(1 if d in dims else n for d, n in enumerate(x.shape)) if keepdim else kept_shape
    dev = x.device
    out = empty(dev, shape, out_dtype)
    nout, R = math.prod(kept_shape), math.prod(x.shape[d] for d in dims)
    if nout == 0:
        return out
    ks, kst, rs, rst = _split(x, dims)
    per_thread = (nout >= 256 and R <= 1024) or R <= 16
    g = _pack_words([len(ks), len(rs), nout, R, int(per_thread), x.offset, 0, 0],
                    ks, kst, rs, rst)
    kernel = dev.kernel("reduce", x.dtype, name)
    if per_thread:
        dev.launch(kernel, nout, out.buf, x.buf, g)
    else:
        groups = min(nout, MAX_GROUPS)
        kernel(dev.queue, (groups * RWG,), (RWG,), out.buf, x.buf, g)
    return out


def _acc_dtype(x: CLArray) -> np.dtype:
    return dtypes.INT64 if x.dtype.kind in "biu" else x.dtype


def sum_(x, dims, keepdim):
    return _reduce("sum", x, dims, keepdim, _acc_dtype(x))


def prod(x, dims, keepdim):
    return _reduce("prod", x, dims, keepdim, _acc_dtype(x))


def amax(x, dims, keepdim):
    return _reduce("amax", x, dims, keepdim, x.dtype)


def amin(x, dims, keepdim):
    return _reduce("amin", x, dims, keepdim, x.dtype)


def argmax(x, dim, keepdim):
    return _reduce("argmax", x, dim, keepdim, dtypes.INT64)


def argmin(x, dim, keepdim):
    return _reduce("argmin", x, dim, keepdim, dtypes.INT64)


# ---- line-wise kernels: scans and sort ---------------------------------------------------------

def _lines(x: CLArray, out: CLArray, dim: int) -> np.ndarray:
    """The lgeom_t words for walking ``x`` and ``out`` line by line along ``dim``."""
    kept = [d for d in range(x.ndim) if d != dim]
    ks, (kst, kost) = merge_dims([x.shape[d] for d in kept],
                                 [[x.strides[d] for d in kept], [out.strides[d] for d in kept]])
    nlines = math.prod(x.shape[d] for d in kept)
    return _pack_words([len(ks), nlines, x.shape[dim], x.strides[dim], out.strides[dim],
                        x.offset, 0, 0], ks, kst, kost)


def _as_1d(x: CLArray) -> CLArray:
    return CLArray(x.storage, (1,), (1,), x.offset, x.dtype) if x.ndim == 0 else x


def _scan(name: str, x: CLArray, dim: int, out_dtype) -> CLArray:
    shape = x.shape
    x = _as_1d(x)
    dim = dim % x.ndim
    out = empty(x.device, x.shape, out_dtype)
    if out.size:
        g = _lines(x, out, dim)
        x.device.launch(x.device.kernel("reduce", x.dtype, name), int(g[1]), out.buf, x.buf, g)
    return CLArray(out.storage, shape, out.strides[len(out.shape) - len(shape):], 0, out_dtype)


def cumsum(x, dim):
    return _scan("cumsum", x, dim, _acc_dtype(x))


def cumprod(x, dim):
    return _scan("cumprod", x, dim, _acc_dtype(x))


def sort(x: CLArray, dim: int, descending: bool, stable: bool):
    """(values, int64 indices) along ``dim``; always stable; NaN sorts as the largest value."""
    shape = x.shape
    x = _as_1d(x)
    dim = dim % x.ndim
    dev = x.device
    values, indices = empty(dev, x.shape, x.dtype), empty(dev, x.shape, dtypes.INT64)
    if values.size:
        g = _lines(x, values, dim)
        scratch = [empty(dev, (values.size,), t) for t in (x.dtype, np.int32, x.dtype, np.int32)]
        dev.launch(dev.kernel("reduce", x.dtype, "sort"), int(g[1]), values.buf, indices.buf,
                   *(s.buf for s in scratch), x.buf, g, np.int32(bool(descending)))
    if len(shape) == 0:
        values, indices = (CLArray(a.storage, (), (), 0, a.dtype) for a in (values, indices))
    return values, indices
