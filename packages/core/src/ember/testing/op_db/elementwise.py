"""OpInfos of the elementwise ops (``ember/ops/elementwise.py``) and of creation/conversion ops.

Samples are small (a 3x4 matrix, a broadcast pair, a 0-d tensor) so that gradcheck and
gradgradcheck on the CPU stay cheap. Inputs are drawn inside each op's domain (log on positives,
asin in (-1, 1), acosh above 1…) and away from the points where an op is not differentiable.
"""

from __future__ import annotations

import numpy as np

import ember

from ..opinfo import OpInfo, Sample, arr, positive

FLOATS = ("float32", "float64")
WITH_HALF = ("float32", "float64", "float16")
INTS = ("int64", "int32")


# ---- sample makers ------------------------------------------------------------------------------

def _unary(low=-2.0, high=2.0, maker=None):
    """Samples of one array: a matrix and a 0-d tensor, values in [low, high)."""
    make = maker or (lambda rng, shape, dt: arr(rng, shape, dt, low, high))

    def samples(rng, dtype):
        return [Sample((make(rng, (3, 4), dtype),)), Sample((make(rng, (), dtype),))]

    return samples


def _binary(low=-2.0, high=2.0, low2=None, high2=None, maker2=None, scalar=2.5):
    """Samples of two arrays: same shape, broadcast ((3, 1) with (4,)), 0-d with 1-d, and an
    array with a Python scalar (when ``scalar`` is not None)."""
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2
    second = maker2 or (lambda rng, shape, dt: arr(rng, shape, dt, low2, high2))

    def samples(rng, dtype):
        first = lambda shape: arr(rng, shape, dtype, low, high)  # noqa: E731
        out = [Sample((first((3, 4)), second(rng, (3, 4), dtype))),
               Sample((first((3, 1)), second(rng, (4,), dtype))),
               Sample((first(()), second(rng, (3,), dtype)))]
        if scalar is not None:
            out.append(Sample((first((2, 3)), scalar)))
        return out

    return samples


def _away_from_zero(rng, shape, dtype, low=0.5, high=2.0):
    """Values with |x| in [low, high) and a random sign (divisors, reciprocals)."""
    mag = positive(rng, shape, dtype, low, high)
    sign = np.where(rng.random(shape) < 0.5, -1, 1).astype(mag.dtype)
    return np.asarray(mag * sign)


def _integral(rng, shape, dtype, low=-2, high=2):
    """Small whole numbers in the dtype, so that comparisons meet ties."""
    np_dtype = np.dtype(dtype) if dtype != "bfloat16" else np.float32
    return np.asarray(rng.integers(low, high + 1, shape)).astype(np_dtype)


def _special_values(rng, dtype):
    x = arr(rng, (3, 4), dtype)
    x.reshape(-1)[[0, 3, 5, 7]] = [np.nan, np.inf, -np.inf, 0.0]
    return [Sample((x,))]


def _ternary(makers):
    """Samples of several arrays from ``makers(rng, shape, dtype)``, same shape and broadcast."""

    def samples(rng, dtype):
        return [Sample(tuple(m(rng, (3, 4), dtype) for m in makers)),
                Sample(tuple(m(rng, s, dtype) for m, s in zip(makers, [(3, 1), (4,), (3, 4)])))]

    return samples


def _std(rng, shape, dtype):
    return arr(rng, shape, dtype)


def _U(name, fn=None, low=-2.0, high=2.0, dtypes=FLOATS, grad=True, gradgrad=False, maker=None,
       **kw):
    return OpInfo(name, fn or getattr(ember, name), _unary(low, high, maker), dtypes, grad,
                  gradgrad, **kw)


def _B(name, fn=None, dtypes=FLOATS, grad=True, gradgrad=False, samples=None, **kw):
    return OpInfo(name, fn or getattr(ember, name), samples or _binary(), dtypes, grad, gradgrad,
                  **kw)


# ---- unary math -----------------------------------------------------------------------------

