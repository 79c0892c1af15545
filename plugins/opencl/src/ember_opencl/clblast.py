"""Optional CLBlast GEMM (``pip install "ember-opencl[clblast]"``, which builds pyclblast
against the system's CLBlast, e.g. Debian's ``libclblast-dev``): float32/float64 matmuls go
through CLBlast's tuned kernels when it imports, on GPUs and other non-CPU devices (on CPU
drivers such as pocl, CLBlast's GPU-tuned kernels are slower than the plugin's own). The
environment variable ``EMBER_OPENCL_CLBLAST`` = ``0`` / ``1`` turns it off / on everywhere.
``gemm`` returns False when CLBlast cannot take the product (other dtypes, operand layouts it
cannot express) and the plugin's own GEMM runs instead."""

from __future__ import annotations

import os

try:  # optional dependency
    import pyclblast
    from pyopencl.array import Array
except ImportError:  # pragma: no cover - depends on the environment
    pyclblast = None


def enabled(device) -> bool:
    if pyclblast is None:
        return False
    choice = os.environ.get("EMBER_OPENCL_CLBLAST", "auto")
    return choice == "1" or choice == "auto" and not device.is_cpu


def _layout(rs: int, cs: int, rows: int, cols: int):
    """(transposed, leading dimension) of a row-major (rows, cols) operand with these element
    strides, or None when BLAS cannot describe it."""
    if cs == 1 and rs >= max(cols, 1):
        return False, rs
    if rs == 1 and cs >= max(rows, 1):
        return True, cs
    if rows == 1 and cs == 1:
        return False, max(cols, 1)
    if cols == 1 and rs == 1:
        return True, max(rows, 1)
    return None


def _wrap(queue, x):
    """A PyOpenCL Array over x's whole buffer (pyclblast reads only its buffer and dtype)."""
    n = x.storage.nbytes // x.dtype.itemsize
    return Array(queue, (1, max(n, 1)), x.dtype, data=x.buf)


def gemm(out, A, B, nb: int, a_bs: int, b_bs: int) -> bool:
    """out[z] = A[z] @ B[z] for z < nb through CLBlast; False (nothing done) when not
    applicable."""
    if not enabled(out.device) or out.dtype.kind != "f" or A.dtype != out.dtype:
        return False
    M, N, K = out.shape[-2], out.shape[-1], A.shape[-1]
    la = _layout(A.strides[-2], A.strides[-1], M, K)
    lb = _layout(B.strides[-2], B.strides[-1], K, N)
    if la is None or lb is None:
        return False
    queue = out.device.queue
    a, b, c = _wrap(queue, A), _wrap(queue, B), _wrap(queue, out)
    common = dict(a_transp=la[0], b_transp=lb[0], a_offset=A.offset, b_offset=B.offset,
                  c_offset=out.offset)
    if nb == 1:
        pyclblast.gemm(queue, M, N, K, a, b, c, la[1], lb[1], N, **common)
    else:
        pyclblast.gemmStridedBatched(queue, M, N, K, nb, a, b, c, la[1], lb[1], N, a_bs, b_bs,
                                     M * N, **common)
    return True
