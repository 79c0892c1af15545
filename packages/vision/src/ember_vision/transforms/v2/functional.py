"""``transforms.v2.functional``: each operation on whatever it is given.

Images (``tv_tensors.Image``, ``Video``, plain tensors (..., C, H, W) and PIL images) go through
the v1 kernels; ``Mask`` goes through them with nearest interpolation (labels must not be
blended); ``BoundingBoxes`` through the box kernels, which also update ``canvas_size``. A
TVTensor comes back as the same TVTensor type.
"""

from __future__ import annotations

import numpy as np
from PIL import Image as _PILImage

import ember

from ... import tv_tensors as tv
from .. import _functional_tensor as F_t
from .. import functional as F1
from ..functional import InterpolationMode
from . import _box_kernels as B

__all__ = [
    "get_dimensions", "get_size", "get_num_channels", "to_image", "to_pil_image", "pil_to_tensor", "to_dtype",
    "normalize", "resize", "crop", "center_crop", "resized_crop", "horizontal_flip",
    "vertical_flip", "pad", "rotate", "affine", "perspective", "elastic", "erase",
    "gaussian_blur",
    "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_gamma",
    "adjust_sharpness", "rgb_to_grayscale", "invert", "posterize", "solarize", "autocontrast",
    "equalize", "permute_channels", "convert_bounding_box_format", "clamp_bounding_boxes",
    "InterpolationMode",
]

to_pil_image = F1.to_pil_image
pil_to_tensor = F1.pil_to_tensor


def _plain(t):
    return t.as_subclass(ember.Tensor) if isinstance(t, tv.TVTensor) else t


def _rewrap(out, like):
    return tv.wrap(out, like=like) if isinstance(like, tv.TVTensor) else out


def _check_supported(inpt) -> None:
    if not isinstance(inpt, (ember.Tensor, _PILImage.Image)):
        raise TypeError(f"Expected an ember Tensor, a TVTensor or a PIL image, got {type(inpt)}")


def _on_image(fn, inpt, *args, **kwargs):
    """Run the v1 kernel ``fn`` on an image, video, plain tensor or PIL image."""
    _check_supported(inpt)
    return _rewrap(fn(_plain(inpt), *args, **kwargs), inpt)


def _on_mask(fn, mask, *args, **kwargs):
    """Run ``fn`` on a mask (..., H, W), with a channel dim added for 2-D masks."""
    m = _plain(mask)
    flat = m.ndim == 2
    out = fn(m.unsqueeze(0) if flat else m, *args, **kwargs)
    return tv.wrap(out.squeeze(0) if flat else out, like=mask)


def _on_boxes(kernel, boxes, *args, **kwargs):
    out, canvas = kernel(_plain(boxes), boxes.format, boxes.canvas_size, *args, **kwargs)
    return tv.wrap(out, like=boxes, canvas_size=canvas)


def _image_only(fn):
    """A colour operation: images are changed, boxes and masks passed through unchanged."""
    def op(inpt, *args, **kwargs):
        if isinstance(inpt, (tv.BoundingBoxes, tv.Mask)):
            return inpt
        return _on_image(fn, inpt, *args, **kwargs)
    op.__name__, op.__doc__ = fn.__name__, fn.__doc__
    return op


# ---- sizes and conversions -------------------------------------------------------------------

def get_size(inpt) -> list[int]:
    """[height, width] of an image, video, mask, PIL image or the canvas of boxes."""
    if isinstance(inpt, tv.BoundingBoxes):
        return list(inpt.canvas_size)
    if isinstance(inpt, _PILImage.Image):
        return [inpt.height, inpt.width]
    _check_supported(inpt)
    return [inpt.shape[-2], inpt.shape[-1]]


def get_dimensions(inpt) -> list[int]:
    """[channels, height, width] of an image."""
    return F1.get_dimensions(_plain(inpt))


def get_num_channels(inpt) -> int:
    """Channels of an image or video."""
    return get_dimensions(inpt)[0]


def to_image(inpt) -> tv.Image:
    """A PIL image, an ndarray (H, W, C) or a tensor (..., C, H, W) as ``tv_tensors.Image``."""
    if isinstance(inpt, np.ndarray):
        arr = inpt[:, :, None] if inpt.ndim == 2 else inpt
        return tv.Image(ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))))
    if isinstance(inpt, _PILImage.Image):
        return tv.Image(F1.pil_to_tensor(inpt))
    if isinstance(inpt, ember.Tensor):
        return tv.Image(_plain(inpt))
    raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got "
                    f"{type(inpt)} instead.")


