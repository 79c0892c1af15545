"""FakeData: random images that are the same for the same index (for tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

import ember
from ember_vision.datasets.vision import VisionDataset

__all__ = ["FakeData"]

_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


class FakeData(VisionDataset):
    """Random PIL images with random class indices; item ``i`` is drawn from a generator seeded
    with ``i + random_offset``, so it is the same on every access and in every worker.

    Args:
        size (int, optional): number of images. Default: 1000.
        image_size (tuple, optional): (C, H, W) with C in 1, 3, 4. Default: (3, 224, 224).
        num_classes (int, optional): number of classes. Default: 10.
        transform (callable, optional): applied to the PIL image.
        target_transform (callable, optional): applied to the target (an ``int``).
        random_offset (int, optional): added to the index to seed each item. Default: 0.

    The pixels are a standard normal sample scaled by 255 and clamped to [0, 255] (torchvision
    converts ``randn`` through ``ToPILImage``; the values differ, torch's and ember's random
    streams being different).

    Examples::

        >>> data = FakeData(size=8, image_size=(1, 28, 28), num_classes=3)
        >>> image, label = data[0]      # PIL "L" 28x28, an int in [0, 3)
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        if len(image_size) != 3 or image_size[0] not in _MODES:
            raise ValueError(f"image_size should be (C, H, W) with C in {sorted(_MODES)}, "
                             f"got {tuple(image_size)}")
        self.size = size
        self.num_classes = num_classes
        self.image_size = tuple(image_size)
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index {index} out of range for size {self.size}")
        index %= self.size
        generator = ember.Generator().manual_seed(index + self.random_offset)
        pixels = ember.randn(*self.image_size, generator=generator).numpy()
        target = int(ember.randint(0, self.num_classes, (1,), generator=generator)[0])
        hwc = np.clip(pixels * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        image = Image.fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc, _MODES[hwc.shape[2]])
        return self._apply_transforms(image, target)

    def __len__(self) -> int:
        return self.size