UNARY = [
    _U("neg", dtypes=WITH_HALF + ("int64",), gradgrad=True),
    _U("abs", dtypes=WITH_HALF + ("int64",), gradgrad=True),
    _U("sign", dtypes=FLOATS + ("int64",)),
    _U("sgn"),
    _U("sqrt", low=0.5, gradgrad=True),
    _U("rsqrt", low=0.5, gradgrad=True),
    _U("exp", dtypes=WITH_HALF, gradgrad=True),
    _U("expm1", gradgrad=True),
    _U("exp2"),
    _U("log", low=0.5, gradgrad=True),
    _U("log1p", low=-0.5),
    _U("log2", low=0.5),
    _U("log10", low=0.5),
    _U("sin", dtypes=WITH_HALF, gradgrad=True),
    _U("cos", gradgrad=True),
    _U("tan", low=-1.2, high=1.2),
    _U("tanh", gradgrad=True),
    _U("sigmoid", gradgrad=True),
    _U("sinh"),
    _U("cosh"),
    _U("asin", low=-0.9, high=0.9, gradgrad=True),
    _U("acos", low=-0.9, high=0.9),
    _U("atan", gradgrad=True),
    _U("asinh"),
    _U("acosh", low=1.2, high=3.0),
    _U("atanh", low=-0.9, high=0.9),
    _U("reciprocal", maker=_away_from_zero, gradgrad=True),
    _U("square", dtypes=FLOATS + ("int64",), gradgrad=True),
    _U("erf", gradgrad=True),
    _U("erfinv", low=-0.9, high=0.9),
    _U("lgamma", low=0.5, high=3.0),
    _U("digamma", low=0.5, high=3.0, grad=False),
    _U("logit", low=0.1, high=0.9),
    _U("logit_eps", lambda x: ember.logit(x, eps=0.2), low=0.05, high=0.95),
    _U("floor", dtypes=FLOATS + ("int64",)),
    _U("ceil", dtypes=FLOATS + ("int64",)),
    _U("trunc", dtypes=FLOATS + ("int64",)),
    _U("frac"),
    _U("round", maker=lambda rng, s, dt: arr(rng, s, dt, -4.0, 4.0)),
    _U("round_decimals", lambda x: ember.round(x, decimals=1)),
    _U("conj", gradgrad=True),
    _U("angle", maker=_away_from_zero),
    _U("nan_to_num", lambda x: ember.nan_to_num(x, nan=0.5, posinf=10.0, neginf=-10.0),
       grad=False, maker=None),
]
# special values (NaN, ±inf, 0) for the ops that classify them
UNARY += [OpInfo(name, fn, _special_values, FLOATS, grad=False) for name, fn in [
    ("nan_to_num_special", lambda x: ember.nan_to_num(x, nan=0.5, posinf=10.0, neginf=-10.0)),
    ("isnan", ember.isnan), ("isinf", ember.isinf), ("isfinite", ember.isfinite),
    ("isposinf", ember.isposinf), ("isneginf", ember.isneginf), ("isreal", ember.isreal),
]]
UNARY += [
    _U("logical_not", dtypes=("bool", "float32", "int64"), grad=False,
       maker=lambda rng, s, dt: _integral(rng, s, dt, -1, 1)),
    _U("bitwise_not", dtypes=("int64", "int32", "uint8", "bool"), grad=False,
       maker=lambda rng, s, dt: arr(rng, s, dt, 0, 5)),
]

# ---- binary arithmetic ----------------------------------------------------------------------

_divisor = _binary(maker2=_away_from_zero)
_int_divisor = _binary(low=-9, high=9, maker2=lambda rng, s, dt: _away_from_zero(rng, s, "float64",
                                                                                 1, 4).astype(dt)
                       if np.dtype(dt).kind in "iu" else _away_from_zero(rng, s, dt), scalar=3)

