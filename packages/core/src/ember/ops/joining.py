"""Joining, splitting and rearranging: cat/stack, split/chunk/unbind (views), tile/repeat, flip/roll,
triangles, meshgrid, block_diag, pad and the diagonal builders, with PyTorch's semantics.

Only ``cat`` is a kernel call; everything else is written with views, ``cat`` and indexing, so
the gradients come from those ops (``cat``'s backward slices the gradient back apart).
"""

from __future__ import annotations

import math

from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..autograd.grad_mode import state
from ._dispatch import check_same_device, kernel, record
from .inplace import inplace_variant, write_out

# ---- cat / stack --------------------------------------------------------------------------------

def _tensor_list(tensors, name: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not Tensor")
    return list(tensors)


def _common_dtype(tensors):
    from .._dtype import promote_types

    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype is not dt:
            dt = promote_types(dt, t.dtype)
    return dt


def _cat_backward(node, g):
    dim, sizes = node.ctx
    grads, start = [], 0
    for size, edge in zip(sizes, node.next_functions):
        grads.append(None if edge is None else g.narrow(dim, start, size))
        start += size
    return tuple(grads)


def cat(tensors, dim=0, *, out=None) -> Tensor:
    """Join tensors along an existing ``dim``; all other sizes must match.

    Like PyTorch, 1-d empty tensors (shape ``[0]``) are skipped, and dtypes are promoted.
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if not (t.ndim == 1 and t.shape[0] == 0)]
    if not kept:
        return tensors[0].clone() if out is None else out.copy_(tensors[0])
    ref_i, ref = kept[0]
    d = _wrap_dim(dim, ref.ndim)
    for i, t in kept[1:]:
        check_same_device(ref, t, "cat")
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {t.ndim}")
        for j in range(ref.ndim):
            if j != d and t.shape[j] != ref.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[j]} but got size {t.shape[j]} for "
                                   f"tensor number {i} in the list.")
    dt = _common_dtype([t for _, t in kept])
    parts = [t if t.dtype is dt else t.to(dt) for _, t in kept]
    result = wrap(kernel(ref._be, "cat")([p._data for p in parts], d), ref)
    if state.grad_enabled and any(p._rg for p in parts):
        record(result, _cat_backward, "CatBackward0", parts, (),
               (d, tuple(p.shape[d] for p in parts)))
    return result if out is None else write_out(out, result)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None) -> Tensor:
    """Join equally shaped tensors along a new ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    result = cat([t.unsqueeze(d) for t in tensors], d)
    return result if out is None else write_out(out, result)


def hstack(tensors, *, out=None) -> Tensor:
    """Column-wise: along dim 1, or dim 0 for 1-d tensors."""
    ts = atleast_1d(*_tensor_list(tensors, "hstack"))
    ts = ts if isinstance(ts, tuple) else (ts,)
    result = cat(ts, 0 if ts and ts[0].ndim == 1 else 1)
    return result if out is None else write_out(out, result)


def vstack(tensors, *, out=None) -> Tensor:
    """Row-wise: along dim 0 after making every tensor at least 2-d."""
    ts = atleast_2d(*_tensor_list(tensors, "vstack"))
    result = cat(ts if isinstance(ts, tuple) else (ts,), 0)
    return result if out is None else write_out(out, result)


row_stack = vstack


def dstack(tensors, *, out=None) -> Tensor:
    """Depth-wise: along dim 2 after making every tensor at least 3-d."""
    ts = atleast_3d(*_tensor_list(tensors, "dstack"))
    result = cat(ts if isinstance(ts, tuple) else (ts,), 2)
    return result if out is None else write_out(out, result)


def column_stack(tensors, *, out=None) -> Tensor:
    """0-d and 1-d tensors become columns; then ``hstack``."""
    ts = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t
          for t in _tensor_list(tensors, "column_stack")]
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    result = cat(ts, 1)
    return result if out is None else write_out(out, result)


# ---- splitting (views) --------------------------------------------------------------------------

@tensor_method
def split(tensor, split_size_or_sections, dim=0):
    """Views of ``tensor`` along ``dim``: pieces of one size (the last may be smaller), or of
    the listed sizes (which must add up to the dim's size)."""
    d = _wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    else:
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}" if size == 0 else
                               f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        count = max(1, math.ceil(n / size)) if size else 1
        sizes = [min(size, n - i * size) for i in range(count)]
    out, start = [], 0
    for s in sizes:
        out.append(tensor.narrow(d, start, s))
        start += s
    return tuple(out)


@tensor_method
def split_with_sizes(self, split_sizes, dim=0):
    return split(self, list(split_sizes), dim)


