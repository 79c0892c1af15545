"""In-place ops (``add_``, ``copy_``, ``x[i] = v``): write into the tensor, bump its version, and
move its place in the graph — like PyTorch, including writes through a view of a tracked base.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.grad_mode import state
from ..autograd.graph import Node
from ._dispatch import kernel


def check_inplace_allowed(self: Tensor) -> None:
    if not state.grad_enabled:
        return
    if self._rg and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = self._base
    if base is not None and base._rg and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def apply_inplace(op, self: Tensor, *args, **kwargs) -> Tensor:
    """Run ``op(self, *args)`` out of place, then write the result into ``self``."""
    check_inplace_allowed(self)
    tracked = state.grad_enabled and (self._rg or _any_rg(args) or _base_rg(self))
    # the op's backward may need the old value of self: give it a copy that stays unchanged
    src = self.clone() if tracked and self._rg else self
    result = op(src, *args, **kwargs)
    return assign(self, result, tracked)


def assign(self: Tensor, result: Tensor, tracked: bool | None = None) -> Tensor:
    """Write ``result`` (broadcast and cast to self's dtype) into ``self``'s memory."""
    from .._dtype import can_cast

    if tracked is None:
        check_inplace_allowed(self)
        tracked = state.grad_enabled and (self._rg or result._rg or _base_rg(self))
    if result.dtype is not self.dtype:
        if not can_cast(result.dtype, self.dtype):
            raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the "
                               f"desired output type {_type_name(self.dtype)}")
        result = result.to(self.dtype)
    if result._device != self._device:
        result = result.to(self._device)
    if tracked and result.shape != self.shape:
        result = result.expand(self.shape)  # its backward sums the gradient back to result's shape
    kernel(self._be, "copy_")(self._data, result._data)
    self._bump_version()
    if tracked:  # also when result is a constant (fill_): self's old history no longer applies
        _rebase(self, result)
    return self


def _rebase(self: Tensor, result: Tensor) -> None:
    """After ``self`` was overwritten with ``result``: self's gradient flows into result's graph."""
    base = self._base
    if base is None:
        self.grad_fn, self._out_nr, self._rg = _identity_node(result), 0, True
        return
    # self is a view: the base changed too (PyTorch's CopySlices). The base's new gradient is
    # the old one outside the view's region, and the view's gradient inside it.
    if not base.is_contiguous():
        raise NotImplementedError("in-place write with autograd through a view of a "
                                  "non-contiguous base tensor")
    geometry = (tuple(self.shape), self.stride(), self.storage_offset() - base.storage_offset())
    node = Node(_copy_slices_backward, "CopySlices", (base, result), ctx=(geometry, base))
    base.grad_fn, base._out_nr, base._rg = node, 0, True
    from .shape import _view_of_base

    _view_of_base(self, base, geometry)


def _identity_node(result: Tensor):
    node = Node(lambda n, g: (g,), result.grad_fn.name() if result.grad_fn else "CopyBackwards",
                (result,))
    return node


def _copy_slices_backward(node, grad):
    (shape, strides, offset), base = node.ctx
    from .creation import zeros

    with_graph = state.grad_enabled
    mask = zeros(grad.shape, dtype=grad.dtype, device=grad.device)
    prev = state.grad_enabled
    state.grad_enabled = False
    try:
        mask.as_strided(shape, strides, offset).fill_(1)
    finally:
        state.grad_enabled = prev
    g = grad.contiguous()
    grad_base = g * (1 - mask) if with_graph else g - g * mask
    return grad_base, g.as_strided(shape, strides, offset)


def _any_rg(args) -> bool:
    for a in args:
        if isinstance(a, Tensor) and a._rg:
            return True
    return False


def _base_rg(t: Tensor) -> bool:
    return t._base is not None and t._base._rg


def _type_name(dt) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
            "bfloat16": "BFloat16", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}[dt.name]


def inplace_variant(op, name: str):
    """``add_`` from ``add``: the in-place method form of an out-of-place op."""

    def method(self, *args, **kwargs):
        return apply_inplace(op, self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of :func:`{op.__name__}`."
    return method


def write_out(out: Tensor, result: Tensor) -> Tensor:
    """``op(..., out=out)``: write ``result`` into ``out``, resizing an empty ``out`` first."""
    if out.shape != result.shape:
        if out.numel() != 0:
            raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the "
                               f"broadcast shape {list(result.shape)}")
        out._data = kernel(out._be, "full")(tuple(result.shape), 0, out._data.dtype,
                                            out._device.index)
    return assign(out, result)
