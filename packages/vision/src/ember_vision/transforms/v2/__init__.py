"""``transforms.v2``: transforms that take whole samples — an image together with its
``tv_tensors.BoundingBoxes``, ``Mask`` and labels, in any tuple/list/dict structure — and
move boxes and masks consistently with the image. Plain tensors and PIL images work too.

Examples::

    >>> from ember_vision import tv_tensors
    >>> from ember_vision.transforms import v2
    >>> t = v2.Compose([v2.RandomResizedCrop(224), v2.RandomHorizontalFlip(),
    ...                 v2.ToDtype(ember.float32, scale=True)])
    >>> img, target = t(tv_tensors.Image(img_u8), {"boxes": boxes, "labels": labels})
"""

from ..functional import InterpolationMode
from . import functional
from ._augment import CutMix, MixUp, RandomErasing
from ._auto_augment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from ._color import (
    ColorJitter,
    GaussianBlur,
    Grayscale,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomChannelPermutation,
    RandomEqualize,
    RandomGrayscale,
    RandomInvert,
    RandomPhotometricDistort,
    RandomPosterize,
    RandomSolarize,
)
from ._container import Compose, RandomApply, RandomChoice, RandomOrder
from ._geometry import (
    CenterCrop,
    ElasticTransform,
    Pad,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomIoUCrop,
    RandomPerspective,
    RandomResize,
    RandomResizedCrop,
    RandomRotation,
    RandomShortestSize,
    RandomVerticalFlip,
    RandomZoomOut,
    Resize,
    ScaleJitter,
)
from ._meta import ClampBoundingBoxes, ConvertBoundingBoxFormat, SanitizeBoundingBoxes
from ._misc import ConvertImageDtype, GaussianNoise, Identity, Lambda, Normalize, ToDtype
from ._transform import Transform
from ._type_conversion import PILToTensor, ToImage, ToPILImage, ToPureTensor

__all__ = [
    "InterpolationMode", "functional", "Transform", "Compose", "RandomApply", "RandomChoice",
    "RandomOrder", "Identity", "Lambda", "Normalize", "ToDtype", "ToImage", "ToPureTensor",
    "PILToTensor", "ToPILImage", "Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop",
    "RandomHorizontalFlip", "RandomVerticalFlip", "Pad", "RandomRotation", "RandomAffine",
    "RandomPerspective", "RandomZoomOut", "ColorJitter", "Grayscale", "RandomGrayscale",
    "GaussianBlur", "RandomInvert", "RandomPosterize", "RandomSolarize",
    "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize", "RandomErasing", "MixUp",
    "CutMix", "ConvertBoundingBoxFormat", "ClampBoundingBoxes", "SanitizeBoundingBoxes",
    "AutoAugment", "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide", "AugMix",
    "RandomChannelPermutation", "RandomPhotometricDistort", "RandomShortestSize", "RandomResize",
    "ScaleJitter", "RandomIoUCrop", "ConvertImageDtype", "GaussianNoise", "ElasticTransform",
]
