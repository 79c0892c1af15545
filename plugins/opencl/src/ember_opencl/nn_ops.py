"""Fast paths for ``linear``, ``softmax``/``log_softmax`` and the fused cross-entropy: fewer
launches and no intermediate tensors compared with their decompositions into primitives.
Signatures follow the CPU backend's kernels of the same names."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .array import CLArray, contiguous_strides, empty, restride, to_numpy
from .elementwise import binary, cast, check_devices
from .matmul import matmul
from .movement import view
from .reduction import _lines, sum_


def _rows(a: CLArray, k: int) -> CLArray:
    """``a`` as an (M, k) matrix: a view where the layout allows, else a contiguous copy."""
    if a.ndim == 2:
        return a
    m = math.prod(a.shape[:-1])
    try:
        return view(a, (m, k))
    except ValueError:
        return view(cast(a, a.dtype), (m, k))


def _t(a: CLArray) -> CLArray:
    return restride(a, a.shape[::-1], a.strides[::-1])


def linear(x: CLArray, w: CLArray, b: CLArray | None = None) -> CLArray:
    """x @ w.T + b with all leading dims of x as the rows of ONE GEMM (w.T is a view)."""
    check_devices("linear", x, w, *([b] if b is not None else []))
    if x.ndim >= 2 and w.ndim == 2:
        shape = x.shape[:-1] + (w.shape[0],)
        out = matmul(_rows(x, x.shape[-1]), _t(w))
        out = restride(out, shape, contiguous_strides(shape))
    else:
        out = matmul(x, _t(w) if w.ndim == 2 else w)
    if b is not None:
        if out.ndim:
            binary("add", out, b, out=out)
        else:
            out = binary("add", out, b)
    return out


def linear_backward(g, x, w, need_x: bool, need_w: bool, need_b: bool):
    """(grad_input, grad_weight, grad_bias) of ``x @ w.T + b``; None where not needed."""
    out_f, in_f = w.shape
    g2 = _rows(g, out_f)
    gx = gw = gb = None
    if need_x:
        gx = view(matmul(g2, w), x.shape)
    if need_w:
        gw = matmul(_t(g2), _rows(x, in_f))
    if need_b:
        gb = sum_(g2, (0,), False)
    return gx, gw, gb


# ---- softmax -------------------------------------------------------------------------------------

def _softmax(x: CLArray, dim: int, take_log: bool) -> CLArray:
    out = empty(x.device, x.shape, x.dtype)
    if out.size:
        g = _lines(x, out, dim % x.ndim)
        x.device.launch(x.device.kernel("nn", x.dtype, "softmax"), int(g[1]), out.buf, x.buf, g,
                        np.int32(take_log))
    return out


def softmax(x, dim):
    return _softmax(x, dim, False)


def log_softmax(x, dim):
    return _softmax(x, dim, True)


# ---- cross-entropy ---------------------------------------------------------------------------------

def cross_entropy_nll(x, target, weight, ignore_index, label_smoothing):
    """Per-row losses of (M, C) logits and (M,) class indices, each row's logsumexp and the
    summed weight of the non-ignored targets: (loss, lse, total)."""
    check_devices("cross_entropy", x, target)
    dev = x.device
    M, C = x.shape
    loss, lse, w_t = (empty(dev, (M,), x.dtype) for _ in range(3))
    bad = empty(dev, (2,), dtypes.INT64)
    dev.cl.enqueue_fill_buffer(dev.queue, bad.buf, np.int64(0), 0, 16)
    T = x.dtype.type
    if M:
        dev.launch(dev.kernel("nn", x.dtype, "cross_entropy"), M, loss.buf, lse.buf, w_t.buf,
                   bad.buf, x.buf, np.int32(x.offset), np.int32(x.strides[0]),
                   np.int32(x.strides[1]), target.buf, np.int32(target.offset),
                   np.int32(target.strides[0]),
                   dev.dummy if weight is None else weight.buf, np.int32(weight is not None),
                   np.int32(M), np.int32(C), np.int64(ignore_index), T(label_smoothing))
        flag, value = to_numpy(bad)
        if flag:
            raise IndexError(f"Target {value} is out of bounds.")
    return loss, lse, sum_(w_t, None, False)


def cross_entropy_nll_backward(x, lse, target, weight, coef, ignore_index, label_smoothing):
    dev = x.device
    M, C = x.shape
    dx = empty(dev, (M, C), x.dtype)
    T = x.dtype.type
    wsum = float(to_numpy(sum_(weight, None, False))) if weight is not None and \
        label_smoothing > 0 else float(C)
    coef_st = coef.strides[0] if coef.ndim else 0
    if dx.size:
        dev.launch(dev.kernel("nn", x.dtype, "cross_entropy_backward"), M * C, dx.buf, x.buf,
                   np.int32(x.offset), np.int32(x.strides[0]), np.int32(x.strides[1]), lse.buf,
                   target.buf, np.int32(target.offset), np.int32(target.strides[0]),
                   dev.dummy if weight is None else weight.buf, np.int32(weight is not None),
                   coef.buf, np.int32(coef.offset), np.int32(coef_st), T(wsum), np.int32(M),
                   np.int32(C), np.int64(ignore_index), T(label_smoothing))
    return dx


KERNELS = {"linear": linear, "linear_backward": linear_backward, "softmax": softmax,
           "log_softmax": log_softmax, "cross_entropy_nll": cross_entropy_nll,
           "cross_entropy_nll_backward": cross_entropy_nll_backward}
