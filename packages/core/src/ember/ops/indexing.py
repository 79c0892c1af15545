"""Indexing: ``x[key]`` and ``x[key] = v`` with PyTorch's (= NumPy's) rules, and ``index_put``.

Basic keys (ints, slices, None, ...) give views; keys with integer or boolean tensors (or lists)
give copies ("advanced indexing"). Both differentiate through ``index_put``.
"""

from __future__ import annotations

from .. import _dtype as _dt
from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..autograd.grad_mode import state
from ._dispatch import kernel, record
from .inplace import inplace_variant, write_out
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
                k = k.to(_dt.bool)
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


def _check_key(x: Tensor, key) -> None:
    """PyTorch's IndexErrors: too many indices, and boolean masks of the wrong shape."""
    consumed = [_dims_consumed(k) for k in key]
    total = sum(consumed)
    if total > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    pos = 0
    for k, c in zip(key, consumed):
        if k is Ellipsis:
            pos += x.ndim - total
        elif hasattr(k, "dtype") and k.dtype.kind == "b" and len(k.shape):
            for j, s in enumerate(k.shape):
                if s != x.shape[pos + j]:
                    raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does "
                                     f"not match the shape of the indexed tensor "
                                     f"{list(x.shape)} at index {pos + j}")
        pos += c


def _dims_consumed(k) -> int:
    if k is None or k is Ellipsis:
        return 0
    if hasattr(k, "dtype") and k.dtype.kind == "b":
        return len(k.shape)  # a mask covers as many dims as it has (0-d masks add one)
    return 1


def _kernel_index_error(err: IndexError) -> IndexError:
    return IndexError(str(err).replace("for axis", "for dimension"))


def getitem(self: Tensor, key) -> Tensor:
    k, advanced = _normalize_key(self, key)
    _check_key(self, k)
    if not advanced:
        try:
            data = kernel(self._be, "slice")(self._data, k)
        except IndexError as err:
            raise _kernel_index_error(err) from None
        return make_view(self, data, _getitem_backward, (tuple(self.shape), self.dtype, k),
                         "SliceBackward0")
    try:
        data = kernel(self._be, "index")(self._data, k)
    except IndexError as err:
        raise _kernel_index_error(err) from None
    out = wrap(data, self)
    if self._rg and state.grad_enabled:
        record(out, _getitem_backward, "IndexBackward0", (self,), (),
               (tuple(self.shape), self.dtype, k))
    return out


def setitem(self: Tensor, key, value) -> None:
    from .inplace import apply_inplace

    k, advanced = _normalize_key(self, key)
    _check_key(self, k)
    if not advanced:
        target = getitem(self, key)
        if isinstance(value, Tensor):
            target.copy_(_broadcast_value(value, target.shape))
        else:
            target.fill_(value)
        return
    apply_inplace(_index_put, self, k, value, False)


def _broadcast_value(value: Tensor, shape) -> Tensor:
    """``value`` expanded to ``shape`` (leading size-1 dims dropped), with PyTorch's error."""
    while value.ndim > len(shape) and value.shape[0] == 1:
        value = value.squeeze(0)
    return value.expand(shape)


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
    try:
        kernel(self._be, "index_put")(out._data, k, values._data, accumulate)
    except IndexError as err:
        raise _kernel_index_error(err) from None
    except ValueError as err:  # NumPy's broadcast failure of values to the indexed shape
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot "
                           f"be broadcast to indexing result ({err})") from None
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



# ---- gather / scatter ---------------------------------------------------------------------------
# Decomposition: ``index`` tensors for every dim (``index`` at ``dim``, broadcast aranges elsewhere)
# turn gather into ``x[key]`` and scatter into ``index_put(key, ...)``.

def _tname(dt) -> str:
    from .inplace import _type_name

    return _type_name(dt)


