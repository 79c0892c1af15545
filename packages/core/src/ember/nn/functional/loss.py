"""Loss functions (``F.cross_entropy``, ``F.mse_loss``, ``F.ctc_loss``…), PyTorch's names,
arguments, defaults, reductions and error messages.

Each is written in ember ops (differentiable, on every backend). Two have their own backward:
``cross_entropy`` with class-index targets (a fused log-softmax + NLL fast path, kernel
``cross_entropy_nll``, whose gradient is ``softmax - onehot``; the CPU kernels are in
``backends/cpu_norm.py``) and ``ctc_loss`` (the alpha recursion forward, the alpha-beta
gradient backward, vectorised over the batch and the label positions; one step per frame).
"""

from __future__ import annotations

import math
import warnings

from ..._tensor import Tensor, wrap
from ...amp import state as _amp
from ...autograd.grad_mode import no_grad, state
from ...ops._dispatch import needs_grad, record
from ...ops.creation import arange, full
from ...ops.elementwise import where, xlogy
from ...ops.joining import cat, stack
from ...ops.shape import broadcast_tensors
from ...ops.softmax import log_softmax

_REDUCTIONS = ("none", "mean", "sum")

# ---- reductions ---------------------------------------------------------------------------------


def _reduction(size_average, reduce, reduction: str) -> str:
    """The reduction named by the legacy ``size_average``/``reduce`` pair, or ``reduction``."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_size(input: Tensor, target: Tensor):
    """PyTorch's pointwise losses warn on mismatched shapes and then broadcast."""
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
        return broadcast_tensors(input, target)
    return input, target


def _softplus(z: Tensor) -> Tensor:
    """log(1 + exp(z)) without overflow."""
    return z.clamp_min(0) + (-z.abs()).exp().log1p()


def _log_sigmoid(z: Tensor) -> Tensor:
    return z.clamp_max(0) - (-z.abs()).exp().log1p()


# ---- pointwise regression losses -------------------------------------------------------------


@_amp.runs_in_float32
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``. Shape: any (target broadcast, with a warning)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _same_size(input, target)
    return _reduce((input - target).abs(), reduction)


