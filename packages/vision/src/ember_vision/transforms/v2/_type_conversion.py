"""v2 conversions between PIL images, plain tensors and ``tv_tensors``."""

from __future__ import annotations

import numpy as np
from PIL import Image as _PILImage

import ember

from ... import tv_tensors as tv
from . import functional as F
from ._transform import Transform, is_pure_tensor

__all__ = ["ToImage", "ToPureTensor", "PILToTensor", "ToPILImage"]


class ToImage(Transform):
    """PIL images, ndarrays (H, W, C) and plain tensors to ``tv_tensors.Image`` (values and
    dtype unchanged: a PIL image gives uint8)."""

    _transformed_types = (ember.Tensor, _PILImage.Image, np.ndarray)

    def _needs_transform_list(self, flat_inputs):
        # TVTensors are left as they are (an Image already is one)
        needs = super()._needs_transform_list(flat_inputs)
        return [n and not isinstance(x, tv.TVTensor) for n, x in zip(needs, flat_inputs)]

    def _transform(self, inpt, params):
        return F.to_image(inpt)


class ToPureTensor(Transform):
    """Every TVTensor of the sample to a plain tensor."""

    _transformed_types = (tv.TVTensor,)

    def _transform(self, inpt, params):
        return inpt.as_subclass(ember.Tensor)


class PILToTensor(Transform):
    """PIL images to plain uint8 tensors (C, H, W)."""

    _transformed_types = (_PILImage.Image,)

    def _transform(self, inpt, params):
        return F.pil_to_tensor(inpt)


class ToPILImage(Transform):
    """Images (tensors (C, H, W) or ndarrays) to PIL images (see v1 ``ToPILImage``)."""

    _transformed_types = (ember.Tensor, np.ndarray)

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode

    def _needs_transform_list(self, flat_inputs):
        return [isinstance(x, (tv.Image, np.ndarray)) or is_pure_tensor(x) for x in flat_inputs]

    def _transform(self, inpt, params):
        return F.to_pil_image(inpt, mode=self.mode)