BINARY = [
    _B("add", dtypes=WITH_HALF + ("int64",), gradgrad=True),
    _B("add_alpha", lambda x, y: ember.add(x, y, alpha=0.5)),
    _B("sub", dtypes=WITH_HALF + ("int64",), gradgrad=True),
    _B("sub_alpha", lambda x, y: ember.sub(x, y, alpha=2)),
    _B("rsub_scalar", lambda x: 1.5 - x, samples=_unary()),
    _B("mul", dtypes=WITH_HALF + ("int64",), gradgrad=True),
    _B("div", dtypes=WITH_HALF, gradgrad=True, samples=_divisor),
    _B("div_int", ember.div, dtypes=INTS, grad=False, samples=_int_divisor),
    _B("rdiv_scalar", lambda x: 2.0 / x, samples=_unary(maker=_away_from_zero)),
    _B("div_trunc", lambda x, y: ember.div(x, y, rounding_mode="trunc"), dtypes=FLOATS + INTS,
       grad=False, samples=_int_divisor),
    _B("div_floor", lambda x, y: ember.div(x, y, rounding_mode="floor"), dtypes=FLOATS + INTS,
       grad=False, samples=_int_divisor),
    _B("floor_divide", dtypes=FLOATS + ("int64",), grad=False, samples=_int_divisor),
    _B("remainder", dtypes=FLOATS + ("int64",), samples=_int_divisor),
    _B("fmod", dtypes=FLOATS + ("int64",), samples=_int_divisor),
    _B("pow", gradgrad=True, samples=_binary(0.5, 2.0, -2.0, 2.0, scalar=3)),
    _B("pow_int_exponent", lambda x: x ** 2, samples=_unary(), gradgrad=True),
    _B("pow_scalar_base", lambda x: 2.0 ** x, samples=_unary()),
    _B("float_power", samples=_binary(0.5, 2.0, -2.0, 2.0)),
    _B("maximum", gradgrad=True),
    _B("minimum"),
    _B("atan2", samples=_binary(maker2=_away_from_zero)),
    _B("hypot"),
    _B("logaddexp", gradgrad=True),
    _B("xlogy", samples=_binary(maker2=lambda rng, s, dt: positive(rng, s, dt))),
    _B("copysign", samples=_binary(maker2=_away_from_zero, scalar=-1.0)),
    _B("heaviside", grad=False, samples=_binary(maker2=lambda rng, s, dt: arr(rng, s, dt),
                                                scalar=None)),
]

# ---- comparisons, logical and bitwise ops -------------------------------------------------------

_ties = _binary(maker2=lambda rng, s, dt: _integral(rng, s, dt), scalar=1)


def _tie_samples(rng, dtype):
    # both operands whole numbers: eq/le/ge meet equal elements
    out = _ties(rng, dtype)
    return [Sample(tuple(_integral(rng, a.shape, dtype) if isinstance(a, np.ndarray) else a
                         for a in s.args)) for s in out]


COMPARE = [_B(name, dtypes=FLOATS + ("int64",), grad=False, samples=_tie_samples)
           for name in ("eq", "ne", "lt", "le", "gt", "ge")]
COMPARE += [_B(name, dtypes=("bool", "float32", "int64"), grad=False,
               samples=lambda rng, dt: [Sample(tuple(_integral(rng, (3, 4), dt, -1, 1)
                                                     for _ in range(2)))])
            for name in ("logical_and", "logical_or", "logical_xor")]


def _bits(rng, dtype):
    a = lambda s: arr(rng, s, dtype, 0, 100) if dtype != "bool" else arr(rng, s, dtype)  # noqa
    return [Sample((a((3, 4)), a((3, 4)))), Sample((a((3, 1)), a((4,))))]


def _shifts(rng, dtype):
    return [Sample((arr(rng, (3, 4), dtype, 0, 100), arr(rng, (3, 4), dtype, 0, 5))),
            Sample((arr(rng, (3, 4), dtype, 0, 100), 2))]


COMPARE += [_B(name, dtypes=("int64", "int32", "uint8", "bool"), grad=False, samples=_bits)
            for name in ("bitwise_and", "bitwise_or", "bitwise_xor")]
COMPARE += [_B(name, dtypes=("int64", "int32", "uint8"), grad=False, samples=_shifts)
            for name in ("bitwise_left_shift", "bitwise_right_shift")]

# ---- where, clamp and friends ---------------------------------------------------------------


def _cond(rng, shape, dtype):
    return rng.random(shape) < 0.5


def _where_scalar(rng, dtype):
    return [Sample((_cond(rng, (3, 4), dtype), arr(rng, (3, 4), dtype)))]


def _clamp_bounds(rng, dtype):
    return [Sample((arr(rng, (3, 4), dtype), arr(rng, (3, 4), dtype, -1.5, -0.5),
                    arr(rng, (4,), dtype, 0.5, 1.5)))]


