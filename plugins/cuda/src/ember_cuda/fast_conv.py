"""Convolution and max pooling on ``xp``: im2col + one batched cuBLAS GEMM.

CuPy 14 no longer exposes cuDNN, so convolution is im2col (a strided view of the padded input's
windows, copied once into a contiguous column buffer) followed by ``matmul`` with the weight:
``(G, Cout/G, Cg·K) @ (N, G, Cg·K, L)`` gives the ``(N, Cout, L)`` output in NCHW order. The
input gradient is a GEMM then col2im (one strided ``+=`` per kernel tap: a loop over the K taps,
never over pixels); the weight gradient is one contraction over the batch and positions.
Max pooling is a running maximum over the taps' strided views.

Names and keyword arguments are those of the composites in ``ember/nn/functional/conv.py`` and
``pooling.py``: ``padding`` is a tuple of ``(before, after)`` pairs (negative values crop).
"""

from __future__ import annotations

import itertools
import math

from .array_api import ArrayAPI, half_in_float32, is_half
from .primitives import make_matmul


def kernels(api: ArrayAPI) -> dict:
    conv = _Conv(api)
    return {
        "convolution": half_in_float32(api.xp, conv.forward),
        "convolution_backward_input": half_in_float32(api.xp, conv.backward_input),
        "convolution_backward_weight": half_in_float32(api.xp, conv.backward_weight),
        "im2col": conv.unfold,
        "col2im": conv.fold,
        "max_pool_with_indices": conv.max_pool,
        "max_pool_backward": conv.max_pool_backward,
    }


def out_size(n: int, lo: int, hi: int, k: int, s: int, d: int) -> int:
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def _taps(k):
    """Every kernel tap (a tuple of offsets), in row-major order."""
    return list(itertools.product(*(range(kk) for kk in k)))


