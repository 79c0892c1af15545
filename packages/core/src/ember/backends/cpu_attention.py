"""CPU fast path of ``scaled_dot_product_attention``: NumPy, computed in place.

The scores are made by one batched GEMM and turned into probabilities inside the same buffer
(mask, max-shift, exp, normalise: no temporaries of the scores' size), then one more GEMM gives
the output. The probabilities are returned too: the backward (in ember ops) reuses them.
It matches ``ember.nn.functional.attention._attention_decomposition``, including the "safe
softmax" of fully masked rows (zeros, not NaN).
"""

from __future__ import annotations

import numpy as np

from ._half import half_in_float32


def _causal_blocked(L: int, S: int) -> np.ndarray:
    """True above the top-left aligned diagonal (``ones(L, S).tril()`` is the allowed part)."""
    return np.arange(S)[None, :] > np.arange(L)[:, None]


def _scores(q, k, mask, scale, is_causal):
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    s *= s.dtype.type(scale)
    if mask is not None:
        if mask.dtype == np.bool_:
            if np.broadcast_shapes(s.shape, mask.shape) != s.shape:
                s = np.broadcast_to(s, np.broadcast_shapes(s.shape, mask.shape)).copy()
            np.copyto(s, -np.inf, where=~mask)
        elif np.broadcast_shapes(s.shape, mask.shape) == s.shape:
            s += mask
        else:
            s = s + mask
    if is_causal:
        np.copyto(s, -np.inf, where=_causal_blocked(s.shape[-2], s.shape[-1]))
    return s


def _softmax_inplace(s):
    m = np.max(s, axis=-1, keepdims=True)
    mask_free = bool(np.isfinite(m).all())
    if mask_free:
        s -= m
    else:  # rows with every key masked: shift by 0 → exp gives zeros → probabilities 0
        s -= np.where(np.isfinite(m), m, 0)
    np.exp(s, out=s)
    d = np.sum(s, axis=-1, keepdims=True)
    if not mask_free:
        d[d == 0] = 1
    s /= d
    return s


def sdpa(q, k, v, mask=None, drop=None, *, scale, is_causal=False):
    """-> (output, probabilities)."""
    with np.errstate(invalid="ignore", over="ignore"):
        p = _softmax_inplace(_scores(q, k, mask, scale, is_causal))
    pd = p if drop is None else p * drop
    return _matmul_heads_last(pd, v), p


def _matmul_heads_last(p, v):
    """``p @ v``; a 4-d (N, H, L, Dv) result is laid out as (N, L, H, Dv) in memory (like
    PyTorch's CPU flash attention), so that merging the heads afterwards
    (``out.transpose(1, 2).reshape(N, L, H·Dv)``) is a view, not a copy."""
    if p.ndim != 4 or v.ndim != 4:
        return np.matmul(p, v)
    n, h = np.broadcast_shapes(p.shape[:2], v.shape[:2])
    buf = np.empty((n, p.shape[2], h, v.shape[3]), np.result_type(p, v))
    out = buf.transpose(0, 2, 1, 3)
    np.matmul(p, v, out=out)
    return out


def sdpa_backward(g, q, k, v, p, drop=None, *, scale):
    """-> (grad_q, grad_k, grad_v) from the saved probabilities, reusing one scores-sized buffer
    for the gradient through the softmax."""
    pd = p if drop is None else p * drop
    gv = np.matmul(np.swapaxes(pd, -1, -2), g)
    gs = np.matmul(g, np.swapaxes(v, -1, -2))
    if drop is not None:
        gs *= drop
    row = np.einsum("...ij,...ij->...i", gs, p)[..., None] if gs.shape == p.shape else \
        np.sum(gs * p, axis=-1, keepdims=True)  # the einsum makes no product temporary
    gs -= row
    gs *= p
    gs *= gs.dtype.type(scale)
    return np.matmul(gs, k), np.matmul(np.swapaxes(gs, -1, -2), q), gv


KERNELS = {"scaled_dot_product_attention": half_in_float32(sdpa),
           "scaled_dot_product_attention_backward": half_in_float32(sdpa_backward)}
