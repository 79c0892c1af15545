"""DenseNet-BC 121/161/169/201 ("Densely Connected Convolutional Networks",
https://arxiv.org/abs/1608.06993)."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _weights_kwargs

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv producing ``growth_rate`` maps from
    the concatenation of every earlier map of the block."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, input) -> Tensor:
        prev = [input] if isinstance(input, Tensor) else input
        bottleneck = self.conv1(self.relu1(self.norm1(ember.cat(prev, 1))))
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int,
                 drop_rate: float) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(
                num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate))

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-1x1 conv halving the channels, then 2x2 average pooling."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC.

    Args:
        growth_rate (int): maps added by each layer (``k``). Default: 32.
        block_config (4 ints): layers per dense block. Default: (6, 12, 24, 16).
        num_init_features (int): channels of the stem convolution. Default: 64.
        bn_size (int): bottleneck width factor (``bn_size * k``). Default: 4.
        drop_rate (float): dropout after each dense layer. Default: 0.
        num_classes (int): Default: 1000.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, int, int, int] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(
                num_layers, num_features, bn_size, growth_rate, drop_rate))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.features(x), inplace=True)
        out = ember.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# The published checkpoints predate module names without dots: "denselayer1.norm.1.weight" there
# is "denselayer1.norm1.weight" here.
_OLD_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _densenet(growth_rate: int, block_config: tuple[int, int, int, int], num_init_features: int,
              weights, progress: bool, **kwargs: Any) -> DenseNet:
    _weights_kwargs(weights, kwargs)
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        state_dict = weights.get_state_dict(progress=progress, check_hash=True)
        model.load_state_dict({_renamed(k): v for k, v in state_dict.items()})
    return model


def _renamed(key: str) -> str:
    m = _OLD_KEY.match(key)
    return m.group(1) + m.group(2) if m else key


DenseNet121_Weights = weights_enum("DenseNet121_Weights", __name__)
DenseNet161_Weights = weights_enum("DenseNet161_Weights", __name__)
DenseNet169_Weights = weights_enum("DenseNet169_Weights", __name__)
DenseNet201_Weights = weights_enum("DenseNet201_Weights", __name__)


@register_model()
def densenet121(*, weights: DenseNet121_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-121 (8.0M parameters)."""
    return _densenet(32, (6, 12, 24, 16), 64, DenseNet121_Weights.verify(weights), progress,
                     **kwargs)


@register_model()
def densenet161(*, weights: DenseNet161_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-161 (28.7M parameters)."""
    return _densenet(48, (6, 12, 36, 24), 96, DenseNet161_Weights.verify(weights), progress,
                     **kwargs)


@register_model()
def densenet169(*, weights: DenseNet169_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-169 (14.1M parameters)."""
    return _densenet(32, (6, 12, 32, 32), 64, DenseNet169_Weights.verify(weights), progress,
                     **kwargs)


@register_model()
def densenet201(*, weights: DenseNet201_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-201 (20.0M parameters)."""
    return _densenet(32, (6, 12, 48, 32), 64, DenseNet201_Weights.verify(weights), progress,
                     **kwargs)
