"""The evaluation presets behind ``weights.transforms()`` (torchvision's ``transforms._presets``).

They accept a ``PIL.Image`` or a ``(..., C, H, W)`` tensor and return a float tensor ready for the
model. Reach them through the weights (``ResNet18_Weights.DEFAULT.transforms()``), not directly.
"""

from __future__ import annotations

import ember
from ember import Tensor, nn

from . import functional as F
from .functional import InterpolationMode

__all__ = ["ImageClassification", "SemanticSegmentation"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def _to_float_tensor(img) -> Tensor:
    """PIL image → uint8 tensor, then any integer tensor → float in [0, 1]."""
    if not isinstance(img, Tensor):
        img = F.pil_to_tensor(img)
    return F.convert_image_dtype(img, ember.float)


class ImageClassification(nn.Module):
    """Resize the short side to ``resize_size``, center-crop ``crop_size``, scale to [0, 1] and
    normalize with ``mean`` / ``std``.

    Args:
        crop_size (int): side of the square center crop.
        resize_size (int): the short side after resizing. Default: 256.
        mean, std (tuple of float): per-channel normalization. Default: ImageNet's.
        interpolation (InterpolationMode or str): resize filter. Default: bilinear.
        antialias (bool, optional): antialias the tensor resize (PIL always does). Default: True.

    Shape:
        - Input: PIL image, or tensor ``(C, H, W)`` / ``(B, C, H, W)``, uint8 or float.
        - Output: float32 ``(..., C, crop_size, crop_size)``.

    Examples::

        >>> preset = ResNet18_Weights.IMAGENET1K_V1.transforms()
        >>> batch = preset(img).unsqueeze(0)
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: tuple[float, ...] = _IMAGENET_MEAN, std: tuple[float, ...] = _IMAGENET_STD,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = InterpolationMode(interpolation)
        self.antialias = antialias

    def forward(self, img) -> Tensor:
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        return F.normalize(_to_float_tensor(img), mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
                f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                f"``ember.Tensor`` objects. The images are resized to ``resize_size="
                f"{self.resize_size}`` using ``interpolation={self.interpolation}``, followed by a "
                f"central crop of ``crop_size={self.crop_size}``. Finally the values are first "
                f"rescaled to ``[0.0, 1.0]`` and then normalized using ``mean={self.mean}`` and "
                f"``std={self.std}``.")


class SemanticSegmentation(nn.Module):
    """Optionally resize the short side to ``resize_size``, scale to [0, 1] and normalize.

    Args:
        resize_size (int, optional): the short side after resizing; None keeps the size.
        mean, std, interpolation, antialias: as for :class:`ImageClassification`.

    Shape:
        - Input: PIL image, or tensor ``(C, H, W)`` / ``(B, C, H, W)``.
        - Output: float32 ``(..., C, H', W')``.
    """

    def __init__(self, *, resize_size: int | None,
                 mean: tuple[float, ...] = _IMAGENET_MEAN, std: tuple[float, ...] = _IMAGENET_STD,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.resize_size = [resize_size] if resize_size is not None else None
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = InterpolationMode(interpolation)
        self.antialias = antialias

    def forward(self, img) -> Tensor:
        if self.resize_size is not None:
            img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                           antialias=self.antialias)
        return F.normalize(_to_float_tensor(img), mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")
