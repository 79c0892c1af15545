"""IoU-based box regression losses for paired boxes: generalized (GIoU,
https://giou.stanford.edu), distance and complete IoU (DIoU / CIoU,
https://arxiv.org/abs/1911.08287). Boxes are ``(..., 4)`` xyxy; box ``i`` of ``boxes1`` is
compared with box ``i`` of ``boxes2`` (not pairwise, unlike :func:`generalized_box_iou`)."""

from __future__ import annotations

import math

import ember
from ember import Tensor

__all__ = ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]


def _float(boxes: Tensor) -> Tensor:
    return boxes if boxes.is_floating_point() else boxes.float()


def _inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xk1, yk1 = ember.maximum(x1, x1g), ember.maximum(y1, y1g)
    xk2, yk2 = ember.minimum(x2, x2g), ember.minimum(y2, y2g)
    inter = ember.where((xk2 > xk1) & (yk2 > yk1), (xk2 - xk1) * (yk2 - yk1),
                        ember.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _enclosing(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Width and height of the smallest box enclosing each pair."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    return (ember.maximum(x2, x2g) - ember.minimum(x1, x1g),
            ember.maximum(y2, y2g) - ember.minimum(y1, y1g))


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                     "modes: 'none', 'mean', 'sum'")


def _diou_loss_and_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    cw, ch = _enclosing(boxes1, boxes2)
    centers = ((boxes1[..., 0] + boxes1[..., 2]) / 2 - (boxes2[..., 0] + boxes2[..., 2]) / 2) ** 2 \
        + ((boxes1[..., 1] + boxes1[..., 3]) / 2 - (boxes2[..., 1] + boxes2[..., 3]) / 2) ** 2
    return 1 - iou + centers / (cw ** 2 + ch ** 2 + eps), iou


def generalized_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                             eps: float = 1e-7) -> Tensor:
    """``1 - GIoU`` of each pair (in [0, 2]).

    Args:
        boxes1, boxes2 (Tensor[N, 4] or Tensor[4]): predicted and target xyxy boxes.
        reduction (str): ``"none"`` | ``"mean"`` | ``"sum"``. Default: ``"none"``.
        eps (float): keeps the divisions finite. Default: 1e-7.
    """
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    cw, ch = _enclosing(boxes1, boxes2)
    area_c = cw * ch
    giou = inter / (union + eps) - (area_c - union) / (area_c + eps)
    return _reduce(1 - giou, reduction)


def distance_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> Tensor:
    """``1 - IoU + d² / c²`` of each pair (d: center distance, c: enclosing box diagonal);
    arguments as for :func:`generalized_box_iou_loss`."""
    loss, _ = _diou_loss_and_iou(_float(boxes1), _float(boxes2), eps)
    return _reduce(loss, reduction)


def complete_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> Tensor:
    """The DIoU loss plus the aspect-ratio term ``alpha * v``; arguments as for
    :func:`generalized_box_iou_loss`."""
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    diou_loss, iou = _diou_loss_and_iou(boxes1, boxes2, 1e-7)  # torchvision: default eps here
    w_pred, h_pred = boxes1[..., 2] - boxes1[..., 0], boxes1[..., 3] - boxes1[..., 1]
    w_gt, h_gt = boxes2[..., 2] - boxes2[..., 0], boxes2[..., 3] - boxes2[..., 1]
    v = (4 / math.pi ** 2) * (ember.atan(w_gt / h_gt) - ember.atan(w_pred / h_pred)) ** 2
    with ember.no_grad():  # alpha weights the term; no gradient flows through it
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)
