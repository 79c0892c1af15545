"""Elementwise primitives on CLArrays: unary, binary (with broadcasting and Python-scalar
operands), where, casts (astype, copy_, contiguous), fill, full and arange.

All of them are kernels of the one ``elementwise`` program per element type
(``kernels/elementwise.cl``; ``kernels/complex.cl`` for complex dtypes): a conformance run
builds one program per dtype, not one per op.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .array import CLArray, empty
from .geometry import pack
from .runtime import runtime

#: ops whose result is bool whatever their operands
BOOL_RESULT = {"isnan", "isinf", "isfinite", "logical_not", "eq", "ne", "lt", "le", "gt", "ge",
               "logical_and", "logical_or", "logical_xor"}
#: ops whose result is real for complex inputs (their input's dtype otherwise)
REAL_RESULT = {"real", "imag", "abs"}


def broadcast_strides(x: CLArray, shape: tuple) -> tuple:
    """x's strides when broadcast to ``shape`` (0 on new and expanded dims)."""
    lead = len(shape) - len(x.shape)
    return (0,) * lead + tuple(0 if s == 1 and t != 1 else st
                               for s, t, st in zip(x.shape, shape[lead:], x.strides))


def scalar_arg(value, dtype: np.dtype):
    """A Python scalar as the kernel's by-value argument of element type ``dtype``."""
    if dtype.kind == "b":
        return np.uint8(bool(value))
    return dtype.type(value)


def check_devices(name: str, *arrays) -> None:
    """RuntimeError naming both devices when arrays of two devices meet in one kernel."""
    devices = {a.device for a in arrays if isinstance(a, CLArray)}
    if len(devices) > 1:
        names = " and ".join(sorted(d.name for d in devices))
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {names}! (in the OpenCL kernel '{name}')")


def unary(name: str, x: CLArray, out: CLArray | None = None) -> CLArray:
    dev = x.device
    kernel = dev.kernel("elementwise", x.dtype, name)
    if out is None:
        dtype = dtypes.BOOL if name in BOOL_RESULT else \
            dtypes.real_of(x.dtype) if name in REAL_RESULT else x.dtype
        out = empty(dev, x.shape, dtype)
    g = pack(out.shape, [out.strides, broadcast_strides(x, out.shape)], [out.offset, x.offset])
    dev.launch(kernel, out.size, out.buf, x.buf, g)
    return out


def binary(name: str, a, b, out: CLArray | None = None) -> CLArray:
    """``name`` (add, lt…) of two arrays, or an array and a Python scalar, with broadcasting."""
    if isinstance(a, CLArray) and isinstance(b, CLArray):
        check_devices(name, a, b)
        dtype, dev = a.dtype, a.device
        shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    else:
        arr = a if isinstance(a, CLArray) else b
        dtype, dev, shape = arr.dtype, arr.device, arr.shape
    kernel = dev.kernel("elementwise", dtype, name)
    if out is None:
        out = empty(dev, shape, dtypes.BOOL if name in BOOL_RESULT else dtype)
    strides, offsets, bufs, scalars, smask = [out.strides], [out.offset], [], [], 0
    for k, v in enumerate((a, b), start=1):
        if isinstance(v, CLArray):
            strides.append(broadcast_strides(v, out.shape))
            offsets.append(v.offset)
            bufs.append(v.buf)
            scalars.append(scalar_arg(0, dtype))
        else:
            strides.append((0,) * len(out.shape))
            offsets.append(0)
            bufs.append(dev.dummy)
            scalars.append(scalar_arg(v, dtype))
            smask |= 1 << k
    g = pack(out.shape, strides, offsets, smask)
    dev.launch(kernel, out.size, out.buf, *bufs, *scalars, g)
    return out


def where(cond: CLArray, a, b) -> CLArray:
    arrays = [v for v in (cond, a, b) if isinstance(v, CLArray)]
    check_devices("where", *arrays)
    values = [v for v in (a, b) if isinstance(v, CLArray)]
    dtype = values[0].dtype if values else np.result_type(a, b)
    shape = tuple(np.broadcast_shapes(*(v.shape for v in arrays)))
    dev = cond.device
    out = empty(dev, shape, dtype)
    strides, offsets = [out.strides, broadcast_strides(cond, shape)], [out.offset, cond.offset]
    bufs, scalars, smask = [], [], 0
    for k, v in enumerate((a, b), start=2):
        if isinstance(v, CLArray):
            strides.append(broadcast_strides(v, shape))
            offsets.append(v.offset)
            bufs.append(v.buf)
            scalars.append(scalar_arg(0, dtype))
        else:
            strides.append((0,) * len(shape))
            offsets.append(0)
            bufs.append(dev.dummy)
            scalars.append(scalar_arg(v, dtype))
            smask |= 1 << k
    g = pack(shape, strides, offsets, smask)
    dev.launch(dev.kernel("elementwise", dtype, "where"), out.size, out.buf, cond.buf, *bufs,
               *scalars, g)
    return out


def cast(x: CLArray, dtype, out: CLArray | None = None) -> CLArray:
    """x converted to ``dtype`` (C casts), written into ``out`` (any strides; x broadcasts)."""
    dtype = np.dtype(dtype)
    dev = x.device
    if out is None:
        out = empty(dev, x.shape, dtype)
    kernel = dev.kernel("elementwise", x.dtype, f"cast_{dtypes.name(out.dtype)}")
    g = pack(out.shape, [out.strides, broadcast_strides(x, out.shape)], [out.offset, x.offset])
    dev.launch(kernel, out.size, out.buf, x.buf, g)
    return out


def astype(x: CLArray, dtype) -> CLArray:
    return cast(x, dtype)


def copy_(dst: CLArray, src) -> None:
    """dst[...] = src in place (src broadcast; an overlapping src is copied first)."""
    if not isinstance(src, CLArray):
        fill(dst, src)
        return
    check_devices("copy_", dst, src)
    if src.storage is dst.storage:
        src = cast(src, src.dtype)  # the kernel must not read what it already overwrote
    cast(src, dst.dtype, out=dst)


def fill(out: CLArray, value) -> CLArray:
    dev = out.device
    g = pack(out.shape, [out.strides], [out.offset])
    dev.launch(dev.kernel("elementwise", out.dtype, "fill"), out.size, out.buf,
               scalar_arg(value, out.dtype), g)
    return out


def full(shape, value, dtype, index) -> CLArray:
    return fill(empty(runtime.device(index), shape, dtype), value)


def arange(start, end, step, dtype, index) -> CLArray:
    dtype = np.dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    dev = runtime.device(index)
    out = empty(dev, (n,), dtype)
    acc = np.int64 if dtype.kind in "biu" else np.float64 if dev.has_fp64 else np.float32
    dev.launch(dev.kernel("elementwise", dtype, "arange"), n, out.buf, acc(start), acc(step),
               np.int32(n))
    return out
