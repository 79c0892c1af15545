"""v2 geometric transforms: images, videos, masks and bounding boxes move together."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import ember

from ... import tv_tensors as tv
from .. import transforms as V1
from .._random import randint, uniform
from ..functional import InterpolationMode
from . import functional as F
from ._box_kernels import _ltrb_padding as _ltrb
from ._transform import Transform, _RandomApplyTransform, query_size

__all__ = ["Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "Pad", "RandomRotation", "RandomAffine", "RandomPerspective",
           "RandomZoomOut", "RandomShortestSize", "RandomResize", "ScaleJitter", "RandomIoUCrop",
           "ElasticTransform"]


class Resize(Transform):
    """Resize to ``size`` ((h, w), or an int for the shorter edge); boxes are scaled.

    Args:
        size (int or sequence): the output size.
        interpolation (InterpolationMode): for images. Masks always use NEAREST.
        max_size (int, optional): cap for the longer edge.
        antialias (bool): Default True.

    Examples::

        >>> img, boxes = v2.Resize(64)(tv_tensors.Image(ember.rand(3, 128, 256)), boxes)
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        super().__init__()
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, Sequence) and len(size) in (1, 2):
            size = list(size)
        elif size is not None:
            raise ValueError(f"size can be an integer, a sequence of one or two integers, or "
                             f"None, but got {size} instead.")
        self.size = size
        self.interpolation = interpolation
        self.max_size = max_size
        self.antialias = antialias

    def _transform(self, inpt, params):
        return F.resize(inpt, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    """Crop the centre (h, w); boxes are shifted and clipped."""

    def __init__(self, size):
        super().__init__()
        self.size = V1._setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def _transform(self, inpt, params):
        return F.center_crop(inpt, self.size)


class RandomCrop(Transform):
    """Crop at a random location (the same for every input of the sample).

    Args:
        size (int or sequence): (h, w) of the crop.
        padding, pad_if_needed, fill, padding_mode: as in v1 ``RandomCrop``.
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = V1._setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        pad_ltrb = [0, 0, 0, 0]
        if self.padding is not None:
            left, right, top, bottom = _ltrb(self.padding)
            pad_ltrb = [left, top, right, bottom]
            h, w = h + top + bottom, w + left + right
        if self.pad_if_needed:
            extra_w, extra_h = max(self.size[1] - w, 0), max(self.size[0] - h, 0)
            pad_ltrb = [pad_ltrb[0] + extra_w, pad_ltrb[1] + extra_h, pad_ltrb[2] + extra_w,
                        pad_ltrb[3] + extra_h]
            h, w = h + 2 * extra_h, w + 2 * extra_w
        top, left, ch, cw = V1.crop_params(h, w, self.size)
        return dict(padding=pad_ltrb, top=top, left=left, height=ch, width=cw)

    def _transform(self, inpt, params):
        if any(params["padding"]):
            inpt = F.pad(inpt, params["padding"], self.fill, self.padding_mode)
        return F.crop(inpt, params["top"], params["left"], params["height"], params["width"])


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio, then resize to ``size`` (see v1)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = V1._setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        self.scale, self.ratio = scale, ratio
        self.interpolation = interpolation
        self.antialias = antialias

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        top, left, ch, cw = V1.resized_crop_params(h, w, self.scale, self.ratio)
        return dict(top=top, left=left, height=ch, width=cw)

    def _transform(self, inpt, params):
        return F.resized_crop(inpt, params["top"], params["left"], params["height"],
                              params["width"], self.size, self.interpolation,
                              antialias=self.antialias)


class RandomHorizontalFlip(_RandomApplyTransform):
    """Flip the whole sample left-right with probability ``p``."""

    def _transform(self, inpt, params):
        return F.horizontal_flip(inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Flip the whole sample top-bottom with probability ``p``."""

    def _transform(self, inpt, params):
        return F.vertical_flip(inpt)


class Pad(Transform):
    """Pad every side (see v1 ``Pad``); boxes move with the image."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        V1.Pad(padding, fill if isinstance(fill, (numbers.Number, tuple, list)) else 0,
               padding_mode)  # the same argument checks as v1
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def _transform(self, inpt, params):
        return F.pad(inpt, self.padding, self.fill, self.padding_mode)


def _fill_for(inpt, fill):
    """v1's per-channel fill for tensors; masks get 0."""
    if isinstance(inpt, (tv.Mask, tv.BoundingBoxes)):
        return None
    return V1._tensor_fill(inpt, fill) if fill is not None else None


class RandomRotation(Transform):
    """Rotate the sample by an angle drawn from ``degrees`` (see v1)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        super().__init__()
        self.degrees = V1._setup_angle(degrees, name="degrees", req_sizes=(2,))
        self.interpolation = interpolation
        self.expand = expand
        self.center = center
        self.fill = fill

    def _get_params(self, flat_inputs):
        return dict(angle=uniform(self.degrees[0], self.degrees[1]))

    def _transform(self, inpt, params):
        return F.rotate(inpt, params["angle"], self.interpolation, self.expand, self.center,
                        _fill_for(inpt, self.fill))


class RandomAffine(Transform):
    """Random affine warp of the sample (see v1 ``RandomAffine``)."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        super().__init__()
        v1 = V1.RandomAffine(degrees, translate, scale, shear, interpolation, fill, center)
        self.degrees, self.translate, self.scale = v1.degrees, v1.translate, v1.scale
        self.shear, self.interpolation, self.fill, self.center = (v1.shear, interpolation, fill,
                                                                   center)

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        angle, translate, scale, shear = V1.RandomAffine.get_params(
            self.degrees, self.translate, self.scale, self.shear, [w, h])
        return dict(angle=angle, translate=translate, scale=scale, shear=shear)

    def _transform(self, inpt, params):
        return F.affine(inpt, params["angle"], list(params["translate"]), params["scale"],
                        list(params["shear"]), self.interpolation, _fill_for(inpt, self.fill),
                        self.center)


class RandomPerspective(_RandomApplyTransform):
    """With probability ``p``, a random perspective warp of the sample (see v1)."""

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR,
                 fill=0):
        super().__init__(p)
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale = distortion_scale
        self.interpolation = interpolation
        self.fill = fill

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        start, end = V1.RandomPerspective.get_params(w, h, self.distortion_scale)
        return dict(startpoints=start, endpoints=end)

    def _transform(self, inpt, params):
        return F.perspective(inpt, params["startpoints"], params["endpoints"],
                             self.interpolation, _fill_for(inpt, self.fill))


