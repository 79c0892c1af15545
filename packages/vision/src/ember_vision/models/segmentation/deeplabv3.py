"""DeepLabV3 with a dilated ResNet-50/101 or MobileNetV3-Large backbone ("Rethinking Atrous
Convolution for Semantic Image Segmentation", https://arxiv.org/abs/1706.05587)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from .._api import register_model
from .._catalog import weights_enum
from .._utils import IntermediateLayerGetter, _load_weights
from ..mobilenetv3 import MobileNet_V3_Large_Weights, MobileNetV3, mobilenet_v3_large
from ..resnet import ResNet, ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _resolve_params, _SimpleSegmentationModel
from .fcn import FCNHead, _resnet_features

__all__ = ["DeepLabV3", "DeepLabHead", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights",
           "DeepLabV3_MobileNet_V3_Large_Weights", "deeplabv3_mobilenet_v3_large",
           "deeplabv3_resnet50", "deeplabv3_resnet101"]


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3: backbone, :class:`DeepLabHead` and an optional auxiliary FCN head.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``{"out": (N, num_classes, H, W)[, "aux": ...]}``.
    """


class ASPPConv(nn.Sequential):
    """3x3 atrous convolution at one dilation rate, BN, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int) -> None:
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=dilation,
                                   dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class ASPPPooling(nn.Sequential):
    """Image-level features: global average, 1x1 conv, BN, ReLU, broadcast back to the map."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(nn.AdaptiveAvgPool2d(1),
                         nn.Conv2d(in_channels, out_channels, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 branch, one branch per rate and image pooling,
    concatenated and projected to ``out_channels``."""

    def __init__(self, in_channels: int, atrous_rates: Sequence[int],
                 out_channels: int = 256) -> None:
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                  nn.BatchNorm2d(out_channels), nn.ReLU())]
        branches += [ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates)]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x: Tensor) -> Tensor:
        return self.project(ember.cat([conv(x) for conv in self.convs], dim=1))


class DeepLabHead(nn.Sequential):
    """ASPP, 3x3 conv, BN, ReLU, 1x1 classifier."""

    def __init__(self, in_channels: int, num_classes: int,
                 atrous_rates: Sequence[int] = (12, 24, 36)) -> None:
        super().__init__(ASPP(in_channels, atrous_rates),
                         nn.Conv2d(256, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256),
                         nn.ReLU(), nn.Conv2d(256, num_classes, 1))


def _deeplabv3_resnet(backbone: ResNet, num_classes: int, aux: bool | None) -> DeepLabV3:
    features, aux_classifier = _resnet_features(backbone, num_classes, aux)
    return DeepLabV3(features, DeepLabHead(2048, num_classes), aux_classifier)


def mobilenet_stage_indices(features: nn.Sequential) -> list[int]:
    """Indices of the blocks that start a new resolution (C1..Cn-1), plus the first and last
    layers; shared with LR-ASPP."""
    strided = [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
    return [0] + strided + [len(features) - 1]


def _deeplabv3_mobilenetv3(backbone: MobileNetV3, num_classes: int,
                           aux: bool | None) -> DeepLabV3:
    features = backbone.features
    stages = mobilenet_stage_indices(features)
    out_pos, aux_pos = stages[-1], stages[-4]  # C5 (output stride 16), C2 (stride 8)
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    aux_classifier = FCNHead(features[aux_pos].out_channels, num_classes) if aux else None
    classifier = DeepLabHead(features[out_pos].out_channels, num_classes)
    getter = IntermediateLayerGetter(features, return_layers=return_layers)
    return DeepLabV3(getter, classifier, aux_classifier)


DeepLabV3_ResNet50_Weights = weights_enum("DeepLabV3_ResNet50_Weights", __name__)
DeepLabV3_ResNet101_Weights = weights_enum("DeepLabV3_ResNet101_Weights", __name__)
DeepLabV3_MobileNet_V3_Large_Weights = weights_enum("DeepLabV3_MobileNet_V3_Large_Weights",
                                                    __name__)


@register_model()
def deeplabv3_resnet50(*, weights: DeepLabV3_ResNet50_Weights | None = None,
                       progress: bool = True, num_classes: int | None = None,
                       aux_loss: bool | None = None,
                       weights_backbone: ResNet50_Weights | None = ResNet50_Weights.IMAGENET1K_V1,
                       **kwargs: Any) -> DeepLabV3:
    """DeepLabV3-ResNet50 (42.0M parameters with the aux head). Like torchvision, the backbone's
    ImageNet weights are downloaded by default: pass ``weights_backbone=None`` to skip them."""
    weights = DeepLabV3_ResNet50_Weights.verify(weights)
    num_classes, aux_loss, wb = _resolve_params(weights, num_classes, aux_loss,
                                         ResNet50_Weights.verify(weights_backbone))
    backbone = resnet50(weights=wb, progress=progress,
                        replace_stride_with_dilation=[False, True, True])
    return _load_weights(_deeplabv3_resnet(backbone, num_classes, aux_loss), weights, progress)


@register_model()
def deeplabv3_resnet101(*, weights: DeepLabV3_ResNet101_Weights | None = None,
                        progress: bool = True, num_classes: int | None = None,
                        aux_loss: bool | None = None,
                        weights_backbone: ResNet101_Weights | None =
                        ResNet101_Weights.IMAGENET1K_V1, **kwargs: Any) -> DeepLabV3:
    """DeepLabV3-ResNet101 (61.0M parameters with the aux head); see
    :func:`deeplabv3_resnet50`."""
    weights = DeepLabV3_ResNet101_Weights.verify(weights)
    num_classes, aux_loss, wb = _resolve_params(weights, num_classes, aux_loss,
                                         ResNet101_Weights.verify(weights_backbone))
    backbone = resnet101(weights=wb, progress=progress,
                         replace_stride_with_dilation=[False, True, True])
    return _load_weights(_deeplabv3_resnet(backbone, num_classes, aux_loss), weights, progress)


@register_model()
def deeplabv3_mobilenet_v3_large(*, weights: DeepLabV3_MobileNet_V3_Large_Weights | None = None,
                                 progress: bool = True, num_classes: int | None = None,
                                 aux_loss: bool | None = None,
                                 weights_backbone: MobileNet_V3_Large_Weights | None =
                                 MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                                 **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 on a dilated MobileNetV3-Large (11.0M parameters with the aux head)."""
    weights = DeepLabV3_MobileNet_V3_Large_Weights.verify(weights)
    num_classes, aux_loss, wb = _resolve_params(weights, num_classes, aux_loss,
                                         MobileNet_V3_Large_Weights.verify(weights_backbone))
    backbone = mobilenet_v3_large(weights=wb, progress=progress, dilated=True)
    model = _deeplabv3_mobilenetv3(backbone, num_classes, aux_loss)
    return _load_weights(model, weights, progress)
