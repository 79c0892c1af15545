"""MNASNet B1 ("Platform-Aware Neural Architecture Search for Mobile",
https://arxiv.org/abs/1807.11626)."""

from __future__ import annotations

from typing import Any

from ember import Tensor, nn

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _weights_kwargs

__all__ = ["MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights", "MNASNet1_0_Weights",
           "MNASNet1_3_Weights", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# Paper's (TensorFlow's) BatchNorm decay 0.9997, as a PyTorch momentum.
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """1x1 expansion → depthwise kxk → 1x1 projection (+ shortcut at equal shape)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int,
                 expansion_factor: int, bn_momentum: float = 0.1) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in (3, 5):
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False), nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride,
                      groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum), nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch, momentum=bn_momentum))

    def forward(self, input: Tensor) -> Tensor:
        out = self.layers(input)
        return out + input if self.apply_residual else out


def _stack(in_ch: int, out_ch: int, kernel_size: int, stride: int, exp_factor: int,
           repeats: int, bn_momentum: float) -> nn.Sequential:
    """``repeats`` inverted residuals; only the first changes width and resolution."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    blocks = [_InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum)]
    blocks += [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum)
               for _ in range(1, repeats)]
    return nn.Sequential(*blocks)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """Round to a multiple of ``divisor``, rounding up unless within 10% above the lower one
    ((83, 8) → 80, (84, 8) → 88)."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError("round_up_bias should be greater than 0.0 and smaller than 1.0 instead "
                         f"of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    return [_round_to_multiple_of(d * alpha, 8) for d in (32, 16, 24, 40, 80, 96, 192, 320)]


class MNASNet(nn.Module):
    """MNASNet (B1 variant).

    Args:
        alpha (float): width multiplier (0.5, 0.75, 1.0, 1.3 have checkpoints).
        num_classes (int): Default: 1000.
        dropout (float): Default: 0.2.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.

    Only the current (version 2) layout is built: checkpoints saved by torchvision < 0.4.1 for
    ``alpha != 1`` (version 1 stem) do not load.
    """

    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        d = _get_depths(alpha)
        m = _BN_MOMENTUM
        self.layers = nn.Sequential(
            nn.Conv2d(3, d[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(d[0], momentum=m), nn.ReLU(inplace=True),
            nn.Conv2d(d[0], d[0], 3, padding=1, stride=1, groups=d[0], bias=False),
            nn.BatchNorm2d(d[0], momentum=m), nn.ReLU(inplace=True),
            nn.Conv2d(d[0], d[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(d[1], momentum=m),
            _stack(d[1], d[2], 3, 2, 3, 3, m), _stack(d[2], d[3], 5, 2, 3, 3, m),
            _stack(d[3], d[4], 5, 2, 6, 3, m), _stack(d[4], d[5], 3, 1, 6, 2, m),
            _stack(d[5], d[6], 5, 2, 6, 4, m), _stack(d[6], d[7], 3, 1, 6, 1, m),
            nn.Conv2d(d[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=m), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.BatchNorm2d):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Linear):
                nn.init.kaiming_uniform_(mod.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(mod.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.layers(x).mean([2, 3]))


def _mnasnet(alpha: float, weights, progress: bool, **kwargs: Any) -> MNASNet:
    _weights_kwargs(weights, kwargs)
    return _load_weights(MNASNet(alpha, **kwargs), weights, progress)


MNASNet0_5_Weights = weights_enum("MNASNet0_5_Weights", __name__)
MNASNet0_75_Weights = weights_enum("MNASNet0_75_Weights", __name__)
MNASNet1_0_Weights = weights_enum("MNASNet1_0_Weights", __name__)
MNASNet1_3_Weights = weights_enum("MNASNet1_3_Weights", __name__)


@register_model()
def mnasnet0_5(*, weights: MNASNet0_5_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 0.5 (2.2M parameters)."""
    return _mnasnet(0.5, MNASNet0_5_Weights.verify(weights), progress, **kwargs)


@register_model()
def mnasnet0_75(*, weights: MNASNet0_75_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 0.75 (3.2M parameters)."""
    return _mnasnet(0.75, MNASNet0_75_Weights.verify(weights), progress, **kwargs)


@register_model()
def mnasnet1_0(*, weights: MNASNet1_0_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 1.0 (4.4M parameters)."""
    return _mnasnet(1.0, MNASNet1_0_Weights.verify(weights), progress, **kwargs)


@register_model()
def mnasnet1_3(*, weights: MNASNet1_3_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 1.3 (6.3M parameters)."""
    return _mnasnet(1.3, MNASNet1_3_Weights.verify(weights), progress, **kwargs)
