"""Reductions over dimensions: sum, mean, prod, max/min, arg-reductions, std/var, norms…"""

from __future__ import annotations

import math

from .._dtype import default_for_kind
from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..autograd.grad_mode import state
from ._dispatch import kernel, record


def normalize_dims(dim, ndim: int):
    """``dim`` (int, sequence or None) → a sorted tuple of non-negative axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        dims = tuple(sorted({_wrap_dim(d, ndim) for d in dim}))
        if len(dims) != len(dim):
            raise RuntimeError("dim appears multiple times in the list of dims")
        return dims
    return (_wrap_dim(dim, ndim),)


def expand_reduced(g: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input's ``shape``."""
    if not keepdim and len(shape) and dims is not None:
        for d in dims:
            g = g.unsqueeze(d)
    return g.expand(shape)  # a full reduction's 0-d gradient expands directly


def _sum_backward(node, g):
    shape, dims, keepdim = node.ctx
    return (expand_reduced(g, shape, dims, keepdim),)


def _reduce_call(name, x, dims, keepdim):
    """Run a reduction kernel; a 0-dim tensor reduces over nothing (dims () → all)."""
    if x.ndim == 0:
        dims = None
    return wrap(kernel(x._be, name)(x._data, dims, keepdim), x)


@tensor_method
def sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims by default); bool/int sums are int64 like PyTorch."""
    x = input if dtype is None else input.to(dtype)
    dims = normalize_dims(dim, x.ndim)
    out = _reduce_call("sum", x, dims, keepdim)
    if x._rg and state.grad_enabled:
        record(out, _sum_backward, "SumBackward0", (x,), (), (tuple(x.shape), dims, keepdim))
    return out


@tensor_method
def mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_pretty(x.dtype)}")
    dims = normalize_dims(dim, x.ndim)
    n = x.numel() if dims is None else math.prod(x.shape[d] for d in dims)
    s = x.sum(dims if dims is not None else None, keepdim)
    return s / n if n else s * math.nan


def _pretty(dt) -> str:
    return dt.name.capitalize()


def _minmax_backward(node, g):
    (x, out) = node.saved_tensors()
    shape, dims, keepdim = node.ctx
    out_e = expand_reduced(out, shape, dims, keepdim)
    mask = (x == out_e).to(g.dtype)
    count = expand_reduced(mask.sum(dims, keepdim=keepdim) if dims is not None else mask.sum(),
                           shape, dims, keepdim)
    return (expand_reduced(g, shape, dims, keepdim) * mask / count,)


def _minmax(name):
    def op(input, dim=None, keepdim=False) -> Tensor:
        dims = normalize_dims(dim, input.ndim)
        if input.numel() == 0 and (dims is None or any(input.shape[d] == 0 for d in dims)):
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        out = _reduce_call(name, input, dims, keepdim)
        if input._rg and state.grad_enabled:
            record(out, _minmax_backward, name.capitalize() + "Backward0", (input,),
                   (input, out.detach()), (tuple(input.shape), dims, keepdim))
        return out

    op.__name__ = name
    setattr(Tensor, name, op)
    return op


amax = _minmax("amax")
amin = _minmax("amin")


@tensor_method
def logsumexp(input, dim, keepdim=False) -> Tensor:
    m = input.detach().amax(dim, keepdim=True)
    m = m.where(m.isfinite(), 0.0) if m.dtype.is_floating_point else m
    out = (input - m).exp().sum(dim, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dim)


_ = default_for_kind


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
