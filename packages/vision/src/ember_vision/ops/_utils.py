"""Argument handling shared by the RoI ops."""

from __future__ import annotations

import ember
from ember import Tensor


def convert_boxes_to_roi_format(boxes: list[Tensor]) -> Tensor:
    """A list of per-image ``(K_i, 4)`` boxes → one ``(sum K_i, 5)`` tensor whose first column is
    the image index."""
    rois = [ember.cat([ember.full_like(b[:, :1], i), b], dim=1) for i, b in enumerate(boxes)]
    return ember.cat(rois, dim=0)


def check_roi_boxes_shape(boxes: Tensor | list[Tensor]) -> None:
    if isinstance(boxes, (list, tuple)):
        for b in boxes:
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError("The shape of the tensor in the boxes list is not correct as "
                                 f"(L, 4): got {tuple(b.shape)}")
    elif isinstance(boxes, Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise ValueError(f"The boxes tensor shape is not correct as (K, 5): got "
                             f"{tuple(boxes.shape)}")
    else:
        raise TypeError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]], got "
                        f"{type(boxes).__name__}")


def as_rois(input: Tensor, boxes: Tensor | list[Tensor]) -> Tensor:
    """Validate ``input`` (N, C, H, W) and ``boxes``, and return ``(K, 5)`` rois in its dtype."""
    if input.ndim != 4:
        raise ValueError(f"input should be a 4-D (N, C, H, W) tensor, got {tuple(input.shape)}")
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(list(boxes))
    return rois.to(input.dtype)


def pair(v: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))