def _grid_key(index: Tensor, dim: int) -> tuple:
    """One index tensor per dim: ``index`` at ``dim``, an arange along each other dim."""
    from .creation import arange

    key = []
    for d, size in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = size
            key.append(arange(size, device=index.device).view(shape))
    return tuple(key)


def _check_gather_args(name: str, input: Tensor, dim: int, index: Tensor, src=None) -> int:
    if index.dtype.name != "int64":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    d = _wrap_dim(dim, max(input.ndim, 1))
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    if isinstance(src, Tensor) and max(src.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for i in range(index.ndim):
        if i != d and index.shape[i] > input.shape[i]:
            raise RuntimeError(f"Size does not match at dimension {i} expected index "
                               f"{list(index.shape)} to be smaller than self "
                               f"{list(input.shape)} apart from dimension {d}")
        if isinstance(src, Tensor) and index.shape[i] > src.shape[i]:
            raise RuntimeError(f"Size does not match at dimension {i} expected index "
                               f"{list(index.shape)} to be smaller than src "
                               f"{list(src.shape)}")
    return d


def _bounds_error(err: IndexError) -> RuntimeError:
    return RuntimeError(str(err).replace("for axis", "for dimension"))


@tensor_method
def gather(input, dim, index, *, sparse_grad=False, out=None) -> Tensor:
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for dim=1); the shape of ``index``.

    Differentiable w.r.t. ``input`` (its gradient is a scatter_add).
    """
    d = _check_gather_args("gather", input, dim, index)
    if input.ndim == 0:
        return gather(input.reshape(1), 0, index.reshape(-1)).reshape(index.shape)
    try:
        result = getitem(input, _grid_key(index, d))
    except IndexError as err:
        raise _bounds_error(err) from None
    return result if out is None else write_out(out, result)


def _scatter_values(src, index: Tensor, like: Tensor) -> Tensor:
    """The part of ``src`` that ``index`` covers (a view), or a scalar as a 0-d tensor."""
    if isinstance(src, Tensor):
        if src.dtype is not like.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if src.ndim == 0:
            return src
        return src[tuple(slice(0, s) for s in index.shape)]
    from .creation import full

    return full((), src, dtype=like.dtype, device=like.device)


def _scatter_put(input, d, index, values, accumulate) -> Tensor:
    if input.ndim == 0:
        return _scatter_put(input.reshape(1), 0, index.reshape(-1),
                            values.reshape(-1) if values.ndim else values,
                            accumulate).reshape(())
    try:
        return input.index_put(_grid_key(index, d), values, accumulate=accumulate)
    except IndexError as err:
        raise _bounds_error(err) from None


@tensor_method
def scatter(input, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
    """Out of place: ``input`` with ``input[i][index[i][j]] = src[i][j]`` (for dim=1).

    ``src`` is a tensor or a number (``value=`` also works); ``reduce`` "add" or "multiply"
    combines with the existing values instead (repeated indices all apply).
    """
    src = value if src is None else src
    if src is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    d = _check_gather_args("scatter", input, dim, index, src)
    vals = _scatter_values(src, index, input)
    if reduce is None:
        return _scatter_put(input, d, index, vals, False)
    if reduce == "add":
        return _scatter_put(input, d, index, vals, True)
    if reduce == "multiply":
        return scatter_reduce(input, d, index, vals.expand(index.shape), "prod")
    raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")


@tensor_method
def scatter_add(input, dim, index, src) -> Tensor:
    """Out of place: ``input[i][index[i][j]] += src[i][j]`` with repeated indices summing."""
    d = _check_gather_args("scatter_add", input, dim, index, src)
    return _scatter_put(input, d, index, _scatter_values(src, index, input), True)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@tensor_method
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor:
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with sum/prod/mean/amax/amin.

    ``include_self=False`` ignores ``input``'s values at the scattered positions.
    """
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = _check_gather_args("scatter_reduce", input, dim, index, src)
    vals = _scatter_values(src, index, input)
    if input.ndim == 0:
        return scatter_reduce(input.reshape(1), 0, index.reshape(-1), vals.reshape(-1), reduce,
                              include_self=include_self).reshape(())
    base = input if include_self else _scatter_put(input, d, index, _zero(input), False)
    if reduce == "sum":
        return _scatter_put(base, d, index, vals, True)
    if reduce == "mean":
        from .creation import ones, ones_like

        total = _scatter_put(base, d, index, vals, True)
        count = ones_like(input.detach())
        if not include_self:
            count = _scatter_put(count, d, index, _zero(input), False)
        count = _scatter_put(count, d, index, ones(index.shape, dtype=input.dtype,
                                                   device=input.device), True)
        if input.dtype.is_floating_point or input.dtype.is_complex:
            return total / count
        return total.div(count, rounding_mode="floor")
    return _scatter_reduce_segments(input, d, index, vals, reduce, include_self)


