"""Multi-scale RoI Align: pool each box from the pyramid level that suits its size (FPN paper,
eq. 1, https://arxiv.org/abs/1612.03144)."""

from __future__ import annotations

import math

import ember
from ember import Tensor, nn

from ._utils import convert_boxes_to_roi_format
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["MultiScaleRoIAlign", "LevelMapper", "initLevelMapper"]


class LevelMapper:
    """Pyramid level of each box: ``floor(k0 + log2(sqrt(area) / s0) + eps)`` clamped to
    ``[k_min, k_max]``, returned as an index from ``k_min``.

    Args:
        k_min, k_max (int): the finest and coarsest available levels.
        canonical_scale (int): ``s0``. Default: 224.
        canonical_level (int): ``k0``. Default: 4.
        eps (float): Default: 1e-6.
    """

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224,
                 canonical_level: int = 4, eps: float = 1e-6):
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists: list[Tensor]) -> Tensor:
        s = ember.sqrt(ember.cat([box_area(b) for b in boxlists]))
        levels = ember.floor(self.lvl0 + ember.log2(s / self.s0) + self.eps)
        levels = ember.clamp(levels, min=self.k_min, max=self.k_max)
        return levels.to(ember.int64) - self.k_min


def initLevelMapper(k_min: int, k_max: int, canonical_scale: int = 224,
                    canonical_level: int = 4, eps: float = 1e-6) -> LevelMapper:
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _infer_scale(feature: Tensor, original_size: tuple[int, int]) -> float:
    """The power of two closest to feature size / image size (from the height)."""
    return 2.0 ** round(math.log2(float(feature.shape[-2]) / float(original_size[0])))


class MultiScaleRoIAlign(nn.Module):
    """RoI Align over a feature pyramid: each box is pooled from one level, chosen by
    :class:`LevelMapper`; the level scales are inferred from the feature and image sizes.

    Args:
        featmap_names (list of str): the feature maps to pool from (finest first).
        output_size (int or (int, int)): pooled size.
        sampling_ratio (int): see :func:`roi_align`.
        canonical_scale (int), canonical_level (int): keyword-only, eq. 1's ``224`` and
            ``k0 = 4``.

    Shape:
        - Input: ``x`` an OrderedDict of ``(N, C, H_l, W_l)``, ``boxes`` a list of N
          ``(K_i, 4)`` tensors in image coordinates, ``image_shapes`` a list of N (H, W).
        - Output: ``(sum K_i, C, *output_size)``.
    """

    def __init__(self, featmap_names: list[str], output_size: int | tuple[int, int],
                 sampling_ratio: int, *, canonical_scale: int = 224, canonical_level: int = 4):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales: list[float] | None = None
        self.map_levels: LevelMapper | None = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def _setup_scales(self, features: list[Tensor], image_shapes: list[tuple[int, int]]) -> None:
        if not image_shapes:
            raise ValueError("images list should not be empty")
        original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        self.scales = [_infer_scale(f, original) for f in features]
        lvl_min = int(-math.log2(self.scales[0]))
        lvl_max = int(-math.log2(self.scales[-1]))
        self.map_levels = initLevelMapper(lvl_min, lvl_max, canonical_scale=self.canonical_scale,
                                          canonical_level=self.canonical_level)

    def forward(self, x: dict[str, Tensor], boxes: list[Tensor],
                image_shapes: list[tuple[int, int]]) -> Tensor:
        features = [v for k, v in x.items() if k in self.featmap_names]
        if not features:
            raise ValueError(f"none of featmap_names {self.featmap_names} is in the input "
                             f"({list(x)})")
        self._setup_scales(features, image_shapes)
        rois = convert_boxes_to_roi_format(boxes).to(features[0].dtype)
        if len(features) == 1:
            return roi_align(features[0], rois, self.output_size, self.scales[0],
                             self.sampling_ratio)
        levels = self.map_levels(boxes)
        pooled, order = [], []
        for level, (feature, scale) in enumerate(zip(features, self.scales)):
            idx = ember.where(levels == level)[0]
            pooled.append(roi_align(feature, rois[idx], self.output_size, scale,
                                    self.sampling_ratio))
            order.append(idx)
        # a level between two non-adjacent maps has no feature: torchvision leaves those zero
        unmatched = ember.where(levels >= len(features))[0]
        pooled.append(features[0].new_zeros((unmatched.shape[0], features[0].shape[1],
                                             *self.output_size)))
        order.append(unmatched)
        # put the per-level results back in the order of the boxes
        return ember.cat(pooled)[ember.argsort(ember.cat(order))]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
                f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})")
