"""In-place fast paths of the CPU backend: kernels named ``<op>_`` that write into their first
argument (``np.<ufunc>(a, b, out=a)``), so ``p.add_(g)`` or an optimizer step allocates nothing.

The dispatcher (``ember.ops.inplace``) uses them only when no graph is being recorded; a kernel
that NumPy refuses (dtype that can't be cast, shapes that don't broadcast into ``a``) raises
``TypeError``/``ValueError`` and the generic path then reports PyTorch's error.
"""

from __future__ import annotations

import numpy as np

_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
           "pow": np.power, "maximum": np.maximum, "minimum": np.minimum,
           "remainder": np.remainder, "fmod": np.fmod, "atan2": np.arctan2,
           "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
           "bitwise_xor": np.bitwise_xor}
_UNARY = {"neg": np.negative, "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log,
          "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "floor": np.floor, "ceil": np.ceil,
          "trunc": np.trunc, "reciprocal": np.reciprocal, "sign": np.sign,
          "square": np.square, "expm1": np.expm1, "log1p": np.log1p}


_MAY_WARN = {np.true_divide, np.power, np.remainder, np.fmod, np.arctan2}


def _binary(ufunc):
    if ufunc not in _MAY_WARN:  # add_/mul_… are on hot paths: no errstate context (~1 µs)
        def kernel(a, b):
            ufunc(a, b, out=a, casting="same_kind")

        return kernel

    def quiet_kernel(a, b):
        with np.errstate(all="ignore"):
            ufunc(a, b, out=a, casting="same_kind")

    return quiet_kernel


def _unary(ufunc):
    def kernel(a):
        if a.dtype.kind not in "fc":  # int → float results can't be written in place
            raise TypeError("in-place float op on a non-float array")
        with np.errstate(all="ignore"):
            ufunc(a, out=a)

    return kernel


def _relu_(a):
    np.maximum(a, 0, out=a)


def _lerp_(a, end, weight):
    a += weight * (end - a)


def _addcmul_(a, t1, t2, value=1):
    prod = np.multiply(t1, t2)
    if value != 1:
        prod *= value
    np.add(a, prod, out=a, casting="same_kind")


def _addcdiv_(a, t1, t2, value=1):
    with np.errstate(all="ignore"):
        quot = np.true_divide(t1, t2)
    if value != 1:
        quot *= value
    np.add(a, quot, out=a, casting="same_kind")


def _clamp_(a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    np.clip(a, min, max, out=a)


KERNELS = {f"{name}_": _binary(uf) for name, uf in _BINARY.items()}
KERNELS.update({f"{name}_": _unary(uf) for name, uf in _UNARY.items()})
KERNELS.update(relu_=_relu_, lerp_=_lerp_, addcmul_=_addcmul_, addcdiv_=_addcdiv_,
               clamp_=_clamp_)