@tensor_method
def chunk(input, chunks, dim=0):
    """At most ``chunks`` views of equal size (the last may be smaller) along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    size = math.ceil(n / chunks)
    if size == 0:  # an empty dim: ``chunks`` empty pieces, like PyTorch
        return tuple(input.narrow(d, 0, 0) for _ in range(chunks))
    return split(input, size, d)


@tensor_method
def tensor_split(input, indices_or_sections, dim=0):
    """Views along ``dim``: ``sections`` near-equal parts (the first ``n % sections`` one
    longer), or the parts between the given indices (clamped to the dim)."""
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.is_floating_point or ios.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {ios.ndim} dims")
        ios = ios.tolist()
    if isinstance(ios, (list, tuple)):
        bounds = [0] + [min(max(int(i) + (n if int(i) < 0 else 0), 0), n) for i in ios] + [n]
        return tuple(input.narrow(d, a, max(b - a, 0)) for a, b in
                     zip(bounds, [max(b, a) for a, b in zip(bounds, bounds[1:])]))
    sections = int(ios)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    base, extra = divmod(n, sections)
    sizes = [base + 1] * extra + [base] * (sections - extra)
    return split(input, sizes, d)


@tensor_method
def unbind(input, dim=0):
    """All slices along ``dim``, with that dim removed (views)."""
    d = _wrap_dim(dim, input.ndim)
    return tuple(input.select(d, i) for i in range(input.shape[d]))


@tensor_method
def hsplit(input, indices_or_sections):
    if input.ndim == 0:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a "
                           "tensor with 0 dimensions!")
    return _np_split(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit")


@tensor_method
def vsplit(input, indices_or_sections):
    if input.ndim < 2:
        raise RuntimeError(f"torch.vsplit requires a tensor with at least 2 dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    return _np_split(input, indices_or_sections, 0, "vsplit")


@tensor_method
def dsplit(input, indices_or_sections):
    if input.ndim < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    return _np_split(input, indices_or_sections, 2, "dsplit")


def _np_split(input, ios, dim, name):
    """NumPy-style split: an int must divide the dim evenly."""
    if isinstance(ios, int) and input.shape[dim] % ios:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                           f"of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {ios}!")
    return tensor_split(input, ios, dim)


# ---- repeating ----------------------------------------------------------------------------------

@tensor_method
def repeat(self, *sizes) -> Tensor:
    """The tensor tiled ``sizes[i]`` times along each dim (leading sizes add dims)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
    shape = (1,) * (len(sizes) - self.ndim) + tuple(self.shape)
    # (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...), then merged pairwise
    inter = tuple(v for s in shape for v in (1, s))
    target = tuple(v for r, s in zip(sizes, shape) for v in (r, s))
    x = self.reshape(inter).expand(target)
    return x.reshape(tuple(r * s for r, s in zip(sizes, shape)))


@tensor_method
def tile(input, dims) -> Tensor:
    """``repeat`` with missing leading repeats taken as 1."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


@tensor_method
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element repeated ``repeats`` times (an int, or one count per element) along ``dim``
    (the flattened input when None). ``repeat_interleave(counts)`` gives the repeated indices."""
    from .creation import tensor

    if repeats is None:  # the one-argument form: indices 0..n-1 repeated counts[i] times
        counts = input
        if counts.ndim > 1 or counts.dtype.is_floating_point:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        from .creation import arange

        return repeat_interleave(arange(counts.shape[0], device=counts.device), counts, 0)
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _wrap_dim(dim, max(x.ndim, 1))
    if x.ndim == 0:
        x = x.reshape(1)
    n = x.shape[d]
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.ndim <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        shape = list(x.shape)
        shape.insert(d + 1, repeats)
        return x.unsqueeze(d + 1).expand(shape).flatten(d, d + 1)
    counts = repeats.tolist() if isinstance(repeats, Tensor) else list(repeats)
    if len(counts) != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {len(counts)} and input.size({d}) = {n}")
    if any(c < 0 for c in counts):
        raise RuntimeError("repeats can not be negative")
    # the repeated positions depend on the counts' values: built on the host, like PyTorch's
    # CUDA kernel which also syncs for the output size
    idx = tensor([i for i, c in enumerate(counts) for _ in range(c)], dtype=_int64(),
                 device=x.device)
    return x.index_select(d, idx)


def _int64():
    from .. import _dtype

    return _dtype.int64


# ---- flipping and rolling -----------------------------------------------------------------------

