"""CPU fast paths of the hot basic layers: ``linear`` (one GEMM, bias added in place), ``gelu``,
``silu`` and ``sigmoid`` (a few in-place NumPy passes instead of one temporary per elementary
op).

Each kernel agrees with the decomposition of the op in ``ember.nn.functional`` (tests compare
them); the ops' backwards are written in ember ops, so the kernels are forward-only.
"""

from __future__ import annotations

import math

import numpy as np

from ._half import half_in_float32

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_TANH_K = math.sqrt(2.0 / math.pi)
_erf = None


def _get_erf():
    """The CPU backend's erf kernel (SciPy when installed), looked up on first use."""
    global _erf
    if _erf is None:
        from .cpu import _special  # cpu.py imports this module: import it lazily

        _erf = _special("erf")
    return _erf


def _rows(a, k: int):
    """``a`` as a matrix of ``k`` columns: one GEMM over all leading dims instead of NumPy's
    batched loop of small ones (much slower); a copy only when ``a`` is not contiguous."""
    return a.reshape(math.prod(a.shape[:-1]), k) if a.ndim != 2 else a


def _linear(x, w, b=None):
    if x.ndim > 2 and w.ndim == 2:
        out = np.matmul(_rows(x, x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
    else:
        out = np.matmul(x, w.T)
    if b is not None:
        if out.ndim:
            out += b
        else:
            out = out + b
    return np.asarray(out)


def _linear_backward(g, x, w, need_x: bool, need_w: bool, need_b: bool):
    """(grad_input, grad_weight, grad_bias) of ``x @ w.T + b``: two GEMMs on the rows as
    matrices (transposes are BLAS flags, not copies) and one column sum; None where not needed.
    ``linear``'s forward kernel takes ``(out_features, in_features)`` weights only."""
    out_f, in_f = w.shape
    g2 = _rows(g, out_f)
    gx = np.matmul(g2, w).reshape(x.shape) if need_x else None
    gw = np.matmul(g2.T, _rows(x, in_f)) if need_w else None
    gb = np.add.reduce(g2, axis=0) if need_b else None
    return gx, gw, gb


def _gelu(x, approximate="none"):
    with np.errstate(over="ignore", invalid="ignore"):  # ±inf inputs: inf · 0 gives nan quietly
        if approximate == "tanh":
            t = np.asarray(x * x)
            t *= 0.044715
            t += 1.0
            t *= x
            t *= _TANH_K  # k * (x + 0.044715 x^3)
            np.tanh(t, out=t)
        elif x.dtype == np.float32:
            return _gelu_erf_float32(x)
        else:
            t = np.asarray(_get_erf()(np.asarray(x * _SQRT1_2)))
        t += 1.0
        t *= x
        t *= 0.5
    return t.astype(x.dtype, copy=False)


# Abramowitz & Stegun 7.1.26: erf(z) = 1 - (a1 t + … + a5 t⁵) exp(-z²), t = 1 / (1 + p|z|), for
# z >= 0, absolute error <= 1.5e-7 — the formula of PyTorch's vectorised float32 CPU erf. Here
# z = |x|/√2: p is divided by √2 and the a_k by 2, so the polynomial times exp(-x²/2) is
# q = 1 - Φ(|x|) directly.
_AS_P = np.float32(0.3275911 * _SQRT1_2)
_AS_A = [np.float32(a / 2) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736,
                                     0.254829592)]


def _gelu_erf_float32(x):
    """Exact GELU ``x Φ(x)`` in float32 from NumPy's SIMD exp and a polynomial, ~20 in-place
    passes over blocks that stay in the cache (3-4x faster than SciPy's erf).

    With a = |x| and q = 1 - Φ(a) = (a1 t + … + a5 t⁵) exp(-x²/2):
    GELU(x) = relu(x) - a q, where relu(x) = (x + a) / 2 is exact — so the negative tail keeps
    its relative accuracy, and no masked (slow) NumPy pass is needed."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    block = 1 << 15
    a_buf, t_buf, w_buf = (np.empty(min(block, flat.size), np.float32) for _ in range(3))
    for start in range(0, flat.size, block):
        xs, ys = flat[start:start + block], out[start:start + block]
        n = xs.size
        a, t, w = a_buf[:n], t_buf[:n], w_buf[:n]
        np.abs(xs, out=a)
        np.multiply(a, _AS_P, out=t)
        t += np.float32(1.0)
        np.divide(np.float32(1.0), t, out=t)
        np.multiply(t, _AS_A[0], out=ys)
        for coef in _AS_A[1:]:
            ys += coef
            ys *= t
        np.square(xs, out=w)
        w *= np.float32(-0.5)
        np.exp(w, out=w)
        ys *= w  # q
        ys *= a
        np.add(xs, a, out=w)
        w *= np.float32(0.5)  # relu(x)
        np.subtract(w, ys, out=ys)
    np.copyto(out, flat, where=np.isposinf(flat))  # inf · q(inf) = inf · 0 above
    return out.reshape(x.shape)


def _silu(x):
    with np.errstate(over="ignore"):
        d = np.exp(np.negative(x))
        d += 1.0
        return np.asarray(np.divide(x, d))


def _sigmoid(x):
    # one pass instead of the decomposition's four; exp(-x) overflowing to inf gives 0 quietly
    with np.errstate(over="ignore"):
        d = np.exp(np.negative(x))
        d += 1.0
        return np.asarray(np.reciprocal(d))


KERNELS = {"linear": half_in_float32(_linear),
           "linear_backward": half_in_float32(_linear_backward), "gelu": _gelu, "silu": _silu,
           "sigmoid": _sigmoid}
