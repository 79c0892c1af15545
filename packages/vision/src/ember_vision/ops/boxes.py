"""Box operations: NMS, IoU variants, area, format conversion, clipping (torchvision.ops.boxes).

Boxes are ``(N, 4)`` tensors, by default in ``(x1, y1, x2, y2)`` format with ``0 <= x1 < x2``
and ``0 <= y1 < y2``. Everything is written in ember ops, so it runs on every backend.
"""

from __future__ import annotations

import math

import ember
from ember import Tensor

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert",
           "box_area", "box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou",
           "masks_to_boxes"]

_FORMATS = ("xyxy", "xywh", "cxcywh")


def _check_boxes(boxes: Tensor, name: str = "boxes") -> None:
    if boxes.shape[-1] != 4:
        raise ValueError(f"{name} should have shape (..., 4), got {tuple(boxes.shape)}")


def _upcast(t: Tensor) -> Tensor:
    """Integer boxes overflow in products: compute in float32 / int64 like torchvision."""
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression: visit boxes by decreasing score and drop every later box
    whose IoU with a kept box is greater than ``iou_threshold``.

    Args:
        boxes (Tensor[N, 4]): ``(x1, y1, x2, y2)`` boxes.
        scores (Tensor[N]): their scores.
        iou_threshold (float): discard overlaps with IoU > this.

    Returns:
        Tensor[K] int64: indices of the kept boxes, by decreasing score.
    """
    _check_boxes(boxes)
    if scores.ndim != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores should have shape ({boxes.shape[0]},), got "
                         f"{tuple(scores.shape)}")
    if boxes.shape[0] == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    order = ember.argsort(scores, descending=True)
    with ember.no_grad():
        overlaps = (box_iou(boxes[order], boxes[order]) > iou_threshold).cpu().numpy()
    # The greedy sweep is inherently sequential: run it on the (small) N x N boolean matrix.
    suppressed = [False] * len(overlaps)
    keep = []
    for i, row in enumerate(overlaps):
        if suppressed[i]:
            continue
        keep.append(i)
        for j in row[i + 1:].nonzero()[0]:
            suppressed[i + 1 + j] = True
    return order[ember.tensor(keep, dtype=ember.int64, device=boxes.device)]


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS run independently per category: boxes of different ``idxs`` never suppress each other.

    Args:
        boxes (Tensor[N, 4]), scores (Tensor[N]): as for :func:`nms`.
        idxs (Tensor[N] int64): the category of each box.
        iou_threshold (float): discard overlaps with IoU > this.

    Returns:
        Tensor[K] int64: indices of the kept boxes, by decreasing score.
    """
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    # shift each category by more than the largest coordinate so categories cannot overlap
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes.dtype) * (max_coordinate + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices (int64) of the boxes whose width and height are both >= ``min_size``."""
    _check_boxes(boxes)
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return ember.where((ws >= min_size) & (hs >= min_size))[0]


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clip ``(x1, y1, x2, y2)`` boxes to an image of ``size = (height, width)``."""
    _check_boxes(boxes)
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((x, y), dim=boxes.dim()).reshape(boxes.shape)


def _to_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    a, b, c, d = boxes.unbind(-1)
    if fmt == "xywh":
        return ember.stack((a, b, a + c, b + d), dim=-1)
    if fmt == "cxcywh":
        return ember.stack((a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d), dim=-1)
    return boxes


def _from_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    if fmt == "xywh":
        return ember.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)
    if fmt == "cxcywh":
        return ember.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)
    return boxes


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between ``"xyxy"`` (corners), ``"xywh"`` (top-left, size) and
    ``"cxcywh"`` (center, size).

    Args:
        boxes (Tensor[..., 4]): boxes in ``in_fmt``.
        in_fmt (str), out_fmt (str): one of ``"xyxy"``, ``"xywh"``, ``"cxcywh"``.

    Returns:
        Tensor[..., 4]: boxes in ``out_fmt`` (a copy even when the formats match).
    """
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and "
                         f"out_fmt {out_fmt} (supported: {', '.join(_FORMATS)})")
    _check_boxes(boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    return _from_xyxy(_to_xyxy(boxes, in_fmt), out_fmt)


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Area of each box (Tensor[...]) in format ``fmt`` (``"xyxy"``, ``"xywh"``, ``"cxcywh"``)."""
    if fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    _check_boxes(boxes)
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _box_inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Pairwise intersection and union areas of xyxy boxes, ``(..., N, M)`` each."""
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = ember.maximum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rb = ember.minimum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def _enclosing_wh(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Width and height ``(..., N, M, 2)`` of the smallest box enclosing each pair."""
    lti = ember.minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = ember.maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """Pairwise intersection-over-union (Jaccard index).

    Args:
        boxes1 (Tensor[..., N, 4]), boxes2 (Tensor[..., M, 4]): boxes in format ``fmt``.
        fmt (str): ``"xyxy"`` (default), ``"xywh"`` or ``"cxcywh"``.

    Returns:
        Tensor[..., N, M]: the IoU of every pair.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"Unsupported Box IoU Calculation for given fmt {fmt}.")
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _box_inter_union(_to_xyxy(boxes1, fmt), _to_xyxy(boxes2, fmt))
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU (https://giou.stanford.edu): IoU minus the fraction of the
    enclosing box not covered by the union. Tensor[..., N, M], values in [-1, 1]."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _box_inter_union(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return inter / union - (areai - union) / areai


def _box_diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_distance_squared = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    x_p = (boxes1[..., 0] + boxes1[..., 2]) / 2
    y_p = (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g = (boxes2[..., 0] + boxes2[..., 2]) / 2
    y_g = (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers_distance_squared = (_upcast(x_p[..., None] - x_g[..., None, :]) ** 2
                                + _upcast(y_p[..., None] - y_g[..., None, :]) ** 2)
    return iou - centers_distance_squared / diagonal_distance_squared, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise distance IoU (https://arxiv.org/abs/1911.08287): IoU minus the squared center
    distance over the squared diagonal of the enclosing box. Tensor[..., N, M]."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    return _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps)[0]


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise complete IoU (https://arxiv.org/abs/1911.08287): distance IoU minus an
    aspect-ratio consistency term ``alpha * v``. Tensor[..., N, M]."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / math.pi ** 2) * (ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt)) ** 2
    with ember.no_grad():  # alpha is a weight, not a path for gradients (as in the paper)
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The ``(x1, y1, x2, y2)`` box (float, inclusive pixel coordinates) around each of ``N``
    masks ``(N, H, W)``; an empty mask gives ``[0, 0, 0, 0]``."""
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device, dtype=ember.float)
    if masks.ndim != 3:
        raise ValueError(f"masks should have shape (N, H, W), got {tuple(masks.shape)}")
    _, h, w = masks.shape
    rows = masks.bool().any(dim=2)
    cols = masks.bool().any(dim=1)
    rows_f, cols_f = rows.float(), cols.float()
    y1, x1 = rows_f.argmax(dim=1), cols_f.argmax(dim=1)
    y2 = (h - 1) - rows_f.flip(1).argmax(dim=1)
    x2 = (w - 1) - cols_f.flip(1).argmax(dim=1)
    boxes = ember.stack([x1, y1, x2, y2], dim=1).float()
    empty = ~rows.any(dim=1)
    return ember.where(empty[:, None], ember.zeros_like(boxes), boxes)
