"""``CLArray``: the OpenCL backend's array — a view (shape, strides, offset, in elements) of a
``Storage`` (one pooled OpenCL buffer). Views share the storage, so transpose, slice and expand
never copy.

Like the test backend of ember's own suite, a CLArray refuses NumPy: code that hands a device
array to NumPy fails loudly instead of silently copying it.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .runtime import Device, runtime


class Storage:
    """One device buffer; freed back to the device's pool when its last view goes."""

    __slots__ = ("buf", "nbytes", "device")

    def __init__(self, device: Device, nbytes: int):
        self.device = device
        self.nbytes = nbytes
        self.buf = device.alloc(nbytes)


class CLArray:
    """A strided view of a Storage. ``shape``/``strides`` are tuples, ``offset`` and strides are
    in elements, ``dtype`` a NumPy dtype."""

    __slots__ = ("storage", "shape", "strides", "offset", "dtype")
    __array_ufunc__ = None  # NumPy ufuncs on a device array raise TypeError

    def __init__(self, storage: Storage, shape: tuple, strides: tuple, offset: int, dtype):
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype

    @property
    def device(self) -> Device:
        return self.storage.device

    @property
    def buf(self):
        return self.storage.buf

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def is_contiguous(self) -> bool:
        return self.strides == contiguous_strides(self.shape) or self.size <= 1

    def __array__(self, *args, **kwargs):
        raise TypeError("NumPy was called on an 'opencl' device array; copy it to the host "
                        "first (tensor.cpu())")

    def __bool__(self):
        raise TypeError("the truth value of an 'opencl' device array was requested")

    def __repr__(self) -> str:
        return (f"CLArray(shape={self.shape}, dtype={self.dtype}, strides={self.strides}, "
                f"offset={self.offset}, device={self.device.name})")


def contiguous_strides(shape) -> tuple:
    """C-order strides in elements (size-0 and size-1 dims count as 1, like PyTorch)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def empty(device: Device, shape, dtype) -> CLArray:
    """A new C-contiguous array (uninitialised)."""
    shape = tuple(int(s) for s in shape)
    dtype = np.dtype(dtype)
    dtypes.check_supported(dtype, device.has_fp64, device.name)
    n = math.prod(shape)
    if n >= 2 ** 31:
        raise RuntimeError(f"the OpenCL backend indexes with 32-bit integers: a tensor of "
                           f"{n} elements {list(shape)} is too large")
    return CLArray(Storage(device, n * dtype.itemsize), shape, contiguous_strides(shape), 0,
                   dtype)


def empty_like(x: CLArray, dtype=None) -> CLArray:
    return empty(x.device, x.shape, x.dtype if dtype is None else dtype)


def restride(x: CLArray, shape, strides, offset=None) -> CLArray:
    """A view of x's storage with new geometry (no checks: the caller computed it)."""
    return CLArray(x.storage, tuple(shape), tuple(strides), x.offset if offset is None else offset,
                   x.dtype)


def from_numpy(array: np.ndarray, index: int | None) -> CLArray:
    device = runtime.device(index)
    host = np.asarray(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    out = empty(device, host.shape, host.dtype)
    if host.size:
        device.cl.enqueue_copy(device.queue, out.buf, host, is_blocking=True)
    return out


def to_numpy(x: CLArray) -> np.ndarray:
    """A host copy (always a new array, like a device download)."""
    from .movement import contiguous

    host = np.empty(x.shape, x.dtype)
    if host.size == 0:
        return host
    src = x if x.is_contiguous() else contiguous(x)
    device = x.device
    device.cl.enqueue_copy(device.queue, host, src.buf, src_offset=src.offset * x.dtype.itemsize,
                           is_blocking=True)
    return host
