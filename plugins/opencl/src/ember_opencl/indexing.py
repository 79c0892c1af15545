"""Advanced indexing (NumPy rules), index_put with accumulation, and nonzero.

An indexing key is turned into one int64 array of storage offsets shaped like the result, built
on the device from broadcast adds of the per-dimension terms (``arange * stride`` for slices,
``index % size * stride`` for index arrays); a gather or scatter kernel then reads or writes
through it. Basic keys (ints, slices, None, Ellipsis) skip all that and use a view.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from . import dtypes
from .array import CLArray, empty, restride, to_numpy
from .elementwise import arange, binary, broadcast_strides, cast, check_devices, copy_, full
from .geometry import MAXD, NOPS, pack
from .movement import slice_
from .reduction import cumsum


def _expand_key(x: CLArray, key) -> list:
    """Key items with the Ellipsis expanded and bool masks replaced by their nonzero columns."""
    key = key if isinstance(key, tuple) else (key,)
    consumed = sum(k.ndim if isinstance(k, CLArray) and k.dtype.kind == "b" else
                   0 if k is None or k is Ellipsis else 1 for k in key)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    items, d = [], 0
    for k in key:
        if k is Ellipsis:
            items += [slice(None)] * (x.ndim - consumed)
            d += x.ndim - consumed
        elif isinstance(k, CLArray) and k.dtype.kind == "b":
            want = x.shape[d:d + k.ndim]
            if k.shape != want:
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {d} does not "
                                 f"match the shape of the indexed tensor {list(want)}")
            coords = nonzero(k)  # (n, k.ndim)
            items += [restride(coords, (coords.shape[0],), (coords.strides[0],),
                               coords.offset + j) for j in range(k.ndim)]
            d += k.ndim
        else:
            items.append(k)
            d += k is not None
    if not any(k is Ellipsis for k in key):
        items += [slice(None)] * (x.ndim - d)
    return items


def _wrapped_index(a: CLArray, size: int, dim: int) -> CLArray:
    """``a`` as int64 with negative entries wrapped; IndexError when any entry is outside
    [-size, size) (one kernel that also raises a flag, and one read of the flag)."""
    dev = a.device
    out = empty(dev, a.shape, dtypes.INT64)
    if a.size:
        flag = empty(dev, (1,), np.int32)
        dev.cl.enqueue_fill_buffer(dev.queue, flag.buf, np.int32(0), 0, 4)
        g = pack(a.shape, [out.strides, a.strides], [0, a.offset])
        dev.launch(dev.kernel("indexing", a.dtype, "wrap_index"), a.size, out.buf, a.buf, g,
                   np.int64(size), flag.buf)
        if to_numpy(flag)[0]:
            raise IndexError(f"index out of range: an index is outside [-{size}, {size}) in "
                             f"dimension {dim}")
    return out


def offsets_for(x: CLArray, key):
    """(result shape, int64 storage offsets of that shape), or (None, view) for basic keys."""
    items = _expand_key(x, key)
    arrays = [k for k in items if isinstance(k, CLArray)]
    if not arrays:
        return None, slice_(x, tuple(items))
    check_devices("index", x, *arrays)
    basic, adv, adv_pos, insert = [], [], [], None
    base, d = x.offset, 0
    for pos, k in enumerate(items):
        if k is None:
            basic.append((1, 0))
            continue
        size, st = x.shape[d], x.strides[d]
        if isinstance(k, slice):
            start, stop, step = k.indices(size)
            n = len(range(start, stop, step))
            base += start * st if n else 0
            basic.append((n, st * step))
        else:
            if insert is None:
                insert = len(basic)
            if isinstance(k, CLArray):
                adv.append((_wrapped_index(k, size, d), st))
            else:
                i = operator.index(k)
                if not -size <= i < size:
                    raise IndexError(f"index {i} is out of bounds for dimension {d} with size "
                                     f"{size}")
                base += (i % size) * st
            adv_pos.append(pos)
        d += 1
    bshape = tuple(np.broadcast_shapes(*(a.shape for a, _ in adv)))
    if adv_pos != list(range(adv_pos[0], adv_pos[0] + len(adv_pos))):
        insert = 0  # advanced indices apart: their dims go first (NumPy's rule)
    sizes = [n for n, _ in basic]
    shape = tuple(sizes[:insert]) + bshape + tuple(sizes[insert:])
    offsets = full(shape, base, dtypes.INT64, x.device.index)
    if offsets.size == 0:
        return shape, offsets
    zeros = (0,) * len(shape)
    for j, (n, st) in enumerate(basic):
        if n > 1 and st:
            axis = j if j < insert else j + len(bshape)
            term = arange(0, n * st, st, dtypes.INT64, x.device.index)
            strides = zeros[:axis] + (1,) + zeros[axis + 1:]
            binary("add", offsets, restride(term, shape, strides, 0), out=offsets)
    for a, st in adv:
        term = binary("mul", a, st)
        bst = broadcast_strides(term, bshape)
        strides = zeros[:insert] + bst + zeros[insert + len(bshape):]
        binary("add", offsets, restride(term, shape, strides), out=offsets)
    return shape, offsets


def index(x: CLArray, key) -> CLArray:
    shape, offsets = offsets_for(x, key)
    if shape is None:
        return cast(offsets, x.dtype)  # a copy of the basic view
    out = empty(x.device, shape, x.dtype)
    g = pack(shape, [out.strides, offsets.strides], [0, offsets.offset])
    x.device.launch(x.device.kernel("indexing", x.dtype, "take"), out.size, out.buf, x.buf,
                    offsets.buf, g)
    return out


def _serial_add(x: CLArray) -> bool:
    """put_add has no atomics for this dtype here: it must run on one work-item."""
    if x.dtype.kind == "b":
        return False
    return x.dtype.itemsize < 4 or x.dtype.itemsize == 8 and not x.device.has_int64_atomics


def index_put(x: CLArray, key, values, accumulate: bool) -> None:
    if not isinstance(values, CLArray):
        values = full((), values, x.dtype, x.device.index)
    check_devices("index_put", x, values)
    if values.dtype != x.dtype:
        values = cast(values, x.dtype)
    elif values.storage is x.storage:
        values = cast(values, x.dtype)  # a copy: the scatter must not read what it overwrote
    shape, offsets = offsets_for(x, key)
    if shape is None:  # basic key: write through the view
        view = offsets
        if accumulate:
            binary("add", view, values, out=view)
        else:
            copy_(view, values)
        return
    if offsets.size == 0:
        return
    try:
        vst = broadcast_strides(values, shape)
        np.broadcast_shapes(values.shape, shape)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(shape)}") from None
    g = pack(shape, [(0,) * len(shape), offsets.strides, vst], [0, offsets.offset, values.offset])
    dev = x.device
    if not accumulate:
        dev.launch(dev.kernel("indexing", x.dtype, "put"), math.prod(shape), x.buf, offsets.buf,
                   values.buf, g)
        return
    serial = _serial_add(x)
    dev.launch(dev.kernel("indexing", x.dtype, "put_add"), 1 if serial else math.prod(shape),
               x.buf, offsets.buf, values.buf, g, np.int32(serial))


def _flat_cumsum(flags: CLArray, chunk: int = 1024) -> CLArray:
    """Inclusive int64 running count of a contiguous bool array, in parallel: the scan kernel
    runs one work-item per line, so the array is cut into lines of ``chunk`` (scanned at once),
    and the lines' totals are scanned and added back."""
    n = flags.size
    lines = n // chunk
    if lines < 2:
        return cumsum(restride(flags, (n,), (1,), 0), 0)
    out = empty(flags.device, (n,), dtypes.INT64)
    head = restride(out, (lines, chunk), (chunk, 1), 0)
    cast(cumsum(restride(flags, (lines, chunk), (chunk, 1), 0), 1), dtypes.INT64, out=head)
    totals = cumsum(restride(head, (lines,), (chunk,), chunk - 1), 0)  # counts up to each line
    before = restride(totals, (lines - 1, 1), (1, 0), 0)  # counts before lines 1, 2, …
    rows = restride(head, (lines - 1, chunk), (chunk, 1), chunk)
    binary("add", rows, before, out=rows)
    if n > lines * chunk:
        tail = restride(out, (n - lines * chunk,), (1,), lines * chunk)
        cast(cumsum(restride(flags, tail.shape, (1,), lines * chunk), 0), dtypes.INT64, out=tail)
        binary("add", tail, restride(totals, (), (), lines - 1), out=tail)
    return out


def nonzero(x: CLArray) -> CLArray:
    """int64 (n, x.ndim) coordinates of the non-zero elements, in C order."""
    dev = x.device
    if x.ndim == 0:
        n = int(to_numpy(binary("ne", x, 0)).item())
        return empty(dev, (n, 0), dtypes.INT64)
    if x.ndim > MAXD:
        raise RuntimeError(f"nonzero on the OpenCL backend handles at most {MAXD} dims")
    flags = binary("ne", x, 0)
    if flags.size == 0:
        return empty(dev, (0, x.ndim), dtypes.INT64)
    cs = _flat_cumsum(flags)
    n = int(to_numpy(restride(cs, (), (), cs.size - 1)).item())
    out = empty(dev, (n, x.ndim), dtypes.INT64)
    if n:
        g = np.zeros(4 + MAXD + NOPS * MAXD + NOPS, np.int32)
        g[0], g[1] = x.ndim, flags.size
        g[4:4 + x.ndim] = x.shape
        dev.launch(dev.kernel("indexing", dtypes.INT64, "nonzero_coords"), flags.size,
                   out.buf, cs.buf, flags.buf, g)
    return out
