"""Convolution and max-pooling fast paths: im2col into channel-major columns (G, Cg·K, N·L) by
one kernel (padding handled there, no padded copy), one batched GEMM per call, and the adjoint
col2im as a gather (each input element sums the taps that read it: no atomics). Up to 3 spatial
dims. Signatures follow the CPU backend's kernels of the same names."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .array import CLArray, contiguous_strides, empty, restride
from .elementwise import binary, cast, check_devices, fill
from .matmul import matmul
from .movement import view


def _out_size(n, lo, hi, k, s, d) -> int:
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def _geometry(x: CLArray, in_size, k, o, stride, lo, dilation, groups) -> np.ndarray:
    """The cgeom_t words of kernels/nn.cl."""
    sd = len(k)
    if sd > 3:
        raise RuntimeError(f"the OpenCL backend convolves/pools at most 3 spatial dims, got {sd}")
    n, c = x.shape[:2]

    def three(v):
        return list(v) + [1] * (3 - len(v))

    xs = list(x.strides) + [0] * (5 - x.ndim)
    words = [sd, n, c, groups, c // groups, math.prod(k), math.prod(o), x.offset, *xs,
             *three(in_size), *three(k), *three(o), *three(stride), *three(lo), *three(dilation)]
    return np.asarray(words, np.int32)


def _im2col(x, k, o, stride, lo, dilation, groups) -> CLArray:
    n, c = x.shape[:2]
    cols = empty(x.device, (groups, c // groups * math.prod(k), n * math.prod(o)), x.dtype)
    g = _geometry(x, x.shape[2:], k, o, stride, lo, dilation, groups)
    x.device.launch(x.device.kernel("nn", x.dtype, "im2col"), cols.size, cols.buf, x.buf, g)
    return cols


def _weight_matrix(w: CLArray, groups: int) -> CLArray:
    """(G, Cout/G, Cg·K) view of the weight (a copy only for a non-contiguous weight)."""
    shape = (groups, w.shape[0] // groups, math.prod(w.shape[1:]))
    try:
        return view(w, shape)
    except ValueError:
        return view(cast(w, w.dtype), shape)


def _channel_major(g: CLArray, groups: int) -> CLArray:
    """(G, Cout/G, N·L) contiguous copy of the output gradient (N, Cout, *o)."""
    n, cout = g.shape[:2]
    lo = math.prod(g.shape[2:])
    try:
        g3 = view(g, (n, cout, lo))
    except ValueError:
        g3 = view(cast(g, g.dtype), (n, cout, lo))
    cpg = cout // groups
    sn, sc, sl = g3.strides
    perm = restride(g3, (groups, cpg, n, lo), (cpg * sc, sc, sn, sl))
    return view(cast(perm, g.dtype), (groups, cpg, n * lo))


def convolution(x, w, b, *, stride, padding, dilation, groups):
    """Cross-correlation of ``x`` (N, C, *s) with ``w`` (Cout, C/G, *k) plus ``b`` (Cout,);
    ``padding``: (before, after) per spatial dim."""
    check_devices("convolution", x, w, *([b] if b is not None else []))
    n, cout = x.shape[0], w.shape[0]
    k = w.shape[2:]
    lo = tuple(p[0] for p in padding)
    o = tuple(_out_size(sz, p0, p1, kk, s, d) for sz, (p0, p1), kk, s, d in
              zip(x.shape[2:], padding, k, stride, dilation))
    L, cpg = math.prod(o), cout // groups
    if n * L == 0:
        return fill(empty(x.device, (n, cout, *o), x.dtype), 0)
    cols = _im2col(x, k, o, stride, lo, dilation, groups)
    y = matmul(_weight_matrix(w, groups), cols)  # (G, Cout/G, N·L)
    y4 = restride(y, (n, groups, cpg, L), (L, cpg * n * L, n * L, 1))
    if b is None:
        out = cast(y4, x.dtype)
    else:
        bs = b.strides[0]
        out = binary("add", y4, restride(b, (1, groups, cpg, 1), (0, cpg * bs, bs, 0)))
    return restride(out, (n, cout, *o), contiguous_strides((n, cout, *o)), 0)


def convolution_backward_input(g, w, *, input_size, stride, padding, dilation, groups):
    """The adjoint in the input (the transposed convolution): (N, Cout, *o) → (N, C,
    *input_size); ``padding``: the forward's before-pads."""
    n = g.shape[0]
    k, o = w.shape[2:], g.shape[2:]
    c = w.shape[1] * groups
    img = empty(g.device, (n, c, *input_size), g.dtype)
    if img.size == 0:
        return img
    if math.prod(o) == 0:
        return fill(img, 0)
    wm = _weight_matrix(w, groups)
    wt = restride(wm, (wm.shape[0], wm.shape[2], wm.shape[1]),
                  (wm.strides[0], wm.strides[2], wm.strides[1]))
    cols = matmul(wt, _channel_major(g, groups))  # (G, Cg·K, N·L)
    geo = _geometry(img, input_size, k, o, stride, padding, dilation, groups)
    g.device.launch(g.device.kernel("nn", g.dtype, "col2im"), img.size, img.buf, cols.buf, geo)
    return img


