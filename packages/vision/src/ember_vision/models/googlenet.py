"""GoogLeNet (Inception v1, "Going Deeper with Convolutions", https://arxiv.org/abs/1409.4842)."""

from __future__ import annotations

import warnings
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _ovewrite_named_param

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "_GoogLeNetOutputs", "GoogLeNet_Weights",
           "googlenet"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__annotations__ = {"logits": Tensor, "aux_logits2": Tensor | None,
                                    "aux_logits1": Tensor | None}
_GoogLeNetOutputs = GoogLeNetOutputs  # torchvision's legacy alias


class BasicConv2d(nn.Module):
    """Conv (no bias) → BatchNorm(eps=0.001) → ReLU (shared with Inception v3)."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


def imagenet_to_tf_normalization(x: Tensor) -> Tensor:
    """Turn ImageNet-normalized input into the (x - 0.5) / 0.5 scaling the ported Google
    checkpoints were trained with (``transform_input=True``)."""
    channels = [x[:, c:c + 1] * (std / 0.5) + (mean - 0.5) / 0.5 for c, (mean, std) in
                enumerate(((0.485, 0.229), (0.456, 0.224), (0.406, 0.225)))]
    return ember.cat(channels, 1)


class Inception(nn.Module):
    """Four parallel branches (1x1; 1x1→3x3; 1x1→3x3; max-pool→1x1) concatenated."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        # torchvision's known deviation from the paper: a 3x3 here, not a 5x5 (the checkpoints
        # depend on it)
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            conv_block(in_channels, pool_proj, kernel_size=1))

    def forward(self, x: Tensor) -> Tensor:
        return ember.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier attached to an intermediate stage (used in training only)."""

    def __init__(self, in_channels: int, num_classes: int,
                 conv_block: Callable[..., nn.Module] | None = None,
                 dropout: float = 0.7) -> None:
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = ember.flatten(self.conv(F.adaptive_avg_pool2d(x, (4, 4))), 1)
        x = self.dropout(F.relu(self.fc1(x), inplace=True))
        return self.fc2(x)


def _init_truncated_normal(model: nn.Module, std: float) -> None:
    """Truncated-normal weights for every conv and linear layer (a layer's own ``stddev``
    attribute, else ``std``) and BatchNorm set to the identity (shared with Inception v3)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            std_m = float(getattr(m, "stddev", std))
            nn.init.trunc_normal_(m.weight, mean=0.0, std=std_m, a=-2, b=2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


def _build_with_aux_heads(model_cls: Callable[..., nn.Module], weights, progress: bool,
                          kwargs: dict[str, Any], aux_default: bool,
                          aux_heads: tuple[str, ...]) -> nn.Module:
    """``model_cls(**kwargs)``; with ``weights``, the published checkpoint is loaded (it holds
    the auxiliary heads), then the heads named in ``aux_heads`` are dropped unless
    ``aux_logits`` (default ``aux_default``) asks for them. Shared with Inception v3."""
    keep_aux = kwargs.get("aux_logits", aux_default)
    if weights is not None:
        kwargs.setdefault("transform_input", True)
        _ovewrite_named_param(kwargs, "aux_logits", True)
        _ovewrite_named_param(kwargs, "init_weights", False)
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = model_cls(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
        if not keep_aux:
            model.aux_logits = False
            for name in aux_heads:
                setattr(model, name, None)
    return model


class GoogLeNet(nn.Module):
    """GoogLeNet.

    Args:
        num_classes (int): Default: 1000.
        aux_logits (bool): build the two auxiliary classifiers. Default: True.
        transform_input (bool): see :func:`imagenet_to_tf_normalization`. Default: False.
        init_weights (bool, optional): truncated-normal initialisation. Default: True.
        blocks (list of 3 callables, optional): conv, inception and aux block classes.
        dropout (float): Default: 0.2. dropout_aux (float): Default: 0.7.

    Shape:
        - Input: ``(N, 3, H, W)``. Output: ``(N, num_classes)``, or in training mode with
          ``aux_logits`` a :data:`GoogLeNetOutputs` ``(logits, aux_logits2, aux_logits1)``.
    """

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False, init_weights: bool | None = None,
                 blocks: list[Callable[..., nn.Module]] | None = None, dropout: float = 0.2,
                 dropout_aux: float = 0.7) -> None:
        super().__init__()
        blocks = blocks or [BasicConv2d, Inception, InceptionAux]
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, aux_block = blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = inception_block(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception_block(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inception_block(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception_block(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception_block(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception_block(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception_block(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = inception_block(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception_block(832, 384, 192, 384, 48, 128, 128)
        self.aux1 = aux_block(512, num_classes, dropout=dropout_aux) if aux_logits else None
        self.aux2 = aux_block(528, num_classes, dropout=dropout_aux) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights is None or init_weights:
            _init_truncated_normal(self, std=0.01)

    def forward(self, x: Tensor):
        if self.transform_input:
            x = imagenet_to_tf_normalization(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(ember.flatten(self.avgpool(x), 1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


GoogLeNet_Weights = weights_enum("GoogLeNet_Weights", __name__)


@register_model()
def googlenet(*, weights: GoogLeNet_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> GoogLeNet:
    """GoogLeNet (6.6M parameters without the auxiliary heads).

    The published checkpoint is loaded with its (untrained) auxiliary heads, which are then
    dropped unless ``aux_logits=True`` is asked for."""
    weights = GoogLeNet_Weights.verify(weights)
    model = _build_with_aux_heads(GoogLeNet, weights, progress, kwargs, aux_default=False,
                                  aux_heads=("aux1", "aux2"))
    if weights is not None and model.aux_logits:
        warnings.warn("auxiliary heads in the pretrained googlenet model are NOT pretrained, "
                      "so make sure to train them", stacklevel=2)
    return model
