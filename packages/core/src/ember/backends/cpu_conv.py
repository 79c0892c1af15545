"""CPU fast paths of convolution, its two adjoints, im2col/col2im and max pooling (NumPy arrays).

Convolution is im2col + ONE batched GEMM: the windows of the padded input are copied once, through
a strided view, into a contiguous ``(N, G, Cg·K, L)`` buffer (K kernel taps, L output positions)
and multiplied by the ``(G, Cout/G, Cg·K)`` weight in a single ``np.matmul`` call, which writes the
``(N, Cout, L)`` result straight into NCHW order. The weight gradient builds the column buffer
with the batch folded into the GEMM's inner dimension ``(G, Cg·K, N·L)`` so that it is again one
GEMM; the input gradient is one GEMM followed by col2im, a scatter-add done as one strided
``+=`` per kernel tap (a loop over the K taps, never over pixels or batch elements).

Names and keyword arguments are those of the composites in ``ember/nn/functional/conv.py`` and
``pooling.py``; ``padding`` is a tuple of ``(before, after)`` pairs per spatial dim (negative
values crop).
"""

from __future__ import annotations

import math

import numpy as np

from ._half import half_in_float32

_as_strided = np.lib.stride_tricks.as_strided
_CHUNK = 1 << 19  # elements of a column block that stays in (L2) cache


def out_size(n: int, lo: int, hi: int, k: int, s: int, d: int) -> int:
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def _pad(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """``x`` (N, C, *spatial) padded with ``value`` by ``pads`` ((lo, hi) per spatial dim)."""
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape[2:]))
    x = x[(slice(None), slice(None)) + crop]
    if all(lo <= 0 and hi <= 0 for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(n + max(lo, 0) + max(hi, 0) for (lo, hi), n in
                                zip(pads, x.shape[2:]))
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(max(lo, 0), max(lo, 0) + n) for (lo, _), n
                                           in zip(pads, x.shape[2:]))] = x
    return out


