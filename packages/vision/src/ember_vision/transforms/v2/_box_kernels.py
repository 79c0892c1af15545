"""Geometry of bounding boxes (N, 4): the box side of every v2 geometric transform.

Boxes are converted to XYXY, transformed with ember ops, and converted back to their format.
Each kernel takes and returns plain tensors plus the canvas size (H, W).
"""

from __future__ import annotations

import ember

from ...tv_tensors import BoundingBoxFormat
from .. import _functional_tensor as F_t
from .. import functional as F1

XYXY, XYWH, CXCYWH = BoundingBoxFormat.XYXY, BoundingBoxFormat.XYWH, BoundingBoxFormat.CXCYWH


def _split(boxes):
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def convert_format(boxes, old_format: BoundingBoxFormat, new_format: BoundingBoxFormat):
    """Convert between XYXY, XYWH and CXCYWH. Integer boxes stay integer (centres floored)."""
    if old_format == new_format:
        return boxes.clone()
    dtype = boxes.dtype
    b = boxes if dtype.is_floating_point else boxes.to(ember.float64)
    a, c, d, e = _split(b)
    if old_format == XYWH:
        xyxy = ember.stack([a, c, a + d, c + e], dim=-1)
    elif old_format == CXCYWH:
        xyxy = ember.stack([a - d / 2, c - e / 2, a + d / 2, c + e / 2], dim=-1)
    else:
        xyxy = b
    x1, y1, x2, y2 = _split(xyxy)
    if new_format == XYWH:
        out = ember.stack([x1, y1, x2 - x1, y2 - y1], dim=-1)
    elif new_format == CXCYWH:
        out = ember.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)
    else:
        out = xyxy
    return out if dtype.is_floating_point else ember.floor(out).to(dtype)


def _clip(xyxy, canvas_size):
    """XYXY boxes clipped to the canvas [0, W] x [0, H]."""
    h, w = canvas_size
    x1, y1, x2, y2 = _split(xyxy)
    return ember.stack([x1.clamp(0, w), y1.clamp(0, h), x2.clamp(0, w), y2.clamp(0, h)], dim=-1)


def clamp(boxes, fmt: BoundingBoxFormat, canvas_size):
    """Clip boxes of any format to the canvas."""
    xyxy = convert_format(boxes, fmt, XYXY)
    return convert_format(_clip(xyxy, canvas_size).to(boxes.dtype), XYXY, fmt)


def _in_xyxy(fn):
    """Run ``fn(xyxy, ...) -> (xyxy, canvas)`` on boxes of any format."""
    def kernel(boxes, fmt, *args, **kwargs):
        out, canvas = fn(convert_format(boxes, fmt, XYXY), *args, **kwargs)
        return convert_format(out.to(boxes.dtype), XYXY, fmt), canvas
    return kernel


@_in_xyxy
def horizontal_flip(xyxy, canvas_size):
    x1, y1, x2, y2 = _split(xyxy)
    w = canvas_size[1]
    return ember.stack([w - x2, y1, w - x1, y2], dim=-1), canvas_size


@_in_xyxy
def vertical_flip(xyxy, canvas_size):
    x1, y1, x2, y2 = _split(xyxy)
    h = canvas_size[0]
    return ember.stack([x1, h - y2, x2, h - y1], dim=-1), canvas_size


@_in_xyxy
def resize(xyxy, canvas_size, new_size):
    """Scale x by new_w / w and y by new_h / h."""
    (h, w), (nh, nw) = canvas_size, new_size
    scale = ember.tensor([nw / w, nh / h, nw / w, nh / h], dtype=ember.float64,
                         device=xyxy.device)
    return xyxy.to(ember.float64) * scale, tuple(new_size)


@_in_xyxy
def crop(xyxy, canvas_size, top: int, left: int, height: int, width: int):
    """Shift into the crop's frame and clip to it."""
    shift = ember.tensor([left, top, left, top], dtype=xyxy.dtype, device=xyxy.device)
    return _clip(xyxy - shift, (height, width)), (height, width)


@_in_xyxy
def pad(xyxy, canvas_size, padding):
    """Shift by the left/top padding; the canvas grows by all four."""
    left, right, top, bottom = _ltrb_padding(padding)
    out = xyxy + ember.tensor([left, top, left, top], dtype=xyxy.dtype, device=xyxy.device)
    return out, (canvas_size[0] + top + bottom, canvas_size[1] + left + right)


