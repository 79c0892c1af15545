"""v2 AutoAugment, RandAugment, TrivialAugmentWide and AugMix: the v1 policies applied to the
one image (or video) of a sample. Like torchvision, they refuse samples with bounding boxes or
masks, whose geometry the policies' ops would not track."""

from __future__ import annotations

import ember

from ... import tv_tensors as tv
from .. import autoaugment as V1
from ._transform import Transform, is_pure_tensor, tree_flatten, tree_unflatten

__all__ = ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix", "AutoAugmentPolicy"]

AutoAugmentPolicy = V1.AutoAugmentPolicy


class _PolicyTransform(Transform):
    """Find the sample's single image, apply ``self._policy`` to it, keep everything else."""

    _policy_cls = None

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._policy = self._policy_cls(*args, **kwargs)

    def forward(self, *inputs):
        flat, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        needs = self._needs_transform_list(flat)
        if any(isinstance(x, (tv.BoundingBoxes, tv.Mask)) for x in flat):
            raise TypeError(f"{type(self).__name__}() does not support bounding boxes or masks")
        targets = [i for i, (x, n) in enumerate(zip(flat, needs))
                   if n and (isinstance(x, (tv.Image, tv.Video)) or is_pure_tensor(x)
                             or not isinstance(x, ember.Tensor))]
        if len(targets) != 1:
            raise TypeError(f"{type(self).__name__}() needs exactly one image or video in the "
                            f"sample, found {len(targets)}")
        i = targets[0]
        x = flat[i]
        out = self._policy(x.as_subclass(ember.Tensor) if isinstance(x, tv.TVTensor) else x)
        flat[i] = tv.wrap(out, like=x) if isinstance(x, tv.TVTensor) else out
        return tree_unflatten(flat, spec)


class AutoAugment(_PolicyTransform):
    """v2 ``AutoAugment(policy=IMAGENET, interpolation=NEAREST, fill=None)`` (see v1)."""

    _policy_cls = V1.AutoAugment


class RandAugment(_PolicyTransform):
    """v2 ``RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31, ...)`` (see v1)."""

    _policy_cls = V1.RandAugment


class TrivialAugmentWide(_PolicyTransform):
    """v2 ``TrivialAugmentWide(num_magnitude_bins=31, ...)`` (see v1)."""

    _policy_cls = V1.TrivialAugmentWide


class AugMix(_PolicyTransform):
    """v2 ``AugMix(severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, ...)`` (see v1)."""

    _policy_cls = V1.AugMix

