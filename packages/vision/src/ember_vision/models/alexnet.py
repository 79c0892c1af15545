"""AlexNet ("One weird trick…", https://arxiv.org/abs/1404.5997; torchvision's variant)."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor, nn

from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _weights_kwargs

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """Five convolutions with max-pools, then a three-layer classifier with dropout.

    Args:
        num_classes (int): Default: 1000.
        dropout (float): dropout before the first two linear layers. Default: 0.5.

    Shape:
        - Input: ``(N, 3, H, W)`` with H, W >= 63; Output: ``(N, num_classes)``.

    Examples::

        >>> alexnet()(ember.randn(1, 3, 224, 224)).shape
        ember.Size([1, 1000])
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = ember.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


AlexNet_Weights = weights_enum("AlexNet_Weights", __name__)


@register_model()
def alexnet(*, weights: AlexNet_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> AlexNet:
    """AlexNet (61.1M parameters). ``weights``: an ``AlexNet_Weights`` member, its name or None;
    ``kwargs`` go to :class:`AlexNet`."""
    weights = AlexNet_Weights.verify(weights)
    _weights_kwargs(weights, kwargs)
    return _load_weights(AlexNet(**kwargs), weights, progress)
