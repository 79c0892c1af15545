"""Reductions over dimensions: sum, mean, prod, max/min, arg-reductions, std/var, norms…"""

from __future__ import annotations

import builtins
import collections
import math
import types

from .. import _dtype
from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..amp import state as amp
from ..autograd.grad_mode import no_grad, state
from ._dispatch import composite, kernel, needs_grad, record


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
    if amp.state.active and dtype is None:
        (x,) = amp.full(x)  # reductions are on autocast's float32 list
    shape = x._data.shape
    dims = None if dim is None or not shape else normalize_dims(dim, len(shape))
    out = wrap(kernel(x._be, "sum")(x._data, dims, keepdim), x)
    if x._rg and state.grad_enabled:
        record(out, _sum_backward, "SumBackward0", (x,), (), (shape, dims, keepdim))
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
@amp.runs_in_float32
def logsumexp(input, dim, keepdim=False) -> Tensor:
    m = input.detach().amax(dim, keepdim=True)
    m = m.where(m.isfinite(), 0.0) if m.dtype.is_floating_point else m
    out = (input - m).exp().sum(dim, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dim)


# ---- return types and helpers shared with sorting.py ----------------------------------------

return_types = types.ModuleType("ember.return_types", "Named tuples returned by ops with several "
                                "outputs, like ``torch.return_types``.")


