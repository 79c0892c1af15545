"""Views: tensors that share memory with a base (view, reshape, permute, expand, slicing…).

A view keeps a link to its root base and shares the base's version counter, so an in-place
change through either is seen by autograd's checks on both.
"""

from __future__ import annotations

import math

from .. import _dtype as _dt
from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..autograd.grad_mode import state
from ._dispatch import kernel, record


def make_view(self: Tensor, data, backward=None, ctx=None, name="ViewBackward0") -> Tensor:
    """Wrap a backend view of ``self``'s memory, linking it to the root base."""
    out = wrap(data, self)
    out._base = self._base if self._base is not None else self
    out._vc = self._version_counter()
    out._vv = out._vc[0]
    if self._rg and state.grad_enabled and backward is not None:
        record(out, backward, name, (self,), (), ctx)
    return out


def refresh_view(view: Tensor) -> None:
    """A view whose base was changed in place (through another view) since the view's grad_fn
    was made: its gradient now flows to the base's new graph, as an as_strided of the base
    (PyTorch regenerates a view's grad_fn the same way)."""
    base = view._base
    prev = state.grad_enabled
    state.grad_enabled = True  # the engine may look up edges with grad mode off
    try:
        node_src = base.as_strided(tuple(view.shape), view.stride(), view.storage_offset())
    finally:
        state.grad_enabled = prev
    view.grad_fn, view._out_nr, view._rg = node_src.grad_fn, 0, True
    view._vv = view._vc[0]


# ---- shapes -----------------------------------------------------------------------------------

def infer_shape(shape, numel: int) -> tuple:
    """Resolve one ``-1`` in ``shape`` for a tensor of ``numel`` elements."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape_backward(node, g):
    return (g.reshape(node.ctx),)


@tensor_method
def view(self, *shape) -> Tensor:
    """Same memory, new shape; raises when the strides make that impossible (use reshape)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return self.view_as_dtype(shape[0])
    shape = infer_shape(shape, self.numel())
    try:
        data = kernel(self._be, "view")(self._data, shape)
    except (ValueError, AttributeError):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return make_view(self, data, _reshape_backward, tuple(self.shape))


@tensor_method
def reshape(self, *shape) -> Tensor:
    """A view when the strides allow it, else a copy."""
    shape = infer_shape(shape, self.numel())
    if shape == self.shape:
        return make_view(self, self._data, _reshape_backward, tuple(self.shape)) if self._rg \
            else self
    try:
        data = kernel(self._be, "view")(self._data, shape)
        return make_view(self, data, _reshape_backward, tuple(self.shape))
    except (ValueError, AttributeError):
        return self.clone().view(shape)


@tensor_method
def view_as(self, other) -> Tensor:
    return self.view(other.shape)


@tensor_method
def reshape_as(self, other) -> Tensor:
    return self.reshape(other.shape)


def _permute_backward(node, g):
    inverse = [0] * len(node.ctx)
    for i, d in enumerate(node.ctx):
        inverse[d] = i
    return (g.permute(inverse),)


@tensor_method
def permute(self, *dims) -> Tensor:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    n = self.ndim
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(dims) != n or len(set(dims)) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    return make_view(self, kernel(self._be, "permute")(self._data, dims), _permute_backward, dims,
                     "PermuteBackward0")


@tensor_method
def transpose(self, dim0, dim1) -> Tensor:
    n = self.ndim
    if n == 0:
        return self
    dims = list(range(n))
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return self.permute(dims)


swapaxes = swapdims = transpose
Tensor.swapaxes = Tensor.swapdims = transpose


@tensor_method
def t(self) -> Tensor:
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return self.transpose(0, 1) if self.ndim == 2 else self


Tensor.T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
Tensor.H = property(lambda self: self.t().conj())
Tensor.mH = property(lambda self: self.transpose(-2, -1).conj())


def _expand_backward(node, g):
    from .elementwise import sum_to

    return (sum_to(g, node.ctx),)


