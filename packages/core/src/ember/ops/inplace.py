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
    """Run ``op(self, *args)`` out of place, then write the result into ``self``.

    Without a graph to record, a backend kernel named ``<op>_`` (``add_``, ``addcmul_``…)
    writes into ``self`` directly instead: no temporary, no copy (optimizer steps live here).
    """
    check_inplace_allowed(self)
    tracked = state.grad_enabled and (self._rg or _any_rg(args) or _base_rg(self))
    if not tracked and _try_fast_inplace(op, self, args, kwargs):
        return self
    # the op's backward may need the old value of self: give it a copy that stays unchanged
    src = self.clone() if tracked and self._rg else self
    result = op(src, *args, **kwargs)
    return assign(self, result, tracked)


def _try_fast_inplace(op, self: Tensor, args, kwargs) -> bool:
    name = getattr(op, "op_name", None)
    fast = self._be.kernels.get(name + "_") if name else None
    if fast is None:
        return False
    if "alpha" in kwargs and name in ("add", "sub"):  # add_(other, alpha=a): other * a first
        kwargs = dict(kwargs)
        alpha = kwargs.pop("alpha")
        if alpha != 1:
            args = (args[0] * alpha,) + args[1:]
    arrays = []
    for a in args:
        if isinstance(a, Tensor):
            if a._device != self._device:
                return False
            arrays.append(a._data)
        else:
            arrays.append(a)
    try:
        fast(self._data, *arrays, **kwargs)
    except (TypeError, ValueError):  # NumPy refused (dtype/broadcast): let the generic path
        return False  # raise PyTorch's error
    self._bump_version()
    return True


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
    node = Node(_copy_slices_backward, "CopySlices", (base, result),
                ctx=(_positions_in_base(self, base), tuple(base.shape)))
    base.grad_fn, base._out_nr, base._rg = node, 0, True
    from .shape import refresh_view

    refresh_view(self)  # the view itself now reads from the base's new graph


def _positions_in_base(view: Tensor, base: Tensor) -> Tensor:
    """For each element of ``view``, its index in ``base`` flattened (any strides, any offset)."""
    from .._dtype import int64
    from ..autograd.grad_mode import no_grad
    from .creation import arange, full
    from .shape import _strided_indices

    with no_grad():
        base_at = _strided_indices(tuple(base.shape), base.stride(), base.storage_offset(),
                                   base.device).reshape(-1)  # storage position of each element
        view_at = _strided_indices(tuple(view.shape), view.stride(), view.storage_offset(),
                                   base.device)
        size = int(base_at.max()) + 1 if base_at.numel() else 1
        lookup = full((size,), -1, dtype=int64, device=base.device)
        lookup[base_at] = arange(base.numel(), device=base.device)
        return lookup[view_at]


def _identity_node(result: Tensor):
    return Node(lambda n, g: (g,), result.grad_fn.name() if result.grad_fn else "CopyBackwards",
                (result,))


def _copy_slices_backward(node, grad):
    positions, base_shape = node.ctx
    flat = grad.reshape(-1)
    grad_base = flat.index_put((positions.reshape(-1),), 0.0).reshape(base_shape)
    return grad_base, flat[positions]


def _any_rg(args) -> bool:
    for a in args:
        if isinstance(a, Tensor) and a._rg:
            return True
    return False


def _base_rg(t: Tensor) -> bool:
    return t._base is not None and t._base._rg


def _type_name(dt) -> str:
    from .._dtype import LEGACY_NAMES

    return LEGACY_NAMES[dt.name]


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
