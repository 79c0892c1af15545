"""Sigmoid focal loss (RetinaNet, https://arxiv.org/abs/1708.02002)."""

from __future__ import annotations

from ember import Tensor
from ember.nn import functional as F

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Tensor:
    """Binary cross-entropy down-weighted by ``(1 - p_t) ** gamma`` for easy examples.

    Args:
        inputs (Tensor): logits of any shape.
        targets (Tensor): same shape, 0/1 labels (float).
        alpha (float): weight of the positives in (0, 1); negative disables it. Default: 0.25.
        gamma (float): focusing exponent. Default: 2.
        reduction (str): ``"none"`` | ``"mean"`` | ``"sum"``. Default: ``"none"``.

    Returns:
        Tensor: the loss, elementwise or reduced.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported "
                         "reduction modes: 'none', 'mean', 'sum'")
    if inputs.shape != targets.shape:
        raise ValueError(f"inputs and targets should have the same shape, got "
                         f"{tuple(inputs.shape)} and {tuple(targets.shape)}")
    p = inputs.sigmoid()
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
