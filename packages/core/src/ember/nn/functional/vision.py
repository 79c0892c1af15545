"""Resampling: ``F.interpolate`` (``F.upsample*``), ``F.grid_sample`` and ``F.affine_grid``.

``interpolate`` is separable: along each spatial dim the output is a fixed linear map of the
input, so every interpolating mode builds one small (out, in) weight matrix per dim on the host
(PyTorch's source-index conventions: ``align_corners``, given vs recomputed scale factors, the
antialiasing filters) and applies it with one matmul; ``nearest`` modes are an index_select.
Gradients come from autograd through those ops, on every backend.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as _dt
from ..._tensor import Tensor
from ...ops.elementwise import where

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample",
           "affine_grid"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _source_scale(n_in, n_out, align_corners, scale):
    """PyTorch's area_pixel_compute_scale."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _linear_matrix(n_in, n_out, align_corners, scale) -> np.ndarray:
    s = _source_scale(n_in, n_out, align_corners, scale)
    dst = np.arange(n_out, dtype=np.float64)
    src = s * dst if align_corners else np.maximum(s * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    l1 = src - i0
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), i0), 1.0 - l1)
    np.add.at(m, (np.arange(n_out), i1), l1)
    return m


def _cubic(x, a):
    """The cubic convolution kernel (Keys), for |x| in [0, 2)."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _cubic_matrix(n_in, n_out, align_corners, scale) -> np.ndarray:
    s = _source_scale(n_in, n_out, align_corners, scale)
    dst = np.arange(n_out, dtype=np.float64)
    src = s * dst if align_corners else s * (dst + 0.5) - 0.5
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    m = np.zeros((n_out, n_in))
    for j in range(4):  # taps i0-1 … i0+2, clamped to the edge
        idx = np.clip(i0 - 1 + j, 0, n_in - 1)
        np.add.at(m, (np.arange(n_out), idx), _cubic(t - (j - 1), -0.75))
    return m


def _aa_matrix(n_in, n_out, align_corners, scale, cubic: bool) -> np.ndarray:
    """PyTorch's antialiased weights: the filter stretched by the downscale factor and
    normalised per output (``_compute_weights_aa``)."""
    s = _source_scale(n_in, n_out, align_corners, scale)
    interp = 4 if cubic else 2
    support = interp * 0.5 * s if s >= 1.0 else interp * 0.5
    inv = 1.0 / s if s >= 1.0 else 1.0
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = s * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        x = (np.arange(lo, hi) - center + 0.5) * inv
        w = _cubic(x, -0.5) if cubic else np.maximum(0.0, 1.0 - np.abs(x))
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def _nearest_index(n_in, n_out, scale, exact: bool) -> np.ndarray:
    # PyTorch computes these in float32
    s = np.float32(1.0 / scale if scale is not None and scale > 0 else n_in / n_out)
    dst = np.arange(n_out, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * s if exact else dst * s).astype(np.int64)
    return np.minimum(src, n_in - 1)


def _output_sizes(x, nd, size, scale_factor, recompute):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(sizes) != nd:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(x.shape[2:])} and output size of {list(sizes)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                             f"size in (o1, o2, ...,oK) format.")
        return tuple(int(s) for s in sizes), (None,) * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
        (scale_factor,) * nd
    if len(scales) != nd:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of "
                         f"{list(x.shape[2:])} and scale_factor of shape {list(scales)}. Please "
                         f"provide input tensor in (N, C, d1, d2, ...,dK) format and "
                         f"scale_factor in (s1, s2, ...,sK) format.")
    sizes = tuple(int(math.floor(float(n) * float(s))) for n, s in zip(x.shape[2:], scales))
    return sizes, ((None,) * nd if recompute else tuple(float(s) for s in scales))


def _along(x: Tensor, dim: int, mat: np.ndarray) -> Tensor:
    """Apply the (out, in) matrix along ``dim``."""
    from ...ops.creation import tensor

    m = tensor(mat.T, dtype=x.dtype, device=x.device)
    return x.movedim(dim, -1).matmul(m).movedim(-1, dim)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Args:
        mode: ``nearest``, ``nearest-exact``, ``linear`` (3-D), ``bilinear``/``bicubic``
            (4-D), ``trilinear`` (5-D) or ``area`` (adaptive average pooling).
        align_corners: for the interpolating modes, map corner pixel centres onto each other.
        recompute_scale_factor: compute the source scale from the sizes, not ``scale_factor``.
        antialias: low-pass filter when downsampling (``bilinear``/``bicubic``), like PIL.
    """
    from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

    if mode not in _MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact (got "
                                  f"{mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact (got "
                                  f"{mode})")
    if mode in _DIMS and _DIMS[mode] != nd:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_DIMS[mode] + 2}D input")
    sizes, scales = _output_sizes(input, nd, size, scale_factor, recompute_scale_factor)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1]
        return pool(input, sizes)
    out = input
    for i, (n_in, n_out, sc) in enumerate(zip(input.shape[2:], sizes, scales)):
        if mode in ("nearest", "nearest-exact"):
            from ...ops.creation import tensor

            idx = _nearest_index(n_in, n_out, sc, mode == "nearest-exact")
            out = out.index_select(2 + i, tensor(idx, device=input.device))
        elif antialias:
            out = _along(out, 2 + i, _aa_matrix(n_in, n_out, align_corners, sc,
                                                mode == "bicubic"))
        elif mode == "bicubic":
            out = _along(out, 2 + i, _cubic_matrix(n_in, n_out, align_corners, sc))
        else:
            out = _along(out, 2 + i, _linear_matrix(n_in, n_out, align_corners, sc))
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    """Deprecated alias of ``interpolate``."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- grid_sample / affine_grid ----------------------------------------------------------------

def _unnormalize(c: Tensor, size: int, align_corners: bool) -> Tensor:
    return (c + 1) / 2 * (size - 1) if align_corners else ((c + 1) * size - 1) / 2


def _reflect(c: Tensor, twice_low: int, twice_high: int) -> Tensor:
    if twice_low == twice_high:
        return c * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (c - low).abs()
    extra = c.fmod(span)
    flips = (c / span).floor()
    return where(flips.remainder(2) == 0, extra + low, span - extra + low)


def _pad_coords(c: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    if padding_mode == "border":
        return c.clamp(0, size - 1)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        return c.clamp(0, size - 1)
    return c


def _gather2d(x: Tensor, iy: Tensor, ix: Tensor, padding_mode: str):
    """x (N, C, H, W) at integer coordinates iy/ix (N, Ho, Wo): (N, C, Ho, Wo) values, zero
    outside the image (only 'zeros' padding can reach outside)."""
    n, c, h, w = x.shape
    inside = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
    flat = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).to(_dt.int64)
    flat = flat.reshape(n, 1, -1).expand(n, c, flat[0].numel())
    vals = x.reshape(n, c, h * w).gather(2, flat).reshape(n, c, *iy.shape[1:])
    return where(inside.unsqueeze(1), vals, 0.0) if padding_mode == "zeros" else vals


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) locations in [-1, 1] (x, y).

    Args:
        mode: ``bilinear``, ``nearest`` (round half to even) or ``bicubic``.
        padding_mode: ``zeros``, ``border`` or ``reflection`` for locations outside.
        align_corners: −1/1 are the centres (True) or the outer edges (False) of the corner
            pixels.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of "
                           f"dimensions and last grid dim 2, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    ac = bool(align_corners)
    h, w = input.shape[2:]
    gx = _unnormalize(grid[..., 0], w, ac)
    gy = _unnormalize(grid[..., 1], h, ac)
    if mode == "bicubic":
        return _bicubic_sample(input, gx, gy, padding_mode, ac)
    ix = _pad_coords(gx, w, padding_mode, ac)
    iy = _pad_coords(gy, h, padding_mode, ac)
    if mode == "nearest":
        return _gather2d(input, iy.round(), ix.round(), padding_mode)
    x0, y0 = ix.floor().detach(), iy.floor().detach()
    tx, ty = ix - x0, iy - y0
    out = 0
    for dy, wy in ((0, 1 - ty), (1, ty)):
        for dx, wx in ((0, 1 - tx), (1, tx)):
            v = _gather2d(input, y0 + dy, x0 + dx, "zeros")
            out = out + v * (wy * wx).unsqueeze(1)
    return out


def _bicubic_sample(x, gx, gy, padding_mode, ac):
    h, w = x.shape[2:]
    x0, y0 = gx.floor().detach(), gy.floor().detach()
    tx, ty = gx - x0, gy - y0

    def coeffs(t):
        a = -0.75
        c1 = lambda v: ((a + 2) * v - (a + 3)) * v * v + 1  # noqa: E731
        c2 = lambda v: ((a * v - 5 * a) * v + 8 * a) * v - 4 * a  # noqa: E731
        return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]

    wx, wy = coeffs(tx), coeffs(ty)
    out = 0
    for j in range(4):
        yy = _pad_coords(y0 - 1 + j, h, padding_mode, ac)
        for i in range(4):
            xx = _pad_coords(x0 - 1 + i, w, padding_mode, ac)
            v = _gather2d(x, yy, xx, "zeros")
            out = out + v * (wy[j] * wx[i]).unsqueeze(1)
    return out


def _base_coords(n: int, align_corners: bool, like: Tensor) -> Tensor:
    from ...ops.creation import linspace

    c = linspace(-1, 1, n, dtype=like.dtype, device=like.device) if n > 1 else \
        linspace(-1, 1, 1, dtype=like.dtype, device=like.device) * 0
    return c if align_corners else c * ((n - 1) / n)


def affine_grid(theta, size, align_corners=None) -> Tensor:
    """Sampling grids (N, H, W, 2) or (N, D, H, W, 3) for ``grid_sample`` from affine
    matrices ``theta`` (N, 2, 3) or (N, 3, 4); ``size`` is the output's (N, C, H, W[, D])."""
    from ...ops.creation import ones
    from ...ops.joining import stack

    ac = bool(align_corners)
    size = tuple(size)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{list(size)}. Got {list(theta.shape)}.")
        n, _, h, w = size
        xs = _base_coords(w, ac, theta).reshape(1, w).expand(h, w)
        ys = _base_coords(h, ac, theta).reshape(h, 1).expand(h, w)
        base = stack([xs, ys, ones((h, w), dtype=theta.dtype, device=theta.device)], -1)
        return base.reshape(1, h * w, 3).matmul(theta.transpose(1, 2)).reshape(n, h, w, 2)
    if len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{list(size)}. Got {list(theta.shape)}.")
        n, _, d, h, w = size
        xs = _base_coords(w, ac, theta).reshape(1, 1, w).expand(d, h, w)
        ys = _base_coords(h, ac, theta).reshape(1, h, 1).expand(d, h, w)
        zs = _base_coords(d, ac, theta).reshape(d, 1, 1).expand(d, h, w)
        base = stack([xs, ys, zs, ones((d, h, w), dtype=theta.dtype, device=theta.device)], -1)
        return base.reshape(1, d * h * w, 4).matmul(theta.transpose(1, 2)).reshape(n, d, h, w, 3)
    raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                              f"transforms, respectively. Got size {list(size)}.")
