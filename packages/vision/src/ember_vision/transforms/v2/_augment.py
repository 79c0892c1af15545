"""v2 augmentations that mix or erase: RandomErasing, MixUp, CutMix."""

from __future__ import annotations

import math

import ember

from ... import tv_tensors as tv
from .. import transforms as V1
from .._random import beta, randint
from . import functional as F
from ._meta import _find_labels
from ._transform import (
    Transform,
    _RandomApplyTransform,
    is_pure_tensor,
    query_chw,
    query_size,
    tree_flatten,
    tree_unflatten,
)

__all__ = ["RandomErasing", "MixUp", "CutMix"]


class RandomErasing(_RandomApplyTransform):
    """With probability ``p``, erase a random rectangle of the images (see v1); boxes and
    masks pass through."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        super().__init__(p)
        V1.RandomErasing(p, scale, ratio, value, inplace)  # the same argument checks as v1
        self.scale, self.ratio, self.value, self.inplace = scale, ratio, value, inplace

    def _get_params(self, flat_inputs):
        c, h, w = query_chw(flat_inputs)
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, c):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{c} (number of input channels)")
        i, j, eh, ew, v = V1.RandomErasing.get_params(ember.empty(c, h, w), self.scale,
                                                      self.ratio, value)
        if eh == h and ew == w:  # no box fitted: leave the images unchanged
            return dict(box=None)
        return dict(box=(i, j, eh, ew), value=v)

    def _transform(self, inpt, params):
        if params["box"] is None or isinstance(inpt, (tv.BoundingBoxes, tv.Mask)):
            return inpt
        i, j, h, w = params["box"]
        value = (params["value"].to(device=inpt.device, dtype=inpt.dtype)
                 if isinstance(inpt, ember.Tensor) else None)
        return F.erase(inpt, i, j, h, w, value, self.inplace)


class _BaseMixUpCutMix(Transform):
    """Batch mixing: the images (N, C, H, W) and their labels (N,) of a batch are mixed with
    the batch rolled by one; labels become one-hot float rows mixed the same way."""

    def __init__(self, *, alpha: float = 1.0, num_classes=None, labels_getter="default"):
        super().__init__()
        if alpha <= 0:
            raise ValueError("alpha must be positive")
        if num_classes is not None and num_classes < 1:
            raise ValueError(f"num_classes must be >= 1 or None, got {num_classes}")
        self.alpha = float(alpha)
        self.num_classes = num_classes
        self._labels_getter = _find_labels if labels_getter == "default" else labels_getter

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat, spec = tree_flatten(sample)
        labels = self._labels_getter(sample)
        images = [x for x in flat if isinstance(x, (tv.Image, tv.Video)) or
                  (is_pure_tensor(x) and x is not labels)]
        if any(isinstance(x, (tv.BoundingBoxes, tv.Mask)) for x in flat):
            raise ValueError(f"{type(self).__name__}() does not support bounding boxes or "
                             f"masks")
        if not images:
            raise ValueError(f"{type(self).__name__}() needs a batch of images")
        if labels is None or not isinstance(labels, ember.Tensor):
            raise ValueError(f"The labels must be an ember Tensor, got {type(labels)}")
        batch = images[0].shape[0]
        if images[0].ndim < 4:
            raise ValueError(f"Expected a batched input with 4 dims, but got {images[0].ndim} "
                             f"dimensions.")
        if labels.shape[0] != batch:
            raise ValueError(f"The batch size of the image ({batch}) and of the labels "
                             f"({labels.shape[0]}) do not match.")
        params = self._get_params([x for x in flat if isinstance(x, ember.Tensor)])
        out = []
        for x in flat:
            if x is labels:
                out.append(self._mix_labels(x, params["lam"]))
            elif any(x is im for im in images):
                out.append(tv.wrap(self._mix_image(x, params), like=x)
                           if isinstance(x, tv.TVTensor) else self._mix_image(x, params))
            else:
                out.append(x)
        return tree_unflatten(out, spec)

    def _mix_labels(self, labels, lam: float):
        if labels.ndim == 1:
            if self.num_classes is None:
                raise ValueError("num_classes must be passed when the labels are class "
                                 "indices (not one-hot)")
            labels = ember.nn.functional.one_hot(labels.to(ember.int64),
                                                 num_classes=self.num_classes)
        labels = labels.to(ember.float32)
        return labels * lam + labels.roll(1, 0) * (1.0 - lam)


class MixUp(_BaseMixUpCutMix):
    """MixUp (Zhang et al., 2018): ``lam * x + (1 - lam) * x_rolled`` with
    lam ~ Beta(alpha, alpha), labels likewise.

    Args:
        alpha (float): Beta concentration. Default 1.
        num_classes (int, optional): for one-hot encoding class-index labels.
        labels_getter: finds the labels (default: 2nd element of a tuple, "labels" key).

    Examples::

        >>> images, labels = v2.MixUp(num_classes=10)(images, labels)  # labels (N, 10)
    """

    def _get_params(self, flat_inputs):
        return dict(lam=beta(self.alpha, self.alpha))

    def _mix_image(self, x, params):
        lam = params["lam"]
        plain = x.as_subclass(ember.Tensor) if isinstance(x, tv.TVTensor) else x
        return plain.roll(1, 0) * (1.0 - lam) + plain * lam


class CutMix(_BaseMixUpCutMix):
    """CutMix (Yun et al., 2019): paste a random box of the rolled batch into each image; the
    labels are mixed by the pasted area fraction.

    Args:
        alpha (float): Beta concentration of the area. Default 1.
        num_classes (int, optional): for one-hot encoding class-index labels.
        labels_getter: finds the labels (default: 2nd element of a tuple, "labels" key).
    """

    def _get_params(self, flat_inputs):
        lam = beta(self.alpha, self.alpha)
        h, w = query_size(flat_inputs[:1])
        r_x, r_y = randint(w), randint(h)
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * w), int(r * h)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, w), min(r_y + r_h_half, h)
        # the label weight is the area actually kept (the box may be cut by the border)
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (w * h))
        return dict(box=(x1, y1, x2, y2), lam=lam_adjusted)

    def _mix_image(self, x, params):
        x1, y1, x2, y2 = params["box"]
        plain = x.as_subclass(ember.Tensor) if isinstance(x, tv.TVTensor) else x
        out = plain.clone()
        out[..., y1:y2, x1:x2] = plain.roll(1, 0)[..., y1:y2, x1:x2]
        return out