TERNARY = [
    OpInfo("where", ember.where, _ternary([_cond, _std, _std]), WITH_HALF, gradgrad=True),
    OpInfo("where_scalar", lambda c, x: ember.where(c, x, 0.5), _where_scalar, FLOATS),
    OpInfo("clamp", lambda x: ember.clamp(x, -0.5, 0.7), _unary(), WITH_HALF, gradgrad=True),
    OpInfo("clamp_min", lambda x: ember.clamp_min(x, -0.3), _unary(), FLOATS),
    OpInfo("clamp_max", lambda x: ember.clamp_max(x, 0.3), _unary(), FLOATS),
    OpInfo("clamp_tensor", lambda x, lo, hi: ember.clamp(x, lo, hi), _clamp_bounds, FLOATS),
    OpInfo("lerp", lambda a, b: ember.lerp(a, b, 0.3), _binary(scalar=None), FLOATS,
           gradgrad=True),
    OpInfo("lerp_tensor_weight", ember.lerp, _ternary([_std, _std, positive]), FLOATS),
    OpInfo("addcmul", lambda a, b, c: ember.addcmul(a, b, c, value=0.5),
           _ternary([_std, _std, _std]), FLOATS, gradgrad=True),
    OpInfo("addcdiv", lambda a, b, c: ember.addcdiv(a, b, c, value=2),
           _ternary([_std, _std, _away_from_zero]), FLOATS),
]

# ---- creation, conversion and in-place ops ------------------------------------------------------

def _inplace_samples(rng, dtype):
    # in-place ops write into self: the other operand broadcasts to self's shape, not beyond
    x = lambda shape: arr(rng, shape, dtype)  # noqa: E731
    return [Sample((x((3, 4)), x((3, 4)))), Sample((x((3, 4)), x((4,)))),
            Sample((x((3, 4)), x(())))]


CONVERSION = [
    _U("to_float64", lambda x: x.to(ember.float64), gradgrad=True),
    # narrowing casts: no gradcheck (float64 finite differences through a float32 rounding)
    _U("to_float32", lambda x: x.to(ember.float32), grad=False),
    _U("to_float16", lambda x: x.half(), dtypes=FLOATS, grad=False),
    _U("to_int64", lambda x: x.to(ember.int64), low=-5.0, high=5.0, grad=False,
       dtypes=FLOATS + ("int32", "bool")),
    _U("to_int32", lambda x: x.int(), low=-5.0, high=5.0, grad=False, dtypes=FLOATS + ("int64",)),
    _U("to_uint8", lambda x: x.byte(), low=0.0, high=9.0, grad=False, dtypes=FLOATS + ("int64",)),
    _U("to_bool", lambda x: x.bool(), grad=False, dtypes=FLOATS + ("int64",),
       maker=lambda rng, s, dt: _integral(rng, s, dt, -1, 1)),
    _U("int_to_float", lambda x: x.float(), low=-9, high=9, grad=False, dtypes=("int64", "bool")),
    _U("clone", lambda x: x.clone(), dtypes=WITH_HALF + ("int64", "bool"), gradgrad=True),
    OpInfo("contiguous", lambda x: x.t().contiguous(), _unary(), FLOATS + ("int64",)),
    _U("zeros_like", ember.zeros_like, grad=False, dtypes=FLOATS + ("int64", "bool")),
    _U("ones_like", ember.ones_like, grad=False, dtypes=FLOATS + ("int64", "bool")),
    _U("full_like", lambda x: ember.full_like(x, 3), grad=False, dtypes=FLOATS + ("int64",)),
    _U("arange_like", lambda x: ember.arange(-1, 2, 0.5, dtype=x.dtype, device=x.device),
       grad=False),
    _U("new_tensor", lambda x: x.new_tensor([[1.5, -2.0], [0.25, 4.0]]), grad=False),
    OpInfo("copy_", lambda x, y: ember.zeros_like(x).copy_(y), _inplace_samples, FLOATS),
    OpInfo("fill_", lambda x: x.clone().fill_(1.5), _unary(), FLOATS + ("int64",)),
    OpInfo("add_", lambda x, y: x.clone().add_(y), _inplace_samples, FLOATS, gradgrad=True),
    OpInfo("mul_", lambda x, y: x.clone().mul_(y), _inplace_samples, FLOATS),
    OpInfo("clamp_", lambda x: x.clone().clamp_(-0.5, 0.5), _unary(), FLOATS),
    OpInfo("exp_", lambda x: (x * 1).exp_(), _unary(), FLOATS),
]

OPS = UNARY + BINARY + COMPARE + TERNARY + CONVERSION
