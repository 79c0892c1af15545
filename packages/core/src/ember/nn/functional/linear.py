"""Linear maps, embeddings, distances and pixel shuffles: ``linear``, ``bilinear``,
``embedding``, ``embedding_bag``, ``one_hot``, ``normalize``, ``cosine_similarity``,
``pairwise_distance``, ``pdist``, ``pixel_shuffle``, ``pixel_unshuffle``.

``linear`` is one composite op (a GEMM plus an in-place bias add on the CPU) with its own
backward, so a training step records one graph node per layer instead of three.
"""

from __future__ import annotations

from ..._tensor import Tensor, wrap
from ...amp import state as _amp
from ...autograd.grad_mode import no_grad, state
from ...ops._dispatch import composite, record
from ...ops.elementwise import where
from ...ops.linear import _PRETTY, _shape_x, matmul

# ---- linear / bilinear ------------------------------------------------------------------------


def _linear_backward(node, g):
    saved = node.saved_tensors()
    x, w = saved[0], saved[1]
    edges = node.next_functions
    need = (edges[0] is not None, edges[1] is not None, len(edges) > 2 and edges[2] is not None)
    fast = None if state.grad_enabled or g.dtype.itemsize < 4 else \
        g._be.kernels.get("linear_backward")
    if fast is not None:  # no double backward through it: the backend's fused kernel
        grads = fast(g._data, x._data, w._data, *need)
        return tuple(None if a is None else wrap(a, g) for a in grads)[:len(edges)]
    out_f, in_f = w.shape
    gx = gw = gb = None
    if edges[0] is not None:
        gx = matmul(g, w)
    if edges[1] is not None or (len(edges) > 2 and edges[2] is not None):
        g2 = g.reshape(-1, out_f)
        if edges[1] is not None:
            gw = matmul(g2.t(), x.reshape(-1, in_f))
        if len(edges) > 2 and edges[2] is not None:
            gb = g2.sum(0)
    return (gx, gw, gb)[:len(edges)]


@composite("linear", backward=_linear_backward)
def _linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    out = matmul(x, weight.t())
    return out if bias is None else out + bias


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    Shape: input ``(*, in_features)``, weight ``(out_features, in_features)``, bias
    ``(out_features,)``; output ``(*, out_features)``.
    """
    if _amp.state.active:
        input, weight, bias = _amp.lower(input, weight, bias)
    if input.dtype is not weight.dtype or (bias is not None and bias.dtype is not input.dtype):
        other = weight if input.dtype is not weight.dtype else bias
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_PRETTY[input.dtype.name]} and {_PRETTY[other.dtype.name]}")
    if weight.ndim != 2 and not (weight.ndim == 1 and input.ndim >= 1):
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{weight.ndim}D")
    if weight.ndim == 1 or input.ndim == 0:
        out = matmul(input, weight.t())  # PyTorch's degenerate forms go through matmul
        return out if bias is None else out + bias
    if input.shape[-1] != weight.shape[1]:
        rows = input.numel() // input.shape[-1] if input.shape[-1] else 0
        lhs = _shape_x(input) if input.ndim == 2 else f"{rows}x{input.shape[-1]}" \
            if input.ndim > 2 else f"1x{input.shape[0]}"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({lhs} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if bias is not None and bias.shape not in ((weight.shape[0],), (), (1,)):
        raise RuntimeError(f"The size of tensor a ({weight.shape[0]}) must match the size of "
                           f"tensor b ({bias.shape[-1]}) at non-singleton dimension "
                           f"{input.ndim - 1}")
    return _linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1ᵀ W_k x2 + b_k``, done as one matmul and a contraction.

    Shape: input1 ``(*, in1)``, input2 ``(*, in2)``, weight ``(out, in1, in2)``, bias ``(out,)``;
    output ``(*, out)``.
    """
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got "
                           f"{weight.ndim}")
    out_f, in1, in2 = weight.shape
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    # (*, in1) @ (in1, out * in2) -> (*, out, in2), then contract in2 with input2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = matmul(input1, w).reshape(tuple(input1.shape[:-1]) + (out_f, in2))
    out = (t * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


# ---- embeddings -------------------------------------------------------------------------------

def _check_indices(input: Tensor, name: str = "embedding") -> None:
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"{input.type().replace('ember.', 'torch.')} instead (while checking "
                           f"arguments for {name})")


