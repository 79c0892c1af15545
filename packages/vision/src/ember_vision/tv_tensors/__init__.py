"""``tv_tensors``: tensor subclasses that tell the v2 transforms what they hold (``Image``,
``Video``, ``Mask``, ``BoundingBoxes``), so that an image and its boxes and masks are
transformed together."""

from ._bounding_boxes import BoundingBoxes, BoundingBoxFormat
from ._image import Image, Mask, Video
from ._tv_tensor import TVTensor

__all__ = ["TVTensor", "Image", "Video", "Mask", "BoundingBoxes", "BoundingBoxFormat", "wrap"]


def wrap(wrappee, *, like, **kwargs):
    """Wrap the plain tensor ``wrappee`` into the TVTensor class of ``like``, copying its
    metadata (``format``, ``canvas_size`` for boxes) unless given in ``kwargs``.

    Examples::

        >>> out = tv_tensors.wrap(boxes + 1, like=boxes)  # BoundingBoxes again
    """
    if isinstance(like, BoundingBoxes):
        return BoundingBoxes._wrap(wrappee, format=kwargs.get("format", like.format),
                                   canvas_size=kwargs.get("canvas_size", like.canvas_size))
    return type(like)._wrap(wrappee)