def _zero(like: Tensor) -> Tensor:
    from .creation import zeros

    return zeros((), dtype=like.dtype, device=like.device)


def _combine(reduce: str):
    from .elementwise import maximum, minimum

    return {"prod": lambda a, b: a * b, "amax": maximum, "amin": minimum}[reduce]


def _scatter_reduce_segments(input, d, index, vals, reduce, include_self) -> Tensor:
    """prod/amax/amin: sort the source by target position, then a segmented scan."""
    from .creation import arange
    from .joining import cat

    x, v, idx = input.detach(), vals.detach().expand(index.shape), index
    # the flat position in ``input`` that each source element goes to
    lin = 0
    key = _grid_key(idx, d)
    stride = 1
    for k_d, size in reversed(list(zip(key, x.shape))):
        lin = lin + k_d * stride
        stride *= size
    lin = lin.reshape(-1)  # the index at ``d`` has the full shape: so has the sum
    v = v.reshape(-1)
    flat = x.contiguous().reshape(-1).clone()
    if lin.numel():
        _, order = kernel(x._be, "sort")(lin._data, 0, False, True)
        order = wrap(order, lin)
        ls, vs = lin[order], v[order]
        op, m, step = _combine(reduce), ls.shape[0], 1
        while step < m:  # Hillis-Steele scan within runs of equal targets
            same = ls[step:] == ls[:-step]
            vs = cat([vs[:step], _where(same, op(vs[step:], vs[:-step]), vs[step:])])
            step *= 2
        last = cat([ls[1:] != ls[:-1], arange(1, device=x.device) == 0])
        targets, reduced = ls[last], vs[last]
        if include_self:
            reduced = op(flat[targets], reduced)
        flat[targets] = reduced
    out = flat.reshape(x.shape)
    if state.grad_enabled and (input._rg or vals._rg):
        record(out, _scatter_reduce_backward, "ScatterReduceBackward0", (input, vals),
               (input, vals, out), (d, index, reduce, include_self))
    return out


def _where(cond, a, b):
    from .elementwise import where

    return where(cond, a, b)


def _scatter_reduce_backward(node, g):
    """PyTorch's formulas: ties share amax/amin gradients; prod divides, minding zeros."""
    self, src, result = node.saved_tensors()
    d, index, reduce, include_self = node.ctx
    src = src.expand(index.shape)
    scattered = _scatter_put(_zero(g).expand(g.shape).to(_bool()), d, index, True, False)
    if reduce in ("amax", "amin"):
        self_is = self == result
        if not include_self:
            self_is = self_is & ~scattered
        src_is = src == result.gather(d, index)
        n = self_is.to(g.dtype).scatter_add(d, index, src_is.to(g.dtype))
        share = g / n.masked_fill(n == 0, 1)
        return _where(self_is, share, 0.0), _where(src_is, share.gather(d, index), 0.0)
    masked_self = self.masked_fill(self == 0, 1)
    masked_self_result = masked_self.scatter_reduce(d, index, src, "prod",
                                                    include_self=include_self)
    grad_self = g * masked_self_result / masked_self
    if not include_self:
        grad_self = grad_self.masked_fill(scattered, 0)
    src_zero = src == 0
    n_zeros = _scatter_put(_zero(g).expand(g.shape), d, index, src_zero.to(g.dtype), True)
    single_zero = src_zero & (n_zeros.gather(d, index) == 1)
    masked_src_result = self.scatter_reduce(d, index, src.masked_fill(single_zero, 1), "prod",
                                            include_self=include_self)
    grad_src = _where(single_zero, (g * masked_src_result).gather(d, index),
                      (g * result).gather(d, index) / src.masked_fill(src_zero, 1))
    return grad_self, grad_src


