"""CPU fast paths of the normalization layers and of softmax + cross-entropy.

``native_norm`` serves batch, layer, group and instance norm alike: the op layer views the input
so that the statistics reduce over ``axes`` and the affine weight broadcasts against it (batch
norm: ``(N, C, S)`` over ``(0, 2)``; layer norm: ``(M, K)`` over ``(1,)``; group norm:
``(N, G, C/G, S)`` over ``(2, 3)``). The forward returns what the backward needs (mean and
1/std), so a training step reads the activations twice forward and three times backward.
The variance is the two-pass one (mean first), like the decomposition in ``ember.nn.functional``.
"""

from __future__ import annotations

import math

import numpy as np

from ._half import half_in_float32

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _count(shape, axes) -> int:
    return math.prod(shape[a] for a in axes)


def _dot(a, b, axes):
    """sum(a * b) over ``axes`` (keepdims) without materialising the product."""
    sub = _LETTERS[:a.ndim]
    kept = "".join(c for i, c in enumerate(sub) if i not in axes)
    out = np.einsum(f"{sub},{sub}->{kept}", a, b)
    return out.reshape(tuple(1 if i in axes else s for i, s in enumerate(a.shape)))


_CHUNK = 1 << 16  # elements per block of rows: the block's temporaries stay in the L2 cache


def _row_blocks(rows: int, cols: int):
    """Slices of at most ``_CHUNK`` elements' worth of rows (at least one row each)."""
    step = max(1, _CHUNK // max(cols, 1))
    return [slice(i, min(i + step, rows)) for i in range(0, rows, step)], step


def _scale_inplace(a, invstd, weight) -> None:
    """``a *= invstd * weight``: through their product when it is small (batch norm's
    per-channel factors), else one in-place pass each (layer norm: the product would be a
    temporary of ``a``'s size)."""
    if weight is None:
        a *= invstd
    elif np.broadcast_shapes(invstd.shape, weight.shape) != a.shape:
        a *= invstd * weight
    else:
        a *= invstd
        a *= weight


def _rows_norm(x, weight, bias, eps):
    """``native_norm`` of layer norm's (M, K) view, block by block of rows (each block's
    passes run on cached data; the output is the only full-size array)."""
    k = x.shape[1]
    out = np.empty(x.shape, x.dtype)
    mean = np.add.reduce(x, axis=1, keepdims=True) / k
    var = np.empty_like(mean)
    for b in _row_blocks(*x.shape)[0]:
        o = out[b]
        np.subtract(x[b], mean[b], out=o)
        np.einsum("ij,ij->i", o, o, out=var[b, 0])
    var /= k
    invstd = 1.0 / np.sqrt(var + eps)
    for b in _row_blocks(*x.shape)[0]:
        o = out[b]
        _scale_inplace(o, invstd[b], weight)
        if bias is not None:
            o += bias
    return out, mean, invstd, var


def native_norm(x, weight, bias, axes, eps):
    """(out, mean, invstd, biased var) of ``x`` normalised over ``axes``, then ``* weight + bias``."""
    n = _count(x.shape, axes)
    if x.ndim == 2 and axes == (1,) and n and x.dtype.itemsize >= 4:
        return _rows_norm(x, weight, bias, eps)
    mean = np.add.reduce(x, axis=axes, keepdims=True) / n if n else \
        np.full(tuple(1 if i in axes else s for i, s in enumerate(x.shape)), np.nan, x.dtype)
    out = x - mean
    var = _dot(out, out, axes) / n if n else mean.copy()
    invstd = 1.0 / np.sqrt(var + eps)
    _scale_inplace(out, invstd, weight)
    if bias is not None:
        np.add(out, bias, out=out)
    return out, mean.astype(x.dtype, copy=False), invstd.astype(x.dtype, copy=False), \
        var.astype(x.dtype, copy=False)


def _rows_norm_backward(g, x, weight, mean, invstd, need_weight, need_bias):
    """``native_norm_backward`` of layer norm's (M, K) view, block by block of rows: x-hat
    lives in one block-sized buffer, the result is the only full-size array."""
    k = x.shape[1]
    dx = np.empty(x.shape, x.dtype)
    dw = np.zeros((1, k), x.dtype) if need_weight else None
    blocks, step = _row_blocks(*x.shape)
    buf = np.empty((min(step, x.shape[0]), k), x.dtype)
    for b in blocks:
        xh, gb, d, inv = buf[:b.stop - b.start], g[b], dx[b], invstd[b]
        np.subtract(x[b], mean[b], out=xh)
        xh *= inv
        if need_weight:
            dw += np.einsum("ij,ij->j", gb, xh)
        np.multiply(gb, inv, out=d)
        if weight is not None:
            d *= weight
        s1 = np.add.reduce(d, axis=1, keepdims=True)
        s1 /= k
        s2 = np.einsum("ij,ij->i", d, xh)[:, None]
        s2 /= k
        xh *= s2
        d -= s1
        d -= xh
    db = np.add.reduce(g, axis=0, keepdims=True) if need_bias else None
    return dx, dw, db


def native_norm_backward(g, x, weight, mean, invstd, axes, wshape, need_weight, need_bias):
    """(dx, dweight, dbias) of ``native_norm`` with batch statistics (the closed form);
    the parameter gradients have the broadcast shape ``wshape``. Two full-size temporaries."""
    n = _count(x.shape, axes)
    if x.ndim == 2 and axes == (1,) and n and tuple(wshape) == (1, n) and \
            g.dtype == x.dtype == invstd.dtype and x.dtype.itemsize >= 4:
        return _rows_norm_backward(g, x, weight, mean, invstd, need_weight, need_bias)
    waxes = tuple(i for i, (s, t) in enumerate(zip(x.shape, wshape)) if t == 1 and s != 1)
    xhat = x - mean
    np.multiply(xhat, invstd, out=xhat)
    dw = _dot(g, xhat, waxes) if need_weight else None
    db = np.add.reduce(g, axis=waxes, keepdims=True) if need_bias else None
    dx = np.array(g, dtype=np.result_type(g, invstd), copy=True)
    _scale_inplace(dx, invstd, weight)
    s1 = np.add.reduce(dx, axis=axes, keepdims=True) / n
    s2 = _dot(dx, xhat, axes) / n  # invstd * mean(dxhat * xhat): invstd is constant there
    # dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), with dx = invstd * dxhat
    np.multiply(xhat, s2, out=xhat)
    dx -= s1
    dx -= xhat
    return dx, dw, db


def _logsumexp_rows(x):
    """(M, 1) logsumexp of each row of (M, C) ``x``, shifted by the row max (0 for rows whose
    max is not finite), block by block: one block-sized temporary instead of two of x's size."""
    m = np.max(x, axis=1, keepdims=True) if x.shape[1] else \
        np.full((x.shape[0], 1), -np.inf, x.dtype)
    m[~np.isfinite(m)] = 0
    lse = np.empty((x.shape[0], 1), x.dtype)
    blocks, step = _row_blocks(*x.shape)
    buf = np.empty((min(step, x.shape[0]), x.shape[1]), x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for b in blocks:
            e = buf[:b.stop - b.start]
            np.subtract(x[b], m[b], out=e)
            np.exp(e, out=e)
            np.add.reduce(e, axis=1, keepdims=True, out=lse[b])
        np.log(lse, out=lse)
    lse += m
    return lse


def cross_entropy_nll(x, target, weight, ignore_index, label_smoothing):
    """Per-row cross-entropy of (M, C) logits and (M,) class indices, each row's logsumexp and
    the summed weight of the non-ignored targets (the 'mean' divisor): (loss, lse, total).
    Ignored rows give 0; the reduction happens in the op."""
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= x.shape[1]))
    if bad.any():
        raise IndexError(f"Target {target[bad][0]} is out of bounds.")
    lse = _logsumexp_rows(x)
    t = np.where(valid, target, 0)
    rows = np.arange(x.shape[0])
    picked = x[rows, t] - lse[:, 0]
    w_t = weight[t] * valid if weight is not None else valid.astype(x.dtype)
    loss = -(w_t * picked)
    if label_smoothing > 0:
        c = x.shape[1]
        if weight is not None:
            smooth = -(x @ weight - lse[:, 0] * weight.sum())
        else:
            smooth = -(np.add.reduce(x, axis=1) - lse[:, 0] * c)
        loss = (1 - label_smoothing) * loss + smooth * (label_smoothing / c)
    return np.where(valid, loss, 0).astype(x.dtype, copy=False), lse, \
        np.asarray(w_t.sum(), dtype=x.dtype)


