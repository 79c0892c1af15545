"""CPU fast paths of the hot basic layers: ``linear`` (one GEMM, bias added in place), ``gelu``,
``silu`` and ``sigmoid`` (a few in-place NumPy passes instead of one temporary per elementary
op).

Each kernel agrees with the decomposition of the op in ``ember.nn.functional`` (tests compare
them); the ops' backwards are written in ember ops, so the kernels are forward-only.
"""

from __future__ import annotations

import math

import numpy as np

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


def _linear(x, w, b=None):
    out = np.matmul(x, w.T)
    if b is not None:
        if out.ndim:
            out += b
        else:
            out = out + b
    return np.asarray(out)


def _gelu(x, approximate="none"):
    with np.errstate(over="ignore"):
        if approximate == "tanh":
            t = np.asarray(x * x)
            t *= 0.044715
            t += 1.0
            t *= x
            t *= _TANH_K  # k * (x + 0.044715 x^3)
            np.tanh(t, out=t)
        else:
            t = np.asarray(_get_erf()(np.asarray(x * _SQRT1_2)))
        t += 1.0
        t *= x
        t *= 0.5
    return t.astype(x.dtype, copy=False)


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


KERNELS = {"linear": _linear, "gelu": _gelu, "silu": _silu, "sigmoid": _sigmoid}
