"""float16 tensors: stored as OpenCL ``half`` (which needs no cl_khr_fp16 extension), and
computed in float32. Every kernel except the conversions and views is wrapped: float16 operands
are converted to float32, the float32 kernel runs, and its floating results are rounded back
to float16 — NumPy's own float16 semantics (its ufuncs compute in float32 too), and the CPU
backend's for matmul and convolutions."""

from __future__ import annotations

from . import dtypes
from .array import CLArray
from .elementwise import cast

#: kernels that handle float16 themselves: conversions (the cast kernels of half.cl and
#: elementwise.cl) and views, which never look at the elements
NATIVE = {"astype", "copy_", "contiguous", "cat", "view", "permute", "expand", "slice",
          "as_strided"}


def _has_half(v) -> bool:
    if isinstance(v, CLArray):
        return v.dtype == dtypes.HALF
    if isinstance(v, (tuple, list)):
        return any(_has_half(x) for x in v)
    return v is dtypes.HALF or (hasattr(v, "itemsize") and v == dtypes.HALF)


def _map(v, fn):
    """fn applied to every CLArray (and dtype) in v, through tuples and lists."""
    if isinstance(v, (tuple, list)):
        return type(v)(_map(x, fn) for x in v)
    return fn(v)


def _up(v):
    if isinstance(v, CLArray):
        return cast(v, dtypes.FLOAT32) if v.dtype == dtypes.HALF else v
    return dtypes.FLOAT32 if _has_half(v) else v


def _down(v):
    if isinstance(v, CLArray) and v.dtype == dtypes.FLOAT32:
        return cast(v, dtypes.HALF)
    return v


def via_float32(name: str, fn):
    """``fn`` (a float32-capable kernel) made to accept float16 operands and dtypes."""
    if name in NATIVE:
        return fn

    def kernel(*args, **kwargs):
        if not (any(_has_half(a) for a in args) or any(_has_half(v) for v in kwargs.values())):
            return fn(*args, **kwargs)
        up_args = [_map(a, _up) for a in args]
        up_kwargs = {k: _map(v, _up) for k, v in kwargs.items()}
        if name == "index_put":  # in place: work on a float32 copy, then write it back
            x = args[0]
            fn(*up_args, **up_kwargs)
            cast(up_args[0], dtypes.HALF, out=x)
            return None
        return _map(fn(*up_args, **up_kwargs), _down)

    kernel.__name__ = name
    return kernel
