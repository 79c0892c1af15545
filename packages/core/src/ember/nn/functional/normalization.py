"""Normalization layers: ``batch_norm``, ``instance_norm``, ``layer_norm``, ``group_norm``,
``rms_norm`` and ``local_response_norm``.

Batch, instance, layer and group norm are one computation on a view of the input: statistics
over some axes, then a per-channel affine map that broadcasts against the view (see
``_normalize``). A backend may register ``native_norm`` (forward: output, mean, 1/std, variance)
and ``native_norm_backward`` (the closed-form gradient) as fast paths — the CPU backend does, in
``backends/cpu_norm.py``; everywhere else the decomposition below runs (mean, then the two-pass
biased variance), and so does the backward under ``create_graph`` (differentiable again).
"""

from __future__ import annotations

import math

from ..._tensor import Tensor, wrap
from ...amp import state as _amp
from ...autograd.grad_mode import no_grad, state
from ...ops._dispatch import needs_grad, record
from ...ops.joining import pad

# ---- the shared core ----------------------------------------------------------------------------


def _moments(x: Tensor, axes, eps: float):
    """(mean, x - mean, biased variance, 1/sqrt(var + eps)) over ``axes`` (kept), in ember ops."""
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(axes, keepdim=True)
    return mean, xc, var, (var + eps).rsqrt()


def _normalize_decomposition(x, axes, w, b, eps):
    mean, xc, var, invstd = _moments(x, axes, eps)
    out = xc * invstd
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out, mean, invstd, var


def _normalize(x: Tensor, axes: tuple, w, b, eps: float, fast: bool = True):
    """``x`` normalised over ``axes`` with its own statistics, then ``* w + b`` (``w``/``b``
    broadcastable views of the parameters, or None). Returns (out, mean, invstd, var); the
    statistics are detached on the fast path (the node's backward accounts for them)."""
    k = x._be.kernels.get("native_norm") if fast else None
    if k is None:
        return _normalize_decomposition(x, axes, w, b, eps)
    wshape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    if w is not None:
        wshape = tuple(w.shape)
    elif b is not None:
        wshape = tuple(b.shape)
    arrays = k(x._data, None if w is None else w._data, None if b is None else b._data, axes,
               eps)
    out, mean, invstd, var = (wrap(a, x) for a in arrays)
    if needs_grad(x, w, b):
        record(out, _normalize_backward, "NativeNormBackward0", (x, w, b), (x, w, mean, invstd),
               (axes, wshape, eps))
    return out, mean, invstd, var


def _sum_to(t: Tensor, shape) -> Tensor:
    dims = tuple(i for i, (s, want) in enumerate(zip(t.shape, shape)) if want == 1 and s != 1)
    return t.sum(dims, keepdim=True) if dims else t


def _normalize_backward(node, g):
    x, w, mean, invstd = node.saved_tensors()
    axes, wshape, eps = node.ctx
    need_x, need_w, need_b = (e is not None for e in node.next_functions)
    k = g._be.kernels.get("native_norm_backward")
    if k is not None and not state.grad_enabled:
        dx, dw, db = k(g._data, x._data, None if w is None else w._data, mean._data,
                       invstd._data, axes, wshape, need_w, need_b)
        return (wrap(dx, g) if need_x else None, None if dw is None else wrap(dw, g),
                None if db is None else wrap(db, g))
    if state.grad_enabled:  # create_graph: the statistics as functions of x, for double backward
        mean, _, _, invstd = _moments(x, axes, eps)
    return _normalize_backward_ops(g, x, w, mean, invstd, axes, wshape, need_w, need_b)


def _normalize_backward_ops(g, x, w, mean, invstd, axes, wshape, need_w=True, need_b=True):
    """The closed-form gradient of ``(x - mean) * invstd * w + b`` with batch statistics:
    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w."""
    xhat = (x - mean) * invstd
    dw = _sum_to(g * xhat, wshape) if need_w else None
    db = _sum_to(g, wshape) if need_b else None
    dxhat = g * w if w is not None else g
    dx = invstd * (dxhat - dxhat.mean(axes, keepdim=True) -
                   xhat * (dxhat * xhat).mean(axes, keepdim=True))
    return dx, dw, db


def _affine_view(p, shape):
    return None if p is None else p.reshape(shape)


def _with_decomposition(impl):
    """The public op (fast paths allowed) with ``.decomposition`` (ember ops only)."""

    def op(*args, **kwargs):
        return impl(*args, **kwargs, _fast=True)

    def decomposition(*args, **kwargs):
        return impl(*args, **kwargs, _fast=False)

    op.__name__ = op.__qualname__ = impl.__name__.lstrip("_")
    op.__doc__ = impl.__doc__
    op.decomposition, op.op_name = decomposition, op.__name__
    return op


# ---- batch norm ---------------------------------------------------------------------------------


def _verify_batch_size(size) -> None:
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def _update_running(stat: Tensor, value: Tensor, momentum: float) -> None:
    """``stat = (1 - momentum) * stat + momentum * value`` in place (PyTorch's update)."""
    with no_grad():
        stat.copy_(value.detach().to(stat.dtype) * momentum + stat * (1 - momentum))


def _eval_norm(xv, running_mean, running_var, weight, bias, eps, shape):
    """Normalisation with fixed statistics: one scale and one shift per channel."""
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return xv * scale.reshape(shape) + shift.reshape(shape)


