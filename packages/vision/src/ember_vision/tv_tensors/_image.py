"""``Image``, ``Video`` and ``Mask``: image-like tensors (..., C, H, W) / (..., H, W)."""

from __future__ import annotations

from PIL import Image as _PILImage

from ._tv_tensor import TVTensor


class Image(TVTensor):
    """An image tensor (..., C, H, W). A PIL image is converted (uint8, CHW); a 2-D tensor
    gets a channel dimension.

    Examples::

        >>> tv_tensors.Image(ember.rand(3, 32, 32)).shape
        ember.Size([3, 32, 32])
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            from ember_vision.transforms import functional as F

            data = F.pil_to_tensor(data)
        out = super().__new__(cls, data, dtype=dtype, device=device, requires_grad=requires_grad)
        if out.ndim < 2:
            raise ValueError(f"An Image needs at least 2 dims (H, W), got shape {list(out.shape)}")
        if out.ndim == 2:
            out = out.unsqueeze(0).as_subclass(cls)
        return out


class Video(TVTensor):
    """A video tensor (..., T, C, H, W)."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        out = super().__new__(cls, data, dtype=dtype, device=device, requires_grad=requires_grad)
        if out.ndim < 4:
            raise ValueError(f"A Video needs at least 4 dims (T, C, H, W), got shape "
                             f"{list(out.shape)}")
        return out


class Mask(TVTensor):
    """A segmentation or detection mask (..., H, W): resized and warped with nearest
    interpolation, never colour-transformed."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            from ember_vision.transforms import functional as F

            data = F.pil_to_tensor(data)[0]
        return super().__new__(cls, data, dtype=dtype, device=device, requires_grad=requires_grad)
