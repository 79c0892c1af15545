"""EfficientNet B0-B7 (https://arxiv.org/abs/1905.11946) and EfficientNetV2 S/M/L
(https://arxiv.org/abs/2104.00298)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._catalog import weights_enum
from ._utils import _init_mobilenet, _load_weights, _make_divisible, _weights_kwargs

__all__ = ["EfficientNet", "MBConvConfig", "FusedMBConvConfig",
           "EfficientNet_B0_Weights", "EfficientNet_B1_Weights", "EfficientNet_B2_Weights",
           "EfficientNet_B3_Weights", "EfficientNet_B4_Weights", "EfficientNet_B5_Weights",
           "EfficientNet_B6_Weights", "EfficientNet_B7_Weights", "EfficientNet_V2_S_Weights",
           "EfficientNet_V2_M_Weights", "EfficientNet_V2_L_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of :class:`MBConv` blocks; widths and depth scaled by the compound multipliers."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride,
                         self.adjust_channels(input_channels, width_mult),
                         self.adjust_channels(out_channels, width_mult),
                         self.adjust_depth(num_layers, depth_mult), block or MBConv)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A stage of :class:`FusedMBConv` blocks (EfficientNetV2's early stages)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block or FusedMBConv)


class _ResidualBlock(nn.Module):
    """``block(x)``, plus ``x`` through stochastic depth when the shapes allow a shortcut."""

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class MBConv(_ResidualBlock):
    """Expansion 1x1 → depthwise kxk → squeeze-excitation → projection 1x1 (SiLU)."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4),
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels


class FusedMBConv(_ResidualBlock):
    """A full kxk convolution in place of expansion + depthwise, then projection 1x1."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU),
                      Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None)]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                           kernel_size=cnf.kernel, stride=cnf.stride,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels


def _init_classifier(weight: Tensor) -> None:
    """EfficientNet's linear weights: uniform in ±1/sqrt(out_features)."""
    init_range = 1.0 / math.sqrt(weight.shape[0])
    nn.init.uniform_(weight, -init_range, init_range)