class RandomZoomOut(_RandomApplyTransform):
    """With probability ``p``, place the sample on a canvas ``side_range`` times larger at a
    random position ("zoom out", SSD's augmentation).

    Args:
        fill (number): canvas value. Default 0.
        side_range (tuple): range of the canvas/image size ratio. Default (1.0, 4.0).
        p (float): probability. Default 0.5.
    """

    def __init__(self, fill=0, side_range=(1.0, 4.0), p=0.5):
        super().__init__(p)
        if len(side_range) != 2 or side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill = fill
        self.side_range = side_range

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        r = uniform(self.side_range[0], self.side_range[1])
        canvas_w, canvas_h = int(w * r), int(h * r)
        left = int((canvas_w - w) * uniform(0, 1))
        top = int((canvas_h - h) * uniform(0, 1))
        return dict(padding=[left, top, canvas_w - (left + w), canvas_h - (top + h)])

    def _transform(self, inpt, params):
        return F.pad(inpt, params["padding"], fill=self.fill)


class _RandomSizeResize(Transform):
    """Resize the whole sample to ``_get_params``' (height, width)."""

    def __init__(self, interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.interpolation = interpolation
        self.antialias = antialias

    def _transform(self, inpt, params):
        return F.resize(inpt, params["size"], self.interpolation, antialias=self.antialias)


class RandomShortestSize(_RandomSizeResize):
    """Resize so the shorter edge is one of ``min_size`` (drawn), the longer edge at most
    ``max_size`` (Faster R-CNN's multi-scale training).

    Args:
        min_size (int or sequence): candidate sizes of the shorter edge.
        max_size (int, optional): cap of the longer edge.
    """

    def __init__(self, min_size, max_size=None, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        target = self.min_size[randint(len(self.min_size))]
        r = target / min(h, w)
        if self.max_size is not None:
            r = min(r, self.max_size / max(h, w))
        return dict(size=[int(h * r), int(w * r)])


class RandomResize(_RandomSizeResize):
    """Resize the shorter edge to a size drawn uniformly from [min_size, max_size)."""

    def __init__(self, min_size: int, max_size: int, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size, self.max_size = min_size, max_size

    def _get_params(self, flat_inputs):
        return dict(size=[randint(self.min_size, self.max_size)])


class ScaleJitter(_RandomSizeResize):
    """Scale jitter (Ghiasi et al., 2021): fit into ``target_size`` (h, w), then scale by a
    factor drawn from ``scale_range``."""

    def __init__(self, target_size, scale_range=(0.1, 2.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__(interpolation, antialias)
        self.target_size, self.scale_range = tuple(target_size), tuple(scale_range)

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        scale = uniform(self.scale_range[0], self.scale_range[1])
        r = min(self.target_size[1] / w, self.target_size[0] / h) * scale
        return dict(size=[int(h * r), int(w * r)])


def _box_iou(a, b):
    """IoU matrix of XYXY boxes a (N, 4) and b (M, 4)."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = ember.maximum(a[:, None, :2], b[None, :, :2])
    rb = ember.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)


class RandomIoUCrop(Transform):
    """SSD's random crop: a crop (scale and aspect ratio drawn) that contains the centre of
    at least one box and overlaps some box with IoU at least a drawn threshold. Boxes whose
    centre falls outside the crop are zeroed: follow with ``SanitizeBoundingBoxes``.

    Args:
        min_scale, max_scale (float): crop side range, as fractions of the image sides.
        min_aspect_ratio, max_aspect_ratio (float): crop aspect ratio range.
        sampler_options (list of float): IoU thresholds to draw from; >= 1 means "no crop".
        trials (int): attempts per drawn threshold.
    """

    def __init__(self, min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, max_aspect_ratio=2.0,
                 sampler_options=None, trials=40):
        super().__init__()
        self.min_scale, self.max_scale = min_scale, max_scale
        self.min_aspect_ratio, self.max_aspect_ratio = min_aspect_ratio, max_aspect_ratio
        self.options = ([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0] if sampler_options is None
                        else list(sampler_options))
        self.trials = trials

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        boxes = [x for x in flat_inputs if isinstance(x, tv.BoundingBoxes)]
        if len(boxes) != 1:
            raise TypeError(f"RandomIoUCrop needs exactly one BoundingBoxes in the sample, "
                            f"found {len(boxes)}")
        xyxy = F.convert_bounding_box_format(boxes[0], new_format="XYXY").as_subclass(
            ember.Tensor).to(ember.float64)
        while True:
            threshold = self.options[randint(len(self.options))]
            if threshold >= 1.0:  # the "leave the sample as is" option
                return {}
            for _ in range(self.trials):
                params = self._try_crop(xyxy, h, w, threshold)
                if params is not None:
                    return params

    def _try_crop(self, xyxy, h, w, threshold):
        new_w = int(w * uniform(self.min_scale, self.max_scale))
        new_h = int(h * uniform(self.min_scale, self.max_scale))
        if new_h == 0 or not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
            return None
        left, top = int((w - new_w) * uniform(0, 1)), int((h - new_h) * uniform(0, 1))
        right, bottom = left + new_w, top + new_h
        if left == right or top == bottom:
            return None
        cx, cy = 0.5 * (xyxy[:, 0] + xyxy[:, 2]), 0.5 * (xyxy[:, 1] + xyxy[:, 3])
        inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
        if not bool(inside.any()):
            return None
        crop = ember.tensor([[left, top, right, bottom]], dtype=ember.float64,
                            device=xyxy.device)
        if float(_box_iou(xyxy[inside], crop).max().item()) < threshold:
            return None
        return dict(top=top, left=left, height=new_h, width=new_w, inside=inside)

    def _transform(self, inpt, params):
        if not params:
            return inpt
        out = F.crop(inpt, params["top"], params["left"], params["height"], params["width"])
        if isinstance(out, tv.BoundingBoxes):
            keep = params["inside"].to(out.dtype).unsqueeze(-1)
            out = tv.wrap(out.as_subclass(ember.Tensor) * keep, like=out)  # degenerate: dropped
        return out


class ElasticTransform(Transform):
    """Elastic deformation by a smooth random field (see v1); masks follow with nearest
    interpolation, boxes by the field's approximate inverse."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        v1 = V1.ElasticTransform(alpha, sigma, interpolation, fill)
        self.alpha, self.sigma = v1.alpha, v1.sigma
        self.interpolation, self.fill = interpolation, fill

    def _get_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        return dict(displacement=V1.ElasticTransform.get_params(self.alpha, self.sigma, [h, w]))

    def _transform(self, inpt, params):
        displacement = params["displacement"]
        if isinstance(inpt, ember.Tensor):
            displacement = displacement.to(inpt.device)
        return F.elastic(inpt, displacement, self.interpolation, _fill_for(inpt, self.fill))
