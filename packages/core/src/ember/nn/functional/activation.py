"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``…), PyTorch's names and defaults.

Each is written in ember ops, so it runs on every backend and its gradient (and the gradient of
that) comes from autograd. Piecewise functions evaluate every branch on a clamped input, so that
the branch ``where`` discards can't produce inf/NaN gradients. ``gelu`` and ``silu`` are
``composite`` ops with their own backward and CPU fast paths (``backends/cpu_nn_basic.py``).
"""

from __future__ import annotations

import math
import warnings

from ..._tensor import Tensor
from ...ops._dispatch import composite
from ...ops.elementwise import erf, where
from ...ops.inplace import apply_inplace
from ...ops.softmax import log_softmax as _log_softmax
from ...ops.softmax import softmax as _softmax

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_TANH_K = math.sqrt(2.0 / math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _maybe_inplace(fn, input: Tensor, inplace: bool, *args) -> Tensor:
    """``fn(input, *args)``, written into ``input`` when ``inplace`` (PyTorch's ``inplace=True``)."""
    if inplace:
        return apply_inplace(fn, input, *args)
    return fn(input, *args)


def _check_float(name: str, input: Tensor) -> None:
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f'"{name}" not implemented for \'{_kind(input)}\'')


def _kind(t: Tensor) -> str:
    return t.type().rsplit(".", 1)[-1][:-len("Tensor")]


# ---- ReLU family ------------------------------------------------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(0, x)`` elementwise."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def _threshold(x, threshold, value):
    return where(x > threshold, x, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return apply_inplace(_threshold, input, threshold, value)


def _hardtanh(x, min_val, max_val):
    # no gradient at the edges themselves, like PyTorch
    return where(x <= min_val, min_val, where(x >= max_val, max_val, x))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clamped into ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky_relu(x, negative_slope):
    return where(x > 0, x, x * negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``."""
    return _maybe_inplace(_leaky_relu, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learnable slope: one for all channels, or one per channel (dim 1).

    Shape: input ``(N, C, *)`` (or ``(C,)``... any shape when ``weight`` has one element);
    weight ``(1,)`` or ``(C,)``.
    """
    if not isinstance(weight, Tensor):
        raise TypeError("prelu(): argument 'weight' must be Tensor")
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = "
                               f"{channels}.")
        if input.ndim >= 2:
            weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def _rrelu(x, lower, upper, training, generator=None):
    if not training:
        return where(x >= 0, x, x * ((lower + upper) / 2))
    from ..._random import rand

    u = rand(*x.shape, generator=generator, dtype=x.dtype, device=x.device)
    slope = u * (upper - lower) + lower
    return where(x >= 0, x, x * slope)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training the negative slope of each element is drawn uniformly
    from ``[lower, upper]``; in evaluation it is ``(lower + upper) / 2``."""
    return _maybe_inplace(_rrelu, input, inplace, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


# ---- exponential family -----------------------------------------------------------------------

def _neg_part(x: Tensor) -> Tensor:
    """``min(x, 0)`` with gradient 1 where ``x < 0``: the argument of exp-branches."""
    return where(x < 0, x, 0.0)


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    neg = (_neg_part(x) * input_scale).expm1() * alpha
    out = where(x > 0, x, neg)
    return out * scale if scale != 1.0 else out


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _maybe_inplace(_elu, input, inplace, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _maybe_inplace(_elu, input, inplace, _SELU_ALPHA, _SELU_SCALE)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(_elu, input, inplace, alpha, 1.0, 1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def _softplus(x, beta, threshold):
    z = x * beta
    safe = where(z > threshold, 0.0, z)
    soft = safe.exp().log1p() / beta
    return where(z > threshold, x, soft)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    return _softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, stable for large ``|x|``."""
    return _neg_part(input) - (-input.abs()).exp().log1p()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _maybe_inplace(lambda x: x * _softplus(x, 1.0, 20.0).tanh(), input, inplace)


# ---- GELU / SiLU (composite ops with fast paths) ----------------------------------------------

def _gelu_backward(node, g):
    (x,) = node.saved_tensors()
    if node.ctx.get("approximate", "none") == "tanh":
        x2 = x * x
        t = ((x + 0.044715 * x * x2) * _TANH_K).tanh()
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_K * (1 + 3 * 0.044715 * x2)
        return (g * d,)
    cdf = 0.5 * (1 + erf(x * _SQRT1_2))
    pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
    return (g * (cdf + x * pdf),)


@composite("gelu", backward=_gelu_backward)
def _gelu(x: Tensor, approximate: str = "none") -> Tensor:
    if approximate == "tanh":
        return 0.5 * x * (1 + ((x + 0.044715 * x * x * x) * _TANH_K).tanh())
    return 0.5 * x * (1 + erf(x * _SQRT1_2))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian Error Linear Unit: ``x * Φ(x)`` (``approximate='none'``, via erf) or its tanh
    approximation ``0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_float("GeluKernelImpl", input)
    return _gelu(input, approximate=approximate)


def _silu_backward(node, g):
    (x,) = node.saved_tensors()
    s = x.sigmoid()
    return (g * s * (1 + x * (1 - s)),)


@composite("silu", backward=_silu_backward)
def _silu(x: Tensor) -> Tensor:
    return x * x.sigmoid()


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid Linear Unit (swish): ``x * sigmoid(x)``."""
    _check_float("silu", input)
    return _maybe_inplace(_silu, input, inplace)


# ---- hard / shrink / misc ---------------------------------------------------------------------

def _hardsigmoid(x):
    return where(x <= -3, 0.0, where(x >= 3, 1.0, x / 6 + 0.5))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return _maybe_inplace(_hardsigmoid, input, inplace)


def _hardswish(x):
    return where(x < -3, 0.0, where(x <= 3, x * (x + 3) / 6, x))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _maybe_inplace(_hardswish, input, inplace)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    return where((input >= -lambd) & (input <= lambd), 0.0, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: the first half of ``dim`` times the sigmoid of the second half."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    if not 0 <= d < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.ndim}, {input.ndim - 1}], but got {dim})")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.narrow(d, 0, n // 2), input.narrow(d, n // 2, n // 2)
    return a * b.sigmoid()


# ---- softmax family ---------------------------------------------------------------------------

def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``; ``dtype`` casts the input first."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    x = input if dtype is None else input.to(dtype)
    return _softmax(-x, dim)


from ...ops._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