def _bool():
    from .. import _dtype

    return _dtype.bool


# ---- index_* along one dim ----------------------------------------------------------------------

def _dim_key(d: int, index: Tensor) -> tuple:
    return (slice(None),) * d + (index,)


def _check_index_vector(name: str, index: Tensor) -> Tensor:
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index.reshape(-1)


@tensor_method
def index_select(input, dim, index, *, out=None) -> Tensor:
    """The entries of ``input`` at ``index`` (a vector) along ``dim``; the dim keeps its place."""
    index = _check_index_vector("index_select", index)
    if input.ndim == 0:
        return index_select(input.reshape(1), 0, index).reshape(())
    d = _wrap_dim(dim, input.ndim)
    try:
        result = getitem(input, _dim_key(d, index))
    except IndexError:
        raise IndexError("index out of range in self") from None
    return result if out is None else write_out(out, result)


def _check_source(name, input, d, index, source):
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): self ({_tname(input.dtype)}) and source "
                           f"({_tname(source.dtype)}) must have the same scalar type")
    n = source.shape[d] if source.ndim else 1
    if index.numel() != n:
        raise RuntimeError(f"{name}(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim) ({n})")
    want = input.shape[:d] + (index.numel(),) + input.shape[d + 1:]
    if source.ndim and tuple(source.shape) != tuple(want):
        raise RuntimeError(f"{name}(): Source/destination tensor must have same slice shapes. "
                           f"Destination slice shape: {list(want)} and source slice shape: "
                           f"{list(source.shape)}")


def _index_op(name, input, dim, index, source, accumulate) -> Tensor:
    index = _check_index_vector(name, index)
    if input.ndim == 0:
        return _index_op(name, input.reshape(1), 0, index, source.reshape(-1) if isinstance(
            source, Tensor) else source, accumulate).reshape(())
    d = _wrap_dim(dim, input.ndim)
    if isinstance(source, Tensor):
        _check_source(name, input, d, index, source)
    try:
        return input.index_put(_dim_key(d, index), source, accumulate=accumulate)
    except IndexError:
        raise IndexError("index out of range in self") from None


@tensor_method
def index_add(input, dim, index, source, *, alpha=1) -> Tensor:
    """Out of place: ``input`` plus ``alpha * source`` added at ``index`` along ``dim``."""
    if alpha != 1:
        source = source * alpha
    return _index_op("index_add_", input, dim, index, source, True)


@tensor_method
def index_copy(input, dim, index, source) -> Tensor:
    """Out of place: ``input`` with the slices at ``index`` along ``dim`` replaced by ``source``."""
    return _index_op("index_copy_", input, dim, index, source, False)


@tensor_method
def index_fill(input, dim, index, value) -> Tensor:
    """Out of place: ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype)
    return _index_op("index_fill_", input, dim, index, value, False)


# ---- masks --------------------------------------------------------------------------------------

def _check_mask(name: str, mask: Tensor) -> None:
    if mask.dtype.name != "bool":
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")


@tensor_method
def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` (broadcast) is True; ``value`` a number or 0-d."""
    from .creation import full
    from .elementwise import where

    _check_mask("masked_fill_", mask)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype).to(input.device)
    else:
        value = full((), value, dtype=input.dtype, device=input.device)
    return where(mask, value, input)


