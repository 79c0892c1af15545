"""torchvision.transforms for ember: the v1 transform classes, ``functional``, and the
augmentation policies (AutoAugment, RandAugment, TrivialAugmentWide, AugMix). The v2 API, which
also transforms bounding boxes and masks, is ``transforms.v2``.
"""

from . import functional
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .functional import InterpolationMode
from .transforms import *  # noqa: F401,F403  (the v1 classes; __all__ lists them)
from .transforms import __all__ as _transforms_all

__all__ = ["functional", "InterpolationMode", "AutoAugmentPolicy", "AutoAugment", "RandAugment",
           "TrivialAugmentWide", "AugMix", *_transforms_all]