def _to_dtype_image(image, dtype, scale: bool):
    """v2's image conversion: like v1's, but ints become floats by multiplying by 1 / max."""
    if not scale or image.dtype == dtype:
        return image.to(dtype)
    if not image.dtype.is_floating_point and dtype.is_floating_point:
        return image.to(dtype) * (1.0 / F_t._max_value(image.dtype))
    return F_t.convert_image_dtype(image, dtype)


def to_dtype(inpt, dtype=ember.float32, scale: bool = False):
    """Convert to ``dtype``; with ``scale`` images are rescaled (uint8 255 -> 1.0), boxes and
    masks never are."""
    if isinstance(inpt, (tv.BoundingBoxes, tv.Mask)):
        return tv.wrap(_plain(inpt).to(dtype), like=inpt)
    _check_supported(inpt)
    return _rewrap(_to_dtype_image(_plain(inpt), dtype, scale), inpt)


def normalize(inpt, mean, std, inplace: bool = False):
    """Per-channel (x - mean) / std of a float image."""
    if isinstance(inpt, _PILImage.Image):
        raise TypeError("normalize() does not support PIL images; convert with to_image and "
                        "to_dtype first")
    return _image_only(F1.normalize)(inpt, mean, std, inplace)


# ---- geometry --------------------------------------------------------------------------------

def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize images (and masks, nearest) and scale boxes to the new canvas."""
    if isinstance(inpt, tv.BoundingBoxes):
        h, w = inpt.canvas_size
        new = F1._compute_resized_output_size(
            (h, w), [size] if isinstance(size, int) else size, max_size)
        return _on_boxes(B.resize, inpt, new)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.resize, inpt, size, InterpolationMode.NEAREST, max_size)
    return _on_image(F1.resize, inpt, size, interpolation, max_size, antialias)


def crop(inpt, top: int, left: int, height: int, width: int):
    """Crop images and masks; shift boxes into the crop and clip them to it."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.crop, inpt, top, left, height, width)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.crop, inpt, top, left, height, width)
    return _on_image(F1.crop, inpt, top, left, height, width)


def _center_crop_box(size, output_size):
    """(top, left, h, w) of the centre crop in the input's frame. Where the crop is larger
    than the image, the image path pads by (crop - size) // 2 first: boxes use that same
    offset, so they stay on their pixels (torchvision rounds -x.5 here and can be 1 px off)."""
    crop_h, crop_w = F1._pair(output_size, "output_size")
    h, w = size

    def anchor(n, c):
        return -((c - n) // 2) if c > n else int(round((n - c) / 2.0))
    return anchor(h, crop_h), anchor(w, crop_w), crop_h, crop_w


def center_crop(inpt, output_size):
    """Crop the centre (h, w); boxes are shifted and clipped accordingly."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.crop, inpt, *_center_crop_box(inpt.canvas_size, output_size))
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.center_crop, inpt, output_size)
    return _on_image(F1.center_crop, inpt, output_size)


def resized_crop(inpt, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize``."""
    return resize(crop(inpt, top, left, height, width), size, interpolation,
                  antialias=antialias)


def horizontal_flip(inpt):
    """Flip left-right (boxes: x -> W - x)."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.horizontal_flip, inpt)
    return _on_image(F1.hflip, inpt)


def vertical_flip(inpt):
    """Flip top-bottom (boxes: y -> H - y)."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.vertical_flip, inpt)
    return _on_image(F1.vflip, inpt)


def pad(inpt, padding, fill=0, padding_mode: str = "constant"):
    """Pad images and masks; boxes move by the left/top padding."""
    if isinstance(inpt, tv.BoundingBoxes):
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        return _on_boxes(B.pad, inpt, padding)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.pad, inpt, padding, 0 if fill is None else fill, padding_mode)
    return _on_image(F1.pad, inpt, padding, fill, padding_mode)


def _mask_fill(fill):
    return 0.0 if fill is None else fill


def rotate(inpt, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees; boxes become the enclosing boxes of
    their rotated corners (clipped to the canvas)."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.affine, inpt, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center=center,
                         expand=expand)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.rotate, inpt, angle, InterpolationMode.NEAREST, expand, center,
                        _mask_fill(fill))
    return _on_image(F1.rotate, inpt, angle, interpolation, expand, center, fill)


