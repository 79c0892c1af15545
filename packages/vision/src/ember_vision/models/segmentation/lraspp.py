"""LR-ASPP on MobileNetV3-Large ("Searching for MobileNetV3", https://arxiv.org/abs/1905.02244)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ember import Tensor, nn
from ember.nn import functional as F

from .._api import register_model
from .._catalog import weights_enum
from .._utils import IntermediateLayerGetter, _load_weights
from ..mobilenetv3 import MobileNet_V3_Large_Weights, MobileNetV3, mobilenet_v3_large
from ._utils import _resolve_params
from .deeplabv3 import mobilenet_stage_indices

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPPHead(nn.Module):
    """High-level features gated by their global average, upsampled and added to a linear
    classifier of the low-level features."""

    def __init__(self, low_channels: int, high_channels: int, num_classes: int,
                 inter_channels: int) -> None:
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                 nn.BatchNorm2d(inter_channels), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                   nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                   nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input: dict[str, Tensor]) -> Tensor:
        low, high = input["low"], input["high"]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


class LRASPP(nn.Module):
    """Lite R-ASPP segmentation network.

    Args:
        backbone (nn.Module): returns ``{"low": ..., "high": ...}`` feature maps.
        low_channels, high_channels (int): their channel counts.
        num_classes (int): output classes (background included).
        inter_channels (int): Default: 128.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``{"out": (N, num_classes, H, W)}``.
    """

    def __init__(self, backbone: nn.Module, low_channels: int, high_channels: int,
                 num_classes: int, inter_channels: int = 128) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input: Tensor) -> dict[str, Tensor]:
        out = self.classifier(self.backbone(input))
        out = F.interpolate(out, size=input.shape[-2:], mode="bilinear", align_corners=False)
        return OrderedDict(out=out)


def _lraspp_mobilenetv3(backbone: MobileNetV3, num_classes: int) -> LRASPP:
    features = backbone.features
    stages = mobilenet_stage_indices(features)
    low_pos, high_pos = stages[-4], stages[-1]  # C2 (output stride 8), C5 (stride 16)
    getter = IntermediateLayerGetter(features, return_layers={str(low_pos): "low",
                                                             str(high_pos): "high"})
    return LRASPP(getter, features[low_pos].out_channels, features[high_pos].out_channels,
                  num_classes)


LRASPP_MobileNet_V3_Large_Weights = weights_enum("LRASPP_MobileNet_V3_Large_Weights", __name__)


@register_model()
def lraspp_mobilenet_v3_large(*, weights: LRASPP_MobileNet_V3_Large_Weights | None = None,
                              progress: bool = True, num_classes: int | None = None,
                              weights_backbone: MobileNet_V3_Large_Weights | None =
                              MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                              **kwargs: Any) -> LRASPP:
    """LR-ASPP on a dilated MobileNetV3-Large (3.2M parameters). ``aux_loss=True`` is refused:
    this model has no auxiliary head."""
    if kwargs.pop("aux_loss", False):
        raise ValueError("lraspp_mobilenet_v3_large does not use an auxiliary loss")
    weights = LRASPP_MobileNet_V3_Large_Weights.verify(weights)
    num_classes, _, weights_backbone = _resolve_params(
        weights, num_classes, None, MobileNet_V3_Large_Weights.verify(weights_backbone))
    backbone = mobilenet_v3_large(weights=weights_backbone, progress=progress, dilated=True)
    return _load_weights(_lraspp_mobilenetv3(backbone, num_classes), weights, progress)