@_amp.runs_in_float32
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    """Mean squared error ``(input - target)²`` (times ``weight`` when given)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _same_size(input, target)
    d = input - target
    loss = d * d
    return _reduce(loss * weight if weight is not None else loss, reduction)


@_amp.runs_in_float32
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d² / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``beta=0``: L1)."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _same_size(input, target)
    z = (input - target).abs()
    if beta == 0:
        return _reduce(z, reduction)
    # the quadratic branch on a clamped |d| keeps the discarded branch's gradient finite
    zc = z.clamp_max(beta)
    return _reduce(where(z < beta, zc * zc * (0.5 / beta), z - 0.5 * beta), reduction)


@_amp.runs_in_float32
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """``0.5 d²`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _same_size(input, target)
    z = (input - target).abs()
    zc = z.clamp_max(delta)
    loss = where(z < delta, 0.5 * zc * zc, delta * (z - 0.5 * delta))
    return _reduce(loss * weight if weight is not None else loss, reduction)


# ---- NLL and cross-entropy ----------------------------------------------------------------------


def _check_target_dtype(target: Tensor) -> None:
    if target.dtype.is_floating_point or target.dtype.is_complex or target.dtype.name == "bool":
        kind = target.type().rsplit(".", 1)[-1][:-len("Tensor")]
        raise RuntimeError(f"expected scalar type Long but found {kind}")


def _check_nll_args(input: Tensor, target: Tensor, weight) -> int:
    """PyTorch's argument checks of nll_loss; returns the number of classes."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    _check_target_dtype(target)
    if input.ndim != 1 and (target.ndim == 0 or input.shape[0] != target.shape[0]):
        got = target.shape[0] if target.ndim else "()"
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({got}).")
    expected = list(input.shape[:1]) + list(input.shape[2:]) if input.ndim > 1 else []
    if list(target.shape) != expected:
        if input.ndim <= 2:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    return c


def _class_weights(target: Tensor, weight, ignore_index: int, c: int, dtype):
    """(safe target, per-element weight w[target] with 0 at ignored elements); raises
    PyTorch's IndexError for a target outside [0, C)."""
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= c))
    if bad.any().item():  # one host round trip, like PyTorch's CPU check
        raise IndexError(f"Target {target[bad].reshape(-1)[0].item()} is out of bounds.")
    t = where(valid, target, 0)
    w = valid.to(dtype)
    if weight is not None:
        w = weight[t] * w
    return t, w


def _unbatched(input: Tensor, target: Tensor):
    """A (C,) input with a 0-d target is a batch of one."""
    return input.unsqueeze(0), target.reshape(1)


@_amp.runs_in_float32
def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``:
    ``-weight[t] * input[n, t]``; 'mean' divides by the summed weights of non-ignored targets.

    Shape: input (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...).
    """
    reduction = _reduction(size_average, reduce, reduction)
    c = _check_nll_args(input, target, weight)
    unbatched = input.ndim == 1
    x, tgt = _unbatched(input, target) if unbatched else (input, target)
    t, w = _class_weights(tgt, weight, ignore_index, c, input.dtype)
    loss = -x.gather(1, t.unsqueeze(1)).squeeze(1) * w
    if reduction == "none":
        return loss.reshape(()) if unbatched else loss
    return loss.sum() / w.sum() if reduction == "mean" else loss.sum()


def _ce_decomposition(input, target, weight, ignore_index, reduction, label_smoothing, c):
    """log_softmax + nll (+ the smoothing term), in ember ops; ``input`` is (N, C, ...)."""
    logp = log_softmax(input, 1)
    t, w = _class_weights(target, weight, ignore_index, c, input.dtype)
    loss = -logp.gather(1, t.unsqueeze(1)).squeeze(1) * w
    if label_smoothing > 0:
        lw = logp if weight is None else logp * weight.reshape((1, c) + (1,) * (input.ndim - 2))
        smooth = where(target != ignore_index, -lw.sum(1), 0.0)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "none":
        return loss
    return loss.sum() / w.sum() if reduction == "mean" else loss.sum()


def _ce_fused(input, target, weight, ignore_index, reduction, label_smoothing, c, k):
    """The fused kernel on (M, C) rows: per-row losses, then the reduction in ember ops."""
    x = input if input.ndim == 2 else input.movedim(1, -1).reshape(-1, c)
    t = target.reshape(-1)
    wd = None if weight is None else weight._data
    loss_data, lse_data, total = k(x._data, t._data, wd, ignore_index, label_smoothing)
    loss = wrap(loss_data, x)
    if needs_grad(x):
        record(loss, _ce_backward, "CrossEntropyLossBackward0", (x,), (x, t),
               (wrap(lse_data, x), weight, ignore_index, label_smoothing))
    if reduction == "none":
        return loss.reshape(target.shape)
    return loss.sum() / wrap(total, x) if reduction == "mean" else loss.sum()


def _ce_backward(node, g):
    x, t = node.saved_tensors()
    lse, weight, ignore_index, eps = node.ctx
    k = x._be.kernels.get("cross_entropy_nll_backward")
    if k is not None and not state.grad_enabled:
        return (wrap(k(x._data, lse._data, t._data, None if weight is None else weight._data,
                       g._data, ignore_index, eps), x),)
    # in ember ops; under create_graph the softmax is recomputed from x (differentiable)
    c = x.shape[1]
    logp = log_softmax(x, 1) if state.grad_enabled else x - lse
    valid = t != ignore_index
    ts = where(valid, t, 0)
    coef = where(valid, g, 0.0)
    w_t = weight[ts] if weight is not None else 1.0
    w_all = weight if weight is not None else 1.0
    total = weight.sum() if weight is not None else c
    mass = (1 - eps) * w_t + (eps / c) * total
    onehot = (ts.unsqueeze(1) == arange(c, device=x.device)).to(x.dtype)
    q = onehot * ((1 - eps) * w_t).unsqueeze(1) if weight is not None else onehot * (1 - eps)
    if eps > 0:
        q = q + w_all * (eps / c)
    return (logp.exp() * (mass * coef).unsqueeze(1) - q * coef.unsqueeze(1),)


def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, fast):
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if tuple(input.shape) == tuple(target.shape):
        return _ce_probabilities(input, target, weight, reduction, label_smoothing, ignore_index)
    c = _check_nll_args(input, target, weight)
    unbatched = input.ndim == 1
    x, tgt = _unbatched(input, target) if unbatched else (input, target)
    # the fused kernel differentiates the logits only; a weight that requires grad takes the
    # decomposition (differentiable in every argument)
    k = x._be.kernels.get("cross_entropy_nll") if fast and not needs_grad(weight) else None
    args = (weight, ignore_index, reduction, label_smoothing, c)
    loss = _ce_fused(x, tgt, *args, k) if k is not None else _ce_decomposition(x, tgt, *args)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def _ce_probabilities(input, target, weight, reduction, label_smoothing, ignore_index):
    """Cross-entropy against class probabilities (``target`` has the input's shape)."""
    if not target.dtype.is_floating_point:
        kind = target.type().rsplit(".", 1)[-1][:-len("Tensor")]
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {kind}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    dim = 1 if input.ndim > 1 else 0
    c = input.shape[dim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    logp = log_softmax(input, dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape((c,) + (1,) * (input.ndim - dim - 1))
    if reduction == "none":
        return -prod.sum(dim)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum() / (input.numel() // c) if input.numel() else -prod.sum() * math.nan


@_amp.runs_in_float32
def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of unnormalised logits ``input`` against class indices or class
    probabilities (``target`` of the input's shape), with class ``weight``, ``ignore_index``
    and ``label_smoothing``; 'mean' over class indices divides by the summed target weights.

    Shape: input (N, C), (C,) or (N, C, d1, ...); target (N,), (), (N, d1, ...) of int64, or
    the input's shape (probabilities).
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, True)


def _cross_entropy_decomposition(input, target, weight=None, size_average=None,
                                 ignore_index=-100, reduce=None, reduction="mean",
                                 label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, False)


cross_entropy.decomposition = _cross_entropy_decomposition
cross_entropy.op_name = "cross_entropy"


# ---- binary losses ------------------------------------------------------------------------------


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` of probabilities ``input``; each log is clamped
    at -100 like PyTorch's, so the loss stays finite at 0 and 1.

    Shape: input and target of one shape; weight broadcastable to it.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the "
                         "same size.")
    if ((input < 0) | (input > 1)).any().item():
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp_min(-100) +
             (1 - target) * (-input).log1p().clamp_min(-100))
    if weight is not None:
        loss = loss * weight.expand(broadcast_tensors(weight, target)[0].shape)
    return _reduce(loss, reduction)


