"""Indexing: ``x[key]`` and ``x[key] = v`` with PyTorch's (= NumPy's) rules, and ``index_put``.

Basic keys (ints, slices, None, ...) give views; keys with integer or boolean tensors (or lists)
give copies ("advanced indexing"). Both differentiate through ``index_put``.
"""

from __future__ import annotations

from .._tensor import Tensor, tensor_method, wrap
from ..autograd.grad_mode import state
from ._dispatch import kernel, record
from .shape import make_view


def _normalize_key(x: Tensor, key):
    """(key as a tuple for the backend, whether it is advanced)."""
    if not isinstance(key, tuple):
        key = (key,)
    out, advanced = [], False
    for k in key:
        if isinstance(k, slice):
            if k.step is not None and _int(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(*(None if v is None else _int(v) for v in (k.start, k.stop, k.step))))
        elif k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, bool):
            from .creation import tensor

            out.append(tensor(k, device=x.device)._data)
            advanced = True
        elif isinstance(k, Tensor):
            if k.dtype.is_floating_point or k.dtype.is_complex:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if k._device != x._device:
                k = k.to(x._device)
            if k.dtype.name == "uint8":
                k = k.to(__import__("ember").bool)
            out.append(k._data)
            advanced = True
        elif isinstance(k, (list, range)) or hasattr(k, "__array__"):
            from .creation import tensor

            t = tensor(k, device=x.device)
            if t.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            out.append(t._data)
            advanced = True
        else:
            try:
                out.append(k.__index__())
            except AttributeError:
                raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long "
                                 f"or byte Variables are valid indices (got "
                                 f"{type(k).__name__})") from None
    return tuple(out), advanced


def _int(v):
    return v.__index__() if not isinstance(v, int) else v


def _getitem_backward(node, g):
    from .creation import zeros

    shape, dtype, key = node.ctx
    return (zeros(shape, dtype=dtype, device=g.device)._index_put_raw(key, g, True),)


def getitem(self: Tensor, key) -> Tensor:
    k, advanced = _normalize_key(self, key)
    if not advanced:
        data = kernel(self._be, "slice")(self._data, k)
        return make_view(self, data, _getitem_backward, (tuple(self.shape), self.dtype, k),
                         "SliceBackward0")
    out = wrap(kernel(self._be, "index")(self._data, k), self)
    if self._rg and state.grad_enabled:
        record(out, _getitem_backward, "IndexBackward0", (self,), (),
               (tuple(self.shape), self.dtype, k))
    return out


def setitem(self: Tensor, key, value) -> None:
    from .inplace import apply_inplace

    k, advanced = _normalize_key(self, key)
    if not advanced:
        target = getitem(self, key)
        target.copy_(value) if isinstance(value, Tensor) else target.fill_(value)
        return
    apply_inplace(_index_put, self, k, value, False)


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


def _index_put_backward(node, g):
    from .elementwise import sum_to

    k, accumulate, value_shape = node.ctx
    e_self, e_values = node.next_functions
    g_self = None if e_self is None else g if accumulate else g._index_put_raw(k, 0, False)
    g_values = None if e_values is None else sum_to(g._index_get_raw(k), value_shape)
    return g_self, g_values


def _index_put(self: Tensor, k, values, accumulate: bool) -> Tensor:
    """Out of place: a copy of ``self`` with ``self[k]`` set to (or increased by) ``values``."""
    from .creation import tensor

    if not isinstance(values, Tensor):
        values = tensor(values, dtype=self.dtype, device=self.device)
    elif values.dtype is not self.dtype:
        values = values.to(self.dtype)
    out = wrap(kernel(self._be, "contiguous")(self._data), self)
    kernel(self._be, "index_put")(out._data, k, values._data, accumulate)
    if state.grad_enabled and (self._rg or values._rg):
        record(out, _index_put_backward, "IndexPutBackward0", (self, values), (),
               (k, accumulate, tuple(values.shape)))
    return out


@tensor_method
def _index_put_raw(self, k, values, accumulate):
    """index_put with an already-normalized key (used by backward functions)."""
    return _index_put(self, k, values, accumulate)


@tensor_method
def _index_get_raw(self, k):
    out = wrap(kernel(self._be, "index")(self._data, k), self)
    if self._rg and state.grad_enabled:
        record(out, _getitem_backward, "IndexBackward0", (self,), (),
               (tuple(self.shape), self.dtype, k))
    return out


@tensor_method
def index_put(self, indices, values, accumulate=False) -> Tensor:
    """``self`` with ``self[indices] = values`` (or ``+=`` with ``accumulate``), out of place."""
    k, _ = _normalize_key(self, tuple(indices))
    return _index_put(self, k, values, accumulate)


@tensor_method
def index_put_(self, indices, values, accumulate=False) -> Tensor:
    from .inplace import apply_inplace

    k, _ = _normalize_key(self, tuple(indices))
    return apply_inplace(_index_put, self, k, values, accumulate)


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