@tensor_method
def expand(self, *sizes) -> Tensor:
    """A broadcast view: size-1 dims repeat with stride 0; -1 keeps a size."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    if not self._data.shape and -1 not in sizes:  # a 0-d tensor expands to anything
        return make_view(self, kernel(self._be, "expand")(self._data, tuple(sizes)),
                         _expand_backward, (), "ExpandBackward0")
    sizes = tuple(int(s) for s in sizes)
    lead = len(sizes) - self.ndim
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(self.shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({self.ndim})")
    shape = list(sizes)
    for i, s in enumerate(self.shape):
        want = sizes[i + lead]
        if want == -1:
            shape[i + lead] = s
        elif s != 1 and s != want:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing "
                               f"size ({s}) at non-singleton dimension {i + lead}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(self.shape)}")
    shape = tuple(shape)
    if shape == self.shape:
        return self
    return make_view(self, kernel(self._be, "expand")(self._data, shape), _expand_backward,
                     tuple(self.shape), "ExpandBackward0")


@tensor_method
def expand_as(self, other) -> Tensor:
    return self.expand(other.shape)


def broadcast_shapes(*shapes) -> tuple:
    out: list = []
    for shape in shapes:
        shape = tuple(shape) if not isinstance(shape, int) else (shape,)
        for i, s in enumerate(reversed(shape)):
            if i >= len(out):
                out.insert(0, s)
            elif out[-1 - i] == 1:
                out[-1 - i] = s
            elif s != 1 and s != out[-1 - i]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single "
                                   f"shape. Mismatch is between {list(shapes[0])} and "
                                   f"{list(shape)}")
    return tuple(out)


def broadcast_to(input, size) -> Tensor:
    return input.expand(size)


Tensor.broadcast_to = broadcast_to


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


@tensor_method
def squeeze(self, dim=None) -> Tensor:
    if dim is None:
        shape = tuple(s for s in self.shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {_wrap_dim(d, self.ndim) for d in dims}
        shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
    return self.view(shape) if shape != self.shape else self.view(shape)


@tensor_method
def unsqueeze(self, dim) -> Tensor:
    d = _wrap_dim(dim, self.ndim + 1)
    shape = self._data.shape[:d] + (1,) + self._data.shape[d:]
    return self.view(shape)  # a size-1 dim fits any strides: always a view


@tensor_method
def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
    if self.ndim == 0:
        return self.reshape(1)
    s, e = _wrap_dim(start_dim, self.ndim), _wrap_dim(end_dim, self.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:]
    return self.reshape(shape)


@tensor_method
def unflatten(self, dim, sizes) -> Tensor:
    d = _wrap_dim(dim, self.ndim)
    sizes = infer_shape(tuple(sizes), self.shape[d])
    return self.view(self.shape[:d] + sizes + self.shape[d + 1:])


@tensor_method
def ravel(self) -> Tensor:
    return self.reshape(-1)


def _as_strided_backward(node, g):
    """Scatter-add the view's gradient into a zero storage, then read the input's elements."""
    from .creation import zeros

    src_geometry, view_geometry = node.ctx
    src_idx = _strided_indices(*src_geometry, g.device)
    view_idx = _strided_indices(*view_geometry, g.device).reshape(-1)
    size = 1 + max(int(src_idx.max()) if src_idx.numel() else 0,
                   int(view_idx.max()) if view_idx.numel() else 0)
    storage = zeros(size, dtype=g.dtype, device=g.device)
    storage = storage.index_put((view_idx,), g.reshape(-1), accumulate=True)
    return (storage[src_idx],)


def _strided_indices(shape, strides, offset, device):
    from .creation import arange, full

    idx = full((), offset, dtype=_dt.int64, device=device)
    for i, (size, stride) in enumerate(zip(shape, strides)):
        r = arange(size, device=device) * stride
        idx = idx.unsqueeze(-1) + r if i else idx + r
    return idx if shape else idx.reshape(())


@tensor_method
def as_strided(self, size, stride, storage_offset=None) -> Tensor:
    """A view of the underlying storage with explicit sizes and strides (in elements)."""
    offset = self.storage_offset() if storage_offset is None else storage_offset
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    data = kernel(self._be, "as_strided")(self._data, size, stride, offset)
    geometry = ((tuple(self.shape), self.stride(), self.storage_offset()), (size, stride, offset))
    return make_view(self, data, _as_strided_backward, geometry, "AsStridedBackward0")



# ---- more views: narrow, select, movedim, unfold, diagonal --------------------------------------

def _strided_view(self: Tensor, shape, strides, offset, backward, ctx, name) -> Tensor:
    """A view of ``self``'s storage with its own backward (``offset`` in elements, from the root)."""
    data = kernel(self._be, "as_strided")(self._data, tuple(shape), tuple(strides), offset)
    return make_view(self, data, backward, ctx, name)