def cross_entropy_nll_backward(x, lse, target, weight, coef, ignore_index, label_smoothing):
    """d(sum_i coef_i * loss_i)/dx = coef_i * (s_i * softmax_i - q_i), q the (weighted,
    smoothed) target distribution and s_i its total mass. The softmax is made block by block
    of rows, straight into the result (each block's passes run on cached data)."""
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    coef = np.where(valid, coef, 0)
    rows = np.arange(x.shape[0])
    c = x.shape[1]
    w_t = weight[t] if weight is not None else np.ones_like(coef)
    eps = label_smoothing
    mass = (1 - eps) * w_t + (eps / c) * (weight.sum() if weight is not None else c)
    scale = (coef * mass).astype(x.dtype, copy=False)[:, None]
    p = np.empty(x.shape, x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for b in _row_blocks(*x.shape)[0]:
            pb = p[b]
            np.subtract(x[b], lse[b], out=pb)
            np.exp(pb, out=pb)
            pb *= scale[b]
    p[rows, t] -= coef * (1 - eps) * w_t
    if eps > 0:
        p -= np.multiply.outer(coef * (eps / c), weight if weight is not None else np.ones(c, x.dtype))
    return p


KERNELS = {
    "native_norm": half_in_float32(native_norm),
    "native_norm_backward": half_in_float32(native_norm_backward),
    "cross_entropy_nll": cross_entropy_nll,
    "cross_entropy_nll_backward": cross_entropy_nll_backward,
}
