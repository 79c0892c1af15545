"""RegNet X and Y ("Designing Network Design Spaces", https://arxiv.org/abs/2003.13678)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _make_divisible, _weights_kwargs

__all__ = ["RegNet", "BlockParams",
           "RegNet_Y_400MF_Weights", "RegNet_Y_800MF_Weights", "RegNet_Y_1_6GF_Weights",
           "RegNet_Y_3_2GF_Weights", "RegNet_Y_8GF_Weights", "RegNet_Y_16GF_Weights",
           "RegNet_Y_32GF_Weights", "RegNet_Y_128GF_Weights", "RegNet_X_400MF_Weights",
           "RegNet_X_800MF_Weights", "RegNet_X_1_6GF_Weights", "RegNet_X_3_2GF_Weights",
           "RegNet_X_8GF_Weights", "RegNet_X_16GF_Weights", "RegNet_X_32GF_Weights",
           "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf",
           "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf", "regnet_x_400mf",
           "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf",
           "regnet_x_16gf", "regnet_x_32gf"]


class SimpleStemIN(Conv2dNormActivation):
    """ImageNet stem: 3x3 stride-2 convolution, BN, ReLU."""

    def __init__(self, width_in: int, width_out: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module]) -> None:
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """1x1 (``a``) → grouped 3x3 (``b``) → optional squeeze-excitation (``se``) → 1x1 (``c``)."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int, bottleneck_multiplier: float,
                 se_ratio: float | None) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride,
                                           groups=w_b // group_width, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:
            layers["se"] = SqueezeExcitation(input_channels=w_b,
                                             squeeze_channels=int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(proj(x) + f(x))``; ``proj`` only when the width or resolution changes."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int = 1, bottleneck_multiplier: float = 1.0,
                 se_ratio: float | None = None) -> None:
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride,
                                             norm_layer=norm_layer, activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer,
                                     group_width, bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.proj is None else self.proj(x)
        return self.activation(shortcut + self.f(x))


class AnyStage(nn.Sequential):
    """A stage of blocks with one output shape (children ``block{stage}-{i}``)."""

    def __init__(self, width_in: int, width_out: int, stride: int, depth: int,
                 block_constructor: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int, bottleneck_multiplier: float,
                 se_ratio: float | None = None, stage_index: int = 0) -> None:
        super().__init__()
        for i in range(depth):
            self.add_module(f"block{stage_index}-{i}", block_constructor(
                width_in if i == 0 else width_out, width_out, stride if i == 0 else 1,
                norm_layer, activation_layer, group_width, bottleneck_multiplier, se_ratio))


class BlockParams:
    """Per-stage depths, widths, group widths, bottleneck multipliers and strides."""

    def __init__(self, depths: list[int], widths: list[int], group_widths: list[int],
                 bottleneck_multipliers: list[float], strides: list[int],
                 se_ratio: float | None = None) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                         bottleneck_multiplier: float = 1.0, se_ratio: float | None = None,
                         **kwargs: Any) -> BlockParams:
        """The paper's quantized linear widths: block ``j`` has width ``w_0 + w_a * j`` snapped
        to ``w_0 * w_m ** k`` (k an integer) and to a multiple of 8; equal widths form a stage.

        Computed in float32 like torchvision, so that the rounding (hence every width) matches.
        """
        quant, stride = 8, 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        widths_cont = ember.arange(depth).float() * w_a + w_0
        block_capacity = ember.round(ember.log(widths_cont / w_0) / math.log(w_m))
        block_widths = (ember.round(w_0 * ember.pow(ember.tensor(w_m), block_capacity) / quant)
                        * quant).int().tolist()
        num_stages = len(set(block_widths))
        # a stage starts wherever the width changes
        splits = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths)]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
        starts = [d for d, t in enumerate(splits) if t]
        stage_depths = [b - a for a, b in zip(starts, starts[1:])]
        multipliers = [bottleneck_multiplier] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, multipliers, [group_width] * num_stages)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=multipliers, strides=[stride] * num_stages,
                   se_ratio=se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths,
                   self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths: list[int], bottleneck_ratios: list[float],
                                           group_widths: list[int]):
        """Make each bottleneck width a multiple of its (possibly shrunk) group width."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [_make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """RegNet.

    Args:
        block_params (BlockParams): the stages.
        num_classes (int): Default: 1000.
        stem_width (int): Default: 32.
        stem_type, block_type, norm_layer, activation (callables, optional): Defaults:
            :class:`SimpleStemIN`, :class:`ResBottleneckBlock`, ``nn.BatchNorm2d``, ``nn.ReLU``.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, block_params: BlockParams, num_classes: int = 1000, stem_width: int = 32,
                 stem_type: Callable[..., nn.Module] | None = None,
                 block_type: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        stem_type = stem_type or SimpleStemIN
        norm_layer = norm_layer or nn.BatchNorm2d
        block_type = block_type or ResBottleneckBlock
        activation = activation or nn.ReLU
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, multiplier) in enumerate(
                block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(
                width, width_out, stride, depth, block_type, norm_layer, activation, group_width,
                multiplier, block_params.se_ratio, stage_index=i + 1)))
            width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