def _dims_arg(dims, ndim: int, name: str) -> tuple:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    out = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dims has duplicates, original flip dims size={len(dims)}, but "
                           f"unique flip dims size={len(set(out))}" if name == "flip" else
                           f"{name}: dims has duplicates")
    return out


def _flip_backward(node, g):
    return (flip(g, node.ctx),)


@tensor_method
def flip(input, *dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, like PyTorch)."""
    dims = _dims_arg(dims[0] if len(dims) == 1 else dims, input.ndim, "flip")
    fast = input._be.kernels.get("flip")
    if fast is None:
        return _flip_decomposition(input, dims)
    # the kernel may return a reversed-stride view: copy so that the result owns its memory
    be = input._be
    out = wrap(kernel(be, "contiguous")(fast(input._data, dims)), input)
    if state.grad_enabled and input._rg:
        record(out, _flip_backward, "FlipBackward0", (input,), (), dims)
    return out


def _flip_decomposition(input, dims) -> Tensor:
    from .creation import arange

    out = input
    for d in dims:
        n = input.shape[d]
        out = out.index_select(d, arange(n - 1, -1, -1, device=input.device))
    return out if dims else input.clone()


flip.decomposition = _flip_decomposition
flip.op_name = "flip"


@tensor_method
def fliplr(input) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@tensor_method
def flipud(input) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@tensor_method
def roll(input, shifts, dims=None) -> Tensor:
    """Shift elements circularly by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return roll(input.reshape(-1), shifts, 0).view(input.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    out = input
    for s, d in zip(shifts, dims):
        d = _wrap_dim(d, input.ndim)
        n = input.shape[d]
        s = s % n if n else 0
        if s:
            out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
    return out if out is not input else input.clone()


@tensor_method
def rot90(input, k=1, dims=(0, 1)) -> Tensor:
    """Rotate by 90° ``k`` times in the plane ``dims``, from the first axis towards the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


# ---- triangles ----------------------------------------------------------------------------------

def _tri_mask(input, diagonal: int, lower: bool) -> Tensor:
    from .creation import arange

    if input.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 "
                           "dimensions")
    rows, cols = input.shape[-2:]
    diff = arange(cols, device=input.device) - arange(rows, device=input.device).unsqueeze(1)
    return diff <= diagonal if lower else diff >= diagonal


@tensor_method
def tril(input, diagonal=0, *, out=None) -> Tensor:
    """The lower triangle (``j - i <= diagonal``) of the last two dims; the rest zero."""
    result = input.masked_fill(~_tri_mask(input, diagonal, True), 0)
    return result if out is None else write_out(out, result)


@tensor_method
def triu(input, diagonal=0, *, out=None) -> Tensor:
    """The upper triangle (``j - i >= diagonal``) of the last two dims; the rest zero."""
    result = input.masked_fill(~_tri_mask(input, diagonal, False), 0)
    return result if out is None else write_out(out, result)


def _tri_indices(row, col, offset, lower, dtype, device):
    from .creation import arange

    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    i = arange(row, device=device).unsqueeze(1).expand(row, col)
    j = arange(col, device=device).unsqueeze(0).expand(row, col)
    keep = (j - i <= offset) if lower else (j - i >= offset)
    out = stack([i[keep], j[keep]])  # row-major order, like PyTorch
    return out.to(dtype) if dtype is not None else out


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a ``row`` × ``col`` matrix."""
    return _tri_indices(row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a ``row`` × ``col`` matrix."""
    return _tri_indices(row, col, offset, False, dtype, device)


for _name in ("tril", "triu"):
    setattr(Tensor, _name + "_", inplace_variant(globals()[_name], _name + "_"))


# ---- grids --------------------------------------------------------------------------------------

def meshgrid(*tensors, indexing=None):
    """Coordinate grids (expanded views) from 0-d/1-d tensors; ``indexing`` "ij" (default) or
    "xy" (the first two dims swapped, like NumPy)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("torch.meshgrid: Expected at least one tensor")
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    ts = [t.reshape(-1) for t in tensors]
    shape = tuple(t.shape[0] for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        grids.append(t.view(view).expand(shape))
    if indexing == "xy" and len(ts) >= 2:  # "xy" is "ij" with the first two dims swapped
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the 1-d inputs' elements, as rows (like ``itertools.product``)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


# ---- at least n-d -------------------------------------------------------------------------------

def _atleast(tensors, fix):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fix(t) for t in tensors[0])
    out = tuple(fix(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    return _atleast(tensors, lambda t: t.reshape(1, 1) if t.ndim == 0 else
                    t.unsqueeze(0) if t.ndim == 1 else t)


def atleast_3d(*tensors):
    def fix(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.ndim == 2 else t

    return _atleast(tensors, fix)


# ---- block_diag / diag --------------------------------------------------------------------------

def block_diag(*tensors) -> Tensor:
    """The inputs (0-d, 1-d as a row, or 2-d) as blocks on the diagonal of a zero matrix."""
    from .creation import zeros

    if not tensors:
        return zeros(1, 0)
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        mats.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    dt = _common_dtype(mats)
    total = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = [zeros(r, left, dtype=dt, device=m.device), m.to(dt),
                 zeros(r, total - left - c, dtype=dt, device=m.device)]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


@tensor_method
def diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """Matrices (in dims ``dim1``, ``dim2`` of the result) whose ``offset`` diagonal holds the
    last dim of ``input``; zero elsewhere."""
    from .creation import arange, zeros

    n = input.shape[-1] if input.ndim else 1
    x = input.reshape(1) if input.ndim == 0 else input
    out_ndim = x.ndim + 1
    d1, d2 = _wrap_dim(dim1, out_ndim), _wrap_dim(dim2, out_ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = n + abs(offset)
    out = zeros(tuple(x.shape[:-1]) + (m, m), dtype=x.dtype, device=x.device)
    i = arange(n, device=x.device)
    out = out.index_put((Ellipsis, i + max(-offset, 0), i + max(offset, 0)), x)
    return out.movedim((-2, -1), (d1, d2))


@tensor_method
def diag(input, diagonal=0) -> Tensor:
    """A 1-d input → the square matrix with it on diagonal ``diagonal``; a 2-d input → that
    diagonal as a new 1-d tensor."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return input.diagonal(diagonal, 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@tensor_method
def diagflat(input, offset=0) -> Tensor:
    """The flattened input on diagonal ``offset`` of a square matrix."""
    return diag_embed(input.reshape(-1), offset, 0, 1)


# ---- padding ------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``.

    ``constant`` fills with ``value`` (0 by default; negative pads crop); ``reflect`` mirrors
    without repeating the edge, ``replicate`` repeats the edge, ``circular`` wraps around. The
    non-constant modes pad up to 3 dims of a batched (or unbatched) input, like PyTorch.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return _pad_constant(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if k > 3 or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Only 2D, 3D, 4D, 5D padding with non-constant padding are "
                                  f"supported for now (got {input.ndim}D input and "
                                  f"{k}-dim padding)")
    out = input
    for i in range(k):
        d = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        out = out.index_select(d, _pad_index(mode, input.shape[d], left, right, d, input))
    return out


def _pad_constant(input, pad, value) -> Tensor:
    from .creation import full

    out = input
    for i in range(len(pad) // 2):
        d = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        n = out.shape[d]
        if n + left + right < 0 or (left < 0 and -left > n) or (right < 0 and -right > n):
            raise RuntimeError(f"The input size {n}, plus negative padding {left} and {right} "
                               f"resulted in a negative output size, which is invalid. Check "
                               f"dimension {d} of your input.")
        # negative pads crop first
        start, stop = max(-left, 0), n - max(-right, 0)
        out = out.narrow(d, start, max(stop - start, 0))
        parts = []
        for amount in (left, right):
            shape = list(out.shape)
            shape[d] = max(amount, 0)
            parts.append(full(shape, value, dtype=input.dtype, device=input.device))
        if left > 0 or right > 0:
            out = cat([parts[0], out, parts[1]], d)
    return out if out is not input else input.clone()


def _pad_index(mode, n, left, right, d, input) -> Tensor:
    from .creation import tensor

    if mode == "reflect" and (left >= n or right >= n):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                           f"input dimension, but got: padding ({left}, {right}) at dimension "
                           f"{d} of input {list(input.shape)}")
    if mode == "circular" and (left > n or right > n):
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode == "replicate" and n == 0 and (left or right):
        raise RuntimeError(f"Expected the padded dimension {d} of input {list(input.shape)} to "
                           "be non-empty")
    if min(left, right) < 0:
        raise RuntimeError(f"negative padding ({left}, {right}) is only supported in constant "
                           "mode")
    import numpy as np

    # built with NumPy: a Python list of a long signal's positions would cost milliseconds
    if mode == "reflect":
        parts = (np.arange(left, 0, -1), np.arange(n), np.arange(n - 2, n - 2 - right, -1))
    elif mode == "replicate":
        parts = (np.zeros(left, np.int64), np.arange(n), np.full(right, n - 1))
    else:
        parts = (np.arange(n - left, n), np.arange(n), np.arange(right))
    return tensor(np.concatenate(parts).astype(np.int64), dtype=_int64(), device=input.device)


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