def convolution_backward_weight(x, g, *, weight_size, stride, padding, dilation, groups,
                                cols=None):
    """The adjoint in the weight: the correlation of x (N, C, *s) and g (N, Cout, *o)."""
    k, o = tuple(weight_size[2:]), g.shape[2:]
    if math.prod(o) * x.shape[0] == 0:
        return fill(empty(x.device, tuple(weight_size), x.dtype), 0)
    lo = tuple(p[0] for p in padding)
    cols = _im2col(x, k, o, stride, lo, dilation, groups)  # (G, Cg·K, N·L)
    colsT = restride(cols, (cols.shape[0], cols.shape[2], cols.shape[1]),
                     (cols.strides[0], 1, cols.shape[2]))
    gw = matmul(_channel_major(g, groups), colsT)  # (G, Cout/G, Cg·K)
    return restride(gw, tuple(weight_size), contiguous_strides(tuple(weight_size)), 0)


def max_pool(x, *, kernel_size, stride, padding, dilation, with_indices=True):
    """(window maxima, their flat indices in each input plane); NaN wins, first maximum."""
    k = tuple(kernel_size)
    o = tuple(_out_size(sz, p0, p1, kk, s, d) for sz, (p0, p1), kk, s, d in
              zip(x.shape[2:], padding, k, stride, dilation))
    n, c = x.shape[:2]
    vals = empty(x.device, (n, c, *o), x.dtype)
    idx = empty(x.device, (n, c, *o), dtypes.INT64)
    if vals.size:
        geo = _geometry(x, x.shape[2:], k, o, stride, tuple(p[0] for p in padding), dilation, 1)
        x.device.launch(x.device.kernel("nn", x.dtype, "max_pool"), vals.size, vals.buf, idx.buf,
                        x.buf, geo)
    return vals, idx if with_indices else None


def max_pool_backward(g, indices, *, input_size, disjoint=False):
    """Scatter g (N, C, *o) into zeros (N, C, *input_size) at ``indices``, summing ties."""
    n, c = g.shape[:2]
    out = fill(empty(g.device, (n, c, *input_size), g.dtype), 0)
    if g.size == 0:
        return out
    g = g if g.is_contiguous() else cast(g, g.dtype)
    idx = indices if indices.is_contiguous() else cast(indices, indices.dtype)
    dev = g.device
    dev.launch(dev.kernel("indexing", g.dtype, "plane_scatter_add"), g.size, out.buf, g.buf,
               idx.buf, np.int32(math.prod(g.shape[2:])), np.int32(math.prod(input_size)),
               np.int32(g.size), np.int32(disjoint))
    return out


KERNELS = {"convolution": convolution, "convolution_backward_input": convolution_backward_input,
           "convolution_backward_weight": convolution_backward_weight,
           "max_pool_with_indices": max_pool, "max_pool_backward": max_pool_backward}
