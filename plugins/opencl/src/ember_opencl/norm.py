"""The ``native_norm`` fast path (batch, layer, group and instance norm all reduce to it): one
kernel for the statistics (two passes, a work-group or a work-item per output), one for
``(x - mean) * invstd`` and one for ``* weight + bias``. Its backward is the closed form written
with the primitive kernels. Signatures follow the CPU backend's kernels of the same names."""

from __future__ import annotations

import math

from .array import CLArray, contiguous_strides, empty, restride
from .elementwise import binary, broadcast_strides, check_devices, scalar_arg
from .geometry import pack
from .reduction import MAX_GROUPS, _pack_words, _split, sum_

NWG = 128  # kernels/nn.cl's NWG


def native_norm(x: CLArray, weight, bias, axes, eps):
    """(out, mean, invstd, biased var) of ``x`` normalised over ``axes``, then ``* weight +
    bias`` (broadcastable arrays or None); the statistics keep the reduced dims as size 1."""
    check_devices("native_norm", x, *(a for a in (weight, bias) if a is not None))
    axes = tuple(sorted(a % x.ndim for a in axes))
    dev = x.device
    stat_shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    mean, invstd, var = (empty(dev, stat_shape, x.dtype) for _ in range(3))
    nout, R = math.prod(stat_shape), math.prod(x.shape[d] for d in axes)
    if nout:
        ks, kst, rs, rst = _split(x, axes)
        per_thread = (nout >= 256 and R <= 1024) or R <= 16
        g = _pack_words([len(ks), len(rs), nout, R, int(per_thread), x.offset, 0, 0],
                        ks, kst, rs, rst)
        kernel = dev.kernel("nn", x.dtype, "norm_stats")
        if per_thread:
            dev.launch(kernel, nout, mean.buf, invstd.buf, var.buf, x.buf, g, x.dtype.type(eps))
        else:
            kernel(dev.queue, (min(nout, MAX_GROUPS) * NWG,), (NWG,), mean.buf, invstd.buf,
                   var.buf, x.buf, g, x.dtype.type(eps))
    out = empty(dev, x.shape, x.dtype)
    if out.size == 0:
        return out, mean, invstd, var
    geo = pack(x.shape, [out.strides, x.strides, broadcast_strides(mean, x.shape),
                         broadcast_strides(invstd, x.shape)], [0, x.offset, 0, 0])
    dev.launch(dev.kernel("nn", x.dtype, "norm_apply"), out.size, out.buf, x.buf, mean.buf,
               invstd.buf, geo)
    if weight is not None or bias is not None:
        _affine(out, weight, bias)
    return out, mean, invstd, var


def _affine(out: CLArray, weight, bias) -> None:
    dev, zeros = out.device, (0,) * out.ndim
    strides, offsets, bufs, smask = [out.strides, out.strides], [0, 0], [], 0
    for k, p in enumerate((weight, bias), start=2):
        if p is None:
            strides.append(zeros)
            offsets.append(0)
            bufs.append(dev.dummy)
            smask |= 1 << k
        else:
            strides.append(broadcast_strides(p, out.shape))
            offsets.append(p.offset)
            bufs.append(p.buf)
    geo = pack(out.shape, strides, offsets, smask)
    dev.launch(dev.kernel("nn", out.dtype, "affine"), out.size, out.buf, *bufs,
               scalar_arg(1, out.dtype), scalar_arg(0, out.dtype), geo)


def native_norm_backward(g, x, weight, mean, invstd, axes, wshape, need_weight, need_bias):
    """(dx, dweight, dbias) with batch statistics, the closed form:
    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * weight."""
    axes = tuple(sorted(a % x.ndim for a in axes))
    n = math.prod(x.shape[d] for d in axes)
    waxes = tuple(i for i, (s, t) in enumerate(zip(x.shape, wshape)) if t == 1 and s != 1)
    xhat = binary("mul", binary("sub", x, mean), invstd)
    dw = _to_shape(sum_(binary("mul", g, xhat), waxes, True), wshape) if need_weight else None
    db = _to_shape(sum_(g, waxes, True), wshape) if need_bias else None
    dxhat = binary("mul", g, weight) if weight is not None else g
    s1 = binary("div", sum_(dxhat, axes, True), float(n))
    s2 = binary("div", sum_(binary("mul", dxhat, xhat), axes, True), float(n))
    inner = binary("sub", binary("sub", dxhat, s1), binary("mul", xhat, s2))
    return binary("mul", inner, invstd), dw, db


def _to_shape(a: CLArray, shape) -> CLArray:
    shape = tuple(shape)
    return a if a.shape == shape else restride(a, shape, contiguous_strides(shape), a.offset)


KERNELS = {"native_norm": native_norm, "native_norm_backward": native_norm_backward}