@_amp.runs_in_float32
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable expression:
    ``(1 - t) x - (1 + (pos_weight - 1) t) log σ(x)``, times ``weight``.

    Shape: input and target of one shape; weight broadcastable; pos_weight broadcastable along
    the last (class) dimension.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    ls = _log_sigmoid(input)
    if pos_weight is not None:
        loss = (1 - target) * input - ((pos_weight - 1) * target + 1) * ls
    else:
        loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@_amp.runs_in_float32
def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (probabilities, or log-probabilities with ``log_target``): ``t (log t - input)``,
    with ``0 log 0 = 0``. 'batchmean' divides the sum by the batch size (``input.size(0)``);
    'mean' by the number of elements (with PyTorch's warning).
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    elif reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@_amp.runs_in_float32
def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(x) - t x`` (``log_input``) or
    ``x - t log(x + eps)``; ``full`` adds Stirling's term ``t log t - t + 0.5 log(2πt)``
    for ``t > 1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        tc = target.clamp_min(1.0)
        stirling = tc * tc.log() - tc + 0.5 * (2 * math.pi * tc).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


@_amp.runs_in_float32
def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``0.5 (log var + (input - target)² / var)`` (+ the
    constant with ``full``); ``var`` is clamped at ``eps`` for the value only, like PyTorch
    (the gradient flows as if unclamped).

    Shape: var of the input's shape, or with one dimension fewer or a last dimension of 1
    (one variance for all outputs), or a number.
    """
    if not isinstance(var, Tensor):
        var = full_like_scalar(input, float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if (var < 0).any().item():
        raise ValueError("var has negative entry/entries")
    v = var.detach()
    var = var + (v.clamp_min(eps) - v)
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def full_like_scalar(like: Tensor, value: float) -> Tensor:
    return full(tuple(like.shape), value, dtype=like.dtype, device=like.device)


# ---- margin and embedding losses ----------------------------------------------------------------


@_amp.runs_in_float32
def soft_margin_loss(input, target, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))`` with labels ``y`` in {1, -1}."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(_softplus(-target * input), reduction)


@_amp.runs_in_float32
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all logistic loss, averaged over the classes (last dimension).

    Shape: input and target (N, C) or (C,); weight broadcastable.
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-class multi-label hinge loss: for each target class j (the indices before the
    first -1 in ``target``) and each non-target class i, ``max(0, 1 - (x[j] - x[i]))``,
    summed and divided by C.

    Shape: input and int64 target (N, C) or (C,).
    """
    reduction = _reduction(size_average, reduce, reduction)
    unbatched = input.ndim <= 1
    x = input.reshape(1, -1) if unbatched else input
    t = target.reshape(1, -1) if unbatched else target
    if tuple(x.shape) != tuple(t.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    c = x.shape[1]
    # the targets are the prefix before the first -1
    active = (t >= 0).to(x.dtype).cumprod(1) > 0
    ts = where(active, t, 0)
    is_target = ((ts.unsqueeze(2) == arange(c, device=x.device)) & active.unsqueeze(2)).any(1)
    xt = x.gather(1, ts)
    margins = (1 - xt.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)
    keep = active.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = where(keep, margins, 0.0).sum((1, 2)) / c
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i])^p * w[y] / C``.

    Shape: input (N, C) or (C,); target (N,) or () int64.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    unbatched = input.ndim <= 1
    x = input.reshape(1, -1) if unbatched else input
    t = target.reshape(-1)
    c = x.shape[1]
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"inconsistent target size, expected {x.shape[0]} but got "
                           f"{list(target.shape)}")
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise ValueError("weight must be a 1D tensor of the same size as the number of classes")
    if ((t < 0) | (t >= c)).any().item():
        raise IndexError("target out of range")
    xy = x.gather(1, t.unsqueeze(1))
    z = (margin - xy + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    not_y = t.unsqueeze(1) != arange(c, device=x.device)
    loss = where(not_y, z, 0.0).sum(1) / c
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


@_amp.runs_in_float32
def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)`` with ``y`` in {1, -1}."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@_amp.runs_in_float32
def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    margin_part = where(target != 1, (margin - input).clamp_min(0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


@_amp.runs_in_float32
def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)`` where ``y = -1``.

    Shape: inputs (N, D) or (D,); target (N,) or ().
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"cosine_embedding_loss: inputs should be 1D or 2D tensors of one "
                           f"size, but got sizes {list(input1.shape)} and {list(input2.shape)}")
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0),
                                                    0.0)
    return _reduce(loss, reduction)


