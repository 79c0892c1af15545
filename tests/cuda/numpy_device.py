"""A test-only instance of ember-cuda's backend on NumPy arrays: a CPU check of the backend's
Python logic (argument handling, shapes, dtype rules, views), NOT a GPU test.

``CUDABackend`` writes its kernels against ``ArrayAPI.xp``; here ``xp`` is NumPy, so the very
kernels that run on CuPy in production run on the host, and ember's conformance kit checks them
against the CPU backend. The device is registered as ``cudacheck``; the CUDA C fast paths
(``fused.py``) and anything that needs a GPU (streams, events, memory pools) are not part of it.

The conformance kit loads it as a pytest plugin (``-p numpy_device``, with this folder on
``sys.path``); scripts call ``register()``. Importing it registers nothing, so that the device
never shows up in other tests' registry.
"""

from __future__ import annotations

import numpy as np

import ember.backends as eb
from ember_cuda import ArrayAPI, CUDABackend

NAME = "cudacheck"
_CPU_NAMES = {"gammaln": "lgamma"}  # SciPy's names (what CuPy's cupyx.scipy.special uses)


def _root(x: np.ndarray) -> np.ndarray:
    while isinstance(x.base, np.ndarray):
        x = x.base
    return x


class DeviceArray(np.ndarray):
    """A "device" array of the check: a NumPy array marked as living on ``cudacheck``. Kernels
    refuse plain host arrays (as CuPy would), so ember code that hands a host array to a CUDA
    kernel fails here too instead of silently working on NumPy."""


def _refuse_host_arrays(value, name: str) -> None:
    if isinstance(value, (tuple, list)):
        for v in value:
            _refuse_host_arrays(v, name)
    elif isinstance(value, np.ndarray) and not isinstance(value, DeviceArray):
        raise TypeError(f"a host numpy.ndarray {value.shape} was passed to the '{NAME}' kernel "
                        f"'{name}'; CuPy kernels take device arrays only")


class NumpyArrays(ArrayAPI):
    """``ArrayAPI`` on NumPy: one device, arrays copied on every transfer (like a real device's)
    and marked as ``DeviceArray``; NumPy's 0-d scalars turned back into arrays."""

    xp = np
    fused = False

    def from_host(self, array, index):
        if index not in (None, 0):
            raise RuntimeError(f"{NAME}:{index} does not exist (1 device)")
        return np.array(array, copy=True, order="C").view(DeviceArray)

    def to_host(self, array):
        return np.array(array, copy=True).view(np.ndarray)

    def storage(self, array):
        root = _root(array)
        if not root.flags.c_contiguous:
            raise ValueError("the NumPy check device needs contiguous root arrays")
        return root.__array_interface__["data"][0], root.nbytes

    def address(self, array):
        return array.__array_interface__["data"][0]

    def view_of_storage(self, array, shape, strides_bytes, offset_bytes):
        return np.ndarray(shape, array.dtype, _root(array), offset_bytes, strides_bytes)

    def scatter_add(self, x, key, values):
        np.add.at(x, key, values)

    def special(self, name):
        # the CPU backend's kernels (SciPy's ufuncs where SciPy is installed): host functions
        cpu = eb.get_backend("cpu").kernels[_CPU_NAMES.get(name, name)]
        return lambda x: cpu(np.asarray(x))

    def stable_argsort(self, x, axis):
        return np.argsort(x, axis=axis, kind="stable")

    def finish_kernel(self, name, kernel):
        def run(*args, **kwargs):
            _refuse_host_arrays(args, name)
            _refuse_host_arrays(list(kwargs.values()), name)
            with np.errstate(all="ignore"):  # inf/NaN results come silently, like on a GPU
                out = kernel(*args, **kwargs)
            return _as_device_arrays(out)

        run.__name__ = name
        return run


def _as_device_arrays(out):
    if isinstance(out, tuple):
        return tuple(_as_device_arrays(o) for o in out)
    if isinstance(out, (np.ndarray, np.generic)):
        # NumPy returns scalars for 0-d results (tensors need arrays); views keep their base
        return np.asarray(out).view(DeviceArray)
    return out


def make_backend() -> CUDABackend:
    return CUDABackend(api_factory=NumpyArrays, name=NAME)


def register() -> None:
    if NAME not in eb.registry._backends:
        eb.registry.register(make_backend())


def unregister() -> None:
    eb.registry._backends.pop(NAME, None)


def pytest_configure(config) -> None:
    """Loaded with ``-p numpy_device``: the kit's run sees the device."""
    register()
