"""v2 colour transforms: they change images and videos; boxes and masks pass through."""

from __future__ import annotations

import ember

from .. import transforms as V1
from .._random import coin, uniform
from . import functional as F
from ._transform import Transform, _RandomApplyTransform, query_chw

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "RandomInvert",
           "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast",
           "RandomEqualize", "RandomChannelPermutation", "RandomPhotometricDistort"]


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, in a random order (see v1)."""

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        super().__init__()
        v1 = V1.ColorJitter(brightness or 0, contrast or 0, saturation or 0, hue or 0)
        self.brightness, self.contrast = v1.brightness, v1.contrast
        self.saturation, self.hue = v1.saturation, v1.hue

    def _get_params(self, flat_inputs):
        fn_idx, b, c, s, h = V1.ColorJitter.get_params(self.brightness, self.contrast,
                                                        self.saturation, self.hue)
        return dict(order=fn_idx.tolist(), factors=[b, c, s, h])

    def _transform(self, inpt, params):
        fns = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for k in params["order"]:
            if params["factors"][k] is not None:
                inpt = fns[k](inpt, params["factors"][k])
        return inpt


class Grayscale(Transform):
    """Convert images to greyscale with 1 or 3 channels."""

    def __init__(self, num_output_channels: int = 1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def _transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform):
    """With probability ``p`` (default 0.1), greyscale keeping the channel count."""

    def __init__(self, p: float = 0.1):
        super().__init__(p)

    def _get_params(self, flat_inputs):
        return dict(num_output_channels=query_chw(flat_inputs)[0])

    def _transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, num_output_channels=params["num_output_channels"])


class GaussianBlur(Transform):
    """Gaussian blur with sigma drawn from ``sigma`` (see v1)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        v1 = V1.GaussianBlur(kernel_size, sigma)
        self.kernel_size, self.sigma = v1.kernel_size, v1.sigma

    def _get_params(self, flat_inputs):
        s = uniform(self.sigma[0], self.sigma[1])
        return dict(sigma=[s, s])

    def _transform(self, inpt, params):
        return F.gaussian_blur(inpt, list(self.kernel_size), params["sigma"])


class _ImageOpWithP(_RandomApplyTransform):
    """``op(image, *args)`` applied with probability ``p``."""

    _op = None

    def __init__(self, *args, p: float = 0.5):
        super().__init__(p)
        self.args = args

    def _transform(self, inpt, params):
        return type(self)._op(inpt, *self.args)


class RandomInvert(_ImageOpWithP):
    """Invert colours with probability ``p``."""
    _op = staticmethod(F.invert)


class RandomPosterize(_ImageOpWithP):
    """``RandomPosterize(bits, p=0.5)``: keep the top ``bits`` bits."""
    _op = staticmethod(F.posterize)


class RandomSolarize(_ImageOpWithP):
    """``RandomSolarize(threshold, p=0.5)``: invert pixels at or above ``threshold``."""
    _op = staticmethod(F.solarize)


class RandomAdjustSharpness(_ImageOpWithP):
    """``RandomAdjustSharpness(sharpness_factor, p=0.5)``."""
    _op = staticmethod(F.adjust_sharpness)


class RandomAutocontrast(_ImageOpWithP):
    """Autocontrast with probability ``p``."""
    _op = staticmethod(F.autocontrast)


class RandomEqualize(_ImageOpWithP):
    """Histogram equalisation with probability ``p``."""
    _op = staticmethod(F.equalize)


class RandomChannelPermutation(Transform):
    """Shuffle the channels of the images of the sample (one permutation per sample)."""

    def _get_params(self, flat_inputs):
        return dict(permutation=ember.randperm(query_chw(flat_inputs)[0]).tolist())

    def _transform(self, inpt, params):
        return F.permute_channels(inpt, params["permutation"])


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortion: each of brightness, contrast (before or after the
    saturation and hue changes), saturation, hue and a channel shuffle applied with
    probability ``p``.

    Args:
        brightness, contrast, saturation, hue (tuple): factor ranges (min, max).
        p (float): probability of each distortion. Default 0.5.
    """

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5),
                 hue=(-0.05, 0.05), p: float = 0.5):
        super().__init__()
        v1 = V1.ColorJitter(brightness, contrast, saturation, hue)
        self.brightness, self.contrast = v1.brightness, v1.contrast
        self.saturation, self.hue = v1.saturation, v1.hue
        self.p = p

    def _get_params(self, flat_inputs):
        channels = query_chw(flat_inputs)[0]
        params = {name: uniform(*rng) if rng is not None and coin(self.p) else None
                  for name, rng in (("brightness", self.brightness), ("contrast", self.contrast),
                                    ("saturation", self.saturation), ("hue", self.hue))}
        params["contrast_before"] = coin(0.5)
        params["permutation"] = (ember.randperm(channels).tolist() if coin(self.p) else None)
        return params

    def _transform(self, inpt, params):
        contrast = params["contrast"]
        if params["brightness"] is not None:
            inpt = F.adjust_brightness(inpt, params["brightness"])
        if contrast is not None and params["contrast_before"]:
            inpt = F.adjust_contrast(inpt, contrast)
        if params["saturation"] is not None:
            inpt = F.adjust_saturation(inpt, params["saturation"])
        if params["hue"] is not None:
            inpt = F.adjust_hue(inpt, params["hue"])
        if contrast is not None and not params["contrast_before"]:
            inpt = F.adjust_contrast(inpt, contrast)
        if params["permutation"] is not None:
            inpt = F.permute_channels(inpt, params["permutation"])
        return inpt
