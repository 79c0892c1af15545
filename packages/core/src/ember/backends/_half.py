"""Half-precision inputs for CPU kernels built on BLAS/einsum, which NumPy runs only in float32
and wider: compute in float32 (float32 accumulation, like PyTorch) and cast back."""

from __future__ import annotations

import numpy as np


def _is_half(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.itemsize == 2 and a.dtype.kind in "fV"


def half_in_float32(kernel):
    """Wrap ``kernel(a, ...)``: when ``a`` is float16/bfloat16, every half array argument is
    widened to float32 and every floating result is cast back to ``a``'s dtype."""

    def back(out, dtype):
        if isinstance(out, tuple):
            return tuple(back(o, dtype) for o in out)
        if isinstance(out, np.ndarray) and out.dtype == np.float32:
            return out.astype(dtype)
        return out

    def call(a, *args, **kwargs):
        if not _is_half(a):
            return kernel(a, *args, **kwargs)
        widen = [t.astype(np.float32) if _is_half(t) else t for t in (a, *args)]
        kw = {k: (v.astype(np.float32) if _is_half(v) else v) for k, v in kwargs.items()}
        return back(kernel(*widen, **kw), a.dtype)

    call.__name__ = getattr(kernel, "__name__", "kernel")
    return call
