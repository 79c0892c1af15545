"""Fast paths of the hot layers on ``xp``: ``linear`` (+ backward: cuBLAS GEMMs on the rows as
one matrix), gelu / silu / sigmoid, the normalization layers' ``native_norm`` (+ backward),
fused softmax + cross-entropy (+ backward) and scaled dot-product attention (+ backward).

Each kernel computes what the decomposition in ``ember.nn.functional`` computes (the
conformance kit compares them); the formulas are those of the CPU backend's kernels
(``ember/backends/cpu_*.py``), minus its cache blocking, which a GPU does not need.
Half-precision inputs of the reduction-heavy kernels compute in float32 (``half_in_float32``).
"""

from __future__ import annotations

import math

from .array_api import ArrayAPI, half_in_float32, is_half
from .primitives import make_matmul

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_TANH_K = math.sqrt(2.0 / math.pi)


def kernels(api: ArrayAPI) -> dict:
    xp = api.xp
    mm = make_matmul(api)
    table = {
        "linear": _linear(xp, mm),
        "linear_backward": _linear_backward(xp, mm),
        "native_norm": half_in_float32(xp, _native_norm(xp)),
        "native_norm_backward": half_in_float32(xp, _native_norm_backward(xp)),
        "cross_entropy_nll": half_in_float32(xp, cross_entropy_nll_kernel(xp)),
        "cross_entropy_nll_backward": half_in_float32(xp, cross_entropy_nll_backward_kernel(xp)),
        "scaled_dot_product_attention": half_in_float32(xp, sdpa_kernel(xp, mm)),
        "scaled_dot_product_attention_backward": half_in_float32(xp, sdpa_backward_kernel(xp, mm)),
    }
    table.update(_activations(api))
    return table


# ---- linear -------------------------------------------------------------------------------------

def _rows(a, k: int):
    """``a`` as one matrix of ``k`` columns: a single GEMM instead of a batch of small ones."""
    return a.reshape(-1, k) if a.ndim != 2 else a


def _linear(xp, mm):
    def linear(x, w, b=None):
        out = mm(_rows(x, x.shape[-1]), w.T) if x.ndim > 1 else mm(x, w.T)
        if b is not None:
            out += b
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    return linear


def _linear_backward(xp, mm):
    def linear_backward(g, x, w, need_x: bool, need_w: bool, need_b: bool):
        """(grad_input, grad_weight, grad_bias) of ``x @ w.T + b``, None where not needed."""
        out_f, in_f = w.shape
        g2 = _rows(g, out_f)
        gx = mm(g2, w).reshape(x.shape) if need_x else None
        gw = mm(g2.T, _rows(x, in_f)) if need_w else None
        gb = xp.sum(g2, axis=0) if need_b else None
        return gx, gw, gb

    return linear_backward


# ---- activations --------------------------------------------------------------------------------

def _activations(api: ArrayAPI) -> dict:
    xp = api.xp
    erf = api.special("erf")
    f32 = xp.dtype("float32")

    def gelu(x, approximate="none"):
        work = x.astype(f32) if is_half(x.dtype) else x
        if approximate == "tanh":
            inner = (work + 0.044715 * work * work * work) * _TANH_K
            out = 0.5 * work * (1 + xp.tanh(inner))
        else:
            out = 0.5 * work * (1 + erf(work * _SQRT1_2))
        return out.astype(x.dtype, copy=False)

    def sigmoid(x):
        return xp.reciprocal(1 + xp.exp(-x))

    def silu(x):
        return x / (1 + xp.exp(-x))

    return {"gelu": gelu, "sigmoid": sigmoid, "silu": silu}


# ---- normalization ------------------------------------------------------------------------------

