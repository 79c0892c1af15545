"""The v2 ``Transform`` base: takes any structure of inputs (an image, a tuple, a dict of
image, boxes, masks, labels...), draws its random parameters once from the whole sample, and
transforms every input it knows how to with those same parameters."""

from __future__ import annotations

from PIL import Image as _PILImage

import ember
from ember import nn

from ... import tv_tensors as tv
from .._random import coin


def tree_flatten(obj):
    """Leaves of nested lists, tuples and dicts, and a spec to rebuild the structure."""
    if isinstance(obj, (list, tuple)):
        leaves, specs = [], []
        for item in obj:
            sub_leaves, sub_spec = tree_flatten(item)
            leaves += sub_leaves
            specs.append((len(sub_leaves), sub_spec))
        return leaves, (type(obj), specs)
    if isinstance(obj, dict):
        leaves, spec = tree_flatten(list(obj.values()))
        return leaves, (dict, (list(obj.keys()), spec))
    return [obj], None


def tree_unflatten(leaves, spec):
    if spec is None:
        return leaves[0]
    kind, specs = spec
    if kind is dict:
        keys, sub = specs
        return dict(zip(keys, tree_unflatten(leaves, sub)))
    out, i = [], 0
    for n, sub_spec in specs:
        out.append(tree_unflatten(leaves[i:i + n], sub_spec))
        i += n
    return kind(out) if kind is list or kind is tuple else kind(*out)


def is_pure_tensor(x) -> bool:
    return isinstance(x, ember.Tensor) and not isinstance(x, tv.TVTensor)


def _is_image_like(x) -> bool:
    return isinstance(x, (tv.Image, tv.Video, _PILImage.Image))


def query_size(flat_inputs) -> tuple[int, int]:
    """The (H, W) shared by every image, video, mask and box canvas of the sample."""
    from . import functional as F

    sizes = {tuple(F.get_size(x)) for x in flat_inputs
             if isinstance(x, (tv.TVTensor, _PILImage.Image)) or is_pure_tensor(x)}
    if not sizes:
        raise TypeError("No image, video, mask or bounding box was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: "
                         f"{sorted(sizes)}")
    return sizes.pop()


def query_chw(flat_inputs) -> tuple[int, int, int]:
    """(C, H, W) of the sample's images (they must agree)."""
    from . import functional as F

    chws = {tuple(F.get_dimensions(x)) for x in flat_inputs
            if _is_image_like(x) or is_pure_tensor(x)}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {sorted(chws)}")
    return chws.pop()


class Transform(nn.Module):
    """Base of the v2 transforms.

    Subclasses define ``_get_params(flat_inputs) -> dict`` (drawn once per call) and
    ``_transform(inpt, params)`` (applied to each input). Which inputs are transformed: every
    TVTensor and PIL image; a plain tensor only if the sample has no ``Image``/``Video``/PIL
    image, and then only the first one (the others, e.g. labels, pass through); anything
    else (ints, strings) passes through.
    """

    _transformed_types: tuple = (ember.Tensor, _PILImage.Image)

    def _get_params(self, flat_inputs) -> dict:
        return {}

    def _transform(self, inpt, params: dict):
        raise NotImplementedError(f"{type(self).__name__} must implement _transform")

    def _needs_transform_list(self, flat_inputs) -> list[bool]:
        transform_pure = not any(_is_image_like(x) for x in flat_inputs)
        needs = []
        for x in flat_inputs:
            need = isinstance(x, self._transformed_types)
            if need and is_pure_tensor(x):
                need, transform_pure = transform_pure, False
            needs.append(need)
        return needs

    def forward(self, *inputs):
        flat, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        needs = self._needs_transform_list(flat)
        params = self._get_params([x for x, n in zip(flat, needs) if n])
        out = [self._transform(x, params) if n else x for x, n in zip(flat, needs)]
        return tree_unflatten(out, spec)

    def extra_repr(self) -> str:
        fields = [f"{k}={v}" for k, v in vars(self).items()
                  if not k.startswith("_") and k != "training"]
        return ", ".join(fields)


class _RandomApplyTransform(Transform):
    """A transform applied to the whole sample with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        if not coin(self.p):
            return inputs if len(inputs) > 1 else inputs[0]
        return super().forward(*inputs)
