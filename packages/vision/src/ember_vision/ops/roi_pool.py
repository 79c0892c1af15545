"""RoI Pool (Fast R-CNN, https://arxiv.org/abs/1504.08083), torchvision's semantics.

Box corners are rounded to feature-map pixels; each output bin is the maximum over the pixels
it covers (0 for an empty bin). Written with ember gathers and ``amax``, so it runs (and
differentiates) on every backend.
"""

from __future__ import annotations

import ember
from ember import Tensor, nn

from ._utils import as_rois, pair

__all__ = ["roi_pool", "RoIPool"]


def _round_half_away(t: Tensor) -> Tensor:
    """C's ``round``: halves go away from zero (``ember.round`` rounds half to even)."""
    return t.sign() * (t.abs() + 0.5).floor()


def _bin_ranges(start: Tensor, end: Tensor, pooled: int, length: int):
    """Pixel ranges ``[lo, hi)`` (int64, (K, pooled)) of every bin along one axis."""
    size = (end - start + 1).clamp(min=1).to(ember.float32)
    bin_size = size / pooled
    p = ember.arange(pooled, dtype=ember.float32, device=start.device)[None, :]
    lo = (p * bin_size[:, None]).floor().to(ember.int64) + start[:, None]
    hi = ((p + 1) * bin_size[:, None]).ceil().to(ember.int64) + start[:, None]
    return lo.clamp(min=0, max=length), hi.clamp(min=0, max=length)


def roi_pool(input: Tensor, boxes: Tensor | list[Tensor],
             output_size: int | tuple[int, int], spatial_scale: float = 1.0) -> Tensor:
    """Max-pool each region of interest to a fixed ``output_size``.

    Args:
        input (Tensor[N, C, H, W]): feature maps.
        boxes (Tensor[K, 5] or list of Tensor[L, 4]): ``[batch_index, x1, y1, x2, y2]`` rows,
            or one box tensor per image, in image coordinates.
        output_size (int or (int, int)): ``(PH, PW)``.
        spatial_scale (float): image → feature-map coordinates. Default: 1.0.

    Returns:
        Tensor[K, C, PH, PW].
    """
    rois = as_rois(input, boxes)
    ph, pw = pair(output_size)
    n, c, height, width = input.shape
    k = rois.shape[0]
    if k == 0:
        return input.new_zeros((0, c, ph, pw))
    with ember.no_grad():
        batch = rois[:, 0].to(ember.int64)
        corners = _round_half_away(rois[:, 1:] * spatial_scale).to(ember.int64)
        ylo, yhi = _bin_ranges(corners[:, 1], corners[:, 3], ph, height)
        xlo, xhi = _bin_ranges(corners[:, 0], corners[:, 2], pw, width)
        span_h = max(int((yhi - ylo).max().item()), 1)
        span_w = max(int((xhi - xlo).max().item()), 1)
        # every bin reads a span_h x span_w window; positions past its end are masked out
        y = ylo[:, :, None] + ember.arange(span_h, device=input.device)  # (K, PH, SH)
        x = xlo[:, :, None] + ember.arange(span_w, device=input.device)  # (K, PW, SW)
        vy, vx = y < yhi[:, :, None], x < xhi[:, :, None]
        y, x = y.clamp(max=height - 1), x.clamp(max=width - 1)
        idx = ((batch * (height * width))[:, None, None, None, None]
               + (y * width)[:, :, :, None, None] + x[:, None, None, :, :])  # (K, PH, SH, PW, SW)
        valid = vy[:, :, :, None, None] & vx[:, None, None, :, :]
        empty = ~valid.any(dim=(2, 4))                                       # (K, PH, PW)
    flat = input.permute(0, 2, 3, 1).reshape(n * height * width, c)
    values = flat[idx.reshape(-1)].reshape(*idx.shape, c)
    values = ember.where(valid[..., None], values, ember.full_like(values, float("-inf")))
    out = values.amax(dim=(2, 4))                                            # (K, PH, PW, C)
    out = ember.where(empty[..., None], ember.zeros_like(out), out)
    return out.permute(0, 3, 1, 2)


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool`.

    Args:
        output_size, spatial_scale: see :func:`roi_pool`.

    Shape:
        - Input: ``(N, C, H, W)`` and rois ``(K, 5)``; Output: ``(K, C, PH, PW)``.
    """

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
