"""FCN with a dilated ResNet-50/101 backbone ("Fully Convolutional Networks for Semantic
Segmentation", https://arxiv.org/abs/1411.4038)."""

from __future__ import annotations

from typing import Any

from ember import nn

from .._api import register_model
from .._catalog import weights_enum
from .._utils import IntermediateLayerGetter, _load_weights
from ..resnet import ResNet, ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _resolve_params, _SimpleSegmentationModel

__all__ = ["FCN", "FCNHead", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50",
           "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    """FCN: a backbone returning ``{"out"[, "aux"]}`` features, a classifier head and an
    optional auxiliary head (training aid), both upsampled to the input size.

    Args:
        backbone (nn.Module), classifier (nn.Module), aux_classifier (nn.Module, optional).

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``{"out": (N, num_classes, H, W)[, "aux": ...]}``.
    """


class FCNHead(nn.Sequential):
    """3x3 conv to ``in_channels // 4``, BN, ReLU, dropout 0.1, 1x1 conv to ``channels``."""

    def __init__(self, in_channels: int, channels: int) -> None:
        inter = in_channels // 4
        super().__init__(nn.Conv2d(in_channels, inter, 3, padding=1, bias=False),
                         nn.BatchNorm2d(inter), nn.ReLU(), nn.Dropout(0.1),
                         nn.Conv2d(inter, channels, 1))


def _resnet_features(backbone: ResNet, num_classes: int,
                     aux: bool | None) -> tuple[IntermediateLayerGetter, FCNHead | None]:
    """A dilated ResNet returning ``layer4`` as ``"out"`` (and ``layer3`` as ``"aux"``), and
    the auxiliary FCN head on ``layer3`` when ``aux`` (shared with DeepLabV3)."""
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    features = IntermediateLayerGetter(backbone, return_layers=return_layers)
    return features, (FCNHead(1024, num_classes) if aux else None)


def _fcn_resnet(backbone: ResNet, num_classes: int, aux: bool | None) -> FCN:
    features, aux_classifier = _resnet_features(backbone, num_classes, aux)
    return FCN(features, FCNHead(2048, num_classes), aux_classifier)


def _build(weights, progress: bool, num_classes: int | None, aux_loss: bool | None,
           backbone_fn, weights_backbone) -> FCN:
    num_classes, aux_loss, weights_backbone = _resolve_params(weights, num_classes, aux_loss,
                                                              weights_backbone)
    backbone = backbone_fn(weights=weights_backbone, progress=progress,
                           replace_stride_with_dilation=[False, True, True])
    return _load_weights(_fcn_resnet(backbone, num_classes, aux_loss), weights, progress)


FCN_ResNet50_Weights = weights_enum("FCN_ResNet50_Weights", __name__)
FCN_ResNet101_Weights = weights_enum("FCN_ResNet101_Weights", __name__)


@register_model()
def fcn_resnet50(*, weights: FCN_ResNet50_Weights | None = None, progress: bool = True,
                 num_classes: int | None = None, aux_loss: bool | None = None,
                 weights_backbone: ResNet50_Weights | None = ResNet50_Weights.IMAGENET1K_V1,
                 **kwargs: Any) -> FCN:
    """FCN-ResNet50 (35.3M parameters with the aux head). Like torchvision, the backbone's
    ImageNet weights are downloaded by default: pass ``weights_backbone=None`` to skip them."""
    return _build(FCN_ResNet50_Weights.verify(weights), progress, num_classes, aux_loss,
                  resnet50, ResNet50_Weights.verify(weights_backbone))


@register_model()
def fcn_resnet101(*, weights: FCN_ResNet101_Weights | None = None, progress: bool = True,
                  num_classes: int | None = None, aux_loss: bool | None = None,
                  weights_backbone: ResNet101_Weights | None = ResNet101_Weights.IMAGENET1K_V1,
                  **kwargs: Any) -> FCN:
    """FCN-ResNet101 (54.3M parameters with the aux head); see :func:`fcn_resnet50`."""
    return _build(FCN_ResNet101_Weights.verify(weights), progress, num_classes, aux_loss,
                  resnet101, ResNet101_Weights.verify(weights_backbone))
