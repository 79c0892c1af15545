"""Feature Pyramid Network ("Feature Pyramid Networks for Object Detection",
https://arxiv.org/abs/1612.03144)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from ember import Tensor, nn
from ember.nn import functional as F

from .misc import Conv2dNormActivation

__all__ = ["FeaturePyramidNetwork", "ExtraFPNBlock", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """Base class of the extra levels appended after the FPN outputs.

    ``forward(results, x, names)`` receives the FPN outputs, the original feature maps and
    their names, and returns the extended ``(results, names)``.
    """

    def forward(self, results: list[Tensor], x: list[Tensor],
                names: list[str]) -> tuple[list[Tensor], list[str]]:
        raise NotImplementedError("subclasses of ExtraFPNBlock define forward")


class FeaturePyramidNetwork(nn.Module):
    """Top-down pathway with lateral connections on feature maps of increasing depth.

    Each map goes through a 1x1 "inner" convolution to ``out_channels``; from the deepest up,
    the running top-down map is nearest-upsampled and added, and a 3x3 "layer" convolution
    produces that level's output.

    Args:
        in_channels_list (list of int): channels of each input map (shallowest first).
        out_channels (int): channels of every output map.
        extra_blocks (ExtraFPNBlock, optional): appends levels (e.g. :class:`LastLevelMaxPool`).
        norm_layer (callable, optional): normalization after each convolution. Default: None.

    Shape:
        - Input: ``OrderedDict`` name → ``(N, C_i, H_i, W_i)``.
        - Output: ``OrderedDict`` name → ``(N, out_channels, H_i, W_i)`` (same order).

    Examples::

        >>> fpn = FeaturePyramidNetwork([10, 20, 30], 5)
        >>> out = fpn(OrderedDict(feat0=ember.rand(1, 10, 64, 64), feat2=ember.rand(1, 20, 16, 16),
        ...                       feat3=ember.rand(1, 30, 8, 8)))
        >>> [(k, tuple(v.shape)) for k, v in out.items()]
        [('feat0', (1, 5, 64, 64)), ('feat2', (1, 5, 16, 16)), ('feat3', (1, 5, 8, 8))]
    """

    _version = 2

    def __init__(self, in_channels_list: list[int], out_channels: int,
                 extra_blocks: ExtraFPNBlock | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(
                in_channels, out_channels, kernel_size=1, padding=0, norm_layer=norm_layer,
                activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(
                out_channels, out_channels, kernel_size=3, norm_layer=norm_layer,
                activation_layer=None))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"extra_blocks should be of type ExtraFPNBlock not "
                            f"{type(extra_blocks)}")
        self.extra_blocks = extra_blocks

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints of torchvision < 0.13 had bare convolutions: "inner_blocks.0.weight"
        for block in ("inner_blocks", "layer_blocks"):
            for i in range(len(self.inner_blocks)):
                for kind in ("weight", "bias"):
                    old_key = f"{prefix}{block}.{i}.{kind}"
                    if old_key in state_dict:
                        state_dict[f"{prefix}{block}.{i}.0.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: dict[str, Tensor]) -> dict[str, Tensor]:
        names = list(x.keys())
        feats = list(x.values())
        if len(feats) != len(self.inner_blocks):
            raise ValueError(f"expected {len(self.inner_blocks)} feature maps, got {len(feats)}")
        last_inner = self.inner_blocks[-1](feats[-1])
        results = [self.layer_blocks[-1](last_inner)]
        for idx in range(len(feats) - 2, -1, -1):
            lateral = self.inner_blocks[idx](feats[idx])
            top_down = F.interpolate(last_inner, size=lateral.shape[-2:], mode="nearest")
            last_inner = lateral + top_down
            results.insert(0, self.layer_blocks[idx](last_inner))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, feats, names)
        return OrderedDict(zip(names, results))


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds a level ``"pool"``: the last output subsampled by 2 (max-pool with kernel 1)."""

    def forward(self, x: list[Tensor], y: list[Tensor],
                names: list[str]) -> tuple[list[Tensor], list[str]]:
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """RetinaNet's extra levels P6 and P7 (stride-2 3x3 convolutions)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p: list[Tensor], c: list[Tensor],
                names: list[str]) -> tuple[list[Tensor], list[str]]:
        x = p[-1] if self.use_P5 else c[-1]
        p6 = self.p6(x)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
