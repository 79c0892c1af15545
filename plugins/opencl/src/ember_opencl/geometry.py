"""Packing strided layouts into the ``geom_t`` kernel argument of ``kernels/common.cl``.

Before packing, dimensions are merged wherever every operand steps through them as one (a
contiguous tensor always becomes 1-d), and size-1 dimensions are dropped: kernels then rarely pay
for index arithmetic, and at most ``MAXD`` dimensions reach them.
"""

from __future__ import annotations

import math

import numpy as np

MAXD = 8
NOPS = 4
# int32 words of geom_t: ndim, n, smask, pad, shape[MAXD], st[NOPS][MAXD], off[NOPS]
_WORDS = 4 + MAXD + NOPS * MAXD + NOPS


def merge_dims(shape, strides_list) -> tuple[list, list]:
    """(shape, strides per operand) with mergeable neighbours merged and size-1 dims dropped."""
    out_shape: list = []
    out_strides: list = [[] for _ in strides_list]
    for d, size in enumerate(shape):
        if size == 1:
            continue
        if out_shape and all(st[-1] == s[d] * size for st, s in zip(out_strides, strides_list)):
            out_shape[-1] *= size
            for st, s in zip(out_strides, strides_list):
                st[-1] = s[d]
            continue
        out_shape.append(size)
        for st, s in zip(out_strides, strides_list):
            st.append(s[d])
    if not out_shape:  # a single element
        return [1], [[0] for _ in strides_list]
    return out_shape, out_strides


_packed: dict = {}  # layouts repeat every training step: pack each one once


def pack(shape, strides_list, offsets, smask: int = 0) -> np.ndarray:
    """The geom_t bytes for operands (output first) walking ``shape`` together."""
    key = (tuple(shape), tuple(map(tuple, strides_list)), tuple(offsets), smask)
    g = _packed.get(key)
    if g is None:
        if len(_packed) > 4096:
            _packed.clear()
        g = _packed[key] = _pack(shape, strides_list, offsets, smask)
    return g


def _pack(shape, strides_list, offsets, smask: int) -> np.ndarray:
    mshape, mstrides = merge_dims(shape, strides_list)
    nd = len(mshape)
    if nd > MAXD:
        raise RuntimeError(f"the OpenCL backend handles at most {MAXD} non-mergeable dimensions, "
                           f"got a layout of shape {list(shape)}")
    g = np.zeros(_WORDS, np.int32)
    g[0], g[1], g[2] = nd, math.prod(shape), smask
    g[4:4 + nd] = mshape
    base = 4 + MAXD
    for k, st in enumerate(mstrides):
        g[base + k * MAXD: base + k * MAXD + nd] = st
    off = base + NOPS * MAXD
    g[off:off + len(offsets)] = offsets
    return g
