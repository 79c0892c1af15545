"""ember: a PyTorch-compatible deep-learning framework.

``import ember as torch`` goes a long way: tensors with NumPy-like ops and views, define-by-run
autograd, and a device registry that backend plugins (``ember-cuda``, ``ember-opencl``, or your
own) join through the ``ember.backends`` entry point. The CPU backend (NumPy) is built in.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import backends  # noqa: I001 - registers the CPU backend first
from ._device import device
from ._dtype import (bfloat16, bool, can_cast, cdouble, cfloat, complex64, complex128, double,
                     dtype, float, float16, float32, float64, get_default_dtype, half, int,
                     int8, int16, int32, int64, long, promote_types, result_type,
                     set_default_dtype, short, uint8)
from ._tensor import Size, Tensor
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)
from .ops import *  # noqa: F403 - the op namespace: ember.add, ember.matmul, …
from .ops import creation as _creation
from .ops.creation import get_default_device, set_default_device
from ._random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed,
                      manual_seed, multinomial, normal, poisson, rand, rand_like, randint,
                      randint_like, randn, randn_like, randperm, seed, set_rng_state)
from ._backend_namespace import backend_namespace as _backend_namespace

from . import autograd  # noqa: E402


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.dtype.is_floating_point


def is_complex(input: Tensor) -> bool:
    return input.dtype.is_complex


_LAZY_MODULES = {
    "linalg", "fft", "special", "testing", "nn", "amp", "utils", "optim", "hub", "distributed",
}
# top-level names that live in lazily imported modules: name → (module, attribute)
_LAZY_ATTRS = {
    "autocast": ("ember.amp", "autocast"),
    "is_autocast_enabled": ("ember.amp", "is_autocast_enabled"),
    "get_autocast_dtype": ("ember.amp", "get_autocast_dtype"),
    "set_num_threads": ("ember._threads", "set_num_threads"),
    "get_num_threads": ("ember._threads", "get_num_threads"),
    "save": ("ember.serialization", "save"),
    "load": ("ember.serialization", "load"),
    **{name: ("ember.spectral", name) for name in (
        "stft", "istft", "hann_window", "hamming_window", "blackman_window", "bartlett_window",
        "kaiser_window")},
}


def __getattr__(name: str):
    """``ember.linalg`` & co. import on first use; ``ember.cuda``/``ember.opencl``/any registered
    backend name give that backend's namespace (``is_available()``, ``device_count()``…)."""
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"ember.{name}")
    if name in _LAZY_ATTRS:
        import importlib

        module, attr = _LAZY_ATTRS[name]
        return getattr(importlib.import_module(module), attr)
    if not name.startswith("_"):
        ns = _backend_namespace(name)
        if ns is not None:
            return ns
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