def _regnet(weights, progress: bool, depth: int, w_0: int, w_a: float, w_m: float,
            group_width: int, se_ratio: float | None, kwargs: dict[str, Any]) -> RegNet:
    params = BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m,
                                          group_width=group_width, se_ratio=se_ratio, **kwargs)
    for key in ("bottleneck_multiplier",):  # consumed by BlockParams, not RegNet
        kwargs.pop(key, None)
    _weights_kwargs(weights, kwargs)
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    return _load_weights(RegNet(params, norm_layer=norm_layer, **kwargs), weights, progress)


RegNet_Y_400MF_Weights = weights_enum("RegNet_Y_400MF_Weights", __name__)
RegNet_Y_800MF_Weights = weights_enum("RegNet_Y_800MF_Weights", __name__)
RegNet_Y_1_6GF_Weights = weights_enum("RegNet_Y_1_6GF_Weights", __name__)
RegNet_Y_3_2GF_Weights = weights_enum("RegNet_Y_3_2GF_Weights", __name__)
RegNet_Y_8GF_Weights = weights_enum("RegNet_Y_8GF_Weights", __name__)
RegNet_Y_16GF_Weights = weights_enum("RegNet_Y_16GF_Weights", __name__)
RegNet_Y_32GF_Weights = weights_enum("RegNet_Y_32GF_Weights", __name__)
RegNet_Y_128GF_Weights = weights_enum("RegNet_Y_128GF_Weights", __name__)
RegNet_X_400MF_Weights = weights_enum("RegNet_X_400MF_Weights", __name__)
RegNet_X_800MF_Weights = weights_enum("RegNet_X_800MF_Weights", __name__)
RegNet_X_1_6GF_Weights = weights_enum("RegNet_X_1_6GF_Weights", __name__)
RegNet_X_3_2GF_Weights = weights_enum("RegNet_X_3_2GF_Weights", __name__)
RegNet_X_8GF_Weights = weights_enum("RegNet_X_8GF_Weights", __name__)
RegNet_X_16GF_Weights = weights_enum("RegNet_X_16GF_Weights", __name__)
RegNet_X_32GF_Weights = weights_enum("RegNet_X_32GF_Weights", __name__)

# Builders: the paper's (depth, w_0, w_a, w_m, group width[, SE ratio]) of each model size.


