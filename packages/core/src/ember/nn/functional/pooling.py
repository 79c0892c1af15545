"""Pooling: max (with PyTorch's flat indices), max_unpool, average, adaptive average/max, Lp.

- ``max_pool*`` is a hand-dispatched op: the backend kernel ``max_pool_with_indices`` (CPU:
  a loop over the kernel taps, ``backends/cpu_conv.py``) or the decomposition (an ``as_strided``
  window view and ``max``); its backward scatters the gradient at the indices (the composite
  ``max_pool_backward``, whose own backward is a gather).
- ``avg_pool*`` is a depthwise convolution with a ones kernel divided by the window counts, so it
  uses the convolution fast paths and their derivatives.
- ``adaptive_avg_pool*`` is separable: one small averaging matrix per spatial dim.
"""

from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor, wrap
from ...ops._dispatch import composite, needs_grad, record
from ...ops.elementwise import where
from .conv import _tuple, convolution

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d"]


def _pool_out(n, k, s, p, d, ceil_mode) -> int:
    """PyTorch's pooling output size: with ceil_mode the last window must start inside the
    input or its left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _batched(input: Tensor, nd: int, name: str):
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    if input.ndim != nd + 2:
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input tensor, but got "
                           f"{list(input.shape)}")
    return input, False


def _pool_args(nd, name, x, kernel_size, stride, padding, dilation, ceil_mode):
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    d = _tuple(dilation, nd, "dilation")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}: stride should be greater than zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero")
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but "
                           f"got pad={p[0] if nd == 1 else list(p)}, kernel_size="
                           f"{k[0] if nd == 1 else list(k)} and dilation="
                           f"{d[0] if nd == 1 else list(d)}")
    o = tuple(_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in
              zip(x.shape[2:], k, s, p, d))
    if any(v <= 0 for v in o):
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated "
                           f"output size: ({'x'.join(map(str, (x.shape[1],) + o))}). Output size "
                           "is too small")
    # (before, after) pads; after also covers ceil_mode's last partial window
    pads = tuple((pp, (oo - 1) * ss + dd * (kk - 1) + 1 - n - pp) for n, oo, kk, ss, pp, dd in
                 zip(x.shape[2:], o, k, s, p, d))
    return k, s, pads, d, o


# ---- max pooling ------------------------------------------------------------------------------

def _max_pool_bw_backward(node, gg):
    (idx,) = node.saved_tensors()[1:]
    n, c = idx.shape[:2]
    out = gg.reshape(n, c, -1).gather(2, idx.reshape(n, c, -1)).reshape(idx.shape)
    return out, None


@composite("max_pool_backward", backward=_max_pool_bw_backward)
def max_pool_backward(g, indices, *, input_size, disjoint=False) -> Tensor:
    """``g`` (N, C, *o) scattered (summed) into zeros (N, C, *input_size) at the flat plane
    ``indices``: the gradient of max pooling (and of max_unpool's adjoint). ``disjoint``
    promises that no index repeats within a plane (non-overlapping windows), which lets a
    backend assign instead of accumulating."""
    from ...ops.creation import zeros

    n, c = g.shape[:2]
    out = zeros((n, c, math.prod(input_size)), dtype=g.dtype, device=g.device)
    return out.scatter_add(2, indices.reshape(n, c, -1), g.reshape(n, c, -1)).reshape(
        n, c, *input_size)


def _max_pool_backward(node, g):
    (idx,) = node.saved_tensors()
    size, disjoint = node.ctx
    return (max_pool_backward(g, idx, input_size=size, disjoint=disjoint),)


def _max_pool_decomposition(x, k, s, pads, d, o):
    from ...ops.creation import tensor
    from ...ops.joining import pad

    nd = len(k)
    flat = [v for lo, hi in reversed(pads) for v in (lo, hi)]
    xp = pad(x, flat, value=-math.inf).contiguous()
    st = xp.stride()
    win = xp.as_strided((*xp.shape[:2], *o, *k), (*st[:2], *(a * b for a, b in zip(s, st[2:])),
                                                  *(a * b for a, b in zip(d, st[2:]))),
                        xp.storage_offset())
    win = win.reshape(*xp.shape[:2], *o, math.prod(k))
    # NaN wins, like PyTorch: where a window holds one, its first NaN is the pick
    nan = win.isnan()
    arg = where(nan.any(-1), nan.to(x.dtype).argmax(-1), win.argmax(-1))
    vals = win.gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    # tap index → input coordinates → flat plane index (a table of host constants per tap)
    taps = np.stack(np.unravel_index(np.arange(math.prod(k)), k), 0)  # (nd, K)
    idx = None
    for i in range(nd):
        shape = [1] * nd
        shape[i] = o[i]
        pos = tensor((np.arange(o[i]) * s[i] - pads[i][0]).reshape(shape), device=x.device)
        coord = pos + tensor(taps[i] * d[i], device=x.device)[arg]
        idx = coord if idx is None else idx * x.shape[2 + i] + coord
    return vals, idx


def _max_pool(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices=True):
    """(values, indices); without ``return_indices`` and gradient the indices may be None (a
    backend kernel then skips computing them)."""
    x, unbatched = _batched(input, nd, name)
    k, s, pads, d, o = _pool_args(nd, name, x, kernel_size, stride, padding, dilation,
                                  ceil_mode)
    fast = x._be.kernels.get("max_pool_with_indices")
    if fast is not None:
        grad = needs_grad(x)
        v, i = fast(x._data, kernel_size=k, stride=s, padding=pads, dilation=d,
                    with_indices=grad or return_indices)
        vals, idx = wrap(v, x), (None if i is None else wrap(i, x))
        if grad:
            # windows that don't overlap hold each input element at most once
            disjoint = all(ss >= dd * (kk - 1) + 1 for kk, ss, dd in zip(k, s, d))
            record(vals, _max_pool_backward, f"MaxPool{nd}DWithIndicesBackward0", (x,), (idx,),
                   (tuple(x.shape[2:]), disjoint))
        if idx is None:
            return vals.squeeze(0) if unbatched else vals, None
    else:
        vals, idx = _max_pool_decomposition(x, k, s, pads, d, o)
    return (vals.squeeze(0), idx.squeeze(0)) if unbatched else (vals, idx)


def _max_pool_fn(nd):
    def with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
        return _max_pool(nd, f"max_pool{nd}d", input, kernel_size, stride, padding, dilation,
                         ceil_mode)

    def pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False):
        out = _max_pool(nd, f"max_pool{nd}d", input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)
        return out if return_indices else out[0]

    pool.__name__ = pool.__qualname__ = f"max_pool{nd}d"
    with_indices.__name__ = with_indices.__qualname__ = f"max_pool{nd}d_with_indices"
    pool.__doc__ = (f"{nd}-d max pooling over (N, C, *spatial) or (C, *spatial).\n\n"
                    "    ``stride`` defaults to ``kernel_size``; ``padding`` pads with -inf; "
                    "``ceil_mode`` keeps a last partial window;\n    ``return_indices`` also "
                    "returns each maximum's flat index in its input plane (int64).")
    with_indices.__doc__ = f"``max_pool{nd}d(..., return_indices=True)``: (values, indices)."
    return pool, with_indices


max_pool1d, max_pool1d_with_indices = _max_pool_fn(1)
max_pool2d, max_pool2d_with_indices = _max_pool_fn(2)
max_pool3d, max_pool3d_with_indices = _max_pool_fn(3)


def _max_unpool(nd, name, input, indices, kernel_size, stride, padding, output_size):
    from ...ops.creation import zeros

    x, unbatched = _batched(input, nd, name)
    idx = indices.unsqueeze(0) if unbatched else indices
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    default = tuple((n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(x.shape[2:], s, p, k))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-nd:]
        for i, (want, dflt, ss) in enumerate(zip(size, default, s)):
            if not dflt - ss < want < dflt + ss:
                raise ValueError(f"invalid output_size \"{list(output_size)}\" (dim {i} must be "
                                 f"between {dflt - ss} and {dflt + ss})")
    if tuple(idx.shape) != tuple(x.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: "
                           f"{list(idx.shape)}")
    n, c = x.shape[:2]
    plane = math.prod(size)
    flat_idx = idx.reshape(n, c, -1)
    if flat_idx.numel() and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= plane):
        raise RuntimeError(f"Found an invalid max index: {int(flat_idx.max())} (output volumes "
                           f"are of size {'x'.join(map(str, size))}")
    out = zeros((n, c, plane), dtype=x.dtype, device=x.device)
    out = out.scatter(2, flat_idx, x.reshape(n, c, -1)).reshape(n, c, *size)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of ``max_pool1d``: values put back at their indices, zeros elsewhere."""
    return _max_unpool(1, "max_unpool1d", input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of ``max_pool2d``: values put back at their indices, zeros elsewhere."""
    return _max_unpool(2, "max_unpool2d", input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of ``max_pool3d``."""
    return _max_unpool(3, "max_unpool3d", input, indices, kernel_size, stride, padding,
                       output_size)


# ---- average pooling --------------------------------------------------------------------------

def _window_counts(sizes, k, s, pads, o, count_include_pad):
    """Per output position, how many elements its window averages (PyTorch's divisor):
    clipped to the padded input (include_pad) or to the input itself."""
    counts = np.ones((), np.float64)
    for n, kk, ss, (lo, _), oo in zip(sizes, k, s, pads, o):
        start = np.arange(oo) * ss - lo
        end = np.minimum(start + kk, n + lo)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts = np.multiply.outer(counts, end - start)
    return counts


def _avg_pool(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    from ...ops.creation import ones, tensor

    x, unbatched = _batched(input, nd, name)
    k, s, pads, _, o = _pool_args(nd, name, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    n, c = x.shape[:2]
    planes = x.reshape(n * c, 1, *x.shape[2:])
    w = ones((1, 1, *k), dtype=x.dtype, device=x.device)
    total = convolution(planes, w, None, stride=s, padding=pads, dilation=(1,) * nd, groups=1)
    total = total.reshape(n, c, *o)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        counts = _window_counts(x.shape[2:], k, s, pads, o, count_include_pad)
        out = total / tensor(counts, dtype=x.dtype, device=x.device)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    """1-d average pooling; ``count_include_pad`` counts the zero padding in the divisor."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W).

    Args:
        stride: defaults to ``kernel_size``. padding: zeros on both sides (≤ kernel/2).
        ceil_mode: keep a last partial window (divided by its in-bounds count).
        count_include_pad: whether zero padding counts in the divisor.
        divisor_override: divide every window sum by this instead.
    """
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    """Power-average pooling: (Σ x^p)^(1/p) over each window (PyTorch's formula)."""
    k = _tuple(kernel_size, 1, "kernel_size")[0]
    out = avg_pool1d(input.pow(norm_type), k, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    """Power-average pooling over 2-d windows: (Σ x^p)^(1/p)."""
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kh * kw).pow(1.0 / norm_type)


# ---- adaptive pooling -------------------------------------------------------------------------

def _bins(n_in: int, n_out: int):
    """PyTorch's adaptive bins: [floor(i·In/Out), ceil((i+1)·In/Out))."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def _adaptive_sizes(nd, x, output_size, name):
    size = (output_size,) * nd if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)
    if len(size) != nd:
        raise ValueError(f"{name}: output_size must be {nd}")
    size = tuple(n if o is None else int(o) for o, n in zip(size, x.shape[2:]))
    for d, n in enumerate(x.shape[1:]):
        if n == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with dimension "
                               f"{d + 1} being empty")
    return size


def _adaptive_avg(nd, name, input, output_size):
    from ...ops.creation import tensor

    x, unbatched = _batched(input, nd, name)
    size = _adaptive_sizes(nd, x, output_size, name)
    out = x
    for i, (n_in, n_out) in enumerate(zip(x.shape[2:], size)):
        if n_in == n_out:
            continue
        start, end = _bins(n_in, n_out)
        cols = np.arange(n_in)
        m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
        mat = tensor(m.T, dtype=x.dtype, device=x.device)  # (In, Out)
        out = out.movedim(2 + i, -1).matmul(mat).movedim(-1, 2 + i)
    if out is x:
        out = x.clone()
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average over ``output_size`` adaptive bins of the last dim (bins may overlap)."""
    return _adaptive_avg(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average over adaptive bins: bin i covers [⌊i·In/Out⌋, ⌈(i+1)·In/Out⌉); ``None`` in
    ``output_size`` keeps that input size."""
    return _adaptive_avg(2, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """3-d adaptive average pooling."""
    return _adaptive_avg(3, "adaptive_avg_pool3d", input, output_size)


def _adaptive_max(nd, name, input, output_size):
    from ...ops.creation import tensor

    x, unbatched = _batched(input, nd, name)
    size = _adaptive_sizes(nd, x, output_size, name)
    # every bin padded to the widest bin by repeating its last element (harmless for max, and
    # the first maximum's index stays the first)
    taps, kmax = [], []
    for n_in, n_out in zip(x.shape[2:], size):
        start, end = _bins(n_in, n_out)
        k = int((end - start).max())
        taps.append(np.minimum(start[:, None] + np.arange(k), end[:, None] - 1))  # (Out, k)
        kmax.append(k)
    n, c = x.shape[:2]
    flat_pos = np.zeros((1,) * (2 * nd), np.int64)
    for i, (t, n_in) in enumerate(zip(taps, x.shape[2:])):
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = t.shape
        flat_pos = flat_pos * n_in + t.reshape(shape)
    flat_pos = flat_pos.reshape(*size, math.prod(kmax))  # (*out, K) plane indices
    pos = tensor(flat_pos, device=x.device)
    win = x.reshape(n, c, -1)[:, :, pos]  # (N, C, *out, K)
    vals, arg = win.max(-1)
    idx = pos.expand(n, c, *pos.shape).gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    return (vals.squeeze(0), idx.squeeze(0)) if unbatched else (vals, idx)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(1, "adaptive_max_pool1d", input, output_size)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over adaptive bins of the last dim; ``return_indices`` adds flat indices."""
    out = _adaptive_max(1, "adaptive_max_pool1d", input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over adaptive 2-d bins; ``return_indices`` adds flat plane indices."""
    out = _adaptive_max(2, "adaptive_max_pool2d", input, output_size)
    return out if return_indices else out[0]
