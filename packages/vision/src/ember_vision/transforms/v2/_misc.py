"""v2 miscellaneous transforms: Identity, Lambda, Normalize, ToDtype."""

from __future__ import annotations

from collections.abc import Callable

import ember

from ... import tv_tensors as tv
from . import functional as F
from ._transform import Transform, is_pure_tensor

__all__ = ["Identity", "Lambda", "Normalize", "ToDtype", "ConvertImageDtype", "GaussianNoise"]


class Identity(Transform):
    """Return the sample unchanged."""

    def _transform(self, inpt, params):
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to the inputs of the given ``types`` (default: everything).

    Args:
        lambd (callable): the function.
        *types: input types to apply it to.
    """

    def __init__(self, lambd: Callable, *types):
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd
        self.types = types or (object,)
        self._transformed_types = self.types

    def _transform(self, inpt, params):
        return self.lambd(inpt)


class Normalize(Transform):
    """Normalise float images and videos per channel: ``(x - mean) / std``."""

    def __init__(self, mean, std, inplace: bool = False):
        super().__init__()
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def _transform(self, inpt, params):
        return F.normalize(inpt, self.mean, self.std, self.inplace)


class ToDtype(Transform):
    """Convert inputs to ``dtype``; with ``scale``, image values are rescaled.

    Args:
        dtype (ember.dtype or dict): one dtype for images and videos, or a dict from input type
            (``tv_tensors.Image``, ``tv_tensors.Mask``..., ``"others"``) to dtype (None keeps).
        scale (bool): rescale image values (uint8 255 -> 1.0). Default False.

    Examples::

        >>> v2.ToDtype(ember.float32, scale=True)(tv_tensors.Image(uint8_image))
    """

    def __init__(self, dtype, scale: bool = False):
        super().__init__()
        if not isinstance(dtype, (dict, ember.dtype)):
            raise ValueError(f"dtype must be a dict or an ember.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def _dtype_for(self, inpt):
        if not isinstance(self.dtype, dict):
            # a single dtype converts images and videos only, like torchvision
            return self.dtype if isinstance(inpt, (tv.Image, tv.Video)) or is_pure_tensor(
                inpt) else None
        for cls in type(inpt).__mro__:
            if cls in self.dtype:
                return self.dtype[cls]
        if is_pure_tensor(inpt) and ember.Tensor in self.dtype:
            return self.dtype[ember.Tensor]
        return self.dtype.get("others")

    def _transform(self, inpt, params):
        dtype = self._dtype_for(inpt)
        if dtype is None or not isinstance(inpt, ember.Tensor):
            return inpt
        return F.to_dtype(inpt, dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """Deprecated v1 spelling of ``ToDtype(dtype, scale=True)`` for images."""

    def __init__(self, dtype=ember.float32):
        super().__init__()
        self.dtype = dtype

    def _transform(self, inpt, params):
        if isinstance(inpt, (tv.BoundingBoxes, tv.Mask)):
            return inpt
        return F.to_dtype(inpt, self.dtype, scale=True)


class GaussianNoise(Transform):
    """Add N(mean, sigma^2) noise to float images (clipped to [0, 1] if ``clip``).

    Args:
        mean (float): Default 0.
        sigma (float): Default 0.1.
        clip (bool): Default True.
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
        super().__init__()
        if sigma < 0:
            raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
        self.mean, self.sigma, self.clip = float(mean), float(sigma), clip

    def _transform(self, inpt, params):
        if isinstance(inpt, (tv.BoundingBoxes, tv.Mask)):
            return inpt
        if not isinstance(inpt, ember.Tensor) or not inpt.dtype.is_floating_point:
            raise ValueError(f"Input tensor is expected to be in float dtype, got "
                             f"{getattr(inpt, 'dtype', type(inpt))} instead.")
        plain = inpt.as_subclass(ember.Tensor) if isinstance(inpt, tv.TVTensor) else inpt
        out = plain + (ember.randn_like(plain) * self.sigma + self.mean)
        out = out.clamp(0, 1) if self.clip else out
        return tv.wrap(out, like=inpt) if isinstance(inpt, tv.TVTensor) else out
