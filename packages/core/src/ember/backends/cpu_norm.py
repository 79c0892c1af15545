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

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _count(shape, axes) -> int:
    return math.prod(shape[a] for a in axes)


def _dot(a, b, axes):
    """sum(a * b) over ``axes`` (keepdims) without materialising the product."""
    sub = _LETTERS[:a.ndim]
    kept = "".join(c for i, c in enumerate(sub) if i not in axes)
    out = np.einsum(f"{sub},{sub}->{kept}", a, b)
    return out.reshape(tuple(1 if i in axes else s for i, s in enumerate(a.shape)))


def native_norm(x, weight, bias, axes, eps):
    """(out, mean, invstd, biased var) of ``x`` normalised over ``axes``, then ``* weight + bias``."""
    n = _count(x.shape, axes)
    mean = np.add.reduce(x, axis=axes, keepdims=True) / n if n else \
        np.full(tuple(1 if i in axes else s for i, s in enumerate(x.shape)), np.nan, x.dtype)
    out = x - mean
    var = _dot(out, out, axes) / n if n else mean.copy()
    invstd = 1.0 / np.sqrt(var + eps)
    if weight is not None:
        np.multiply(out, invstd * weight, out=out)
    else:
        np.multiply(out, invstd, out=out)
    if bias is not None:
        np.add(out, bias, out=out)
    return out, mean.astype(x.dtype, copy=False), invstd.astype(x.dtype, copy=False), \
        var.astype(x.dtype, copy=False)


def native_norm_backward(g, x, weight, mean, invstd, axes, wshape, need_weight, need_bias):
    """(dx, dweight, dbias) of ``native_norm`` with batch statistics (the closed form);
    the parameter gradients have the broadcast shape ``wshape``. Two full-size temporaries."""
    n = _count(x.shape, axes)
    waxes = tuple(i for i, (s, t) in enumerate(zip(x.shape, wshape)) if t == 1 and s != 1)
    xhat = x - mean
    np.multiply(xhat, invstd, out=xhat)
    dw = _dot(g, xhat, waxes) if need_weight else None
    db = np.add.reduce(g, axis=waxes, keepdims=True) if need_bias else None
    dx = g * (weight * invstd) if weight is not None else g * invstd
    s1 = np.add.reduce(dx, axis=axes, keepdims=True) / n
    s2 = _dot(dx, xhat, axes) / n  # invstd * mean(dxhat * xhat): invstd is constant there
    # dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), with dx = invstd * dxhat
    np.multiply(xhat, s2, out=xhat)
    dx -= s1
    dx -= xhat
    return dx, dw, db


def cross_entropy_nll(x, target, weight, ignore_index, label_smoothing):
    """Per-row cross-entropy of (M, C) logits and (M,) class indices, each row's logsumexp and
    the summed weight of the non-ignored targets (the 'mean' divisor): (loss, lse, total).
    Ignored rows give 0; the reduction happens in the op."""
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= x.shape[1]))
    if bad.any():
        raise IndexError(f"Target {target[bad][0]} is out of bounds.")
    m = np.max(x, axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(x - m)
    lse = np.log(np.add.reduce(e, axis=1, keepdims=True)) + m
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
    return np.where(valid, loss, 0).astype(x.dtype, copy=False), \
        lse.astype(x.dtype, copy=False), np.asarray(w_t.sum(), dtype=x.dtype)


def cross_entropy_nll_backward(x, lse, target, weight, coef, ignore_index, label_smoothing):
    """d(sum_i coef_i * loss_i)/dx = coef_i * (s_i * softmax_i - q_i), q the (weighted,
    smoothed) target distribution and s_i its total mass."""
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    coef = np.where(valid, coef, 0)
    rows = np.arange(x.shape[0])
    c = x.shape[1]
    w_t = weight[t] if weight is not None else np.ones_like(coef)
    eps = label_smoothing
    mass = (1 - eps) * w_t + (eps / c) * (weight.sum() if weight is not None else c)
    p = x - lse
    np.exp(p, out=p)
    p *= (coef * mass)[:, None]
    p[rows, t] -= coef * (1 - eps) * w_t
    if eps > 0:
        p -= np.multiply.outer(coef * (eps / c), weight if weight is not None else np.ones(c, x.dtype))
    return p


KERNELS = {
    "native_norm": native_norm,
    "native_norm_backward": native_norm_backward,
    "cross_entropy_nll": cross_entropy_nll,
    "cross_entropy_nll_backward": cross_entropy_nll_backward,
}
