"""ConvNeXt Tiny/Small/Base/Large ("A ConvNet for the 2020s", https://arxiv.org/abs/2201.03545)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _weights_kwargs

__all__ = ["ConvNeXt", "CNBlockConfig", "LayerNorm2d", "ConvNeXt_Tiny_Weights",
           "ConvNeXt_Small_Weights", "ConvNeXt_Base_Weights", "ConvNeXt_Large_Weights",
           "convnext_tiny", "convnext_small", "convnext_base", "convnext_large"]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` tensor."""

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """Depthwise 7x7 → LayerNorm → Linear 4x → GELU → Linear, scaled by a learned
    ``layer_scale`` and added to the input through stochastic depth."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]), norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True), nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True), Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input: Tensor) -> Tensor:
        return self.stochastic_depth(self.layer_scale * self.block(input)) + input


class CNBlockConfig:
    """A stage: ``num_layers`` blocks of width ``input_channels``, then (unless
    ``out_channels`` is None) a downsampling layer to ``out_channels``."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(input_channels={self.input_channels}, "
                f"out_channels={self.out_channels}, num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """ConvNeXt.

    Args:
        block_setting (list of CNBlockConfig): the stages.
        stochastic_depth_prob (float): drop probability of the last block (linear ramp).
            Default: 0.0.
        layer_scale (float): initial value of the per-channel scales. Default: 1e-6.
        num_classes (int): Default: 1000.
        block, norm_layer (callables, optional): Defaults: :class:`CNBlock`,
            :class:`LayerNorm2d` (eps 1e-6).

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, block_setting: list[CNBlockConfig], stochastic_depth_prob: float = 0.0,
                 layer_scale: float = 1e-6, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, **kwargs: Any) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, Sequence)
                and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        block = block or CNBlock
        norm_layer = norm_layer or partial(LayerNorm2d, eps=1e-6)
        layers: list[nn.Module] = [Conv2dNormActivation(  # "patchify" stem: 4x4, stride 4
            3, block_setting[0].input_channels, kernel_size=4, stride=4, padding=0,
            norm_layer=norm_layer, activation_layer=None, bias=True)]
        total_blocks = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_channels = last.out_channels if last.out_channels is not None else last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1),
                                        nn.Linear(last_channels, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)))


def _convnext(widths: tuple[int, int, int, int], depths: tuple[int, int, int, int],
              default_sd_prob: float, weights, progress: bool, **kwargs: Any) -> ConvNeXt:
    setting = [CNBlockConfig(w, widths[i + 1] if i < 3 else None, d)
               for i, (w, d) in enumerate(zip(widths, depths))]
    sd_prob = kwargs.pop("stochastic_depth_prob", default_sd_prob)
    _weights_kwargs(weights, kwargs)
    model = ConvNeXt(setting, stochastic_depth_prob=sd_prob, **kwargs)
    return _load_weights(model, weights, progress)


ConvNeXt_Tiny_Weights = weights_enum("ConvNeXt_Tiny_Weights", __name__)
ConvNeXt_Small_Weights = weights_enum("ConvNeXt_Small_Weights", __name__)
ConvNeXt_Base_Weights = weights_enum("ConvNeXt_Base_Weights", __name__)
ConvNeXt_Large_Weights = weights_enum("ConvNeXt_Large_Weights", __name__)


@register_model()
def convnext_tiny(*, weights: ConvNeXt_Tiny_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-T (28.6M parameters)."""
    return _convnext((96, 192, 384, 768), (3, 3, 9, 3), 0.1,
                     ConvNeXt_Tiny_Weights.verify(weights), progress, **kwargs)


@register_model()
def convnext_small(*, weights: ConvNeXt_Small_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-S (50.2M parameters)."""
    return _convnext((96, 192, 384, 768), (3, 3, 27, 3), 0.4,
                     ConvNeXt_Small_Weights.verify(weights), progress, **kwargs)


@register_model()
def convnext_base(*, weights: ConvNeXt_Base_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-B (88.6M parameters)."""
    return _convnext((128, 256, 512, 1024), (3, 3, 27, 3), 0.5,
                     ConvNeXt_Base_Weights.verify(weights), progress, **kwargs)


@register_model()
def convnext_large(*, weights: ConvNeXt_Large_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-L (197.8M parameters)."""
    return _convnext((192, 384, 768, 1536), (3, 3, 27, 3), 0.5,
                     ConvNeXt_Large_Weights.verify(weights), progress, **kwargs)