def affine(inpt, angle: float, translate, scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Affine warp (see ``transforms.functional.affine``); boxes as in ``rotate``."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.affine, inpt, angle, list(translate), scale, F1._parse_shear(shear),
                         center=center)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.affine, inpt, angle, translate, scale, shear,
                        InterpolationMode.NEAREST, _mask_fill(fill), center)
    return _on_image(F1.affine, inpt, angle, translate, scale, shear, interpolation, fill,
                     center)


def perspective(inpt, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Perspective warp taking ``startpoints`` to ``endpoints``."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.perspective, inpt, startpoints, endpoints)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.perspective, inpt, startpoints, endpoints, InterpolationMode.NEAREST,
                        _mask_fill(fill))
    return _on_image(F1.perspective, inpt, startpoints, endpoints, interpolation, fill)


def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Displace pixels by ``displacement`` (1, H, W, 2, normalised units); boxes move by the
    approximate inverse field."""
    if isinstance(inpt, tv.BoundingBoxes):
        return _on_boxes(B.elastic, inpt, displacement)
    if isinstance(inpt, tv.Mask):
        return _on_mask(F1.elastic_transform, inpt, displacement, InterpolationMode.NEAREST,
                        _mask_fill(fill))
    return _on_image(F1.elastic_transform, inpt, displacement, interpolation, fill)


elastic_transform = elastic


# ---- image-only operations -------------------------------------------------------------------

erase = _image_only(F1.erase)
gaussian_blur = _image_only(F1.gaussian_blur)
adjust_brightness = _image_only(F1.adjust_brightness)
adjust_contrast = _image_only(F1.adjust_contrast)
adjust_saturation = _image_only(F1.adjust_saturation)
adjust_hue = _image_only(F1.adjust_hue)
adjust_gamma = _image_only(F1.adjust_gamma)
adjust_sharpness = _image_only(F1.adjust_sharpness)
rgb_to_grayscale = _image_only(F1.rgb_to_grayscale)
invert = _image_only(F1.invert)
posterize = _image_only(F1.posterize)
solarize = _image_only(F1.solarize)
autocontrast = _image_only(F1.autocontrast)
equalize = _image_only(F1.equalize)


def _permute_channels(image, permutation):
    if isinstance(image, _PILImage.Image):
        return F1.to_pil_image(_permute_channels(F1.pil_to_tensor(image), permutation))
    idx = ember.tensor(list(permutation), device=image.device)
    return image.index_select(-3, idx)


def permute_channels(inpt, permutation):
    """Reorder the channels of an image: output channel i is input channel permutation[i]."""
    return _image_only(_permute_channels)(inpt, permutation)


# ---- bounding boxes --------------------------------------------------------------------------

def _box_format(inpt, fmt, name: str):
    if isinstance(inpt, tv.BoundingBoxes):
        if fmt is not None:
            raise ValueError(f"For BoundingBoxes input, `{name}` must not be passed.")
        return inpt.format
    if fmt is None:
        raise ValueError(f"For pure tensor inputs, `{name}` has to be passed.")
    return tv._bounding_boxes._parse_format(fmt)


def convert_bounding_box_format(inpt, old_format=None, new_format=None):
    """Convert boxes to ``new_format`` (``old_format`` is needed only for plain tensors)."""
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: "
                        "'new_format'")
    old = _box_format(inpt, old_format, "old_format")
    new = tv._bounding_boxes._parse_format(new_format)
    out = B.convert_format(_plain(inpt), old, new)
    if isinstance(inpt, tv.BoundingBoxes):
        return tv.wrap(out, like=inpt, format=new)
    return out


def clamp_bounding_boxes(inpt, format=None, canvas_size=None):
    """Clip boxes to their canvas (``format`` and ``canvas_size`` only for plain tensors)."""
    fmt = _box_format(inpt, format, "format")
    if isinstance(inpt, tv.BoundingBoxes):
        if canvas_size is not None:
            raise ValueError("For BoundingBoxes input, `canvas_size` must not be passed.")
        return tv.wrap(B.clamp(_plain(inpt), fmt, inpt.canvas_size), like=inpt)
    if canvas_size is None:
        raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
    return B.clamp(inpt, fmt, canvas_size)