@tensor_method
def narrow(self, dim, start, length) -> Tensor:
    """The view ``self[..., start:start + length, ...]`` along ``dim`` (``start`` may be < 0)."""
    d = _wrap_dim(dim, self.ndim)
    if self.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length, size = int(start), int(length), self.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start = start + size if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return self[(slice(None),) * d + (slice(start, start + length),)]


@tensor_method
def select(self, dim, index) -> Tensor:
    """The view with ``dim`` removed, at position ``index`` (``self[..., index, ...]``)."""
    if self.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, self.ndim)
    i, size = int(index), self.shape[d]
    if not -size <= i < size:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(self.shape)} at dimension {d}")
    return self[(slice(None),) * d + (i,)]


@tensor_method
def movedim(self, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (ints or sequences); a view."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    n = self.ndim
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [next(rest) if o is None else o for o in order]
    return self.permute(order)


moveaxis = movedim
Tensor.moveaxis = movedim


def _unfold_backward(node, g):
    """Each input element receives the sum of its copies over the windows: an index_add."""
    from .creation import arange, zeros

    shape, d, size, step = node.ctx
    n_win = g.shape[d]
    # windows and their elements as one axis at d: (..., n_win * size, ...)
    g = g.movedim(-1, d + 1).flatten(d, d + 1)
    idx = (arange(n_win, device=g.device) * step).unsqueeze(1) + arange(size, device=g.device)
    return (zeros(shape, dtype=g.dtype, device=g.device).index_add(d, idx.reshape(-1), g),)


@tensor_method
def unfold(self, dimension, size, step) -> Tensor:
    """All windows of ``size`` along ``dimension``, ``step`` apart, as a new last dim (a view).

    Shape: ``(..., n, ...)`` → ``(..., (n - size) // step + 1, ..., size)``.
    """
    d = _wrap_dim(dimension, self.ndim)
    n = self.shape[d] if self.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    strides = self.stride()
    if self.ndim == 0:
        return _strided_view(self, (size,), (1,), self.storage_offset(), _unfold0_backward, None,
                             "UnfoldBackward0")
    shape = list(self.shape)
    shape[d] = (n - size) // step + 1
    new_strides = list(strides)
    new_strides[d] = strides[d] * step
    return _strided_view(self, tuple(shape) + (size,), tuple(new_strides) + (strides[d],),
                         self.storage_offset(), _unfold_backward,
                         (tuple(self.shape), d, size, step), "UnfoldBackward0")


def _unfold0_backward(node, g):
    return (g.sum(),)


def _diagonal_length(n1: int, n2: int, offset: int) -> int:
    return max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))


def _diagonal_backward(node, g):
    from .creation import zeros

    shape, offset, d1, d2 = node.ctx
    return (diagonal_scatter(zeros(shape, dtype=g.dtype, device=g.device), g, offset, d1, d2),)


@tensor_method
def diagonal(self, offset=0, dim1=0, dim2=1) -> Tensor:
    """The view of the diagonal ``offset`` of the (dim1, dim2) planes, as a new last dim."""
    n = self.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    st = self.stride()
    length = _diagonal_length(self.shape[d1], self.shape[d2], offset)
    start = self.storage_offset()
    if length:
        start += offset * st[d2] if offset >= 0 else -offset * st[d1]
    keep = [i for i in range(n) if i not in (d1, d2)]
    shape = tuple(self.shape[i] for i in keep) + (length,)
    strides = tuple(st[i] for i in keep) + (st[d1] + st[d2],)
    return _strided_view(self, shape, strides, start, _diagonal_backward,
                         (tuple(self.shape), offset, d1, d2), "DiagonalBackward0")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:
    """``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src`` (out of place)."""
    from .creation import arange

    n = input.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    length = _diagonal_length(input.shape[d1], input.shape[d2], offset)
    expected = tuple(s for i, s in enumerate(input.shape) if i not in (d1, d2)) + (length,)
    if tuple(src.shape) != expected:
        raise RuntimeError(f"as_strided_scatter: expected src to have a size equal to the slice "
                           f"of self. src size = {list(src.shape)}, slice size = "
                           f"{list(expected)}")
    i = arange(length, device=input.device)
    # move the plane to the end: adjacent advanced indices there keep the diagonal axis last
    moved = input.movedim((d1, d2), (-2, -1))
    out = moved.index_put((Ellipsis, i + max(-offset, 0), i + max(offset, 0)), src)
    return out.movedim((-2, -1), (d1, d2)).contiguous()


Tensor.diagonal_scatter = diagonal_scatter


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