def _return_type(name: str, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "ember.return_types"
    cls.__qualname__ = name
    setattr(return_types, name, cls)
    return cls


for _n in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin"):
    _return_type(_n, ("values", "indices"))
_return_type("aminmax", ("min", "max"))


def _int64():
    return _dtype.int64


def _is_float(t: Tensor) -> bool:
    return t.dtype.is_floating_point or t.dtype.is_complex


def _arange_along(n: int, dim: int, ndim: int, like: Tensor) -> Tensor:
    """``arange(n)`` shaped to broadcast along ``dim`` of an ``ndim``-d tensor."""
    from .creation import arange

    shape = [1] * ndim
    shape[dim] = n
    return arange(n, device=like.device).view(shape)


def _along_key(idx: Tensor, dim: int) -> tuple:
    """An advanced-indexing key that picks ``x[..., idx[...], ...]`` along ``dim`` (gather)."""
    return tuple(idx if i == dim else _arange_along(s, i, idx.ndim, idx)
                 for i, s in enumerate(idx.shape))


def _take_along(x: Tensor, idx: Tensor, dim: int) -> Tensor:
    """``x`` gathered along ``dim`` at int64 ``idx`` (same ndim); differentiable through
    indexing, whose backward scatters (accumulating) into the picked positions."""
    if x.ndim == 0:
        return x.clone()
    return x[_along_key(idx, dim)]


def _slice_along(dim: int, start=None, stop=None) -> tuple:
    return (slice(None),) * dim + (slice(start, stop),)


def _flip(x: Tensor, dim: int) -> Tensor:
    """``x`` reversed along ``dim`` (differentiable; indexing with a reversed arange)."""
    from .creation import arange

    n = x.shape[dim]
    return x[(slice(None),) * dim + (arange(n - 1, -1, -1, device=x.device),)]


def _cat_backward(node, g):
    dim, sizes = node.ctx
    out, start = [], 0
    for s in sizes:
        out.append(g[_slice_along(dim, start, start + s)])
        start += s
    return tuple(out)


def _cat(tensors, dim: int) -> Tensor:
    """Concatenate same-dtype tensors along ``dim`` (differentiable)."""
    first = tensors[0]
    out = wrap(kernel(first._be, "cat")([t._data for t in tensors], dim), first)
    if needs_grad(*tensors):
        record(out, _cat_backward, "CatBackward0", tuple(tensors), (),
               (dim, tuple(t.shape[dim] for t in tensors)))
    return out


def _nonempty_dim(name: str, x: Tensor, d: int) -> None:
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _scalar_result(cls, x: Tensor):
    """The (values, indices) of a reduction along the only dim of a 0-dim tensor."""
    from .creation import zeros

    return cls(x.clone(), zeros((), dtype=_int64(), device=x.device))


def _squeeze_if(t: Tensor, dim: int, keepdim: bool) -> Tensor:
    return t if keepdim or t.ndim == 0 else t.squeeze(dim)


# ---- prod -------------------------------------------------------------------------------------

def _prod_backward(node, g):
    """d prod / d x_k = product of the other elements, exact with zeros: a slice with no zero
    gives prod / x_k, with one zero only the zero's position gets a gradient (the product of the
    rest), with more zeros everything is zero."""
    from .elementwise import where

    (x,) = node.saved_tensors()
    shape, dims, keepdim = node.ctx
    zero = x == 0
    safe = where(zero, 1, x)
    if dims is None:
        others, count = safe.prod(), zero.sum()
    else:
        others, count = safe.prod(dims[0], keepdim=True), zero.sum(dims, keepdim=True)
    grad = where(count == 0, others / safe, where(zero & (count == 1), others, 0))
    return (expand_reduced(g, shape, dims, keepdim) * grad.conj(),)


@tensor_method
@amp.runs_in_float32
def prod(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Product of all elements, or along the int ``dim``; bool/int inputs multiply in int64."""
    x = input if dtype is None else input.to(dtype)
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    dims = None if dim is None else (_wrap_dim(dim, x.ndim),)
    out = _reduce_call("prod", x, dims, keepdim if dim is not None else False)
    if x._rg and state.grad_enabled:
        record(out, _prod_backward, "ProdBackward0", (x,), (x,),
               (tuple(x.shape), dims if x.ndim else None, keepdim and dim is not None))
    return out


# ---- max / min and arg-reductions -------------------------------------------------------------

def _check_arg_reduce(name: str, x: Tensor, dim) -> None:
    if dim is None and x.numel() == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0.")


def _arg_reduce(name: str):
    def op(input, dim=None, keepdim=False) -> Tensor:
        _check_arg_reduce(name, input, dim)
        if dim is None:
            d = None
        else:
            d = _wrap_dim(dim, input.ndim)
            _nonempty_dim(name, input, d)
        if input.ndim == 0:
            from .creation import zeros

            return zeros((), dtype=_int64(), device=input.device)
        if input.dtype.is_complex:
            raise RuntimeError(f"{name}(): does not support complex input")
        return wrap(kernel(input._be, name)(input._data, d, keepdim), input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Indices of the {name[3:]}imum values (of the flattened input when ``dim`` is "
                  "None); the first index among ties.")
    setattr(Tensor, name, op)
    return op


argmax = _arg_reduce("argmax")
argmin = _arg_reduce("argmin")


def _value_index_reduce(name: str, arg_op, input, dim, keepdim):
    cls = getattr(return_types, name)
    d = _wrap_dim(dim, input.ndim)
    _nonempty_dim(name, input, d)
    if input.ndim == 0:
        return _scalar_result(cls, input)
    idx = arg_op(input, d, keepdim=True)
    values = _take_along(input, idx, d)
    return cls(_squeeze_if(values, d, keepdim), _squeeze_if(idx, d, keepdim))


def _max_min(name: str, full, arg_op, binary_name: str):
    def op(input, dim=None, keepdim=False, *, out=None):
        if isinstance(dim, Tensor):  # max(a, b): elementwise
            from . import elementwise

            return getattr(elementwise, binary_name)(input, dim, out=out)
        if dim is None:
            if input.numel() == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the "
                                   "'dim' argument.")
            return full(input)
        return _value_index_reduce(name, arg_op, input, dim, keepdim)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"``{name}(input)``: the {name}imum value; ``{name}(input, dim, keepdim)``: "
                  f"``return_types.{name}(values, indices)`` along ``dim`` (the first index "
                  f"among ties; NaN propagates); ``{name}(input, other)``: ``{binary_name}``.")
    setattr(Tensor, name, op)
    return op


max = _max_min("max", amax, argmax, "maximum")  # noqa: A001
min = _max_min("min", amin, argmin, "minimum")  # noqa: A001


@tensor_method
def aminmax(input, *, dim=None, keepdim=False):
    """``return_types.aminmax(min, max)`` over ``dim`` (all dims when None)."""
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is not None:
        _nonempty_dim("aminmax", input, _wrap_dim(dim, input.ndim))
    return return_types.aminmax(amin(input, dim, keepdim), amax(input, dim, keepdim))


# ---- statistics -------------------------------------------------------------------------------

def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}: Cannot pass both unbiased and correction arguments")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    if not _is_float(input):
        raise RuntimeError(f"{name}(): std and var only support floating point and complex "
                           f"dtypes, got {_pretty(input.dtype)}")
    dims = normalize_dims(dim, input.ndim) if input.ndim else None
    return dims, correction, keepdim


def _var_impl(input, dims, correction, keepdim):
    n = input.numel() if dims is None else math.prod(input.shape[d] for d in dims)
    centered = input - input.mean(dims, keepdim=True)
    sq = (centered * centered.conj()).real if input.dtype.is_complex else centered * centered
    total = sq.sum(dims, keepdim=keepdim)
    return total / builtins.max(n - correction, 0)


@tensor_method
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """Variance over ``dim``: sum((x - mean)^2) / (N - correction); ``correction`` defaults to 1
    (Bessel). ``unbiased`` is the legacy spelling of correction 1 (True) or 0 (False)."""
    dims, correction, keepdim = _var_args("var", input, dim, unbiased, keepdim, correction)
    return _var_impl(input, dims, correction, keepdim)


@tensor_method
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """Standard deviation: ``var(...).sqrt()`` (same arguments as :func:`var`)."""
    dims, correction, keepdim = _var_args("std", input, dim, unbiased, keepdim, correction)
    return _var_impl(input, dims, correction, keepdim).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``."""
    dims, correction, keepdim = _var_args("var_mean", input, dim, unbiased, keepdim, correction)
    return _var_impl(input, dims, correction, keepdim), input.mean(dims, keepdim=keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``."""
    dims, correction, keepdim = _var_args("std_mean", input, dim, unbiased, keepdim, correction)
    return (_var_impl(input, dims, correction, keepdim).sqrt(),
            input.mean(dims, keepdim=keepdim))


@tensor_method
def nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Sum treating NaN as zero."""
    from .elementwise import where

    x = input if dtype is None else input.to(dtype)
    if x.dtype.is_floating_point:
        x = where(x.isnan(), 0, x)
    return x.sum(dim, keepdim)


@tensor_method
def nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements (NaN where a slice has none)."""
    x = input if dtype is None else input.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_pretty(x.dtype)}")
    count = (~x.isnan()).sum(dim, keepdim)
    return nansum(x, dim, keepdim) / count


# ---- norms ------------------------------------------------------------------------------------

def _norm_backward(node, g):
    from .elementwise import where

    x, out = node.saved_tensors()
    p, dims, keepdim = node.ctx
    shape = tuple(x.shape)
    ge = expand_reduced(g, shape, dims, keepdim)
    if p == 0:
        return (ge * 0 * x,)
    if p == 1:
        return (ge * x.sgn(),)
    oe = expand_reduced(out, shape, dims, keepdim)
    if math.isinf(p):
        a = x.abs()
        mask = (a == oe).to(g.dtype)
        count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
        return (ge * x.sgn() * mask / count,)
    if p == 2:
        scale = x / oe
    else:
        a = x.abs()
        scale = where(a == 0, 0, x.sgn() * a.pow(p - 1)) / oe.pow(p - 1)
    return (where(oe == 0, 0, ge * scale),)


def _vector_norm(x: Tensor, p: float, dims, keepdim: bool) -> Tensor:
    if x.ndim == 0:
        dims = None
    with no_grad():
        a = x.abs()
        if math.isinf(p):
            if x.numel() == 0:
                raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty "
                                   "tensor because the operation does not have an identity")
            out = a.amax(dims, keepdim) if p > 0 else a.amin(dims, keepdim)
        elif p == 0:
            out = (a != 0).sum(dims, keepdim).to(a.dtype)
        elif p == 1:
            out = a.sum(dims, keepdim)
        elif p == 2:
            out = (a * a).sum(dims, keepdim).sqrt()
        else:
            out = a.pow(p).sum(dims, keepdim).pow(1.0 / p)
    if x._rg and state.grad_enabled:
        record(out, _norm_backward, "NormBackward1", (x,), (x, out), (p, dims, keepdim))
    return out


@tensor_method
@amp.runs_in_float32
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default): p a number, inf, -inf, 0 or "fro"
    (the 2-norm); "nuc" is the nuclear matrix norm (``ember.linalg.matrix_norm``)."""
    x = input if dtype is None else input.to(dtype)
    if not _is_float(x):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_pretty(x.dtype)}")
    if p == "nuc":
        import ember.linalg

        return ember.linalg.matrix_norm(x, "nuc", dim=(-2, -1) if dim is None else dim,
                                        keepdim=keepdim)
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): invalid norm type {p!r}")
    dims = normalize_dims(dim, x.ndim) if x.ndim else None
    result = _vector_norm(x, float(p), dims, keepdim)
    if out is not None:
        from .inplace import write_out

        return write_out(out, result)
    return result


# ---- scans ------------------------------------------------------------------------------------

def _scan_call(name: str, x: Tensor, d: int) -> Tensor:
    if x.ndim == 0:
        return wrap(kernel(x._be, name)(x._data, 0), x).reshape(())
    return wrap(kernel(x._be, name)(x._data, d), x)


def _reverse_cumsum(g: Tensor, d: int) -> Tensor:
    """sum_{j >= i} g_j along ``d``."""
    if g.ndim == 0:
        return g
    return _flip(cumsum(_flip(g, d), d), d)


def _cumsum_backward(node, g):
    return (_reverse_cumsum(g, node.ctx),)


@tensor_method
@amp.runs_in_float32
def cumsum(input, dim, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; bool/int inputs accumulate in int64."""
    x = input if dtype is None else input.to(dtype)
    d = _wrap_dim(dim, x.ndim)
    out = _scan_call("cumsum", x, d)
    if x._rg and state.grad_enabled:
        record(out, _cumsum_backward, "CumsumBackward0", (x,), (), d)
    return out


def _cumprod_backward(node, g):
    """sum_{i >= k} g_i prod_{j <= i, j != k} x_j, exact with zeros: before the first zero of a
    slice it is revcumsum(g * out) / x_k; at the first zero, the same with that zero replaced
    by one (positions after it see the zero in every product and get zero)."""
    from .elementwise import where

    (x,) = node.saved_tensors()
    d = node.ctx
    if x.ndim == 0:
        return (g,)
    zero = x == 0
    zeros_so_far = zero.to(_int64()).cumsum(d)
    before = zeros_so_far == 0
    first_zero = zero & (zeros_so_far == 1)
    safe = where(before, x, 1)
    grad_before = _reverse_cumsum(g * cumprod(x, d).conj(), d) / safe.conj()
    replaced = where(first_zero, 1, x)
    grad_first = _reverse_cumsum(g * cumprod(replaced, d).conj(), d)
    return (where(before, grad_before, where(first_zero, grad_first, 0)),)


@tensor_method
@amp.runs_in_float32
def cumprod(input, dim, *, dtype=None) -> Tensor:
    """Running product along ``dim``; bool/int inputs multiply in int64."""
    x = input if dtype is None else input.to(dtype)
    d = _wrap_dim(dim, x.ndim)
    if x._data.dtype.kind in "biu":
        x = x.to(_int64())
    out = _scan_call("cumprod", x, d)
    if x._rg and state.grad_enabled:
        record(out, _cumprod_backward, "CumprodBackward0", (x,), (x,), d)
    return out


def _log_step_scan(combine):
    """A scan along ``dim`` in ceil(log2(n)) steps of ``combine(later, earlier)`` on shifted
    copies (Hillis-Steele): element i combines with element i - s for s = 1, 2, 4, …"""

    def scan(x: Tensor, dim: int) -> Tensor:
        n = x.shape[dim] if x.ndim else 1
        if x.ndim == 0:
            return x.clone()
        s = 1
        while s < n:
            head = x[_slice_along(dim, 0, s)]
            tail = combine(x[_slice_along(dim, s, None)], x[_slice_along(dim, 0, n - s)])
            x = _cat([head, tail.to(x.dtype)], dim)
            s *= 2
        return x

    return scan


def _maximum(a, b):
    from .elementwise import maximum

    return maximum(a, b)


def _minimum(a, b):
    from .elementwise import minimum

    return minimum(a, b)


# the running extreme values alone; a backend may register "cummax"/"cummin" kernels (x, dim)
_cummax_values = composite("cummax")(_log_step_scan(_maximum))
_cummin_values = composite("cummin")(_log_step_scan(_minimum))


def _cum_extreme(name: str, values_op, input, dim):
    """(values, indices) of a running max/min; the index is the last position that reached the
    current extreme (ties pick the later element, NaN wins and sticks), as in PyTorch."""
    from .elementwise import where

    cls = getattr(return_types, name)
    d = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return _scalar_result(cls, input)
    x = input.detach()
    with no_grad():
        values = values_op(x, d)
        reached = x == values
        if x.dtype.is_floating_point:
            reached = reached | x.isnan()
        pos = _arange_along(x.shape[d], d, x.ndim, x)
        indices = _cummax_values(where(reached, pos, 0), d)
    if needs_grad(input):
        values = _take_along(input, indices, d)
    return cls(values, indices)


@tensor_method
def cummax(input, dim):
    """``return_types.cummax(values, indices)``: the running maximum along ``dim``."""
    return _cum_extreme("cummax", _cummax_values, input, dim)


@tensor_method
def cummin(input, dim):
    """``return_types.cummin(values, indices)``: the running minimum along ``dim``."""
    return _cum_extreme("cummin", _cummin_values, input, dim)


def _logaddexp(a: Tensor, b: Tensor) -> Tensor:
    """log(exp(a) + exp(b)) without overflow; -inf + -inf stays -inf."""
    from .elementwise import maximum, where

    m = maximum(a, b).detach()
    m = where(m.isinf(), 0, m)
    return ((a - m).exp() + (b - m).exp()).log() + m


@tensor_method
def logcumsumexp(input, dim) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, computed stably by a log-step scan."""
    if not _is_float(input):
        from .inplace import _type_name

        raise RuntimeError(f"\"logcumsumexp_out_cpu\" not implemented for "
                           f"'{_type_name(input.dtype)}'")
    d = _wrap_dim(dim, input.ndim)
    return _logcumsumexp_scan(input, d)


_logcumsumexp_scan = _log_step_scan(_logaddexp)


# ---- logical reductions -----------------------------------------------------------------------

def _logical_reduce(name: str):
    def op(input, dim=None, keepdim=False) -> Tensor:
        dims = normalize_dims(dim, input.ndim) if input.ndim else None
        if name == "any":
            out = (input != 0).sum(dims, keepdim) > 0
        else:
            out = (input == 0).sum(dims, keepdim) == 0
        return out.to(_dtype.uint8) if input.dtype is _dtype.uint8 else out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Whether {name} elements (along ``dim``) are non-zero; a bool tensor (uint8 "
                  "for uint8 input, like PyTorch).")
    setattr(Tensor, name, op)
    return op


all = _logical_reduce("all")  # noqa: A001
any = _logical_reduce("any")  # noqa: A001


@tensor_method
def count_nonzero(input, dim=None) -> Tensor:
    """The number of non-zero elements (along ``dim``), as int64."""
    dims = normalize_dims(dim, input.ndim) if input.ndim else None
    return (input != 0).sum(dims)


# ---- differences ------------------------------------------------------------------------------

@tensor_method
def diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim`` (``x[i+1] - x[i]``; xor for bool), after
    concatenating ``prepend`` and ``append``."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, input.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    if len(parts) > 1:
        from ._dispatch import promote_types

        dt = input.dtype
        for p in parts:
            dt = promote_types(dt, p.dtype)
        parts = [p.to(dt) for p in parts]
        for p in parts:
            if p.ndim != input.ndim:
                raise RuntimeError("diff expects prepend or append to be the same dimension as "
                                   "input")
        x = _cat(parts, d)
    else:
        x = input
    for _ in range(n):
        length = x.shape[d]
        later = x[_slice_along(d, 1, None)]
        earlier = x[_slice_along(d, 0, builtins.max(length - 1, 0))]
        x = later != earlier if x.dtype is _dtype.bool else later - earlier
    return x




from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
