"""Special functions that PyTorch also has at the top level: ``erfc``, ``sinc``, ``i0``,
``polygamma``, ``mvlgamma`` (``ember.special`` adds the rest and re-exports these).

Decompositions use the primitives (``erf``, ``lgamma``, ``digamma``, ``exp``…) with piecewise
approximations whose branches are evaluated on clamped inputs, so that the branch ``where`` does
not pick stays finite (its zero gradient would otherwise become NaN). The CPU backend registers
NumPy/SciPy fast paths under the same names (``ember/backends/cpu_special.py``).
"""

from __future__ import annotations

import math

from .._dtype import default_for_kind
from .._tensor import Tensor, tensor_method
from ._dispatch import composite
from .creation import ones_like, zeros_like
from .elementwise import unary, where
from .inplace import write_out

_SQRT_PI = math.sqrt(math.pi)


def horner(x: Tensor, coefficients) -> Tensor:
    """Evaluate a polynomial (coefficients from the highest power down) at ``x``."""
    acc = zeros_like(x) + coefficients[0]  # (x * 0 would make inf inputs NaN)
    for c in coefficients[1:]:
        acc = acc * x + c
    return acc


def as_float(x: Tensor) -> Tensor:
    return x if x.dtype.is_floating_point else x.to(default_for_kind("f"))


# ---- erfc / erfcx -----------------------------------------------------------------------------

# Cephes' rational approximations of erfcx(x) = exp(x²)·erfc(x) on [1, 8) and [8, ∞)
_ERFCX_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
            4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
            9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_ERFCX_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
            9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
            1.65666309194161350182E3, 5.57535340817727675546E2)
_ERFCX_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
            6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
_ERFCX_S = (1.0, 2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
            1.70814450747565897222E1, 9.60896809063285067337E0, 3.36907645100081516050E0)


def erfcx_at_least_one(x: Tensor) -> Tensor:
    """erfcx on [1, ∞) (inputs are clamped there); 1/(sqrt(pi)·x) past 1e8, to relative 1e-16."""
    mid = x.clamp(1.0, 8.0)
    big = x.clamp(8.0, 1e8)
    out = where(x < 8.0, horner(mid, _ERFCX_P) / horner(mid, _ERFCX_Q),
                horner(big, _ERFCX_R) / horner(big, _ERFCX_S))
    return where(x > 1e8, 1 / (x.clamp(min=1e8) * _SQRT_PI), out)


def erfcx_decomposition(x: Tensor) -> Tensor:
    """exp(x²)·erfc(x): exp(x²)·(1 - erf(x)) on (-1, 1) (no cancellation there), rational fits
    from 1 up, and erfcx(x) = 2·exp(x²) - erfcx(-x) from -1 down."""
    small = x.clamp(-1.0, 1.0)
    neg = x.clamp(max=-1.0)
    below = 2 * (neg * neg).exp() - erfcx_at_least_one(-neg)
    return where(x >= 1.0, erfcx_at_least_one(x.clamp(min=1.0)),
                 where(x <= -1.0, below, (small * small).exp() * (1 - small.erf())))


def _erfc_decomposition(x: Tensor) -> Tensor:
    small = x.clamp(max=1.0)
    big = x.clamp(min=1.0)
    return where(x < 1.0, 1 - small.erf(), (-big * big).exp() * erfcx_at_least_one(big))


erfc = unary("erfc", lambda n, g: (g * (-2 / _SQRT_PI) * (-n.saved_tensors()[0].square()).exp(),),
             decomposition=_erfc_decomposition)


# ---- sinc -------------------------------------------------------------------------------------

def _sinc_decomposition(x: Tensor) -> Tensor:
    px = where(x == 0, 1.0, x) * math.pi
    return where(x == 0, 1.0, px.sin() / px)


def _sinc_backward(node, g):
    (x,) = node.saved_tensors()
    safe = where(x == 0, 1.0, x)
    return (g * where(x == 0, 0.0, ((safe * math.pi).cos() - sinc(safe)) / safe),)


sinc = unary("sinc", _sinc_backward, decomposition=_sinc_decomposition)


# ---- modified Bessel functions I0, I1 ---------------------------------------------------------

_BESSEL_SWITCH = 25.0  # power series below (all terms positive), asymptotic expansion above