def _native_norm(xp):
    def native_norm(x, weight, bias, axes, eps):
        """(out, mean, invstd, biased var) of ``x`` normalised over ``axes``, then
        ``* weight + bias`` (weight and bias broadcast against ``x``)."""
        n = math.prod(x.shape[a] for a in axes)
        if n == 0:
            mean = xp.full(tuple(1 if i in axes else s for i, s in enumerate(x.shape)),
                           math.nan, x.dtype)
        else:
            mean = xp.mean(x, axis=axes, keepdims=True)
        out = x - mean
        var = xp.mean(out * out, axis=axes, keepdims=True) if n else mean.copy()
        invstd = xp.reciprocal(xp.sqrt(var + eps))
        out *= invstd
        if weight is not None:
            out *= weight
        if bias is not None:
            out += bias
        return out, mean, invstd, var

    return native_norm


def _native_norm_backward(xp):
    def native_norm_backward(g, x, weight, mean, invstd, axes, wshape, need_weight, need_bias):
        """(dx, dweight, dbias) of ``native_norm`` with batch statistics (the closed form);
        the parameter gradients have the broadcast shape ``wshape``."""
        n = math.prod(x.shape[a] for a in axes)
        waxes = tuple(i for i, (s, t) in enumerate(zip(x.shape, wshape)) if t == 1 and s != 1)
        xhat = (x - mean) * invstd
        dw = xp.sum(g * xhat, axis=waxes, keepdims=True) if need_weight else None
        db = xp.sum(g, axis=waxes, keepdims=True) if need_bias else None
        dxhat = g * invstd
        if weight is not None:
            dxhat *= weight
        # dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), with invstd folded in
        s1 = xp.sum(dxhat, axis=axes, keepdims=True) / n
        s2 = xp.sum(dxhat * xhat, axis=axes, keepdims=True) / n
        return dxhat - s1 - xhat * s2, dw, db

    return native_norm_backward


# ---- cross-entropy ------------------------------------------------------------------------------

