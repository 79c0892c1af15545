"""The shared shape of the segmentation models: backbone → head(s) → upsample to the input."""

from __future__ import annotations

from collections import OrderedDict

from ember import Tensor, nn
from ember.nn import functional as F


def _ovewrite_value_param(param: str, actual, expected):
    """``expected`` unless the caller asked for something else, which is an error."""
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         "instead.")
    return expected


def _resolve_params(weights, num_classes: int | None, aux_loss: bool | None, weights_backbone):
    """``(num_classes, aux_loss, weights_backbone)`` the way torchvision resolves them: a full
    checkpoint fixes the class count and the aux head, and includes the backbone; without one
    there are 21 classes (Pascal VOC) unless asked otherwise."""
    if weights is not None:
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        return num_classes, _ovewrite_value_param("aux_loss", aux_loss, True), None
    return (21 if num_classes is None else num_classes), aux_loss, weights_backbone


class _SimpleSegmentationModel(nn.Module):
    """``backbone`` returns ``{"out": ..., "aux": ...}`` feature maps; each head's prediction is
    upsampled (bilinear) to the input's size. Returns ``{"out": (N, K, H, W)[, "aux": ...]}``."""

    def __init__(self, backbone: nn.Module, classifier: nn.Module,
                 aux_classifier: nn.Module | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        size = x.shape[-2:]
        features = self.backbone(x)
        result = OrderedDict()
        result["out"] = F.interpolate(self.classifier(features["out"]), size=size,
                                      mode="bilinear", align_corners=False)
        if self.aux_classifier is not None:
            result["aux"] = F.interpolate(self.aux_classifier(features["aux"]), size=size,
                                          mode="bilinear", align_corners=False)
        return result
