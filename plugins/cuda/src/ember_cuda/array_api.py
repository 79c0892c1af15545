"""What the CUDA backend's kernels need from an array library, beyond NumPy's API.

Every kernel of this plugin is written against ``api.xp``, an array module with NumPy's API
(CuPy in production). The few things that differ between array libraries (where an array's
memory starts, which device holds it, how to copy to and from the host, scatter-add, special
functions) go through the ``ArrayAPI`` object instead, so that the same kernels also run on
NumPy: ember-cuda's own tests run the backend conformance kit on a NumPy-backed instance, which
checks the kernels' Python logic (arguments, shapes, dtype rules, views) on machines without a
GPU. The CUDA C fast paths (``fused.py``) exist only where ``api.fused`` is True.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .memory import PeakTracker

HALF_KINDS = "fV"  # float16 is kind "f"; ml_dtypes' bfloat16 reports kind "V"


def is_half(dtype) -> bool:
    """float16 or bfloat16: computed in float32 where precision needs it (AMP's rule)."""
    return dtype.itemsize == 2 and dtype.kind in HALF_KINDS


def half_in_float32(xp, kernel):
    """Wrap ``kernel(a, ...)``: when ``a`` is float16/bfloat16, its half-precision array
    arguments are widened to float32 and its float32 results rounded back to ``a``'s dtype
    (AMP's float32 accumulation, for kernels with many reductions: norms, attention, conv)."""
    f32 = xp.dtype("float32")

    def widen(v):
        return v.astype(f32) if isinstance(v, xp.ndarray) and is_half(v.dtype) else v

    def back(out, dtype):
        if isinstance(out, tuple):
            return tuple(back(o, dtype) for o in out)
        return out.astype(dtype) if isinstance(out, xp.ndarray) and out.dtype == f32 else out

    def call(a, *args, **kwargs):
        if not is_half(a.dtype):
            return kernel(a, *args, **kwargs)
        out = kernel(widen(a), *(widen(v) for v in args),
                     **{k: widen(v) for k, v in kwargs.items()})
        return back(out, a.dtype)

    call.__name__ = getattr(kernel, "__name__", "kernel")
    return call


def contiguous_strides(shape) -> tuple:
    """Element strides of a C-contiguous array of ``shape`` (PyTorch's, also for size 0)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


class ArrayAPI:
    """The array library under the backend; subclasses fill in the library-specific parts."""

    #: the NumPy-compatible array module (``cupy`` or ``numpy``)
    xp = np
    #: whether the CUDA C fast paths of ``fused.py`` can run on these arrays
    fused = False

    # ---- devices -----------------------------------------------------------------------------
    def device_count(self) -> int:
        return 1

    def current_device(self) -> int:
        return 0

    def device_of(self, array) -> int | None:
        return None

    def on_device(self, index: int | None):
        """A context manager making device ``index`` current (None: leave it as it is)."""
        return contextlib.nullcontext()

    def synchronize(self, index: int | None) -> None:
        """Wait until the queued work of device ``index`` (None: the current one) has finished."""

    # ---- host transfers ----------------------------------------------------------------------
    def from_host(self, array: np.ndarray, index: int | None):
        raise NotImplementedError

    def to_host(self, array) -> np.ndarray:
        raise NotImplementedError

    # ---- memory layout -----------------------------------------------------------------------
    def storage(self, array):
        """(start address, size in bytes) of the allocation that ``array`` views."""
        raise NotImplementedError

    def address(self, array) -> int:
        raise NotImplementedError

    def view_of_storage(self, array, shape, strides_bytes, offset_bytes):
        """An array of ``shape``/``strides_bytes`` on ``array``'s allocation, ``offset_bytes``
        from its start (bounds are checked by the caller)."""
        raise NotImplementedError

    def strides(self, array) -> tuple:
        if array.size == 0:  # libraries report 0 strides for empty arrays; PyTorch contiguous ones
            return contiguous_strides(array.shape)
        item = array.dtype.itemsize
        return tuple(s // item for s in array.strides)

    def storage_offset(self, array) -> int:
        start, _ = self.storage(array)
        return (self.address(array) - start) // array.dtype.itemsize if array.size else 0

    def as_strided(self, array, shape, strides, offset):
        """PyTorch's ``as_strided``: a view of ``array``'s storage, in elements; refuses views
        that reach outside the allocation."""
        item = array.dtype.itemsize
        start, nbytes = self.storage(array)
        lo = offset + sum(st * (n - 1) for st, n in zip(strides, shape) if st < 0 and n)
        hi = offset + sum(st * (n - 1) for st, n in zip(strides, shape) if st > 0 and n)
        if math.prod(shape) and (lo < 0 or (hi + 1) * item > nbytes):
            raise RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)} and "
                               f"storage offset {offset} are out of bounds for a storage of "
                               f"{nbytes // item} elements")
        return self.view_of_storage(array, tuple(shape), tuple(s * item for s in strides),
                                    offset * item)

    def finish_kernel(self, name: str, kernel):
        """The kernel as registered: a hook for libraries whose functions need a wrapper (NumPy
        turns 0-d results into scalars); CuPy's need none, so the hot path stays direct."""
        return kernel

    # ---- kernels that array libraries spell differently --------------------------------------
    def scatter_add(self, x, key, values) -> None:
        """``x[key] += values`` with repeated indices accumulating (``np.add.at``)."""
        raise NotImplementedError

    def special(self, name: str):
        """The elementwise function ``name`` (erf, erfinv, gammaln, digamma…) on arrays."""
        raise NotImplementedError

    def stable_argsort(self, x, axis: int):
        """Indices that sort ``x`` along ``axis``, equal values keeping their order, NaN last."""
        raise NotImplementedError


class CupyArrays(ArrayAPI):
    """CuPy on NVIDIA GPUs: arrays live on ``cupy.cuda.Device(i)``; memory from CuPy's pool."""

    fused = True

    def __init__(self, cupy):
        self.xp = cupy
        self._cupy = cupy
        self._count = cupy.cuda.runtime.getDeviceCount()
        PeakTracker.install(cupy)  # max_memory_allocated counts from the first tensor on

    def device_count(self) -> int:
        return self._count

    def current_device(self) -> int:
        return self._cupy.cuda.runtime.getDevice()

    def device_of(self, array) -> int:
        return array.device.id

    def on_device(self, index):
        if index is None:
            return contextlib.nullcontext()
        return self._cupy.cuda.Device(index)

    def synchronize(self, index) -> None:
        with self.on_device(index):
            self._cupy.cuda.Device().synchronize()

    def from_host(self, array, index):
        with self.on_device(index):
            return self._cupy.array(array, copy=True, order="C")

    def to_host(self, array):
        return array.get()

    def storage(self, array):
        mem = array.data.mem  # the pool allocation; views share it (slices, as_strided…)
        return mem.ptr, mem.size

    def address(self, array) -> int:
        return array.data.ptr

    def view_of_storage(self, array, shape, strides_bytes, offset_bytes):
        mem = array.data.mem
        ptr = self._cupy.cuda.MemoryPointer(mem, offset_bytes)
        return self._cupy.ndarray(shape, array.dtype, memptr=ptr, strides=strides_bytes)

    def scatter_add(self, x, key, values) -> None:
        import cupyx

        cupyx.scatter_add(x, key, values)

    def special(self, name):
        import cupyx.scipy.special as sp

        return getattr(sp, name)

    def stable_argsort(self, x, axis):
        # CuPy sorts with thrust's stable sort, NaN last like NumPy; bfloat16 sorts as float32
        # (exact, order-preserving) in case CuPy's sort has no bfloat16 comparator
        if x.dtype.name == "bfloat16":
            x = x.astype(self._cupy.float32)
        return self._cupy.argsort(x, axis=axis)