def bessel_i_scaled(x: Tensor, order: int) -> tuple:
    """Pieces of I_order (0 or 1): (series, asymptotic, use_series, a): ``series`` is I_order(x)
    where a = |x| <= 25 (on x itself, so that I1 stays odd and differentiable at 0) and
    ``asymptotic`` is exp(-a)·I_order(a) above."""
    a = x.abs()
    s = x.clamp(-_BESSEL_SWITCH, _BESSEL_SWITCH)
    q = s * s / 4
    term = ones_like(x)
    total = term
    for k in range(1, 46):
        term = term * q / (k * (k + order))
        total = total + term
    series = total * (s / 2) if order == 1 else total
    big = a.clamp(_BESSEL_SWITCH, 1e30)  # (inf would give inf/inf)
    mu = 4.0 * order * order
    term = ones_like(x)
    total = term
    for k in range(1, 31):
        term = term * (-(mu - (2 * k - 1) ** 2) / (8.0 * k)) / big
        total = total + term
    asymptotic = total / (2 * math.pi * big).sqrt()
    return series, asymptotic, a <= _BESSEL_SWITCH, a


def bessel_i(x: Tensor, order: int, scaled: bool) -> Tensor:
    series, asymptotic, use_series, a = bessel_i_scaled(x, order)
    if order == 1:  # odd: I1(-a) = -I1(a)
        asymptotic = asymptotic * x.sign()
    if scaled:
        return where(use_series, series * (-a).exp(), asymptotic)
    return where(use_series, series, asymptotic * a.clamp(_BESSEL_SWITCH, 1e30).exp())


i0 = unary("i0", lambda n, g: (g * bessel_i1(n.saved_tensors()[0]),),
           decomposition=lambda x: bessel_i(x, 0, False))


@composite("i1", backward=lambda n, g: (g * _i1_derivative(n.saved_tensors()[0]),))
def bessel_i1(x: Tensor) -> Tensor:
    """I1 (``ember.special.i1``)."""
    return bessel_i(x, 1, False)


def _i1_derivative(x: Tensor) -> Tensor:
    safe = where(x == 0, 1.0, x)
    return where(x == 0, 0.5, i0(x) - bessel_i1(x) / safe)


# ---- Hurwitz zeta and polygamma ---------------------------------------------------------------

# the Bernoulli numbers B_2j as (numerator, denominator), j = 1…12
_B2J = ((1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510),
        (43867, 798), (-174611, 330), (854513, 138), (-236364091, 2730))
# B_2j / (2j)!: the Euler–Maclaurin coefficients (int / int division rounds correctly)
_EM = tuple(num / (den * math.factorial(2 * j)) for j, (num, den) in enumerate(_B2J, start=1))
_ZETA_SHIFT = 12


def hurwitz_zeta(s, q: Tensor) -> Tensor:
    """ζ(s, q) = Σ_k (q + k)^-s for s > 1 (``s`` a tensor or a number): the first terms summed
    directly, the tail by Euler–Maclaurin at a = q + 12 (accurate for q > -2)."""
    total = q * 0
    for k in range(_ZETA_SHIFT):
        total = total + (q + k).pow(-s)
    a = q + _ZETA_SHIFT
    power = a.pow(-s)  # a^-s
    total = total + power * a / (s - 1) + power / 2
    factor = power * s / a  # s · a^(-s-1), then s(s+1)…(s+2j-2) · a^(-s-2j+1)
    inv_a2 = 1 / (a * a)
    for j, c in enumerate(_EM, start=1):
        total = total + factor * c
        factor = factor * (s + 2 * j - 1) * (s + 2 * j) * inv_a2
    return total


def polygamma(n: int, input: Tensor, *, out=None) -> Tensor:
    """The n-th derivative of the digamma function (n = 0: digamma)."""
    if not isinstance(n, int) or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = as_float(input)
    res = x.digamma() if n == 0 else _polygamma(x, n=n)
    return res if out is None else write_out(out, res)


@composite("polygamma", backward=lambda nd, g: (g * _polygamma(nd.saved_tensors()[0],
                                                                n=nd.ctx["n"] + 1),))
def _polygamma(x: Tensor, *, n: int) -> Tensor:
    sign = 1.0 if n % 2 else -1.0
    return hurwitz_zeta(float(n + 1), x) * (sign * math.factorial(n))


def _polygamma_method(self, n):
    return polygamma(n, self)


Tensor.polygamma = _polygamma_method


# ---- multivariate log-gamma -------------------------------------------------------------------

@tensor_method
def mvlgamma(input: Tensor, p: int) -> Tensor:
    """log of the multivariate gamma function of dimension ``p``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = as_float(input)
    if bool((x <= (p - 1) / 2).any()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    out = (x * 0) + p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        out = out + (x - j / 2).lgamma()
    return out


# the top-level ops (ember.special re-exports them and uses the helpers above)
__all__ = ["erfc", "sinc", "i0", "polygamma", "mvlgamma"]
