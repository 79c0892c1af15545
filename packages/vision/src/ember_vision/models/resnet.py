"""ResNet, ResNeXt and Wide ResNet (torchvision's ``models.resnet``, same ``state_dict`` keys).

"Deep Residual Learning for Image Recognition" (https://arxiv.org/abs/1512.03385);
ResNeXt: https://arxiv.org/abs/1611.05431; Wide ResNet: https://arxiv.org/abs/1605.07146.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor, nn

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _ovewrite_named_param, _weights_kwargs

__all__ = ["ResNet", "BasicBlock", "Bottleneck",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
           "ResNet152_Weights", "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights",
           "ResNeXt101_64X4D_Weights", "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
           "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with "same" padding and no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (ResNet-18/34)."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 → 3x3 (strided, grouped) → 1x1 with a shortcut (ResNet-50+, "ResNet V1.5": the
    stride sits on the 3x3 convolution)."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A residual network: 7x7 stem, max-pool, four stages of blocks, average pool, linear head.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers (list of 4 int): blocks per stage.
        num_classes (int): Default: 1000.
        zero_init_residual (bool): zero the last BatchNorm of every block. Default: False.
        groups (int), width_per_group (int): ResNeXt / Wide ResNet widths. Default: 1, 64.
        replace_stride_with_dilation (list of 3 bool, optional): dilate stages 2-4 instead of
            striding them (for segmentation backbones).
        norm_layer (callable, optional): Default: ``nn.BatchNorm2d``.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.

    Examples::

        >>> model = resnet18()
        >>> model(ember.randn(1, 3, 224, 224)).shape
        ember.Size([1, 1000])
    """

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int],
                 num_classes: int = 1000, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64,
                 replace_stride_with_dilation: list[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            # each residual branch then starts as zero: every block begins as an identity
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = ember.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet(block, layers: list[int], weights, progress: bool, **kwargs: Any) -> ResNet:
    _weights_kwargs(weights, kwargs)
    return _load_weights(ResNet(block, layers, **kwargs), weights, progress)


ResNet18_Weights = weights_enum("ResNet18_Weights", __name__)
ResNet34_Weights = weights_enum("ResNet34_Weights", __name__)
ResNet50_Weights = weights_enum("ResNet50_Weights", __name__)
ResNet101_Weights = weights_enum("ResNet101_Weights", __name__)
ResNet152_Weights = weights_enum("ResNet152_Weights", __name__)
ResNeXt50_32X4D_Weights = weights_enum("ResNeXt50_32X4D_Weights", __name__)
ResNeXt101_32X8D_Weights = weights_enum("ResNeXt101_32X8D_Weights", __name__)
ResNeXt101_64X4D_Weights = weights_enum("ResNeXt101_64X4D_Weights", __name__)
Wide_ResNet50_2_Weights = weights_enum("Wide_ResNet50_2_Weights", __name__)
Wide_ResNet101_2_Weights = weights_enum("Wide_ResNet101_2_Weights", __name__)

# Builders. Each takes ``weights`` (its enum, a member name, or None), ``progress`` (show a download
# bar) and the keyword arguments of :class:`ResNet`.


@register_model()
def resnet18(*, weights: ResNet18_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-18 (11.7M parameters)."""
    return _resnet(BasicBlock, [2, 2, 2, 2], ResNet18_Weights.verify(weights), progress, **kwargs)


@register_model()
def resnet34(*, weights: ResNet34_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-34 (21.8M parameters)."""
    return _resnet(BasicBlock, [3, 4, 6, 3], ResNet34_Weights.verify(weights), progress, **kwargs)


@register_model()
def resnet50(*, weights: ResNet50_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-50 (25.6M parameters)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNet50_Weights.verify(weights), progress, **kwargs)


@register_model()
def resnet101(*, weights: ResNet101_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-101 (44.5M parameters)."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNet101_Weights.verify(weights), progress,
                   **kwargs)


@register_model()
def resnet152(*, weights: ResNet152_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-152 (60.2M parameters)."""
    return _resnet(Bottleneck, [3, 8, 36, 3], ResNet152_Weights.verify(weights), progress,
                   **kwargs)


def _grouped(kwargs: dict[str, Any], groups: int, width_per_group: int) -> dict[str, Any]:
    _ovewrite_named_param(kwargs, "groups", groups)
    _ovewrite_named_param(kwargs, "width_per_group", width_per_group)
    return kwargs


@register_model()
def resnext50_32x4d(*, weights: ResNeXt50_32X4D_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d (25.0M parameters)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNeXt50_32X4D_Weights.verify(weights), progress,
                   **_grouped(kwargs, 32, 4))


@register_model()
def resnext101_32x8d(*, weights: ResNeXt101_32X8D_Weights | None = None,
                     progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-101 32x8d (88.8M parameters)."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_32X8D_Weights.verify(weights), progress,
                   **_grouped(kwargs, 32, 8))


@register_model()
def resnext101_64x4d(*, weights: ResNeXt101_64X4D_Weights | None = None,
                     progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-101 64x4d (83.5M parameters)."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_64X4D_Weights.verify(weights), progress,
                   **_grouped(kwargs, 64, 4))


@register_model()
def wide_resnet50_2(*, weights: Wide_ResNet50_2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2: the bottleneck is twice as wide (68.9M parameters)."""
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], Wide_ResNet50_2_Weights.verify(weights), progress,
                   **kwargs)


@register_model()
def wide_resnet101_2(*, weights: Wide_ResNet101_2_Weights | None = None,
                     progress: bool = True, **kwargs: Any) -> ResNet:
    """Wide ResNet-101-2 (126.9M parameters)."""
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 23, 3], Wide_ResNet101_2_Weights.verify(weights), progress,
                   **kwargs)
