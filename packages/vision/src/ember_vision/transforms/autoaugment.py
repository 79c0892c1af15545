"""Learned and random augmentation policies: AutoAugment, RandAugment, TrivialAugmentWide, AugMix.

Each picks image operations ("Rotate", "Solarize", ...) and magnitudes at random (ember's
generator) and applies them through ``functional``, on PIL images or uint8 tensors.
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np

import ember
from ember import nn

from . import functional as F
from ._random import dirichlet
from ._random import randint as _randint
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img, op_name: str, magnitude: float, interpolation: InterpolationMode, fill):
    """Apply one named operation with its (signed) magnitude."""
    if op_name == "ShearX":
        # magnitude is the shear factor: angle = atan(magnitude), about the top-left corner
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    simple = {
        "Brightness": lambda: F.adjust_brightness(img, 1.0 + magnitude),
        "Color": lambda: F.adjust_saturation(img, 1.0 + magnitude),
        "Contrast": lambda: F.adjust_contrast(img, 1.0 + magnitude),
        "Sharpness": lambda: F.adjust_sharpness(img, 1.0 + magnitude),
        "Posterize": lambda: F.posterize(img, int(magnitude)),
        "Solarize": lambda: F.solarize(img, magnitude),
        "AutoContrast": lambda: F.autocontrast(img),
        "Equalize": lambda: F.equalize(img),
        "Invert": lambda: F.invert(img),
        "Identity": lambda: img,
    }
    if op_name not in simple:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return simple[op_name]()


def _linspace(start: float, end: float, n: int) -> np.ndarray:
    """float32 magnitudes, as torch.linspace gives them."""
    return np.linspace(start, end, n).astype(np.float32)


def _posterize_bits(n: int, max_drop: int) -> np.ndarray:
    """Bits kept: from 8 down to 8 - max_drop over ``n`` bins (rounded half to even)."""
    return 8 - np.round(np.arange(n) / ((n - 1) / max_drop)).astype(np.int64)


def _none() -> np.ndarray:
    return np.zeros(())  # ops without a magnitude


def _standard_space(num_bins: int, image_size: list[int], with_identity: bool) -> dict:
    """op name -> (magnitudes, signed) of AutoAugment / RandAugment; ``image_size`` is [w, h]."""
    space = {"Identity": (_none(), False)} if with_identity else {}
    space.update({
        "ShearX": (_linspace(0.0, 0.3, num_bins), True),
        "ShearY": (_linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (_linspace(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
        "TranslateY": (_linspace(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
        "Rotate": (_linspace(0.0, 30.0, num_bins), True),
        "Brightness": (_linspace(0.0, 0.9, num_bins), True),
        "Color": (_linspace(0.0, 0.9, num_bins), True),
        "Contrast": (_linspace(0.0, 0.9, num_bins), True),
        "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
        "Posterize": (_posterize_bits(num_bins, 4), False),
        "Solarize": (_linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (_none(), False),
        "Equalize": (_none(), False),
    })
    return space


class _PolicyBase(nn.Module):
    """Shared by the policies: the interpolation/fill arguments and per-channel tensor fill."""

    def __init__(self, interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__()
        self.interpolation = interpolation
        self.fill = fill

    def _fill_for(self, img):
        fill = self.fill
        if isinstance(img, ember.Tensor):
            if isinstance(fill, (int, float)):
                return [float(fill)] * F.get_image_num_channels(img)
            if fill is not None:
                return [float(f) for f in fill]
        return fill

    def _random_op(self, space: dict, magnitude_bin):
        """A uniformly drawn op; its magnitude at ``magnitude_bin`` (or a random bin), negated
        with probability 1/2 if signed."""
        op_name = list(space)[_randint(len(space))]
        magnitudes, signed = space[op_name]
        if magnitudes.ndim == 0:
            return op_name, 0.0
        if magnitude_bin is None:
            magnitude_bin = _randint(len(magnitudes))
        magnitude = float(magnitudes[magnitude_bin])
        if signed and _randint(2):
            magnitude = -magnitude
        return op_name, magnitude


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on ImageNet, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# (op, probability, magnitude bin) pairs of the published policies (Cubuk et al. 2019)
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class AutoAugment(_PolicyBase):
    """AutoAugment (Cubuk et al., 2019): apply one of a policy's 25 sub-policies, each two
    operations with their own probability and magnitude.

    Args:
        policy (AutoAugmentPolicy): IMAGENET (default), CIFAR10 or SVHN.
        interpolation (InterpolationMode): for the geometric ops. Default NEAREST.
        fill (sequence or number, optional): colour outside the transformed image.

    Shape:
        PIL image ("L" or "RGB") or uint8 tensor (..., 1 or 3, H, W).

    Examples::

        >>> aug = transforms.AutoAugment(transforms.AutoAugmentPolicy.CIFAR10)
        >>> aug(ember.randint(0, 256, (3, 32, 32), dtype=ember.uint8)).shape
        ember.Size([3, 32, 32])
    """

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        super().__init__(interpolation, fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self.policies = _POLICIES[policy]

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> dict:
        space = _standard_space(num_bins, image_size, with_identity=False)
        space["Invert"] = (_none(), False)
        return space

    @staticmethod
    def get_params(transform_num: int):
        """Random (sub-policy index, two probabilities, two signs)."""
        return _randint(transform_num), ember.rand(2), ember.randint(2, (2,))

    def forward(self, img):
        fill = self._fill_for(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if float(probs[i].item()) <= p:
                magnitudes, signed = self._augmentation_space(10, F.get_image_size(img))[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and int(signs[i].item()) == 0:
                    magnitude = -magnitude
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(_PolicyBase):
    """RandAugment (Cubuk et al., 2020): ``num_ops`` uniformly chosen operations, all at one
    ``magnitude``.

    Args:
        num_ops (int): operations applied in sequence. Default 2.
        magnitude (int): magnitude bin for all of them. Default 9.
        num_magnitude_bins (int): number of bins. Default 31.
        interpolation (InterpolationMode): Default NEAREST.
        fill (sequence or number, optional): colour outside the transformed image.
    """

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__(interpolation, fill)
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> dict:
        return _standard_space(num_bins, image_size, with_identity=True)

    def forward(self, img):
        fill = self._fill_for(img)
        for _ in range(self.num_ops):
            space = self._augmentation_space(self.num_magnitude_bins, F.get_image_size(img))
            op_name, magnitude = self._random_op(space, self.magnitude)
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(_PolicyBase):
    """TrivialAugment Wide (Müller & Hutter, 2021): one uniformly chosen operation at a
    uniformly chosen magnitude.

    Args:
        num_magnitude_bins (int): number of magnitude bins. Default 31.
        interpolation (InterpolationMode): Default NEAREST.
        fill (sequence or number, optional): colour outside the transformed image.
    """

    def __init__(self, num_magnitude_bins: int = 31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins: int) -> dict:
        return {
            "Identity": (_none(), False),
            "ShearX": (_linspace(0.0, 0.99, num_bins), True),
            "ShearY": (_linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (_linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (_linspace(0.0, 32.0, num_bins), True),
            "Rotate": (_linspace(0.0, 135.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.99, num_bins), True),
            "Color": (_linspace(0.0, 0.99, num_bins), True),
            "Contrast": (_linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 6), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_none(), False),
            "Equalize": (_none(), False),
        }

    def forward(self, img):
        fill = self._fill_for(img)
        space = self._augmentation_space(self.num_magnitude_bins)
        op_name, magnitude = self._random_op(space, None)
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AugMix(_PolicyBase):
    """AugMix (Hendrycks et al., 2020): a Dirichlet-weighted mix of ``mixture_width`` chains of
    random operations, blended with the original by a Beta-distributed weight.

    Args:
        severity (int): magnitude bin of the operations, 1..10. Default 3.
        mixture_width (int): number of chains. Default 3.
        chain_depth (int): operations per chain; -1 draws 1..3. Default -1.
        alpha (float): Dirichlet / Beta concentration. Default 1.0.
        all_ops (bool): also use the colour ops that may overlap test corruptions. Default True.
        interpolation (InterpolationMode): Default BILINEAR.
        fill (sequence or number, optional): colour outside the transformed image.
    """

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation=InterpolationMode.BILINEAR, fill=None):
        super().__init__(interpolation, fill)
        self._PARAMETER_MAX = 10
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> dict:
        space = {
            "ShearX": (_linspace(0.0, 0.3, num_bins), True),
            "ShearY": (_linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (_linspace(0.0, image_size[0] / 3.0, num_bins), True),
            "TranslateY": (_linspace(0.0, image_size[1] / 3.0, num_bins), True),
            "Rotate": (_linspace(0.0, 30.0, num_bins), True),
            "Posterize": (4 - np.round(np.arange(num_bins) / ((num_bins - 1) / 4)).astype(np.int64),
                          False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_none(), False),
            "Equalize": (_none(), False),
        }
        if self.all_ops:
            space.update({
                "Brightness": (_linspace(0.0, 0.9, num_bins), True),
                "Color": (_linspace(0.0, 0.9, num_bins), True),
                "Contrast": (_linspace(0.0, 0.9, num_bins), True),
                "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
            })
        return space

    def forward(self, orig_img):
        fill = self._fill_for(orig_img)
        is_pil = F._is_pil_image(orig_img)
        img = F.pil_to_tensor(orig_img) if is_pil else orig_img
        if img.dtype != ember.uint8:
            raise TypeError(f"AugMix needs a PIL image or a uint8 tensor, got {img.dtype}")
        shape = tuple(img.shape)
        batch = img.reshape(-1, *shape[-3:])
        n = batch.shape[0]
        alpha = float(self.alpha)
        # the mixing weights of [original, chains...]: Beta(alpha, alpha) then Dirichlet
        m = ember.from_numpy(dirichlet(n, 2, alpha).astype(np.float32)).to(batch.device)
        combined = ember.from_numpy(dirichlet(n, self.mixture_width, alpha)
                                    .astype(np.float32)).to(batch.device) * m[:, 1:]
        mix = m[:, :1].view(n, 1, 1, 1) * batch.float()
        space = self._augmentation_space(self._PARAMETER_MAX, F.get_image_size(img))
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else _randint(1, 4)
            for _ in range(depth):
                op_name = list(space)[_randint(len(space))]
                magnitudes, signed = space[op_name]
                magnitude = (float(magnitudes[_randint(self.severity)]) if magnitudes.ndim > 0
                             else 0.0)
                if signed and _randint(2):
                    magnitude = -magnitude
                aug = _apply_op(aug, op_name, magnitude, self.interpolation, fill)
            mix = mix + combined[:, i].view(n, 1, 1, 1) * aug.float()
        out = mix.reshape(shape).to(img.dtype)
        return F.to_pil_image(out) if is_pil else out

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width="
                f"{self.mixture_width}, chain_depth={self.chain_depth}, alpha={self.alpha}, "
                f"all_ops={self.all_ops}, interpolation={self.interpolation}, fill={self.fill})")