def logsumexp_rows(xp, x):
    """(M, 1) logsumexp of the rows of (M, C) ``x``, shifted by the row max (0 where the max is
    not finite, so that a row of -inf gives -inf, not NaN)."""
    if x.shape[1] == 0:
        return xp.full((x.shape[0], 1), -math.inf, x.dtype)
    m = xp.amax(x, axis=1, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return xp.log(xp.sum(xp.exp(x - m), axis=1, keepdims=True)) + m


def softmax_scaled(xp, x, lse, scale):
    """``exp(x - lse) * scale[:, None]``: the rows' softmax, each scaled."""
    p = xp.exp(x - lse)
    p *= scale.astype(x.dtype, copy=False)[:, None]
    return p


def cross_entropy_nll_kernel(xp, logsumexp=None):
    """The ``cross_entropy_nll`` kernel; ``logsumexp(x)`` gives the rows' (M, 1) logsumexp
    (default: ``logsumexp_rows`` in xp ops)."""
    logsumexp = logsumexp or (lambda x: logsumexp_rows(xp, x))

    def cross_entropy_nll(x, target, weight, ignore_index, label_smoothing):
        """Per-row cross-entropy of (M, C) logits and (M,) class indices: (loss, each row's
        logsumexp, the summed weight of the non-ignored targets). Ignored rows give 0."""
        valid = target != ignore_index
        bad = valid & ((target < 0) | (target >= x.shape[1]))
        if bool(bad.any()):  # one host sync per loss: PyTorch raises here too
            raise IndexError(f"Target {int(target[bad][0])} is out of bounds.")
        lse = logsumexp(x)
        t = xp.where(valid, target, 0)
        rows = xp.arange(x.shape[0])
        picked = x[rows, t] - lse[:, 0]
        w_t = weight[t] * valid if weight is not None else valid.astype(x.dtype)
        loss = -(w_t * picked)
        if label_smoothing > 0:
            c = x.shape[1]
            if weight is not None:
                smooth = -(x @ weight - lse[:, 0] * xp.sum(weight))
            else:
                smooth = -(xp.sum(x, axis=1) - lse[:, 0] * c)
            loss = (1 - label_smoothing) * loss + smooth * (label_smoothing / c)
        loss = xp.where(valid, loss, 0).astype(x.dtype, copy=False)
        return loss, lse, xp.asarray(xp.sum(w_t)).astype(x.dtype)

    return cross_entropy_nll


def cross_entropy_nll_backward_kernel(xp, scaled_softmax=None):
    """The ``cross_entropy_nll_backward`` kernel; ``scaled_softmax(x, lse, scale)`` gives
    ``exp(x - lse) * scale[:, None]`` (default: ``softmax_scaled`` in xp ops)."""
    scaled_softmax = scaled_softmax or (lambda x, lse, scale: softmax_scaled(xp, x, lse, scale))

    def cross_entropy_nll_backward(x, lse, target, weight, coef, ignore_index, label_smoothing):
        """d(sum_i coef_i * loss_i)/dx = coef_i * (s_i * softmax_i - q_i): q the (weighted,
        smoothed) target distribution, s_i its total mass."""
        valid = target != ignore_index
        t = xp.where(valid, target, 0)
        coef = xp.where(valid, coef, 0)
        c = x.shape[1]
        w_t = weight[t] if weight is not None else xp.ones_like(coef)
        eps = label_smoothing
        mass = (1 - eps) * w_t + (eps / c) * (xp.sum(weight) if weight is not None else c)
        p = scaled_softmax(x, lse, (coef * mass).astype(x.dtype, copy=False))
        rows = xp.arange(x.shape[0])
        p[rows, t] -= (coef * (1 - eps) * w_t).astype(x.dtype, copy=False)
        if eps > 0:
            spread = weight if weight is not None else xp.ones(c, x.dtype)
            p -= (coef * (eps / c))[:, None] * spread[None, :]
        return p

    return cross_entropy_nll_backward


# ---- attention ----------------------------------------------------------------------------------

def safe_softmax(xp, s):
    """Softmax over the last axis in which rows of -inf (fully masked) give 0, not NaN."""
    m = xp.amax(s, axis=-1, keepdims=True)
    p = xp.exp(s - xp.where(xp.isfinite(m), m, 0))
    d = xp.sum(p, axis=-1, keepdims=True)
    p /= xp.where(d == 0, 1, d)
    return p


def sdpa_kernel(xp, mm, softmax=None):
    """The attention kernel; ``softmax(scores)`` is the safe softmax over the last axis
    (default: ``safe_softmax`` in xp ops)."""
    softmax = softmax or (lambda s: safe_softmax(xp, s))

    def sdpa(q, k, v, mask=None, drop=None, *, scale, is_causal=False):
        """-> (output, probabilities); fully masked rows get probabilities 0 (no NaN)."""
        s = mm(q, xp.swapaxes(k, -1, -2))
        s *= scale
        if mask is not None:
            s = xp.where(mask, s, -math.inf) if mask.dtype == xp.bool_ else s + mask
        if is_causal:
            rows, cols = s.shape[-2:]
            blocked = xp.arange(cols)[None, :] > xp.arange(rows)[:, None]
            s = xp.where(blocked, -math.inf, s)
        p = softmax(s)
        return mm(p if drop is None else p * drop, v), p

    return sdpa


def softmax_backward(xp, gp, p, scale: float):
    """``(gp - sum(gp * p, -1)) * p * scale``: the gradient through the softmax of the
    (scaled) scores, from the gradient ``gp`` of the probabilities ``p``."""
    gs = (gp - xp.sum(gp * p, axis=-1, keepdims=True)) * p
    gs *= scale
    return gs


def sdpa_backward_kernel(xp, mm, through_softmax=None):
    """The attention backward kernel; ``through_softmax(gp, p, scale)`` is
    ``softmax_backward`` (default: in xp ops)."""
    through_softmax = through_softmax or (lambda gp, p, scale: softmax_backward(xp, gp, p, scale))

    def sdpa_backward(g, q, k, v, p, drop=None, *, scale):
        """-> (grad_q, grad_k, grad_v) from the saved probabilities."""
        pd = p if drop is None else p * drop
        gv = mm(xp.swapaxes(pd, -1, -2), g)
        gp = mm(g, xp.swapaxes(v, -1, -2))
        if drop is not None:
            gp *= drop
        gs = through_softmax(gp, p, scale)
        return mm(gs, k), mm(xp.swapaxes(gs, -1, -2), q), gv

    return sdpa_backward
