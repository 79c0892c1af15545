"""``TVTensor``: the base of the tensor subclasses that tell v2 transforms what a tensor holds."""

from __future__ import annotations

import numpy as np

import ember


def _as_tensor(data, dtype=None, device=None, requires_grad=None):
    """``data`` (tensor, array, PIL image or nested lists) as an ember tensor."""
    if isinstance(data, ember.Tensor):
        t = data
        if dtype is not None or device is not None:
            t = t.to(device=device if device is not None else t.device,
                     dtype=dtype if dtype is not None else t.dtype)
    else:
        t = ember.as_tensor(np.asarray(data) if not isinstance(data, (list, tuple)) else data,
                            dtype=dtype, device=device)
    if requires_grad is not None:
        t = t.detach().requires_grad_(requires_grad) if t.requires_grad != requires_grad else t
    return t


class TVTensor(ember.Tensor):
    """Base class of ``Image``, ``Video``, ``Mask`` and ``BoundingBoxes``.

    A TVTensor is an ember tensor (it shares the data it wraps). Operations on it return plain
    tensors, as in torchvision: re-wrap results with ``tv_tensors.wrap(result, like=x)``.
    """

    @classmethod
    def _wrap(cls, tensor, **kwargs):
        out = tensor.as_subclass(cls)
        for name, value in kwargs.items():
            setattr(out, name, value)
        return out

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        return cls._wrap(_as_tensor(data, dtype, device, requires_grad))

    def __repr__(self) -> str:
        body = super().__repr__()
        if body.startswith("tensor("):
            body = body[len("tensor("):-1]
        return f"{type(self).__name__}({body})"

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), self.as_subclass(ember.Tensor), self._extra_state()))

    def _extra_state(self) -> dict:
        return {}


def _rebuild(cls, tensor, extra):
    return cls._wrap(tensor, **extra)