def _ltrb_padding(padding):
    """torchvision's padding forms as (left, right, top, bottom)."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[0], padding[1], padding[1]
    return padding[0], padding[2], padding[1], padding[3]


def _enclosing_boxes(xyxy, transform_points):
    """Map each box's four corners with ``transform_points`` ((M, 2) -> (M, 2)) and take the
    enclosing axis-aligned box."""
    x1, y1, x2, y2 = _split(xyxy.to(ember.float64))
    corners = ember.stack([ember.stack([x1, y1], -1), ember.stack([x2, y1], -1),
                           ember.stack([x2, y2], -1), ember.stack([x1, y2], -1)], dim=-2)
    moved = transform_points(corners.reshape(-1, 2)).reshape(-1, 4, 2)
    return ember.cat([moved.amin(dim=1), moved.amax(dim=1)], dim=-1)


@_in_xyxy
def affine(xyxy, canvas_size, angle, translate, scale, shear, center=None, expand=False):
    """Forward affine map of the corners about ``center`` (default the canvas centre); with
    ``expand`` the canvas grows to hold the whole image, as ``rotate(expand=True)`` does.

    Like the image path, coordinates are taken relative to the canvas centre and the result
    re-centred on the output canvas, so boxes land exactly where their pixels go."""
    h, w = canvas_size
    center_f = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    m = F1._get_inverse_affine_matrix(center_f, angle, translate, scale, shear, inverted=False)
    if expand:
        inverse = F1._get_inverse_affine_matrix(center_f, angle, translate, scale, shear)
        ow, oh = F_t._affine_output_size(inverse, w, h)
    else:
        ow, oh = w, h
    opts = dict(dtype=ember.float64, device=xyxy.device)
    mat = ember.tensor([[m[0], m[3]], [m[1], m[4]]], **opts)
    shift_in = ember.tensor([w * 0.5, h * 0.5], **opts)
    shift_out = ember.tensor([m[2] + ow * 0.5, m[5] + oh * 0.5], **opts)

    def move(points):
        return (points - shift_in).matmul(mat) + shift_out
    return _clip(_enclosing_boxes(xyxy, move), (oh, ow)), (oh, ow)


@_in_xyxy
def perspective(xyxy, canvas_size, startpoints, endpoints):
    """The homography taking ``startpoints`` to ``endpoints``, applied to the corners."""
    a, b, c, d, e, f, g, h = F1._get_perspective_coeffs(endpoints, startpoints)

    def move(points):
        x, y = points[:, 0], points[:, 1]
        den = g * x + h * y + 1.0
        return ember.stack([(a * x + b * y + c) / den, (d * x + e * y + f) / den], dim=-1)
    return _clip(_enclosing_boxes(xyxy, move), canvas_size), canvas_size


@_in_xyxy
def elastic(xyxy, canvas_size, displacement):
    """Move the corners by the inverse of the elastic field, approximated as torchvision does
    by the identity grid minus ``displacement`` (1, H, W, 2), read at the corner pixels."""
    h, w = canvas_size
    opts = dict(dtype=displacement.dtype, device=displacement.device)
    xs = ember.linspace((-w + 1) / w, (w - 1) / w, steps=w, **opts)
    ys = ember.linspace((-h + 1) / h, (h - 1) / h, steps=h, **opts)
    identity = ember.stack([xs.view(1, w).expand(h, w), ys.view(h, 1).expand(h, w)], dim=-1)
    inverse = (identity - displacement[0]).reshape(h * w, 2)
    x1, y1, x2, y2 = _split(xyxy)
    corners = ember.stack([ember.stack([x1, y1], -1), ember.stack([x2, y1], -1),
                           ember.stack([x2, y2], -1), ember.stack([x1, y2], -1)], dim=-2)
    pixels = ember.ceil(corners.reshape(-1, 2)).to(ember.int64)
    ix, iy = pixels[:, 0].clamp(0, w - 1), pixels[:, 1].clamp(0, h - 1)
    size = ember.tensor([w, h], **opts)
    moved = (inverse.index_select(0, iy * w + ix) + 1) * 0.5 * size - 0.5
    moved = moved.reshape(-1, 4, 2).to(ember.float64)
    out = ember.cat([moved.amin(dim=1), moved.amax(dim=1)], dim=-1)
    return _clip(out, canvas_size), canvas_size
