"""matmul with NumPy's semantics (1-d operands, broadcast batch dims) on a batched GEMM kernel
(``kernels/gemm.cl``); CLBlast's GEMM is used instead where ``pyclblast`` is installed and
suits the device (see ``clblast.py``)."""

from __future__ import annotations

import math

import numpy as np

from . import clblast
from .array import CLArray, contiguous_strides, empty, restride
from .elementwise import cast, check_devices, fill
from .geometry import merge_dims
from .movement import expand
from .reduction import sum_

TSM = TSN = 64  # kernels/gemm.cl's output tile
RTS = 16  # its work-group side
SMALL = 16  # the tile of kernels/gemm.cl's gemm_small
ROWS_RB, ROWS_CB = 4, 8  # the block of one work-item of gemm_rows (CPU drivers)


def _as_matrix(x: CLArray, is_left: bool) -> CLArray:
    """A 1-d operand as a (1, K) row (left) or (K, 1) column (right) view."""
    if x.ndim != 1:
        return x
    st = x.strides[0]
    return restride(x, (1, x.shape[0]) if is_left else (x.shape[0], 1), (0, st) if is_left
                    else (st, 0))


def matmul(a: CLArray, b: CLArray) -> CLArray:
    check_devices("matmul", a, b)
    if a.dtype.kind == "b":
        raise TypeError("matmul of bool tensors is not supported by the OpenCL backend")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    A, B = _as_matrix(a, True), _as_matrix(b, False)
    (M, K), (K2, N) = A.shape[-2:], B.shape[-2:]
    if K != K2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({M}x{K} and {K2}x{N})")
    batch = tuple(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]))
    A, B = expand(A, batch + (M, K)), expand(B, batch + (K, N))
    nb = math.prod(batch)
    bshape, (abs_, bbs) = merge_dims(batch, [A.strides[:-2], B.strides[:-2]])
    if len(bshape) > 1:  # batch dims that no single stride walks: materialise them
        A, B = cast(A, A.dtype), cast(B, B.dtype)
        abs_, bbs = [M * K], [K * N]
    out = empty(a.device, batch + (M, N), a.dtype)
    if out.size:
        if K == 0:
            fill(out, 0)
        elif not clblast.gemm(out, A, B, nb, abs_[0], bbs[0]):
            _gemm(out, A, B, nb, abs_[0], bbs[0])
    shape = out.shape
    if a.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if b.ndim == 1:
        shape = shape[:-1]
    return restride(out, shape, contiguous_strides(shape), 0) if shape != out.shape else out


def _gemm(out, A, B, nb, a_bs, b_bs) -> None:
    M, N, K = out.shape[-2], out.shape[-1], A.shape[-1]
    splits = 1 if out.dtype.kind == "c" else _k_splits(out.device, M, N, K, nb)
    if splits > 1:
        # few output tiles but a long K (weight gradients: 32x9 outputs, K = 43,264): the K
        # range is cut into `splits` slices computed as a batch, then summed
        part = empty(out.device, (splits, M, N), out.dtype)
        kp = K // splits
        _launch(part, A, B, splits, kp * A.strides[-1], kp * B.strides[-2], kp)
        cast(sum_(part, (0,), False), out.dtype, out=restride(out, (M, N), (N, 1)))
        return
    _launch(out, A, B, nb, a_bs, b_bs, K)


def _variant(dev, M: int, N: int):
    """(kernel name, rows per work-group, cols per work-group, local size) for this product."""
    if dev.is_cpu:
        return "gemm_rows", 8 * ROWS_RB, 8 * ROWS_CB, (8, 8, 1)
    if M < TSM or N < TSN:  # skinny: small tiles waste less
        return "gemm_small", SMALL, SMALL, (SMALL, SMALL, 1)
    return "gemm", TSM, TSN, (RTS, RTS, 1)


def _k_splits(dev, M, N, K, nb) -> int:
    """How many K slices make enough work-groups for a GEMM with few output tiles (1: none)."""
    _, tm, tn, _ = _variant(dev, M, N)
    tiles = -(-M // tm) * -(-N // tn) * nb
    if nb != 1 or tiles >= 8 or K < 1024:
        return 1
    for s in (64, 32, 16, 8, 4, 2):
        if K % s == 0 and K // s >= 128:
            return s
    return 1


def _launch(out, A, B, nb, a_bs, b_bs, K) -> None:
    M, N = out.shape[-2], out.shape[-1]
    g = np.array([M, N, K, 0, A.offset, a_bs, A.strides[-2], A.strides[-1],
                  B.offset, b_bs, B.strides[-2], B.strides[-1]], np.int32)
    dev = out.device
    if out.dtype.kind == "c":  # complex: kernels/complex.cl's one-output-per-work-item GEMM
        gsize = (-(-N // SMALL) * SMALL, -(-M // SMALL) * SMALL, nb)
        dev.kernel("gemm", A.dtype, "gemm")(dev.queue, gsize, (SMALL, SMALL, 1), out.buf, A.buf,
                                            B.buf, g)
        return
    name, tm, tn, local = _variant(dev, M, N)
    gsize = (-(-N // tn) * local[0], -(-M // tm) * local[1], nb)
    dev.kernel("gemm", A.dtype, name)(dev.queue, gsize, local, out.buf, A.buf, B.buf, g)