def _batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None,
                training: bool = False, momentum: float = 0.1, eps: float = 1e-5, *,
                _fast=True) -> Tensor:
    """Batch normalisation over all dimensions but the channel dimension 1.

    In training (or without running statistics) the batch's mean and biased variance normalise
    the input, and the running statistics (when given) are updated in place with ``momentum``
    — the variance with the unbiased batch variance, like PyTorch. In evaluation the running
    statistics are used.

    Shape: input (N, C, *); running stats, weight, bias (C,).
    """
    if input.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {input.ndim}D input)")
    if training:
        _verify_batch_size(input.size())
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    n, c = input.shape[0], input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    xv = input.reshape(n, c, -1)
    shape = (1, c, 1)
    if not training:
        return _eval_norm(xv, running_mean, running_var, weight, bias, eps,
                          shape).reshape(input.shape)
    out, mean, _, var = _normalize(xv, (0, 2), _affine_view(weight, shape),
                                   _affine_view(bias, shape), eps, _fast)
    count = n * xv.shape[2]
    if running_mean is not None:
        _update_running(running_mean, mean.reshape(c), momentum)
    if running_var is not None:
        _update_running(running_var, var.reshape(c) * (count / max(count - 1, 1)), momentum)
    return out.reshape(input.shape)


batch_norm = _with_decomposition(_batch_norm)


def _instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                   use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5, *,
                   _fast=True) -> Tensor:
    """Instance normalisation: each (sample, channel) over its spatial positions.

    With ``use_input_stats`` the running statistics (when given) are updated with the average
    over the batch of the instances' mean and unbiased variance; otherwise they normalise.

    Shape: input (N, C, *); running stats, weight, bias (C,).
    """
    if input.ndim < 3:
        raise ValueError(f"expected 3D or more input (got {input.ndim}D input)")
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.size()}")
    n, c = input.shape[0], input.shape[1]
    xv = input.reshape(n, c, -1)
    shape = (1, c, 1)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        return _eval_norm(xv, running_mean, running_var, weight, bias, eps,
                          shape).reshape(input.shape)
    out, mean, _, var = _normalize(xv, (2,), _affine_view(weight, shape),
                                   _affine_view(bias, shape), eps, _fast)
    count = xv.shape[2]
    if running_mean is not None:
        _update_running(running_mean, mean.detach().reshape(n, c).mean(0), momentum)
    if running_var is not None:
        unbiased = var.detach().reshape(n, c) * (count / max(count - 1, 1))
        _update_running(running_var, unbiased.mean(0), momentum)
    return out.reshape(input.shape)


instance_norm = _with_decomposition(_instance_norm)


# ---- layer, group and RMS norm --------------------------------------------------------------


def _normalized_shape(input: Tensor, normalized_shape, weight, bias, name="normalized_shape"):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for pname, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {pname} to be of same shape as normalized_shape, but "
                               f"got {pname} of shape {list(p.shape)} and normalized_shape = "
                               f"{list(shape)}")
    return shape


@_amp.runs_in_float32
def _layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5, *,
                _fast=True) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dimensions.

    Shape: input (*, *normalized_shape); weight, bias ``normalized_shape``.
    """
    shape = _normalized_shape(input, normalized_shape, weight, bias)
    k = math.prod(shape)
    xv = input.reshape(-1, k)
    out, _, _, _ = _normalize(xv, (1,), _affine_view(weight, (1, k)),
                              _affine_view(bias, (1, k)), eps, _fast)
    return out.reshape(input.shape)


layer_norm = _with_decomposition(_layer_norm)


@_amp.runs_in_float32
def _group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5, *,
                _fast=True) -> Tensor:
    """Group normalisation: the channels split into ``num_groups`` groups, each normalised over
    its channels and spatial positions, then a per-channel affine map.

    Shape: input (N, C, *); weight, bias (C,).
    """
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for pname, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {pname} to be a vector of size equal to the number of "
                               f"channels in input, but got {pname} of shape {list(p.shape)} "
                               f"and input of shape {list(input.shape)}")
    shape = (1, num_groups, c // num_groups, 1)
    xv = input.reshape(n, num_groups, c // num_groups, -1)
    out, _, _, _ = _normalize(xv, (2, 3), _affine_view(weight, shape),
                              _affine_view(bias, shape), eps, _fast)
    return out.reshape(input.shape)


group_norm = _with_decomposition(_group_norm)


@_amp.runs_in_float32
def rms_norm(input: Tensor, normalized_shape, weight=None, eps=None) -> Tensor:
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions:
    ``x / sqrt(mean(x²) + eps) * weight``; ``eps`` defaults to the dtype's machine epsilon.

    Shape: input (*, *normalized_shape); weight ``normalized_shape``.
    """
    shape = _normalized_shape(input, normalized_shape, weight, None)
    if eps is None:
        import ml_dtypes  # its finfo knows bfloat16 too

        eps = float(ml_dtypes.finfo(input.dtype.np).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


@_amp.runs_in_float32
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalisation across channels: ``x / (k + alpha * avg(x²))^beta``, the
    average over ``size`` neighbouring channels (zero-padded, the padding counted).

    Shape: input (N, C, *).
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = (input * input).movedim(1, -1)
    sq = pad(sq, (size // 2, (size - 1) // 2))
    total = sq[..., 0:c]
    for i in range(1, size):  # size is small (a few channels); each term is one slice
        total = total + sq[..., i:i + c]
    div = (total.movedim(-1, 1) * (alpha / size) + k) ** beta
    return input / div


__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]
