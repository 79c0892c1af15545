"""ShuffleNet V2 ("Practical Guidelines for Efficient CNN Architecture Design",
https://arxiv.org/abs/1807.11164)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor, nn

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _weights_kwargs

__all__ = ["ShuffleNetV2", "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights",
           "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "shufflenet_v2_x0_5",
           "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups: (N, g*c, H, W) → (N, c*g, H, W)."""
    n, c, h, w = x.shape
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, h, w)


def _depthwise(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0,
               bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)


class InvertedResidual(nn.Module):
    """Stride 1: split the channels, transform one half. Stride 2: transform both branches
    (downsampling). Then concatenate and shuffle."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch = oup // 2
        if stride == 1 and inp != branch << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                             "values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        if stride > 1:
            self.branch1 = nn.Sequential(
                _depthwise(inp, inp, kernel_size=3, stride=stride, padding=1), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch, kernel_size=1, bias=False), nn.BatchNorm2d(branch),
                nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch, branch, kernel_size=1, bias=False),
            nn.BatchNorm2d(branch), nn.ReLU(inplace=True),
            _depthwise(branch, branch, kernel_size=3, stride=stride, padding=1),
            nn.BatchNorm2d(branch),
            nn.Conv2d(branch, branch, kernel_size=1, bias=False), nn.BatchNorm2d(branch),
            nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet V2.

    Args:
        stages_repeats (3 ints): blocks in stages 2-4.
        stages_out_channels (5 ints): widths of conv1, stages 2-4 and conv5.
        num_classes (int): Default: 1000.
        inverted_residual (callable): the block class. Default: :class:`InvertedResidual`.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int],
                 num_classes: int = 1000,
                 inverted_residual: Callable[..., nn.Module] = InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        out = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(3, out, 3, 2, 1, bias=False), nn.BatchNorm2d(out),
                                   nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inp = out
        for name, repeats, out in zip(("stage2", "stage3", "stage4"), stages_repeats,
                                      stages_out_channels[1:]):
            blocks = [inverted_residual(inp, out, 2)]
            blocks += [inverted_residual(out, out, 1) for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*blocks))
            inp = out
        out = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(inp, out, 1, 1, 0, bias=False), nn.BatchNorm2d(out),
                                   nn.ReLU(inplace=True))
        self.fc = nn.Linear(out, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))  # global average pool


def _shufflenetv2(weights, progress: bool, *args: Any, **kwargs: Any) -> ShuffleNetV2:
    _weights_kwargs(weights, kwargs)
    return _load_weights(ShuffleNetV2(*args, **kwargs), weights, progress)


ShuffleNet_V2_X0_5_Weights = weights_enum("ShuffleNet_V2_X0_5_Weights", __name__)
ShuffleNet_V2_X1_0_Weights = weights_enum("ShuffleNet_V2_X1_0_Weights", __name__)
ShuffleNet_V2_X1_5_Weights = weights_enum("ShuffleNet_V2_X1_5_Weights", __name__)
ShuffleNet_V2_X2_0_Weights = weights_enum("ShuffleNet_V2_X2_0_Weights", __name__)


@register_model()
def shufflenet_v2_x0_5(*, weights: ShuffleNet_V2_X0_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 0.5x (1.4M parameters)."""
    return _shufflenetv2(ShuffleNet_V2_X0_5_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 48, 96, 192, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_0(*, weights: ShuffleNet_V2_X1_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 1.0x (2.3M parameters)."""
    return _shufflenetv2(ShuffleNet_V2_X1_0_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 116, 232, 464, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_5(*, weights: ShuffleNet_V2_X1_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 1.5x (3.5M parameters)."""
    return _shufflenetv2(ShuffleNet_V2_X1_5_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 176, 352, 704, 1024], **kwargs)


@register_model()
def shufflenet_v2_x2_0(*, weights: ShuffleNet_V2_X2_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 2.0x (7.4M parameters)."""
    return _shufflenetv2(ShuffleNet_V2_X2_0_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 244, 488, 976, 2048], **kwargs)