class _Conv:
    def __init__(self, api: ArrayAPI):
        self.xp = api.xp
        self.api = api
        self.mm = make_matmul(api)

    # ---- im2col ---------------------------------------------------------------------------------
    def _pad(self, x, pads, value=0):
        """``x`` (N, C, *spatial) padded with ``value`` by ``pads`` ((lo, hi) per dim)."""
        xp = self.xp
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape[2:]))
        x = x[(slice(None), slice(None)) + crop]
        if all(lo <= 0 and hi <= 0 for lo, hi in pads):
            return x
        shape = x.shape[:2] + tuple(n + max(lo, 0) + max(hi, 0) for (lo, hi), n in
                                    zip(pads, x.shape[2:]))
        out = xp.full(shape, value, x.dtype)
        inner = tuple(slice(max(lo, 0), max(lo, 0) + n) for (lo, _), n in zip(pads, x.shape[2:]))
        out[(slice(None), slice(None)) + inner] = x
        return out

    def _windows(self, xpad, groups, k, stride, dilation, o):
        """The strided view (N, G, Cg, *k, *o) of the padded input's windows (no copy)."""
        n, c = xpad.shape[:2]
        st = xpad.strides
        shape = (n, groups, c // groups, *k, *o)
        strides = (st[0], st[1] * (c // groups), st[1],
                   *(di * sti for di, sti in zip(dilation, st[2:])),
                   *(si * sti for si, sti in zip(stride, st[2:])))
        return self.xp.lib.stride_tricks.as_strided(xpad, shape, strides)

    def im2col(self, x, k, stride, padding, dilation, groups):
        """Columns (N, G, Cg·K, L) of ``x`` (N, C, *spatial), and the output sizes ``o``."""
        o = tuple(out_size(n, lo, hi, kk, s, d) for n, (lo, hi), kk, s, d in
                  zip(x.shape[2:], padding, k, stride, dilation))
        win = self._windows(self._pad(x, padding), groups, k, stride, dilation, o)
        n, g, cg = win.shape[:3]
        cols = self.xp.ascontiguousarray(win)
        return cols.reshape(n, g, cg * math.prod(k), math.prod(o)), o

    def col2im(self, cols, out_shape, k, stride, padding, dilation):
        """Sum ``cols`` (N, C, *k, *o) back into an (N, C, *spatial) image whose padded version
        the windows were taken from (``padding``: the ``before`` pads)."""
        nd = len(k)
        o = cols.shape[2 + nd:]
        full = tuple((oo - 1) * s + d * (kk - 1) + 1 for oo, s, d, kk in zip(o, stride, dilation, k))
        start = tuple(min(0, -lo) for lo in padding)
        end = tuple(max(f, n - lo) for f, n, lo in zip(full, out_shape[2:], padding))
        buf = self.xp.zeros(cols.shape[:2] + tuple(e - s for s, e in zip(start, end)), cols.dtype)
        for tap in _taps(k):
            sl = tuple(slice(t * d - s0, t * d - s0 + st * (oo - 1) + 1, st)
                       for t, d, s0, st, oo in zip(tap, dilation, start, stride, o))
            buf[(slice(None), slice(None)) + sl] += cols[(slice(None), slice(None)) + tap]
        crop = tuple(slice(lo - s0, lo - s0 + n) for lo, s0, n in zip(padding, start, out_shape[2:]))
        return buf[(slice(None), slice(None)) + crop]

    # ---- convolution ------------------------------------------------------------------------------
    def forward(self, x, w, b, *, stride, padding, dilation, groups):
        """Cross-correlation of ``x`` (N, C, *s) with ``w`` (Cout, C/G, *k), plus ``b`` (Cout,)."""
        k = w.shape[2:]
        n, cout = x.shape[0], w.shape[0]
        cols, o = self.im2col(x, k, stride, padding, dilation, groups)
        y = self.mm(w.reshape(groups, cout // groups, -1), cols)  # (N, G, Cout/G, L)
        y = y.reshape(n, cout, *o)
        if b is not None:
            y += b.reshape((cout,) + (1,) * len(k))
        return y

    def backward_input(self, g, w, *, input_size, stride, padding, dilation, groups):
        """The adjoint in the input (the transposed convolution): ``g`` (N, Cout, *o) →
        (N, C, *input_size); ``padding``: the forward's ``before`` pads."""
        n, cout = g.shape[:2]
        k = w.shape[2:]
        cg = w.shape[1]
        wm = self.xp.swapaxes(w.reshape(groups, cout // groups, -1), 1, 2)  # (G, Cg·K, Cout/G)
        cols = self.mm(wm, g.reshape(n, groups, cout // groups, -1))  # (N, G, Cg·K, L)
        cols = cols.reshape(n, groups * cg, *k, *g.shape[2:])
        return self.col2im(cols, (n, groups * cg, *input_size), k, stride, padding, dilation)

    def backward_weight(self, x, g, *, weight_size, stride, padding, dilation, groups,
                        cols=None):
        """d(conv)/d(weight) contracted with ``g`` (N, Cout, *o): one contraction over the
        batch and the output positions (``cols``: unused, the CPU backend's saved columns)."""
        k = tuple(weight_size[2:])
        n, cout = g.shape[:2]
        cols, _ = self.im2col(x, k, stride, padding, dilation, groups)  # (N, G, Cg·K, L)
        gm = g.reshape(n, groups, cout // groups, -1)
        gw = self.xp.einsum("ngol,ngkl->gok", gm, cols)
        return gw.reshape(weight_size)

    def unfold(self, x, *, kernel_size, dilation, padding, stride):
        """``nn.functional.unfold`` of (N, C, *s): (N, C·K, L)."""
        cols, _ = self.im2col(x, tuple(kernel_size), stride, padding, dilation, 1)
        return cols[:, 0]

    def fold(self, cols, *, output_size, kernel_size, dilation, padding, stride):
        """``nn.functional.fold``: (N, C·K, L) summed into (N, C, *output_size)."""
        n = cols.shape[0]
        k = tuple(kernel_size)
        o = tuple(out_size(s, lo, hi, kk, st, d) for s, (lo, hi), kk, st, d in
                  zip(output_size, padding, k, stride, dilation))
        c = cols.shape[1] // math.prod(k)
        img = self.col2im(cols.reshape(n, c, *k, *o), (n, c, *output_size), k, stride,
                          tuple(lo for lo, _ in padding), dilation)
        return self.xp.ascontiguousarray(img)

    # ---- max pooling ------------------------------------------------------------------------------
    def max_pool(self, x, *, kernel_size, stride, padding, dilation, with_indices=True):
        """Window maxima of (N, C, *s) and their flat indices into each input plane; NaN wins
        (max propagates it) and the first tap holding the maximum gives the index."""
        xp = self.xp
        k = tuple(kernel_size)
        o = tuple(out_size(n, lo, hi, kk, s, d) for n, (lo, hi), kk, s, d in
                  zip(x.shape[2:], padding, k, stride, dilation))
        floating = x.dtype.kind in "fV"
        low = -math.inf if floating else xp.iinfo(x.dtype).min
        xpad = self._pad(x, padding, low)
        taps = _taps(k)
        views = [xpad[(slice(None), slice(None)) + tuple(
            slice(t * d, t * d + s * (oo - 1) + 1, s) for t, d, s, oo in
            zip(tap, dilation, stride, o))] for tap in taps]
        vals = views[0].copy()
        for v in views[1:]:
            xp.maximum(vals, v, out=vals)
        if not with_indices:
            return vals, None
        tap = xp.full(vals.shape, len(views) - 1, xp.int64)
        for t in range(len(views) - 2, -1, -1):
            hit = views[t] == vals
            if floating:  # a NaN tap holds the (NaN) maximum
                hit |= xp.isnan(views[t])
            tap = xp.where(hit, t, tap)
        return vals, self._plane_index(x.shape, k, stride, padding, dilation, o, tap)

    def _plane_index(self, x_shape, k, stride, padding, dilation, o, tap):
        """Flat index into the input plane of tap number ``tap`` at every output position."""
        xp = self.xp
        nd = len(k)
        base = xp.zeros((1,) * nd, xp.int64)
        offs = [0] * math.prod(k)
        for i in range(nd):
            shape = [1] * nd
            shape[i] = o[i]
            pos = xp.arange(o[i], dtype=xp.int64).reshape(shape) * stride[i] - padding[i][0]
            base = base * x_shape[2 + i] + pos
        for j, t in enumerate(_taps(k)):
            for i in range(nd):
                offs[j] = offs[j] * x_shape[2 + i] + t[i] * dilation[i]
        return base + xp.asarray(offs, dtype=xp.int64)[tap]

    def max_pool_backward(self, g, indices, *, input_size, disjoint=False):
        """Scatter ``g`` (N, C, *o) into zeros (N, C, *input_size) at ``indices``, summing ties
        (``disjoint``: windows don't overlap, so no index repeats and assignment does)."""
        xp = self.xp
        n, c = g.shape[:2]
        plane = math.prod(input_size)
        flat = (indices.reshape(n * c, -1) + xp.arange(n * c, dtype=xp.int64)[:, None] * plane)
        flat = flat.reshape(-1)
        work = xp.float32 if is_half(g.dtype) and not disjoint else g.dtype
        out = xp.zeros(n * c * plane, work)
        if disjoint:
            out[flat] = g.reshape(-1)
        else:
            self.api.scatter_add(out, flat, g.reshape(-1).astype(work, copy=False))
        return out.astype(g.dtype, copy=False).reshape(n, c, *input_size)
