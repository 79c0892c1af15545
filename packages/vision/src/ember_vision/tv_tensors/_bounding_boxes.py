"""``BoundingBoxes``: (N, 4) boxes with their format and the size of the image they are on."""

from __future__ import annotations

from enum import Enum

from ._tv_tensor import TVTensor, _as_tensor


class BoundingBoxFormat(Enum):
    """XYXY: corners (x1, y1, x2, y2); XYWH: top-left corner and size; CXCYWH: centre and
    size."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


class BoundingBoxes(TVTensor):
    """Boxes (N, 4) (or (4,)) on an image of ``canvas_size`` (H, W).

    Args:
        data: the boxes.
        format (BoundingBoxFormat or str): their format.
        canvas_size (tuple): (height, width) of the image they belong to.

    Examples::

        >>> boxes = tv_tensors.BoundingBoxes([[10, 20, 50, 60]], format="XYXY",
        ...                                  canvas_size=(100, 120))
        >>> boxes.format, boxes.canvas_size
        (<BoundingBoxFormat.XYXY: 'XYXY'>, (100, 120))
    """

    format: BoundingBoxFormat
    canvas_size: tuple[int, int]

    def __new__(cls, data, *, format, canvas_size, dtype=None, device=None,
                requires_grad=None):
        tensor = _as_tensor(data, dtype, device, requires_grad)
        if tensor.ndim == 0 or tensor.shape[-1] != 4 or tensor.ndim > 2:
            raise ValueError(f"Expected a 1D or 2D tensor with last dim 4, got shape "
                             f"{list(tensor.shape)}")
        if tensor.ndim == 1:
            tensor = tensor.unsqueeze(0)
        return cls._wrap(tensor, format=_parse_format(format),
                         canvas_size=tuple(int(s) for s in canvas_size))

    def _extra_state(self) -> dict:
        return {"format": self.format, "canvas_size": self.canvas_size}

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, format={self.format}, canvas_size={self.canvas_size})"


def _parse_format(fmt) -> BoundingBoxFormat:
    if isinstance(fmt, BoundingBoxFormat):
        return fmt
    if isinstance(fmt, str) and fmt.upper() in BoundingBoxFormat.__members__:
        return BoundingBoxFormat[fmt.upper()]
    raise ValueError(f"Unknown bounding box format {fmt!r}; expected one of "
                     f"{list(BoundingBoxFormat.__members__)}")