def _pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension (PyTorch's pairwise_distance)."""
    d = (x1 - x2 + eps).abs()
    if p == 2:
        return (d * d).sum(-1).sqrt()
    if p == 1:
        return d.sum(-1)
    if p == math.inf:
        return d.amax(-1)
    return (d ** p).sum(-1) ** (1.0 / p)


@_amp.runs_in_float32
def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with the p-norm distance; ``swap`` uses
    ``min(d(a, n), d(p, n))`` as the negative distance.

    Shape: anchor, positive, negative (N, D) or (D,).
    """
    reduction = _reduction(size_average, reduce, reduction)
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if not dims[0] == dims[1] == dims[2]:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ...ops.elementwise import minimum

        d_neg = minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """``triplet_margin_loss`` with any ``distance_function(x1, x2)`` (default: the pairwise
    Euclidean distance)."""
    reduction = _reduction(None, None, reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    dist = distance_function if distance_function is not None else _pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        from ...ops.elementwise import minimum

        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


# ---- CTC ----------------------------------------------------------------------------------------

_NEG_INF = -math.inf


def _lse3(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """log(exp a + exp b + exp c) elementwise; all -inf gives -inf (no NaN)."""
    m = a.maximum(b).maximum(c)
    m = where(m == _NEG_INF, 0.0, m)
    return m + ((a - m).exp() + (b - m).exp() + (c - m).exp()).log()


def _shift(x: Tensor, k: int, fill) -> Tensor:
    """``x`` shifted right (k > 0) or left (k < 0) along dim 1, ``fill`` coming in."""
    n = x.shape[0]
    pad = full((n, abs(k)), fill, dtype=x.dtype, device=x.device)
    return cat([pad, x[:, :x.shape[1] - k]], 1) if k > 0 else cat([x[:, -k:], pad], 1)


def _lengths(value, name: str, n: int) -> list:
    if isinstance(value, Tensor):
        value = value.reshape(-1).tolist()
    elif isinstance(value, int):
        value = [value]
    value = [int(v) for v in value]
    if len(value) != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return value


def _ctc_targets(targets: Tensor, tl: list, blank: int, device):
    """Padded (N, S) targets from padded or concatenated ones (positions past each length
    hold ``blank``)."""
    n, s = len(tl), max(tl, default=0)
    if targets.ndim == 1:
        total = targets.shape[0]
        if sum(tl) > total:
            raise RuntimeError(f"Expected tensor to have size at least {sum(tl)} at dimension "
                               f"0, but got size {total} for argument #2 'targets' (while "
                               "checking arguments for ctc_loss_cpu)")
        offsets = [0]
        for length in tl[:-1]:
            offsets.append(offsets[-1] + length)
        idx = Tensor.new_tensor(targets, offsets).unsqueeze(1) + arange(s, device=device)
        padded = targets[idx.clamp_max(max(total - 1, 0))] if total else \
            full((n, s), blank, dtype=targets.dtype, device=device)
    else:
        if targets.shape[1] < s:
            raise RuntimeError(f"Expected tensor to have size at least {s} at dimension 1, but "
                               f"got size {targets.shape[1]} for argument #2 'targets' (while "
                               "checking arguments for ctc_loss_cpu)")
        padded = targets[:, :s]
    inside = arange(s, device=device) < Tensor.new_tensor(targets, tl).unsqueeze(1)
    return where(inside, padded, blank).to(_int64())


def _int64():
    from ... import _dtype

    return _dtype.int64


def _ctc_alpha(lp_ext: Tensor, skip: Tensor, il: Tensor) -> Tensor:
    """log alpha (T, N, L): the forward recursion, frozen after each input's length."""
    t_max, _, length = lp_ext.shape
    first = arange(length, device=lp_ext.device) < 2
    alphas = [where(first, lp_ext[0], _NEG_INF)]
    for t in range(1, t_max):
        a = alphas[-1]
        new = _lse3(a, _shift(a, 1, _NEG_INF), where(skip, _shift(a, 2, _NEG_INF), _NEG_INF))
        alphas.append(where((il > t).unsqueeze(1), new + lp_ext[t], a))
    return stack(alphas)


def _ctc_beta(lp_ext: Tensor, skip: Tensor, il: Tensor, end: Tensor, tl: Tensor) -> Tensor:
    """log beta (T, N, L): the backward recursion, started at each input's last frame."""
    t_max, n, length = lp_ext.shape
    pos = arange(length, device=lp_ext.device)
    last = (pos == end.unsqueeze(1)) | ((pos == (end - 1).unsqueeze(1)) & (tl > 0).unsqueeze(1))
    skip_next = _shift(skip, -2, False)
    nxt = full((n, length), _NEG_INF, dtype=lp_ext.dtype, device=lp_ext.device)
    betas = []
    for t in range(t_max - 1, -1, -1):
        step = _lse3(nxt, _shift(nxt, -1, _NEG_INF),
                     where(skip_next, _shift(nxt, -2, _NEG_INF), _NEG_INF)) + lp_ext[t]
        start = where(last, lp_ext[t], _NEG_INF)
        nxt = where((il - 1 == t).unsqueeze(1), start,
                    where((il - 1 > t).unsqueeze(1), step, _NEG_INF))
        betas.append(nxt)
    return stack(betas[::-1])


def _ctc_core(log_probs: Tensor, ext: Tensor, skip: Tensor, il: Tensor, tl: Tensor,
              zero_infinity: bool) -> Tensor:
    """Per-sample negative log-likelihoods (N,), with the alpha-beta gradient recorded."""
    t_max, n, _ = log_probs.shape
    with no_grad():
        lp = log_probs.detach()
        lp_ext = lp.gather(2, ext.unsqueeze(0).expand((t_max,) + tuple(ext.shape)))
        alpha = _ctc_alpha(lp_ext, skip, il)
        final = alpha[t_max - 1]
        end = tl * 2
        a_end = final.gather(1, end.unsqueeze(1)).squeeze(1)
        a_prev = final.gather(1, (end - 1).clamp_min(0).unsqueeze(1)).squeeze(1)
        a_prev = where(tl > 0, a_prev, _NEG_INF)
        m = a_end.maximum(a_prev)
        m = where(m == _NEG_INF, 0.0, m)
        nll = -(m + ((a_end - m).exp() + (a_prev - m).exp()).log())
        impossible = None
        if zero_infinity:
            impossible = nll == math.inf
            nll = where(impossible, 0.0, nll)
    if needs_grad(log_probs):
        record(nll, _ctc_backward, "CtcLossBackward0", (log_probs,), (log_probs,),
               (ext, skip, il, tl, alpha, lp_ext, nll, end, impossible))
    return nll


def _ctc_backward(node, g):
    """PyTorch's gradient: ``exp(lp) - exp(log sum_{s: l'(s)=c} alpha beta + nll - lp)`` per
    frame inside each input (0 after it), times the upstream gradient. (Like PyTorch's, it
    folds in the Jacobian of the log_softmax that ``log_probs`` is expected to come from.)"""
    (log_probs,) = node.saved_tensors()
    ext, skip, il, tl, alpha, lp_ext, nll, end, impossible = node.ctx
    with no_grad():  # no double backward, like PyTorch's ctc_loss_backward
        lp = log_probs.detach()
        t_max, n, c = lp.shape
        beta = _ctc_beta(lp_ext, skip, il, end, tl)
        ab = alpha + beta - lp_ext  # alpha and beta both include the frame's log-probability
        m = ab.amax(2, keepdim=True)
        m = where(m == _NEG_INF, 0.0, m)
        onehot = (ext.unsqueeze(2) == arange(c, device=lp.device)).to(lp.dtype)  # (N, L, C)
        occ = (ab - m).exp().permute(1, 0, 2).matmul(onehot).permute(1, 0, 2)  # (T, N, C)
        grad = lp.exp() - (occ.log() + m + nll.reshape(1, n, 1)).exp()
        inside = arange(t_max, device=lp.device).unsqueeze(1) < il.unsqueeze(0)  # (T, N)
        keep = inside.unsqueeze(2)
        if impossible is not None:
            keep = keep & ~impossible.reshape(1, n, 1)
        grad = where(keep, grad * g.reshape(1, n, 1), 0.0)
    return (grad,)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss of log-probabilities (from ``log_softmax``)
    against unaligned target sequences.

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities.
        targets: (N, S) padded or (sum(target_lengths),) concatenated class indices (never
            ``blank``).
        input_lengths, target_lengths: (N,) tensors or sequences of ints.
        reduction: 'mean' divides each loss by its target length, then averages the batch.
        zero_infinity: impossible alignments give 0 loss and 0 gradient instead of inf.
    """
    reduction = _reduction(None, None, reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.reshape(1, -1)
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 3-D (T, N, C), got "
                           f"{log_probs.ndim}-D")
    t_max, n, c = log_probs.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    il_list = _lengths(input_lengths, "input_lengths", n)
    tl_list = _lengths(target_lengths, "target_lengths", n)
    for v in il_list:
        if v > t_max or v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {v} (while checking arguments for ctc_loss_cpu)")
    device = log_probs.device
    padded = _ctc_targets(targets, tl_list, blank, device)
    blanks = full((n, padded.shape[1]), blank, dtype=padded.dtype, device=device)
    ext = cat([stack([blanks, padded], 2).reshape(n, -1),
               full((n, 1), blank, dtype=padded.dtype, device=device)], 1)
    skip = (ext != blank) & (ext != _shift(ext, 2, blank))
    il = Tensor.new_tensor(padded, il_list)
    tl = Tensor.new_tensor(padded, tl_list)
    nll = _ctc_core(log_probs, ext, skip, il, tl, zero_infinity)
    if reduction == "mean":
        return (nll / tl.clamp_min(1).to(nll.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.reshape(()) if unbatched else nll


__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]
