"""Elementwise fast paths on ``xp``: math functions the array module has in one call, the
in-place kernels (``add_``, ``mul_``, ``addcmul_``… for optimizer steps: no temporaries), and
softmax / log_softmax.

On CuPy each ``xp`` function here is one kernel launch; ``fused.py`` replaces the ones whose
decomposition would take several (gelu, silu, sigmoid, softmax rows) with CUDA C kernels.
"""

from __future__ import annotations

from .array_api import ArrayAPI, is_half

_UNARY = {  # ember name → xp function name
    "expm1": "expm1", "log1p": "log1p", "tan": "tan", "sinh": "sinh", "cosh": "cosh",
    "asin": "arcsin", "acos": "arccos", "asinh": "arcsinh", "acosh": "arccosh",
    "atanh": "arctanh", "exp2": "exp2", "log2": "log2", "log10": "log10",
    "reciprocal": "reciprocal", "square": "square", "isinf": "isinf", "isfinite": "isfinite",
}
_INPLACE_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide", "pow": "power",
    "maximum": "maximum", "minimum": "minimum", "remainder": "remainder", "fmod": "fmod",
    "atan2": "arctan2", "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or",
    "bitwise_xor": "bitwise_xor",
}
_INPLACE_UNARY = {
    "neg": "negative", "abs": "abs", "sqrt": "sqrt", "exp": "exp", "log": "log", "sin": "sin",
    "cos": "cos", "tanh": "tanh", "floor": "floor", "ceil": "ceil", "trunc": "trunc",
    "reciprocal": "reciprocal", "sign": "sign", "square": "square", "expm1": "expm1",
    "log1p": "log1p",
}


def kernels(api: ArrayAPI) -> dict:
    xp = api.xp
    table = {name: getattr(xp, fn) for name, fn in _UNARY.items()}
    table["flip"] = lambda x, dims: xp.flip(x, dims)  # a view; the op copies it
    table["relu"] = lambda x: xp.maximum(x, 0)  # a Python 0 keeps x's dtype
    table.update(softmax=_softmax(xp), log_softmax=_log_softmax(xp))
    table.update(_inplace(xp))
    return table


# ---- softmax ------------------------------------------------------------------------------------

def _row_max(xp, x, dim):
    """The max along ``dim`` (keepdims), 0 where it is not finite: a row of -inf (all masked)
    then gives exp(-inf - 0) = 0 instead of NaN."""
    m = xp.amax(x, axis=dim, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


def _softmax(xp):
    def softmax(x, dim):
        work = x.astype(xp.float32) if is_half(x.dtype) else x  # float32 accumulation
        e = xp.exp(work - _row_max(xp, work, dim))
        e /= xp.sum(e, axis=dim, keepdims=True)
        return e.astype(x.dtype, copy=False)

    return softmax


def _log_softmax(xp):
    def log_softmax(x, dim):
        work = x.astype(xp.float32) if is_half(x.dtype) else x
        z = work - _row_max(xp, work, dim)
        z -= xp.log(xp.sum(xp.exp(z), axis=dim, keepdims=True))
        return z.astype(x.dtype, copy=False)

    return log_softmax


# ---- in place -----------------------------------------------------------------------------------

def _inplace(xp) -> dict:
    """``<op>_`` kernels writing into their first array. A kernel the array module refuses
    (a cast it can't do in place, shapes that don't broadcast into ``a``) raises TypeError or
    ValueError, and ember then takes its generic path, which reports PyTorch's error."""

    def binary(ufunc):
        def kernel(a, b):
            ufunc(a, b, out=a)

        return kernel

    def unary(ufunc):
        def kernel(a):
            if a.dtype.kind not in "fcV":  # int → float results can't be written in place
                raise TypeError("in-place float op on a non-float array")
            ufunc(a, out=a)

        return kernel

    def relu_(a):
        xp.maximum(a, 0, out=a)

    def lerp_(a, end, weight):
        a += weight * (end - a)

    def addcmul_(a, t1, t2, value=1):
        prod = xp.multiply(t1, t2)
        if value != 1:
            prod *= value
        xp.add(a, prod, out=a)

    def addcdiv_(a, t1, t2, value=1):
        quot = xp.true_divide(t1, t2)
        if value != 1:
            quot *= value
        xp.add(a, quot, out=a)

    def clamp_(a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        if min is not None:
            xp.maximum(a, min, out=a)
        if max is not None:
            xp.minimum(a, max, out=a)

    table = {f"{name}_": binary(getattr(xp, fn)) for name, fn in _INPLACE_BINARY.items()}
    table.update({f"{name}_": unary(getattr(xp, fn)) for name, fn in _INPLACE_UNARY.items()})
    table.update(relu_=relu_, lerp_=lerp_, addcmul_=addcmul_, addcdiv_=addcdiv_, clamp_=clamp_)
    return table
