"""``ember.special``: special functions, like ``torch.special``.

Each function is an existing ember op (``erf``, ``lgamma`` as ``gammaln``, ``sigmoid`` as
``expit``…), a top-level op from ``ember.ops.special_math`` (``erfc``, ``i0``, ``sinc``,
``polygamma``, ``mvlgamma`` as ``multigammaln``) or a ``@composite`` op defined here: a
decomposition in ember ops and a backward in ember ops. The CPU backend runs SciPy's versions where SciPy is installed
(``ember/backends/cpu_special.py``); elsewhere the decompositions run.
"""

from __future__ import annotations

import math

import numpy as np

from ._tensor import Tensor
from .ops._dispatch import as_tensor_like, composite, promote
from .ops.elementwise import (  # noqa: F401
    digamma,
    erf,
    erfinv,
    exp2,
    expm1,
    lgamma,
    log1p,
    logit,
    round,
    sigmoid,
    where,
)
from .ops.inplace import write_out
from .ops.reduction import logsumexp  # noqa: F401
from .ops.softmax import log_softmax, softmax  # noqa: F401
from .ops.special_math import (
    as_float,
    bessel_i,
    bessel_i1,
    erfc,
    erfcx_decomposition,
    hurwitz_zeta,
    i0,
    mvlgamma,
    polygamma,
    sinc,
)

_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)

expit = sigmoid
gammaln = lgamma
psi = digamma


def _special_unary(name: str, decomposition, backward, doc: str):
    """A unary function of ``ember.special``: ints compute in the default float; ``out=``."""
    op = composite(name, backward)(decomposition)

    def fn(input: Tensor, *, out=None) -> Tensor:
        res = op(as_float(input))
        return res if out is None else write_out(out, res)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    fn.op_name, fn.decomposition = name, decomposition
    return fn


def _x(node) -> Tensor:
    return node.saved_tensors()[0]


# ---- error function family --------------------------------------------------------------------

erfcx = _special_unary(
    "erfcx", erfcx_decomposition,
    lambda n, g: (g * (2 * _x(n) * erfcx(_x(n)) - 2 / math.sqrt(math.pi)),),
    "Scaled complementary error function ``exp(x²)·erfc(x)`` (no overflow for large x).")


def _ndtr_decomposition(x: Tensor) -> Tensor:
    return erfc(-x / _SQRT_2) * 0.5


def _normal_pdf(x: Tensor) -> Tensor:
    return (-x * x / 2).exp() / _SQRT_2PI


ndtr = _special_unary("ndtr", _ndtr_decomposition, lambda n, g: (g * _normal_pdf(_x(n)),),
                      "The standard normal cumulative distribution function.")


def _log_ndtr_decomposition(x: Tensor) -> Tensor:
    # upper part: log(1 - ndtr(-x)) keeps the tiny tail; lower part: log of erfcx without the
    # underflowing exp(-x²/2) factor
    hi = x.clamp(min=-1.0)
    t = -x.clamp(max=-1.0) / _SQRT_2
    return where(x > -1.0, (erfc(hi / _SQRT_2) * -0.5).log1p(), (erfcx(t) * 0.5).log() - t * t)


def _log_ndtr_backward(node, g):
    x = _x(node)
    return (g * (-x * x / 2 - log_ndtr(x)).exp() / _SQRT_2PI,)


log_ndtr = _special_unary("log_ndtr", _log_ndtr_decomposition, _log_ndtr_backward,
                          "log of ``ndtr``, accurate far into both tails.")


def _ndtri_decomposition(p: Tensor) -> Tensor:
    # a start from erfinv (or, deep in the lower tail, from the asymptotic expansion of log ndtr),
    # then two Newton steps on log(ndtr(x)) = log(q), well-conditioned in both tails
    tiny = float(np.finfo(p.dtype.np).tiny)
    q = where(p < 0.5, p, 1 - p).clamp(tiny, 0.5)
    start = erfinv(2 * q - 1) * _SQRT_2
    qt = q.clamp(max=1e-8)
    big_l = -2 * qt.log()
    tail = -(big_l - big_l.log() - math.log(2 * math.pi)).sqrt()
    x = where(q < 1e-8, tail, start)
    log_q = q.log()
    for _ in range(2):
        lx = log_ndtr(x)
        x = x - (lx - log_q) * (lx + x * x / 2).exp() * _SQRT_2PI
    x = where(p < 0.5, x, -x)
    x = where(p == 0, -math.inf, where(p == 1, math.inf, x))
    return where((p < 0) | (p > 1), math.nan, x)


