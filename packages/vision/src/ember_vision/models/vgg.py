"""VGG 11/13/16/19, with and without BatchNorm (https://arxiv.org/abs/1409.1556)."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor, nn

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _weights_kwargs

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights",
           "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


class VGG(nn.Module):
    """Plain 3x3 convolution stack (``features``), 7x7 average pool and a three-layer classifier.

    Args:
        features (nn.Module): the convolutional part (see :func:`make_layers`).
        num_classes (int): Default: 1000.
        init_weights (bool): apply torchvision's initialisation. Default: True.
        dropout (float): Default: 0.5.

    Shape:
        - Input: ``(N, 3, H, W)`` with H, W >= 32; Output: ``(N, num_classes)``.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = ember.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def make_layers(cfg: list[str | int], batch_norm: bool = False) -> nn.Sequential:
    """Convolutions (3x3, padding 1) of the listed widths; ``"M"`` is a 2x2 max-pool."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


# The paper's configurations: A = VGG-11, B = VGG-13, D = VGG-16, E = VGG-19.
cfgs: dict[str, list[str | int]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def _vgg(cfg: str, batch_norm: bool, weights, progress: bool, **kwargs: Any) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False  # the checkpoint overwrites every parameter anyway
    _weights_kwargs(weights, kwargs)
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    return _load_weights(model, weights, progress)


VGG11_Weights = weights_enum("VGG11_Weights", __name__)
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", __name__)
VGG13_Weights = weights_enum("VGG13_Weights", __name__)
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", __name__)
VGG16_Weights = weights_enum("VGG16_Weights", __name__)
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", __name__)
VGG19_Weights = weights_enum("VGG19_Weights", __name__)
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", __name__)

# Builders: ``weights`` (the enum member, its name, or None), ``progress``, and VGG's kwargs.


@register_model()
def vgg11(*, weights: VGG11_Weights | None = None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 (132.9M parameters)."""
    return _vgg("A", False, VGG11_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg11_bn(*, weights: VGG11_BN_Weights | None = None, progress: bool = True,
             **kwargs) -> VGG:
    """VGG-11 with BatchNorm (132.9M parameters)."""
    return _vgg("A", True, VGG11_BN_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg13(*, weights: VGG13_Weights | None = None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 (133.0M parameters)."""
    return _vgg("B", False, VGG13_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg13_bn(*, weights: VGG13_BN_Weights | None = None, progress: bool = True,
             **kwargs) -> VGG:
    """VGG-13 with BatchNorm (133.1M parameters)."""
    return _vgg("B", True, VGG13_BN_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg16(*, weights: VGG16_Weights | None = None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 (138.4M parameters)."""
    return _vgg("D", False, VGG16_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg16_bn(*, weights: VGG16_BN_Weights | None = None, progress: bool = True,
             **kwargs) -> VGG:
    """VGG-16 with BatchNorm (138.4M parameters)."""
    return _vgg("D", True, VGG16_BN_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg19(*, weights: VGG19_Weights | None = None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 (143.7M parameters)."""
    return _vgg("E", False, VGG19_Weights.verify(weights), progress, **kwargs)


@register_model()
def vgg19_bn(*, weights: VGG19_BN_Weights | None = None, progress: bool = True,
             **kwargs) -> VGG:
    """VGG-19 with BatchNorm (143.7M parameters)."""
    return _vgg("E", True, VGG19_BN_Weights.verify(weights), progress, **kwargs)