def _renorm_rows(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: rows that ``indices`` use and whose ``norm_type``-norm
    exceeds ``max_norm`` are scaled (in place) to norm ``max_norm``."""
    with no_grad():
        idx = indices.reshape(-1)
        rows = weight.index_select(0, idx)
        norms = rows.norm(norm_type, 1, keepdim=True)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_put_((idx,), rows * scale)


def _embedding_backward(node, g):
    (indices,) = node.saved_tensors()
    num, padding_idx, scale_grad = node.ctx
    dim = g.shape[-1]
    idx = indices.reshape(-1)
    g2 = g.reshape(-1, dim)
    if padding_idx is not None:
        g2 = g2 * (idx != padding_idx).to(g.dtype).unsqueeze(1)
    if scale_grad:
        from ...ops.creation import zeros

        counts = zeros(num, dtype=g.dtype, device=g.device).index_add(
            0, idx, (idx >= 0).to(g.dtype))
        g2 = g2 / counts.index_select(0, idx).unsqueeze(1)
    from ...ops.creation import zeros

    return (zeros((num, dim), dtype=g.dtype, device=g.device).index_add(0, idx, g2),)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` looked up by the integer ``input``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: the rows used are renormalised
    in place first (like PyTorch, this modifies ``weight``). ``scale_grad_by_freq`` divides each
    row's gradient by how often the row occurs in ``input``.

    Shape: input ``(*)`` int64/int32, weight ``(num_embeddings, embedding_dim)``; output
    ``(*, embedding_dim)``.
    """
    if sparse:
        raise RuntimeError("ember has no sparse tensors: embedding(sparse=True) is not "
                           "supported; use sparse=False")
    _check_indices(input)
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    with no_grad():
        out = weight.index_select(0, input.reshape(-1)).reshape(tuple(input.shape) +
                                                                 (weight.shape[1],))
    if weight._rg and state.grad_enabled:
        record(out, _embedding_backward, "EmbeddingBackward0", (weight,), (input,),
               (num, padding_idx, scale_grad_by_freq))
    return out


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embeddings, without materialising the lookups' shape.

    ``input`` 2-D ``(B, N)``: B bags of N indices. ``input`` 1-D with ``offsets`` ``(B,)``: bag
    ``b`` holds ``input[offsets[b]:offsets[b+1]]`` (with ``include_last_offset`` offsets has
    B + 1 entries, the last one the end). Entries equal to ``padding_idx`` are left out (they
    count for neither the sum nor the mean); empty bags give zeros.
    """
    from ...ops.creation import arange, zeros

    if sparse:
        raise RuntimeError("ember has no sparse tensors: embedding_bag(sparse=True) is not "
                           "supported; use sparse=False")
    _check_indices(input, "embedding_bag")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        offsets = arange(0, input.numel(), max(input.shape[1], 1), device=input.device)
        if input.shape[1] == 0:
            offsets = zeros(input.shape[0], dtype=offsets.dtype, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    starts = offsets[:-1] if include_last_offset else offsets
    bags = starts.shape[0]
    n = input.shape[0]
    # bag id of each index: a cumulative count of the bag starts at or before it
    marks = zeros(n + 1, dtype=offsets.dtype, device=input.device).index_put(
        (starts.clamp(0, n),), zeros(bags, dtype=offsets.dtype, device=input.device) + 1,
        accumulate=True)
    bag_of = marks[:n].cumsum(0) - 1
    keep = bag_of >= 0
    if include_last_offset:
        keep = keep & (arange(n, device=input.device) < offsets[-1])
    if padding_idx is not None:
        keep = keep & (input != (padding_idx if padding_idx >= 0 else
                                 weight.shape[0] + padding_idx))
    bag_of = where(keep, bag_of, 0)
    rows = embedding(input, weight)
    dim = weight.shape[1]
    fkeep = keep.to(rows.dtype).unsqueeze(1)
    if mode == "max":
        neg_inf = where(keep.unsqueeze(1), rows, float("-inf"))
        out = zeros((bags, dim), dtype=rows.dtype, device=rows.device).scatter_reduce(
            0, bag_of.unsqueeze(1).expand(n, dim), neg_inf, "amax", include_self=False)
        return where(out == float("-inf"), 0.0, out)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    out = zeros((bags, dim), dtype=rows.dtype, device=rows.device).index_add(
        0, bag_of, rows * fkeep)
    if mode == "mean":
        counts = zeros(bags, dtype=rows.dtype, device=rows.device).index_add(
            0, bag_of, fkeep.squeeze(1))
        out = out / counts.clamp(min=1).unsqueeze(1)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*,)`` int64 class indices → ``(*, num_classes)`` int64 with a 1 at each index.
    ``num_classes=-1`` uses ``tensor.max() + 1``."""
    from ...ops.creation import arange

    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.numel():
        if bool((tensor < 0).any()):
            raise RuntimeError("Class values must be non-negative.")
        if bool((tensor >= num_classes).any()):
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(tensor.dtype)


# ---- normalisation and distances --------------------------------------------------------------

def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        from ...ops.inplace import write_out

        return write_out(out, result)
    return result


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """``max(‖x‖, eps)`` whose gradient is the norm's (PyTorch clamps without recording it)."""
    n = x.norm(2, dim, keepdim=True)
    return n + (n.clamp_min(eps) - n).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1·x2 / (max(‖x1‖, eps) max(‖x2‖, eps))`` along ``dim`` (inputs broadcast)."""
    from ...ops.shape import broadcast_tensors

    if not (x1.dtype.is_floating_point or x1.dtype.is_complex):
        x1 = x1.float()
    if not (x2.dtype.is_floating_point or x2.dtype.is_complex):
        x2 = x2.float()
    a, b = broadcast_tensors(x1, x2)
    return ((a / _clamped_norm(a, dim, eps)) * (b / _clamped_norm(b, dim, eps))).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``‖x1 - x2 + eps‖_p`` over the last dimension."""
    last = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, last if last >= 0 else -1, keepdim=keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm distances between all pairs of rows ``i < j`` of an ``(N, M)`` input, in
    row-major order of the pairs: shape ``(N * (N - 1) / 2,)``."""
    from ...ops.joining import triu_indices

    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    ij = triu_indices(n, n, 1, device=input.device)
    diff = input.index_select(0, ij[0]) - input.index_select(0, ij[1])
    return diff.norm(p, 1)


# ---- pixel shuffle ----------------------------------------------------------------------------

def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C r², H, W)`` → ``(*, C, H r, W r)``: channel blocks become spatial blocks."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    oc = c // (r * r)
    n = len(lead)
    x = input.reshape(tuple(lead) + (oc, r, r, h, w))
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(tuple(lead) + (oc, h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H r, W r)`` → ``(*, C r², H, W)``: the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


from ...ops._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
