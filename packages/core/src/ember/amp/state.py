"""Autocast state, read by the ops on PyTorch's autocast lists (kept tiny: ops import it).

``active`` is True while any autocast region is enabled, so an op outside autocast pays one
attribute lookup. Inside, ``lower(...)`` casts float32 inputs of matmul-like ops to the region's
dtype for that device type, and ``full(...)`` casts float16/bfloat16 inputs of precision-hungry
ops (softmax, losses, norms, exp/log…) to float32.
"""

from __future__ import annotations


class _State:
    active = False
    dtypes: dict = {}  # device type → autocast dtype, for enabled regions


state = _State()


def _cast_all(tensors, want):
    from .._tensor import Tensor

    out = []
    for t in tensors:
        if isinstance(t, Tensor):
            dt = want(t)
            if dt is not None and dt is not t.dtype:
                t = t.to(dt)
        out.append(t)
    return out


def lower(*tensors):
    """Inputs of an op on the lower-precision list (matmul, linear, conv, attention)."""
    def want(t):
        dt = state.dtypes.get(t.device.type)
        name = t.dtype.name
        return dt if dt is not None and name in ("float32", "float16", "bfloat16") else None

    return _cast_all(tensors, want)


def full(*tensors):
    """Inputs of an op on the float32 list (softmax, log, exp, losses, norms, sums…)."""
    from .._dtype import float32

    def want(t):
        return float32 if t.device.type in state.dtypes and t.dtype.name in (
            "float16", "bfloat16") else None

    return _cast_all(tensors, want)


def runs_in_float32(fn):
    """Decorator for functions on autocast's float32 list (losses, norms): inside an autocast
    region their half-precision tensor arguments are cast to float32 first."""
    import functools

    from .._tensor import Tensor

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if state.active:
            args = full(*args)
            kwargs = {k: (full(v)[0] if isinstance(v, Tensor) else v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    return wrapper
