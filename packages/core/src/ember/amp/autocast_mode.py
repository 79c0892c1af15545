"""``ember.autocast``: run matmul-like ops in float16/bfloat16 and sensitive ops in float32.

Like PyTorch's autocast: inside the region, ops on the lower-precision list (matmul, mm, bmm,
addmm, linear, conv*, scaled_dot_product_attention) cast their float32 inputs to the region's
dtype; ops on the float32 list (softmax, log_softmax, exp/log family, pow, sum/prod/cumsum,
norms, every loss) cast half inputs up to float32. Other ops run in whatever dtype they get.
Casts are recorded by autograd, so gradients reach float32 parameters as float32.
"""

from __future__ import annotations

import functools

from .. import _dtype
from .state import state

_DEFAULTS = {"cuda": "float16", "cpu": "bfloat16"}


class autocast:
    """Context manager / decorator: ``with ember.autocast("cpu", dtype=ember.bfloat16): ...``.

    Args:
        device_type: the device type whose tensors are autocast ("cpu", "cuda", "opencl"…).
        dtype: the lower precision; default float16 on cuda, bfloat16 elsewhere.
        enabled: False makes the region a no-op (handy to switch AMP with a flag).
        cache_enabled: accepted for compatibility (ember does not cache casts).
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device_type = device_type
        name = _DEFAULTS.get(device_type, "bfloat16") if dtype is None else dtype.name
        if name not in ("float16", "bfloat16"):
            raise RuntimeError(f"In autocast, but the target dtype is not supported: {dtype}. "
                               "Supported: float16, bfloat16")
        self.fast_dtype = _dtype._BY_NAME[name]
        self.enabled = enabled

    def __enter__(self):
        self._prev = dict(state.dtypes)
        if self.enabled:
            state.dtypes[self.device_type] = self.fast_dtype
        else:
            state.dtypes.pop(self.device_type, None)
        state.active = bool(state.dtypes)
        return self

    def __exit__(self, *exc):
        state.dtypes = self._prev
        state.active = bool(state.dtypes)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    return device_type in state.dtypes


def get_autocast_dtype(device_type: str):
    return state.dtypes.get(device_type, _dtype._BY_NAME[_DEFAULTS.get(device_type, "bfloat16")])


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """Decorator for a custom Function's forward: optionally run it outside autocast with inputs
    cast to ``cast_inputs``."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        if cast_inputs is None or device_type not in state.dtypes:
            return fwd(*args, **kwargs)
        from .._tensor import Tensor

        args = [a.to(cast_inputs) if isinstance(a, Tensor) and a.dtype.is_floating_point else a
                for a in args]
        with autocast(device_type, enabled=False):
            return fwd(*args, **kwargs)

    return wrapper


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """Decorator for a custom Function's backward (runs it with the forward's autocast state)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