class EfficientNet(nn.Module):
    """EfficientNet V1 and V2.

    Args:
        inverted_residual_setting (list of MBConvConfig / FusedMBConvConfig): the stages.
        dropout (float): dropout before the classifier.
        stochastic_depth_prob (float): drop probability of the last block (linear ramp from 0).
            Default: 0.2.
        num_classes (int): Default: 1000.
        norm_layer (callable, optional): Default: ``nn.BatchNorm2d``.
        last_channel (int, optional): width of the last convolution; default 4x the last stage.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, inverted_residual_setting: Sequence[MBConvConfig | FusedMBConvConfig],
                 dropout: float, stochastic_depth_prob: float = 0.2, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence)
                and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
            norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # only a stage's first block changes width or stride
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        lastconv_in = inverted_residual_setting[-1].out_channels
        lastconv_out = last_channel if last_channel is not None else 4 * lastconv_in
        layers.append(Conv2dNormActivation(lastconv_in, lastconv_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(lastconv_out, num_classes))
        _init_mobilenet(self, init_linear=_init_classifier)

    def forward(self, x: Tensor) -> Tensor:
        x = ember.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def _v1_setting(width_mult: float, depth_mult: float) -> list[MBConvConfig]:
    conf = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    return [conf(1, 3, 1, 32, 16, 1), conf(6, 3, 2, 16, 24, 2), conf(6, 5, 2, 24, 40, 2),
            conf(6, 3, 2, 40, 80, 3), conf(6, 5, 1, 80, 112, 3), conf(6, 5, 2, 112, 192, 4),
            conf(6, 3, 1, 192, 320, 1)]


_V2_SETTINGS = {
    "s": [FusedMBConvConfig(1, 3, 1, 24, 24, 2), FusedMBConvConfig(4, 3, 2, 24, 48, 4),
          FusedMBConvConfig(4, 3, 2, 48, 64, 4), MBConvConfig(4, 3, 2, 64, 128, 6),
          MBConvConfig(6, 3, 1, 128, 160, 9), MBConvConfig(6, 3, 2, 160, 256, 15)],
    "m": [FusedMBConvConfig(1, 3, 1, 24, 24, 3), FusedMBConvConfig(4, 3, 2, 24, 48, 5),
          FusedMBConvConfig(4, 3, 2, 48, 80, 5), MBConvConfig(4, 3, 2, 80, 160, 7),
          MBConvConfig(6, 3, 1, 160, 176, 14), MBConvConfig(6, 3, 2, 176, 304, 18),
          MBConvConfig(6, 3, 1, 304, 512, 5)],
    "l": [FusedMBConvConfig(1, 3, 1, 32, 32, 4), FusedMBConvConfig(4, 3, 2, 32, 64, 7),
          FusedMBConvConfig(4, 3, 2, 64, 96, 7), MBConvConfig(4, 3, 2, 96, 192, 10),
          MBConvConfig(6, 3, 1, 192, 224, 19), MBConvConfig(6, 3, 2, 224, 384, 25),
          MBConvConfig(6, 3, 1, 384, 640, 7)],
}

# B0-B7 compound scaling: (width_mult, depth_mult, default dropout); B5+ were ported from
# TensorFlow with its BatchNorm epsilon/momentum.
_V1_SCALING = {"b0": (1.0, 1.0, 0.2), "b1": (1.0, 1.1, 0.2), "b2": (1.1, 1.2, 0.3),
               "b3": (1.2, 1.4, 0.3), "b4": (1.4, 1.8, 0.4), "b5": (1.6, 2.2, 0.4),
               "b6": (1.8, 2.6, 0.5), "b7": (2.0, 3.1, 0.5)}
_V2_DROPOUT = {"s": 0.2, "m": 0.3, "l": 0.4}


def _efficientnet(setting, dropout: float, last_channel: int | None, weights, progress: bool,
                  **kwargs: Any) -> EfficientNet:
    _weights_kwargs(weights, kwargs)
    model = EfficientNet(setting, dropout, last_channel=last_channel, **kwargs)
    return _load_weights(model, weights, progress)


def _efficientnet_v1(variant: str, weights, progress: bool, kwargs: dict) -> EfficientNet:
    width, depth, dropout = _V1_SCALING[variant]
    if variant in ("b5", "b6", "b7"):
        kwargs.setdefault("norm_layer", partial(nn.BatchNorm2d, eps=0.001, momentum=0.01))
    return _efficientnet(_v1_setting(width, depth), kwargs.pop("dropout", dropout), None,
                         weights, progress, **kwargs)


def _efficientnet_v2(variant: str, weights, progress: bool, kwargs: dict) -> EfficientNet:
    kwargs.setdefault("norm_layer", partial(nn.BatchNorm2d, eps=1e-03))
    setting = [copy.copy(cnf) for cnf in _V2_SETTINGS[variant]]
    return _efficientnet(setting, kwargs.pop("dropout", _V2_DROPOUT[variant]), 1280, weights,
                         progress, **kwargs)


EfficientNet_B0_Weights = weights_enum("EfficientNet_B0_Weights", __name__)
EfficientNet_B1_Weights = weights_enum("EfficientNet_B1_Weights", __name__)
EfficientNet_B2_Weights = weights_enum("EfficientNet_B2_Weights", __name__)
EfficientNet_B3_Weights = weights_enum("EfficientNet_B3_Weights", __name__)
EfficientNet_B4_Weights = weights_enum("EfficientNet_B4_Weights", __name__)
EfficientNet_B5_Weights = weights_enum("EfficientNet_B5_Weights", __name__)
EfficientNet_B6_Weights = weights_enum("EfficientNet_B6_Weights", __name__)
EfficientNet_B7_Weights = weights_enum("EfficientNet_B7_Weights", __name__)
EfficientNet_V2_S_Weights = weights_enum("EfficientNet_V2_S_Weights", __name__)
EfficientNet_V2_M_Weights = weights_enum("EfficientNet_V2_M_Weights", __name__)
EfficientNet_V2_L_Weights = weights_enum("EfficientNet_V2_L_Weights", __name__)

# Builders: ``weights`` (enum member, its name, or None), ``progress``, EfficientNet's kwargs.


@register_model()
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 (5.3M parameters)."""
    return _efficientnet_v1("b0", EfficientNet_B0_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b1(*, weights: EfficientNet_B1_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B1 (7.8M parameters)."""
    return _efficientnet_v1("b1", EfficientNet_B1_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b2(*, weights: EfficientNet_B2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B2 (9.1M parameters)."""
    return _efficientnet_v1("b2", EfficientNet_B2_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b3(*, weights: EfficientNet_B3_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B3 (12.2M parameters)."""
    return _efficientnet_v1("b3", EfficientNet_B3_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b4(*, weights: EfficientNet_B4_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B4 (19.3M parameters)."""
    return _efficientnet_v1("b4", EfficientNet_B4_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b5(*, weights: EfficientNet_B5_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B5 (30.4M parameters)."""
    return _efficientnet_v1("b5", EfficientNet_B5_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b6(*, weights: EfficientNet_B6_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B6 (43.0M parameters)."""
    return _efficientnet_v1("b6", EfficientNet_B6_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_b7(*, weights: EfficientNet_B7_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B7 (66.3M parameters)."""
    return _efficientnet_v1("b7", EfficientNet_B7_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_v2_s(*, weights: EfficientNet_V2_S_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-S (21.5M parameters)."""
    return _efficientnet_v2("s", EfficientNet_V2_S_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_v2_m(*, weights: EfficientNet_V2_M_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-M (54.1M parameters)."""
    return _efficientnet_v2("m", EfficientNet_V2_M_Weights.verify(weights), progress, kwargs)


@register_model()
def efficientnet_v2_l(*, weights: EfficientNet_V2_L_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-L (118.5M parameters)."""
    return _efficientnet_v2("l", EfficientNet_V2_L_Weights.verify(weights), progress, kwargs)
