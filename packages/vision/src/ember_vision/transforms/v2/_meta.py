"""v2 transforms of bounding-box metadata: format conversion, clamping, sanitising."""

from __future__ import annotations

import ember

from ... import tv_tensors as tv
from . import functional as F
from ._transform import Transform, tree_flatten, tree_unflatten

__all__ = ["ConvertBoundingBoxFormat", "ClampBoundingBoxes", "SanitizeBoundingBoxes"]


class ConvertBoundingBoxFormat(Transform):
    """Convert every ``BoundingBoxes`` of the sample to ``format`` (XYXY, XYWH, CXCYWH)."""

    _transformed_types = (tv.BoundingBoxes,)

    def __init__(self, format):
        super().__init__()
        self.format = tv._bounding_boxes._parse_format(format)

    def _transform(self, inpt, params):
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    """Clip every ``BoundingBoxes`` of the sample to its canvas."""

    _transformed_types = (tv.BoundingBoxes,)

    def _transform(self, inpt, params):
        return F.clamp_bounding_boxes(inpt)


def _find_labels(sample):
    """The default labels getter: the 2nd element of a tuple sample, or the value of a
    "labels" (or "label") key of a dict sample (case-insensitive), searched one level deep."""
    if isinstance(sample, tuple) and len(sample) >= 2:
        return sample[1]
    dicts = [sample] if isinstance(sample, dict) else [
        x for x in (sample if isinstance(sample, (list, tuple)) else []) if isinstance(x, dict)]
    for d in dicts:
        for key in d:
            if isinstance(key, str) and key.lower() in ("labels", "label"):
                return d[key]
    raise ValueError("Could not infer where the labels are in the sample. Try passing a "
                     "callable as the labels_getter parameter?")


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (width or height below ``min_size``, area below ``min_area``, or
    non-finite), together with their labels and per-box masks.

    Args:
        min_size (float): smallest width and height kept. Default 1.
        min_area (float): smallest area kept. Default 1.
        labels_getter (callable, "default" or None): finds the labels in the sample; "default"
            takes the 2nd element of a tuple or the "labels" key of a dict.
    """

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0, labels_getter="default"):
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_size, self.min_area = min_size, min_area
        self.labels_getter = labels_getter

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels(sample)
        flat, spec = tree_flatten(sample)
        boxes = [x for x in flat if isinstance(x, tv.BoundingBoxes)]
        if len(boxes) != 1:
            raise ValueError(f"SanitizeBoundingBoxes needs exactly one BoundingBoxes in the "
                             f"sample, found {len(boxes)}")
        valid = self._valid(boxes[0])
        return tree_unflatten([self._keep(x, valid, labels) for x in flat], spec)

    def _labels(self, sample) -> list:
        """The label tensors (a getter may return one tensor, a tuple or a dict of them)."""
        if self.labels_getter is None:
            return []
        getter = _find_labels if self.labels_getter == "default" else self.labels_getter
        labels = getter(sample)
        if isinstance(labels, dict):
            return list(labels.values())
        return list(labels) if isinstance(labels, (tuple, list)) else [labels]

    @staticmethod
    def _keep(x, valid, labels):
        """``x`` indexed by ``valid`` if it is per-box (boxes, masks, labels), else ``x``."""
        per_box = isinstance(x, (tv.BoundingBoxes, tv.Mask)) or any(x is lab for lab in labels)
        if not (per_box and isinstance(x, ember.Tensor)):
            return x
        out = x[valid]
        return tv.wrap(out, like=x) if isinstance(x, tv.TVTensor) else out

    def _valid(self, boxes):
        xyxy = F.convert_bounding_box_format(boxes, new_format="XYXY").as_subclass(ember.Tensor)
        w, h = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
        valid = (w >= self.min_size) & (h >= self.min_size) & (w * h >= self.min_area)
        return valid & ember.isfinite(xyxy.to(ember.float64)).all(dim=-1)

