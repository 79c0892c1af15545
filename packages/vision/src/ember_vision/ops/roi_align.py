"""RoI Align (Mask R-CNN, https://arxiv.org/abs/1703.06870), torchvision's semantics.

Each output bin averages bilinear samples of the feature map on a regular grid inside the bin.
The samples are gathered with ember indexing, so the gradient with respect to ``input`` comes
from ember's autograd (a scatter-add of the bilinear weights) on every backend.
"""

from __future__ import annotations

import ember
from ember import Tensor, nn

from ._utils import as_rois, pair

__all__ = ["roi_align", "RoIAlign"]


def _sample_axis(start: Tensor, size: Tensor, pooled: int, grid: Tensor, grid_max: int,
                 length: int):
    """Sample positions along one axis and their bilinear neighbours/weights.

    Args:
        start, size: (K,) roi start and extent in feature-map coordinates.
        pooled: number of output bins along the axis.
        grid: (K,) samples per bin for each roi; grid_max its maximum.
        length: feature-map size along the axis.

    Returns:
        low, high (int64), w_low, w_high, valid: each (K, pooled, grid_max).
    """
    bin_size = size / pooled
    p = ember.arange(pooled, dtype=start.dtype, device=start.device)[None, :, None]
    i = ember.arange(grid_max, dtype=start.dtype, device=start.device)[None, None, :]
    g = grid.to(start.dtype)[:, None, None]
    step = bin_size[:, None, None] / g.clamp(min=1)     # an empty roi has a grid of 0
    pos = start[:, None, None] + p * bin_size[:, None, None] + (i + 0.5) * step
    inside = (pos >= -1.0) & (pos <= length)           # samples further out contribute 0
    valid = inside & (i < g)                            # rois with fewer samples use fewer slots
    pos = pos.clamp(min=0)
    low = pos.floor().to(ember.int64)
    at_edge = low >= length - 1
    low = ember.where(at_edge, ember.full_like(low, length - 1), low)
    high = ember.where(at_edge, low, low + 1)
    frac = ember.where(at_edge, ember.zeros_like(pos), pos - low.to(pos.dtype))
    return low, high, 1.0 - frac, frac, valid


def roi_align(input: Tensor, boxes: Tensor | list[Tensor],
              output_size: int | tuple[int, int], spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """Pool each region of interest to a fixed ``output_size`` by bilinear sampling.

    Args:
        input (Tensor[N, C, H, W]): feature maps.
        boxes (Tensor[K, 5] or list of Tensor[L, 4]): ``[batch_index, x1, y1, x2, y2]`` rows, or
            one ``(x1, y1, x2, y2)`` tensor per image, in image coordinates.
        output_size (int or (int, int)): ``(PH, PW)``.
        spatial_scale (float): image → feature-map coordinates (e.g. 1/16). Default: 1.0.
        sampling_ratio (int): samples per bin along each axis; <= 0 uses
            ``ceil(roi size / output size)`` per roi. Default: -1.
        aligned (bool): shift boxes by -0.5 pixel to align sample points with pixel centers.
            Default: False.

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
        offset = 0.5 if aligned else 0.0
        batch = rois[:, 0].to(ember.int64)
        x1, y1 = rois[:, 1] * spatial_scale - offset, rois[:, 2] * spatial_scale - offset
        x2, y2 = rois[:, 3] * spatial_scale - offset, rois[:, 4] * spatial_scale - offset
        roi_w, roi_h = x2 - x1, y2 - y1
        if not aligned:  # legacy behaviour: force malformed rois to at least 1x1
            roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
        if sampling_ratio > 0:
            grid_h = ember.full((k,), sampling_ratio, dtype=ember.int64, device=input.device)
            grid_w = grid_h
        else:
            grid_h = (roi_h / ph).ceil().to(ember.int64)
            grid_w = (roi_w / pw).ceil().to(ember.int64)
        gh_max = max(int(grid_h.max().item()), 1)
        gw_max = max(int(grid_w.max().item()), 1)
        ylo, yhi, wyl, wyh, vy = _sample_axis(y1, roi_h, ph, grid_h, gh_max, height)
        xlo, xhi, wxl, wxh, vx = _sample_axis(x1, roi_w, pw, grid_w, gw_max, width)
        count = (grid_h * grid_w).clamp(min=1).to(input.dtype)

    # (K, PH, GH, PW, GW) index of every corner of every sample in the flattened (N*H*W, C) map
    def expand(t_y, t_x):
        return t_y[:, :, :, None, None], t_x[:, None, None, :, :]

    flat = input.permute(0, 2, 3, 1).reshape(n * height * width, c)
    base = (batch * (height * width))[:, None, None, None, None]
    out = None
    for yi, wy in ((ylo, wyl), (yhi, wyh)):
        for xi, wx in ((xlo, wxl), (xhi, wxh)):
            ye, xe = expand(yi, xi)
            wye, wxe = expand(wy, wx)
            vye, vxe = expand(vy, vx)
            idx = base + ye * width + xe
            weight = wye * wxe * (vye & vxe).to(input.dtype)
            term = flat[idx.reshape(-1)].reshape(*idx.shape, c) * weight[..., None]
            out = term if out is None else out + term
    out = out.sum(dim=(2, 4)) / count[:, None, None, None]   # (K, PH, PW, C)
    return out.permute(0, 3, 1, 2)


class RoIAlign(nn.Module):
    """Module form of :func:`roi_align`.

    Args:
        output_size, spatial_scale, sampling_ratio, aligned: see :func:`roi_align`.

    Shape:
        - Input: ``(N, C, H, W)`` and rois ``(K, 5)``; Output: ``(K, C, PH, PW)``.
    """

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float,
                 sampling_ratio: int, aligned: bool = False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio,
                         self.aligned)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
                f"aligned={self.aligned})")