ndtri = _special_unary(
    "ndtri", _ndtri_decomposition,
    lambda n, g: (g * _SQRT_2PI * (ndtri(_x(n)).square() / 2).exp(),),
    "The inverse of ``ndtr``: the standard normal quantile function.")


# ---- modified Bessel functions ----------------------------------------------------------------

def i1(input: Tensor, *, out=None) -> Tensor:
    """Modified Bessel function of the first kind, order 1."""
    res = bessel_i1(as_float(input))
    return res if out is None else write_out(out, res)


i1.op_name, i1.decomposition = "i1", bessel_i1.decomposition

i0e = _special_unary(
    "i0e", lambda x: bessel_i(x, 0, True),
    lambda n, g: (g * (i1e(_x(n)) - _x(n).sign() * i0e(_x(n))),),
    "Exponentially scaled ``i0``: ``exp(-|x|)·I0(x)``.")


def _i1e_backward(node, g):
    x = _x(node)
    safe = where(x == 0, 1.0, x)
    return (g * where(x == 0, 0.5, i0e(x) - i1e(x) * (x.sign() + 1 / safe)),)


i1e = _special_unary("i1e", lambda x: bessel_i(x, 1, True), _i1e_backward,
                     "Exponentially scaled ``i1``: ``exp(-|x|)·I1(x)``.")


# ---- information theory -----------------------------------------------------------------------

def _entr_decomposition(x: Tensor) -> Tensor:
    pos = where(x > 0, x, 1.0)
    return where(x < 0, -math.inf, where(x > 0, -pos * pos.log(), x * 0))


entr = _special_unary("entr", _entr_decomposition,
                      lambda n, g: (g * -(1 + _x(n).log()),),
                      "Elementwise entropy ``-x·log(x)`` (0 at 0, -inf below).")


def _operands(input, other, name: str):
    a, b = promote(input, other, name)
    like = a if isinstance(a, Tensor) else b
    a, b = as_tensor_like(a, like), as_tensor_like(b, like)
    return as_float(a), as_float(b)


def _x_times_log(input, other, name: str, log):
    x, y = _operands(input, other, name)
    zero = (x == 0) & ~y.isnan()  # 0·log(y) is 0, but NaN stays NaN
    return where(zero, 0.0, x * log(where(zero, 1.0, y)))


def xlogy(input, other, *, out=None) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    res = _x_times_log(input, other, "xlogy", lambda y: y.log())
    return res if out is None else write_out(out, res)


def xlog1py(input, other, *, out=None) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    res = _x_times_log(input, other, "xlog1py", lambda y: y.log1p())
    return res if out is None else write_out(out, res)


# ---- gamma family -----------------------------------------------------------------------------

def multigammaln(input: Tensor, p: int, *, out=None) -> Tensor:
    """log of the multivariate gamma function of dimension ``p`` (``ember.mvlgamma``)."""
    res = mvlgamma(input, p)
    return res if out is None else write_out(out, res)


def zeta(input, other, *, out=None) -> Tensor:
    """The Hurwitz zeta function ``ζ(x, q) = Σ_k (q + k)^-x``: inf at x = 1, NaN below."""
    s, q = _operands(input, other, "zeta")
    res = hurwitz_zeta(where(s > 1, s, 2.0), q)
    res = where(s == 1, math.inf, where(s < 1, math.nan, res))
    return res if out is None else write_out(out, res)


__all__ = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "exp2", "expm1", "log1p",
           "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
           "ndtr", "ndtri", "log_ndtr", "sinc", "entr", "xlogy", "xlog1py", "logsumexp",
           "softmax", "log_softmax", "round", "zeta"]
