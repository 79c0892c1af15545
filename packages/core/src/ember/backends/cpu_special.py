"""CPU fast paths of special functions and softmax.

The SciPy kernels are registered only where SciPy is installed (it is not a dependency of
ember-core); SciPy itself is imported on the first call, not at ``import ember``. Without it the
decompositions in ``ember.ops.special_math`` / ``ember.special`` run.
"""

from __future__ import annotations

import importlib.util

import numpy as np


def _working_dtype(x):
    """SciPy's ufuncs have float32 and float64 loops; half and bfloat16 compute in float32."""
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)


def _scipy(name):
    def kernel(x, **kwargs):
        import scipy.special as sp

        fn = getattr(sp, name)
        with np.errstate(all="ignore"):
            out = fn(kwargs["n"], _working_dtype(x)) if kwargs else fn(_working_dtype(x))
        return np.asarray(out).astype(x.dtype, copy=False)

    kernel.__name__ = name
    return kernel


def _sinc(x):
    return np.sinc(x).astype(x.dtype, copy=False)


def _softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(m), m, 0))
    with np.errstate(invalid="ignore"):
        e /= e.sum(axis=dim, keepdims=True)
    return e


def _log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    z = x - np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


KERNELS = {"sinc": _sinc, "softmax": _softmax, "log_softmax": _log_softmax}
if importlib.util.find_spec("scipy") is not None:
    KERNELS.update({name: _scipy(name) for name in (
        "erfc", "erfcx", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "entr",
        "polygamma")})
