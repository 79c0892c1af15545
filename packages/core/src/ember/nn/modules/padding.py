"""Padding layers: Zero/Constant/Reflection/Replication/Circular ``Pad1d/2d/3d``, all through
``ember.nn.functional.pad`` (``ember.ops.joining.pad``).

``padding`` is an int (the same on every side) or a tuple ``(left, right[, top, bottom[,
front, back]])`` — the last dimension first, like ``F.pad``.
"""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.joining import pad as _pad
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]


def _ntuple(padding, n: int) -> tuple:
    if isinstance(padding, (tuple, list)):
        return tuple(padding)
    return (padding,) * n


class _PadNd(Module):
    mode = "constant"
    dims = 1  # spatial dims this layer pads

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2 * self.dims)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got "
                             f"{input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        if self.mode == "circular":
            self._check_input_dim(input)
        return _pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return _pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


def _layer(name: str, base, mode: str, dims: int, doc: str):
    cls = type(name, (base,), {"mode": mode, "dims": dims, "__doc__": doc,
                               "__module__": __name__})
    return cls


def _edge_doc(kind: str, dims: int) -> str:
    return f"Pad the last {dims} dimension(s) by {kind} of the input's edge."


ReflectionPad1d = _layer("ReflectionPad1d", _PadNd, "reflect", 1, _edge_doc("reflection", 1))
ReflectionPad2d = _layer("ReflectionPad2d", _PadNd, "reflect", 2, _edge_doc("reflection", 2))
ReflectionPad3d = _layer("ReflectionPad3d", _PadNd, "reflect", 3, _edge_doc("reflection", 3))
ReplicationPad1d = _layer("ReplicationPad1d", _PadNd, "replicate", 1,
                          _edge_doc("replication", 1))
ReplicationPad2d = _layer("ReplicationPad2d", _PadNd, "replicate", 2,
                          _edge_doc("replication", 2))
ReplicationPad3d = _layer("ReplicationPad3d", _PadNd, "replicate", 3,
                          _edge_doc("replication", 3))
CircularPad1d = _layer("CircularPad1d", _PadNd, "circular", 1, _edge_doc("wrapping around", 1))
CircularPad2d = _layer("CircularPad2d", _PadNd, "circular", 2, _edge_doc("wrapping around", 2))
CircularPad3d = _layer("CircularPad3d", _PadNd, "circular", 3, _edge_doc("wrapping around", 3))


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``."""

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dimensions with ``value``."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dimensions with ``value``."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last 2 dimensions with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last 3 dimensions with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