@register_model()
def regnet_y_400mf(*, weights: RegNet_Y_400MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY-400MF (4.3M parameters)."""
    return _regnet(RegNet_Y_400MF_Weights.verify(weights), progress, 16, 48, 27.89, 2.09, 8,
                   0.25, kwargs)


@register_model()
def regnet_y_800mf(*, weights: RegNet_Y_800MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY-800MF (6.4M parameters)."""
    return _regnet(RegNet_Y_800MF_Weights.verify(weights), progress, 14, 56, 38.84, 2.4, 16,
                   0.25, kwargs)


@register_model()
def regnet_y_1_6gf(*, weights: RegNet_Y_1_6GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY-1.6GF (11.2M parameters)."""
    return _regnet(RegNet_Y_1_6GF_Weights.verify(weights), progress, 27, 48, 20.71, 2.65, 24,
                   0.25, kwargs)


@register_model()
def regnet_y_3_2gf(*, weights: RegNet_Y_3_2GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY-3.2GF (19.4M parameters)."""
    return _regnet(RegNet_Y_3_2GF_Weights.verify(weights), progress, 21, 80, 42.63, 2.66, 24,
                   0.25, kwargs)


@register_model()
def regnet_y_8gf(*, weights: RegNet_Y_8GF_Weights | None = None, progress: bool = True,
                 **kwargs: Any) -> RegNet:
    """RegNetY-8GF (39.4M parameters)."""
    return _regnet(RegNet_Y_8GF_Weights.verify(weights), progress, 17, 192, 76.82, 2.19, 56,
                   0.25, kwargs)


@register_model()
def regnet_y_16gf(*, weights: RegNet_Y_16GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetY-16GF (83.6M parameters)."""
    return _regnet(RegNet_Y_16GF_Weights.verify(weights), progress, 18, 200, 106.23, 2.48, 112,
                   0.25, kwargs)


@register_model()
def regnet_y_32gf(*, weights: RegNet_Y_32GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetY-32GF (145.0M parameters)."""
    return _regnet(RegNet_Y_32GF_Weights.verify(weights), progress, 20, 232, 115.89, 2.53, 232,
                   0.25, kwargs)


@register_model()
def regnet_y_128gf(*, weights: RegNet_Y_128GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY-128GF (644.8M parameters)."""
    return _regnet(RegNet_Y_128GF_Weights.verify(weights), progress, 27, 456, 160.83, 2.52, 264,
                   0.25, kwargs)


@register_model()
def regnet_x_400mf(*, weights: RegNet_X_400MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX-400MF (5.5M parameters)."""
    return _regnet(RegNet_X_400MF_Weights.verify(weights), progress, 22, 24, 24.48, 2.54, 16,
                   None, kwargs)


@register_model()
def regnet_x_800mf(*, weights: RegNet_X_800MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX-800MF (7.3M parameters)."""
    return _regnet(RegNet_X_800MF_Weights.verify(weights), progress, 16, 56, 35.73, 2.28, 16,
                   None, kwargs)


@register_model()
def regnet_x_1_6gf(*, weights: RegNet_X_1_6GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX-1.6GF (9.2M parameters)."""
    return _regnet(RegNet_X_1_6GF_Weights.verify(weights), progress, 18, 80, 34.01, 2.25, 24,
                   None, kwargs)


@register_model()
def regnet_x_3_2gf(*, weights: RegNet_X_3_2GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX-3.2GF (15.3M parameters)."""
    return _regnet(RegNet_X_3_2GF_Weights.verify(weights), progress, 25, 88, 26.31, 2.25, 48,
                   None, kwargs)


@register_model()
def regnet_x_8gf(*, weights: RegNet_X_8GF_Weights | None = None, progress: bool = True,
                 **kwargs: Any) -> RegNet:
    """RegNetX-8GF (39.6M parameters)."""
    return _regnet(RegNet_X_8GF_Weights.verify(weights), progress, 23, 80, 49.56, 2.88, 120,
                   None, kwargs)


@register_model()
def regnet_x_16gf(*, weights: RegNet_X_16GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetX-16GF (54.3M parameters)."""
    return _regnet(RegNet_X_16GF_Weights.verify(weights), progress, 22, 216, 55.59, 2.1, 128,
                   None, kwargs)


@register_model()
def regnet_x_32gf(*, weights: RegNet_X_32GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetX-32GF (107.8M parameters)."""
    return _regnet(RegNet_X_32GF_Weights.verify(weights), progress, 23, 320, 69.86, 2.0, 168,
                   None, kwargs)