@tensor_method
def masked_select(input, mask) -> Tensor:
    """The 1-d tensor of ``input``'s entries where ``mask`` is True (both broadcast)."""
    from .shape import broadcast_tensors

    if mask.dtype.name != "bool":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x, m = broadcast_tensors(input, mask)
    return getitem(x, m)


@tensor_method
def masked_scatter(input, mask, source) -> Tensor:
    """Out of place: the True positions of ``mask`` take ``source``'s elements in order."""
    from .shape import broadcast_tensors

    _check_mask("masked_scatter_", mask)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got "
                           f"{_tname(input.dtype)} and {_tname(source.dtype)}")
    x, m = broadcast_tensors(input, mask)
    n = int(m.sum().item())  # data-dependent: how many source elements are used
    if source.numel() < n:
        raise RuntimeError("masked_scatter: Number of elements of source < number of ones in "
                           "mask")
    return x.index_put((m,), source.reshape(-1)[:n])


# ---- flat indices -------------------------------------------------------------------------------

@tensor_method
def take(input, index) -> Tensor:
    """``input`` as 1-d, read at ``index`` (any shape; the result has its shape)."""
    if index.dtype.name != "int64":
        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{_tname(index.dtype)}")
    flat = input.reshape(-1)
    try:
        return getitem(flat, (index,))
    except IndexError:
        raise IndexError(f"out of range: tried to access index out of bounds on a tensor of "
                         f"{flat.numel()} elements.") from None


@tensor_method
def take_along_dim(input, indices, dim=None) -> Tensor:
    """``gather`` with ``input`` and ``indices`` broadcast against each other (except at dim)."""
    from .shape import broadcast_shapes

    if indices.dtype.name != "int64":
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_tname(indices.dtype)}")
    if dim is None:
        return take(input, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    d = _wrap_dim(dim, input.ndim)
    in_shape, idx_shape = list(input.shape), list(indices.shape)
    in_shape[d] = idx_shape[d] = 1
    b = list(broadcast_shapes(in_shape, idx_shape))
    in_b, idx_b = list(b), list(b)
    in_b[d], idx_b[d] = input.shape[d], indices.shape[d]
    return gather(input.expand(in_b), d, indices.expand(idx_b))


@tensor_method
def put(input, index, source, accumulate=False) -> Tensor:
    """Out of place: ``input`` as 1-d with ``source`` written (or added) at ``index``."""
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    try:
        flat = input.reshape(-1).index_put((index.reshape(-1),), source.reshape(-1), accumulate)
    except IndexError:
        raise IndexError(f"out of range: tried to access index out of bounds on a tensor of "
                         f"{input.numel()} elements.") from None
    return flat.reshape(input.shape)


@tensor_method
def nonzero(input, *, out=None, as_tuple=False):
    """Indices of the non-zero entries: an (n, ndim) int64 tensor, or one column per dim."""
    x = input.reshape(1) if as_tuple and input.ndim == 0 else input
    result = wrap(kernel(x._be, "nonzero")(x._data), x)
    if as_tuple:
        return tuple(result[:, i] for i in range(x.ndim))
    return result if out is None else write_out(out, result)


@tensor_method
def argwhere(input) -> Tensor:
    return nonzero(input)


# ---- in-place variants --------------------------------------------------------------------------

def _inplace_masked(op, name: str):
    """``masked_fill_``/``masked_scatter_``: the mask broadcasts to self, never self to it."""
    from .inplace import apply_inplace
    from .shape import broadcast_shapes

    def method(self, mask, *args):
        shape = broadcast_shapes(self.shape, mask.shape)
        if tuple(shape) != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
        return apply_inplace(op, self, mask, *args)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of :func:`{op.__name__}`."
    return method


for _op in (scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill, put):
    setattr(Tensor, _op.__name__ + "_", inplace_variant(_op, _op.__name__ + "_"))
for _op in (masked_fill, masked_scatter):
    setattr(Tensor, _op.__name__ + "_", _inplace_masked(_op, _op.__name__ + "_"))


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