def _windows(xp: np.ndarray, groups: int, k, stride, dilation, o) -> np.ndarray:
    """The strided view (N, G, Cg, *k, *o) of the padded input's windows (no copy)."""
    n, c = xp.shape[:2]
    st = xp.strides
    shape = (n, groups, c // groups, *k, *o)
    strides = (st[0], st[1] * (c // groups), st[1],
               *(di * sti for di, sti in zip(dilation, st[2:])),
               *(si * sti for si, sti in zip(stride, st[2:])))
    return _as_strided(xp, shape, strides, writeable=False)


def _geometry(x_shape, k, stride, padding, dilation):
    return tuple(out_size(n, lo, hi, kk, s, d) for n, (lo, hi), kk, s, d in
                 zip(x_shape[2:], padding, k, stride, dilation))


def im2col_batch_major(x, k, stride, padding, dilation, groups):
    """Columns (N, G, Cg·K, L) of ``x`` (N, C, *spatial)."""
    o = _geometry(x.shape, k, stride, padding, dilation)
    win = _windows(_pad(x, padding), groups, k, stride, dilation, o)
    n, g, cg = win.shape[:3]
    cols = np.empty(win.shape, x.dtype)
    np.copyto(cols, win)
    return cols.reshape(n, g, cg * math.prod(k), math.prod(o)), o


def im2col_channel_major(x, k, stride, padding, dilation, groups):
    """Columns (G, Cg·K, N·L): the batch inside the GEMM's inner dimension."""
    o = _geometry(x.shape, k, stride, padding, dilation)
    win = _windows(_pad(x, padding), groups, k, stride, dilation, o)
    nd = len(k)
    n, g, cg = win.shape[:3]
    win = win.transpose(1, 2, *range(3, 3 + nd), 0, *range(3 + nd, 3 + 2 * nd))
    cols = np.empty(win.shape, x.dtype)
    np.copyto(cols, win)
    return cols.reshape(g, cg * math.prod(k), n * math.prod(o))


_COLUMNS_BUDGET = 8 * 1024 * 1024  # bytes of im2col buffer per chunk of the batch
_FEW_ROWS = 32  # below this many column rows (Cg·K) the weight gradient is per-image GEMMs


def convolution(x, w, b, *, stride, padding, dilation, groups):
    """Cross-correlation of ``x`` (N, C, *s) with ``w`` (Cout, C/G, *k), plus ``b`` (Cout,).

    The batch goes through in chunks whose column buffer fits ``_COLUMNS_BUDGET``: the whole
    batch's im2col would be K times the input (58 MB for LeNet's conv2 at batch 256), while a
    chunk's stays in cache and peak memory stays near the output's size.
    """
    k = w.shape[2:]
    n, cout = x.shape[0], w.shape[0]
    o = _geometry(x.shape, k, stride, padding, dilation)
    per_image = x.dtype.itemsize * (x.shape[1] * math.prod(k)) * math.prod(o)
    chunk = max(1, min(n, _COLUMNS_BUDGET // max(per_image, 1)))
    wm = w.reshape(groups, cout // groups, -1)
    y = np.empty((n, cout, *o), np.result_type(x, w))
    for start in range(0, n, chunk):
        cols, _ = im2col_batch_major(x[start:start + chunk], k, stride, padding, dilation,
                                     groups)
        part = y[start:start + chunk].reshape(len(cols), groups, cout // groups, -1)
        np.matmul(wm, cols, out=part)
    if b is not None:
        y += b.reshape((cout,) + (1,) * len(k))
    return y


def convolution_keep_columns(x, w, b, *, stride, padding, dilation, groups):
    """``convolution`` for training: also returns the channel-major columns (G, Cg·K, N·L)
    that ``convolution_backward_weight`` would otherwise rebuild (``cols=``).

    The columns are filled a batch chunk at a time (``_COLUMNS_BUDGET``), each chunk's GEMM
    running while they are still warm; its (G, Cout/G, m·L) product is scattered into NCHW.
    Few rows (Cg·K < 32): the weight gradient doesn't use these columns and they are cheap to
    build, so the plain forward runs and the columns are None."""
    k = w.shape[2:]
    n, cout = x.shape[0], w.shape[0]
    o = _geometry(x.shape, k, stride, padding, dilation)
    lo, cg, ck = math.prod(o), x.shape[1] // groups, x.shape[1] // groups * math.prod(k)
    if ck < _FEW_ROWS:
        return convolution(x, w, b, stride=stride, padding=padding, dilation=dilation,
                           groups=groups), None
    chunk = max(1, min(n, _COLUMNS_BUDGET // max(x.dtype.itemsize * groups * ck * lo, 1)))
    wm = w.reshape(groups, cout // groups, -1)
    xp = _pad(x, padding)
    nd = len(k)
    cols = np.empty((groups, ck, n * lo), x.dtype)
    y = np.empty((n, cout, lo), np.result_type(x, w))
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        win = _windows(xp[start:start + m], groups, k, stride, dilation, o)
        part = cols[:, :, start * lo:(start + m) * lo]
        np.copyto(part.reshape(groups, cg, *k, m, *o),
                  win.transpose(1, 2, *range(3, 3 + nd), 0, *range(3 + nd, 3 + 2 * nd)))
        prod = np.matmul(wm, part).reshape(groups, cout // groups, m, lo)
        np.copyto(y[start:start + m].reshape(m, groups, cout // groups, lo),
                  prod.transpose(2, 0, 1, 3))
    if b is not None:
        y += b.reshape(cout, 1)
    return y.reshape(n, cout, *o), cols


def convolution_backward_weight(x, g, *, weight_size, stride, padding, dilation, groups,
                                cols=None):
    """d(conv)/d(weight) contracted with ``g`` (N, Cout, *o): a correlation of x and g.

    ``cols``: the forward's channel-major columns (G, Cg·K, N·L) of ``x`` when it kept them
    (``convolution_keep_columns``), else they are built here. With few rows (Cg·K, e.g. a
    first layer's single input channel) one GEMM would be a thin, slow product: a batch of
    per-image GEMMs summed over the batch is faster. Otherwise ONE GEMM per group
    (Cg·K, N·L) @ (N·L, Cout/G) whose left operand is the contiguous column buffer (the faster
    orientation for BLAS), transposed at the end (small)."""
    k = tuple(weight_size[2:])
    if cols is None:
        cols = im2col_channel_major(x, k, stride, padding, dilation, groups)
    n, cout = g.shape[:2]
    cpg = cout // groups
    lo = math.prod(g.shape[2:])
    ck = cols.shape[1]
    if ck < _FEW_ROWS:
        per_image = np.matmul(g.reshape(n, groups, cpg, lo).transpose(1, 0, 2, 3),
                              cols.reshape(groups, ck, n, lo).transpose(0, 2, 3, 1))
        return per_image.sum(1).reshape(weight_size)  # (G, N, Cout/G, Cg·K) summed over N
    gt = g.reshape(n, groups, cpg, lo).transpose(1, 2, 0, 3)
    gt = np.ascontiguousarray(gt).reshape(groups, cpg, -1)
    gw = np.matmul(cols, gt.transpose(0, 2, 1))  # (G, Cg·K, Cout/G)
    return np.ascontiguousarray(gw.transpose(0, 2, 1)).reshape(weight_size)


def col2im(cols, out_shape, k, stride, padding, dilation):
    """Sum the columns ``cols`` (N, C, *k, *o) back into an (N, C, *spatial) image whose
    padded version the windows were taken from (``padding``: the ``before`` pads)."""
    nd = len(k)
    o = cols.shape[2 + nd:]
    full = tuple((oo - 1) * s + d * (kk - 1) + 1 for oo, s, d, kk in zip(o, stride, dilation, k))
    start = tuple(min(0, -lo) for lo in padding)
    end = tuple(max(f, n - lo) for f, n, lo in zip(full, out_shape[2:], padding))
    # the buffer spans both the windows' reach and the requested output region
    buf = np.zeros(cols.shape[:2] + tuple(e - s for s, e in zip(start, end)), cols.dtype)
    for tap in np.ndindex(*k):
        sl = tuple(slice(t * d - s0, t * d - s0 + st * (oo - 1) + 1, st)
                   for t, d, s0, st, oo in zip(tap, dilation, start, stride, o))
        view = buf[(slice(None), slice(None)) + sl]
        np.add(view, cols[(slice(None), slice(None)) + tap], out=view)
    crop = tuple(slice(lo - s0, lo - s0 + n) for lo, s0, n in zip(padding, start, out_shape[2:]))
    return buf[(slice(None), slice(None)) + crop]


def _backward_input_flat(g, wm, cg, k, input_size, padding, dilation):
    """Stride-1 transposed convolution with a col2im of contiguous adds: ``g`` is embedded
    (zero-filled) in the flattened col2im buffer's grid, so every kernel tap is a constant
    shift of the flat buffer and its scatter-add one contiguous ``+=`` (the zeros at the
    embedding's extra positions add nothing)."""
    n, cout = g.shape[:2]
    o = g.shape[2:]
    groups = wm.shape[0]
    full = tuple(oo + d * (kk - 1) for oo, d, kk in zip(o, dilation, k))
    start = tuple(min(0, -lo) for lo in padding)
    span = tuple(max(f, sz - lo) - s0 for f, sz, lo, s0 in zip(full, input_size, padding, start))
    bstr = [math.prod(span[i + 1:]) for i in range(len(span))]
    flat_len = sum((oo - 1) * st for oo, st in zip(o, bstr)) + 1
    emb = np.zeros((n, cout, *span), g.dtype)
    emb[(slice(None), slice(None)) + tuple(slice(0, oo) for oo in o)] = g
    emb = emb.reshape(n, groups, cout // groups, -1)[..., :flat_len]
    offs = [sum((tt * d - s0) * st for tt, d, s0, st in zip(tap, dilation, start, bstr))
            for tap in np.ndindex(*k)]
    buf = np.zeros((n, groups * cg, math.prod(span)), np.result_type(g, wm))
    # a few images at a time, so that the columns are still in cache for the adds
    step = max(1, _CHUNK // (groups * cg * len(offs) * flat_len))
    for i in range(0, n, step):
        e = emb[i:i + step]
        cols = np.matmul(wm[0], e[:, 0]) if groups == 1 else np.matmul(wm, e)
        cols = cols.reshape(len(e), groups * cg, len(offs), flat_len)
        for t, off in enumerate(offs):
            view = buf[i:i + step, :, off:off + flat_len]
            np.add(view, cols[:, :, t], out=view)
    crop = tuple(slice(lo - s0, lo - s0 + sz) for lo, s0, sz in zip(padding, start, input_size))
    return buf.reshape(n, groups * cg, *span)[(slice(None), slice(None)) + crop]


def convolution_backward_input(g, w, *, input_size, stride, padding, dilation, groups):
    """The adjoint of convolution in its input (= transposed convolution): ``g`` (N, Cout, *o)
    to (N, C, *input_size); ``padding`` holds the forward's ``before`` pads."""
    n, cout = g.shape[:2]
    k = w.shape[2:]
    cg = w.shape[1]
    o = g.shape[2:]
    wm = w.reshape(groups, cout // groups, -1).transpose(0, 2, 1)  # (G, Cg·K, Cout/G)
    if all(s == 1 for s in stride):
        return _backward_input_flat(g, wm, cg, k, input_size, padding, dilation)
    gm = g.reshape(n, groups, cout // groups, -1)
    cols = np.matmul(wm[0], gm[:, 0]) if groups == 1 else np.matmul(wm, gm)
    cols = cols.reshape(n, groups * cg, *k, *o)
    img = col2im(cols, (n, groups * cg, *input_size), k, stride, padding, dilation)
    return img


def unfold(x, *, kernel_size, dilation, padding, stride):
    """``nn.functional.unfold`` of (N, C, *s): (N, C·K, L)."""
    cols, _ = im2col_batch_major(x, kernel_size, stride, padding, dilation, 1)
    return cols[:, 0]


def fold(cols, *, output_size, kernel_size, dilation, padding, stride):
    """``nn.functional.fold``: (N, C·K, L) summed into (N, C, *output_size)."""
    n = cols.shape[0]
    k = tuple(kernel_size)
    o = tuple(out_size(s, lo, hi, kk, st, d) for s, (lo, hi), kk, st, d in
              zip(output_size, padding, k, stride, dilation))
    c = cols.shape[1] // math.prod(k)
    img = col2im(cols.reshape(n, c, *k, *o), (n, c, *output_size), k, stride,
                 tuple(lo for lo, _ in padding), dilation)
    return np.ascontiguousarray(img)


def _tap_views(xp, k, stride, dilation, o):
    """One strided (N, C, *o) view of the padded input per kernel tap, taps in row-major order."""
    views = []
    for tap in np.ndindex(*k):
        sl = tuple(slice(t * d, t * d + s * (oo - 1) + 1, s)
                   for t, d, s, oo in zip(tap, dilation, stride, o))
        views.append(xp[(slice(None), slice(None)) + sl])
    return views


def _plane_index(x_shape, k, stride, padding, dilation, o, tap):
    """Flat plane index of tap number ``tap`` (an integer array over the output grid)."""
    nd = len(k)
    base = np.zeros((1,) * nd, np.int64)
    offs = np.zeros(math.prod(k), np.int64)
    for i, tp in enumerate(np.unravel_index(np.arange(math.prod(k)), k)):
        shape = [1] * nd
        shape[i] = o[i]
        pos = np.arange(o[i]).reshape(shape) * stride[i] - padding[i][0]
        base = base * x_shape[2 + i] + pos
        offs = offs * x_shape[2 + i] + tp * dilation[i]
    return np.add(base, np.take(offs, tap), dtype=np.int64)


def _max_pool_2x2(x, with_indices):
    """The 2×2 stride-2 case: three ``np.maximum`` on the four tap views; the first maximum's
    tap by pairwise comparisons (bit ops on bool masks, no ``where``)."""
    a, b, c, d = (x[:, :, i:2 * oh:2, j:2 * ow:2]
                  for oh, ow in [(x.shape[2] // 2, x.shape[3] // 2)] for i in (0, 1)
                  for j in (0, 1))
    top = np.maximum(a, b)
    bottom = np.maximum(c, d)
    if not with_indices:
        return np.maximum(top, bottom, out=top), None
    right_top = np.greater(b, a)  # strictly greater: the first of equal values wins
    right_bottom = np.greater(d, c)
    down = np.greater(bottom, top)
    # right = down ? right_bottom : right_top, in bit ops
    right = right_top ^ ((right_top ^ right_bottom) & down)
    vals = np.maximum(top, bottom, out=top)
    if vals.dtype.kind == "f" and np.isnan(vals).any():
        return None  # NaN ordering: the general loop handles it
    w = x.shape[3]
    oh, ow = vals.shape[2:]
    base = np.arange(oh)[:, None] * (2 * w) + np.arange(ow) * 2
    idx = np.add(base, right, dtype=np.int64)
    idx += np.multiply(down, w, dtype=np.int64)
    return vals, idx


def max_pool(x, *, kernel_size, stride, padding, dilation, with_indices=True):
    """Window maxima of (N, C, *s) and their flat indices into each input plane (PyTorch's).

    A loop over the kernel taps (never pixels): the running ``np.maximum`` of the taps' strided
    views (NaN propagates, so NaN wins), then the first tap equal to the maximum, scanning the
    taps backwards. ``padding`` is ((lo, hi), ...) with ``hi`` already including ceil_mode's
    extra; ``with_indices=False`` skips the indices (returns None for them)."""
    k = tuple(kernel_size)
    if (len(k) == 2 and k == (2, 2) and tuple(stride) == (2, 2) and tuple(dilation) == (1, 1)
            and all(lo == 0 and hi <= 0 for lo, hi in padding)):
        out = _max_pool_2x2(x, with_indices)
        if out is not None:
            return out
    o = _geometry(x.shape, k, stride, padding, dilation)
    views = _tap_views(_pad(x, padding, -np.inf), k, stride, dilation, o)
    vals = views[0].copy()
    for v in views[1:]:
        np.maximum(vals, v, out=vals)
    if not with_indices:
        return vals, None
    nan = vals.dtype.kind == "f" and bool(np.isnan(vals).any())
    tap = np.full(vals.shape, len(views) - 1, np.min_scalar_type(len(views)))
    hit = np.empty(vals.shape, bool)
    for t in range(len(views) - 2, -1, -1):
        np.equal(views[t], vals, out=hit)
        if nan:  # a NaN tap can only match a NaN maximum
            hit |= np.isnan(views[t])
        np.copyto(tap, t, where=hit)
    return vals, _plane_index(x.shape, k, stride, padding, dilation, o, tap)


def max_pool_backward(g, indices, *, input_size, disjoint=False):
    """Scatter ``g`` (N, C, *o) into zeros (N, C, *input_size) at ``indices`` (summing ties);
    ``disjoint``: the windows don't overlap, so no index repeats in a plane and a plain
    assignment does."""
    n, c = g.shape[:2]
    plane = math.prod(input_size)
    if disjoint:
        out = np.zeros((n, c, plane), g.dtype)
        np.put_along_axis(out, indices.reshape(n, c, -1), g.reshape(n, c, -1), 2)
        return out.reshape(n, c, *input_size)
    flat_idx = (indices.reshape(n * c, -1) + (np.arange(n * c) * plane)[:, None]).ravel()
    out = np.bincount(flat_idx, weights=g.ravel(), minlength=n * c * plane)
    return out.astype(g.dtype, copy=False).reshape(n, c, *input_size)


KERNELS = {
    "convolution": half_in_float32(convolution),
    "convolution_backward_input": half_in_float32(convolution_backward_input),
    "convolution_backward_weight": half_in_float32(convolution_backward_weight),
    # not a primitive: conv.py's training forward keeps the columns when a backend has it
    "convolution_keep_columns": convolution_keep_columns,
    "im2col": unfold,
    "col2im": fold,
    "max_pool_with_indices": max_pool,
    "max_pool_backward": max_pool_backward,
}
