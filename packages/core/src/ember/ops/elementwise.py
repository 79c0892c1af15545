"""Elementwise ops: unary math, binary arithmetic and comparisons, with their derivatives.

Each op is one line of declaration: its name, its backward (in ember ops, so it runs on every
backend and can be differentiated again) and, for non-primitive ops, a decomposition.
"""

from __future__ import annotations

import math

from .. import _dtype as _dt
from .._dtype import default_for_kind
from .._tensor import Tensor, tensor_method, wrap
from ..amp import state as amp
from ..autograd.grad_mode import state
from ._dispatch import (
    as_tensor_like,
    check_same_device,
    float_dtype_for,
    kernel,
    missing_kernel,
    node_name,
    promote,
    record,
)
from .inplace import apply_inplace, inplace_variant, write_out

_FLOAT = default_for_kind  # alias used below for readability


def sum_to(g: Tensor, shape) -> Tensor:
    """Sum a broadcast gradient back to an input's ``shape``."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    shape = tuple(shape)
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and gshape[i + lead] != 1)
    out = g.sum(dims, keepdim=True) if dims else g
    return out.reshape(shape) if lead or out.shape != shape else out


# ---- unary ------------------------------------------------------------------------------------

# unary ops that autocast runs in float32 (PyTorch's list: precision-hungry functions)
_AUTOCAST_FP32 = {"exp", "expm1", "log", "log1p", "log2", "log10", "reciprocal", "rsqrt", "tan",
                  "sinh", "cosh", "asin", "acos", "erfinv"}


def unary(name, backward=None, save="x", to_float=True, decomposition=None):
    """Declare a unary op. ``save``: what backward needs, the input ("x") or the output ("out")."""
    backward_name = node_name(name)

    fp32_under_autocast = name in _AUTOCAST_FP32

    def op(input, *, out=None):
        x = input
        if to_float and x._data.dtype.kind in "biu":
            x = x.to(default_for_kind("f"))
        if fp32_under_autocast and amp.state.active:
            (x,) = amp.full(x)
        k = x._be.kernels.get(name)
        grad = x._rg and state.grad_enabled
        if k is None or (grad and backward is None and decomposition is not None):
            if decomposition is None:
                raise missing_kernel(name, x._be)
            result = decomposition(x)
        else:
            result = wrap(k(x._data), x)
            if grad and backward is not None:
                saved = (x,) if save == "x" else (result,) if save == "out" else ()
                record(result, backward, backward_name, (x,), saved)
        return result if out is None else write_out(out, result)

    op.__name__ = op.__qualname__ = name
    op.op_name = name
    op.decomposition = decomposition
    setattr(Tensor, name, op)
    setattr(Tensor, name + "_", inplace_variant(op, name + "_"))
    return op


def _x(n):
    return n.saved_tensors()[0]


neg = unary("neg", lambda n, g: (-g,), save=None, to_float=False)
negative = neg
abs = unary("abs", lambda n, g: (g * _x(n).sgn(),), to_float=False)  # noqa: A001
absolute = abs
sign = unary("sign", lambda n, g: (g * 0,), save=None, to_float=False)
sqrt = unary("sqrt", lambda n, g: (g / (2 * _x(n)).conj(),), save="out")
exp = unary("exp", lambda n, g: (g * _x(n).conj(),), save="out")
log = unary("log", lambda n, g: (g / _x(n).conj(),))
sin = unary("sin", lambda n, g: (g * _x(n).cos().conj(),))
cos = unary("cos", lambda n, g: (-g * _x(n).sin().conj(),))
tanh = unary("tanh", lambda n, g: (g * (1 - _x(n) * _x(n)).conj(),), save="out")
atan = unary("atan", lambda n, g: (g / (1 + _x(n) * _x(n)).conj(),))
floor = unary("floor", lambda n, g: (g * 0,), save=None, to_float=False)
ceil = unary("ceil", lambda n, g: (g * 0,), save=None, to_float=False)
trunc = unary("trunc", lambda n, g: (g * 0,), save=None, to_float=False)
fix = trunc
erf = unary("erf", lambda n, g: (g * (2 / math.sqrt(math.pi)) * (-_x(n) * _x(n)).exp(),))
erfinv = unary("erfinv", lambda n, g: (g * (math.sqrt(math.pi) / 2) * (_x(n) * _x(n)).exp(),),
               save="out")
lgamma = unary("lgamma", lambda n, g: (g * _x(n).digamma(),))
digamma = unary("digamma", lambda n, g: (g * _x(n).polygamma(1),))  # ops/special_math.py
_real = unary("real", lambda n, g: (g.to(_x(n).dtype),), to_float=False)
_imag = unary("imag", lambda n, g: (g.to(_x(n).dtype) * 1j,), to_float=False)


def real(input: Tensor) -> Tensor:
    """The real part (a property on tensors, like PyTorch's); the identity on real tensors."""
    return _real(input) if input.dtype.is_complex else input


def imag(input: Tensor) -> Tensor:
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _imag(input)


Tensor.real, Tensor.imag = property(real), property(imag)
conj_physical = unary("conj", lambda n, g: (g.conj(),), save=None, to_float=False)
logical_not = unary("logical_not", None, to_float=False)
bitwise_not = unary("bitwise_not", None, to_float=False)
isnan = unary("isnan", None, to_float=False)


@tensor_method
def conj(input: Tensor) -> Tensor:
    """Complex conjugate (the identity on real tensors, like PyTorch)."""
    return conj_physical(input) if input.dtype.is_complex else input


@tensor_method
def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001
    """Round half to even; ``decimals`` scales by 10**decimals first."""
    if decimals == 0:
        return _round(input, out=out)
    scale = 10.0 ** decimals
    return _round(input * scale) / scale


_round = unary("round", lambda n, g: (g * 0,), save=None, to_float=False)
Tensor.round = round


def _sgn_impl(x):
    if x.dtype.is_complex:
        a = x.abs()
        return where(a == 0, 0, x / where(a == 0, 1, a))
    return x.sign()


@tensor_method
def sgn(input: Tensor) -> Tensor:
    return _sgn_impl(input)


# unary ops that decompose into the primitives (backends may register fast paths)
def _decomposed(name, decomposition, backward=None, save="x"):
    return unary(name, backward, save, decomposition=decomposition)


expm1 = _decomposed("expm1", lambda x: x.exp() - 1, lambda n, g: (g * (_x(n) + 1),), "out")
log1p = _decomposed("log1p", lambda x: (x + 1).log(), lambda n, g: (g / (_x(n) + 1),))
log2 = _decomposed("log2", lambda x: x.log() / math.log(2), lambda n, g: (g / (_x(n) * math.log(2)),))
log10 = _decomposed("log10", lambda x: x.log() / math.log(10),
                    lambda n, g: (g / (_x(n) * math.log(10)),))
exp2 = _decomposed("exp2", lambda x: (x * math.log(2)).exp(),
                   lambda n, g: (g * _x(n) * math.log(2),), "out")
tan = _decomposed("tan", lambda x: x.sin() / x.cos(), lambda n, g: (g * (1 + _x(n) * _x(n)),), "out")
sinh = _decomposed("sinh", lambda x: (x.exp() - (-x).exp()) / 2, lambda n, g: (g * _x(n).cosh(),))
cosh = _decomposed("cosh", lambda x: (x.exp() + (-x).exp()) / 2, lambda n, g: (g * _x(n).sinh(),))
asin = _decomposed("asin", lambda x: atan2(x, (1 - x * x).sqrt()),
                   lambda n, g: (g / (1 - _x(n) * _x(n)).sqrt(),))
acos = _decomposed("acos", lambda x: atan2((1 - x * x).sqrt(), x),
                   lambda n, g: (-g / (1 - _x(n) * _x(n)).sqrt(),))
asinh = _decomposed("asinh", lambda x: (x + (x * x + 1).sqrt()).log(),
                    lambda n, g: (g / (_x(n) * _x(n) + 1).sqrt(),))
acosh = _decomposed("acosh", lambda x: (x + (x * x - 1).sqrt()).log(),
                    lambda n, g: (g / (_x(n) * _x(n) - 1).sqrt(),))
atanh = _decomposed("atanh", lambda x: ((1 + x) / (1 - x)).log() / 2,
                    lambda n, g: (g / (1 - _x(n) * _x(n)),))
reciprocal = _decomposed("reciprocal", lambda x: 1 / x, lambda n, g: (-g * _x(n) * _x(n),), "out")
rsqrt = _decomposed("rsqrt", lambda x: 1 / x.sqrt(),
                    lambda n, g: (-0.5 * g * _x(n) * _x(n) * _x(n),), "out")
square = unary("square", lambda n, g: (2 * g * _x(n),), to_float=False,
               decomposition=lambda x: x * x)
sigmoid = _decomposed("sigmoid", lambda x: 1 / (1 + (-x).exp()),
                      lambda n, g: (g * _x(n) * (1 - _x(n)),), "out")
relu = unary("relu", lambda n, g: (g * (_x(n) > 0).to(g.dtype),), save="out", to_float=False,
             decomposition=lambda x: where(x > 0, x, 0))
isinf = unary("isinf", None, to_float=False,
              decomposition=lambda x: (x.abs() == math.inf) if x.dtype.is_floating_point
              else x != x)
isfinite = unary("isfinite", None, to_float=False,
                 decomposition=lambda x: ~(x.isnan() | x.isinf()) if x.dtype.is_floating_point
                 else x == x)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
for _alias in ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "negative",
               "absolute", "fix"):
    setattr(Tensor, _alias, globals()[_alias])


@tensor_method
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    x = input if eps is None else input.clamp(eps, 1 - eps)
    return (x / (1 - x)).log()


@tensor_method
def isposinf(input: Tensor) -> Tensor:
    return input == math.inf


@tensor_method
def isneginf(input: Tensor) -> Tensor:
    return input == -math.inf


@tensor_method
def isreal(input: Tensor) -> Tensor:
    return input.imag == 0 if input.dtype.is_complex else input == input


@tensor_method
def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    if not input.dtype.is_floating_point:
        return input.clone()
    big = float(__import__("numpy").finfo(input.dtype.np).max)
    out = where(input.isnan(), nan, input)
    out = where(out == math.inf, big if posinf is None else posinf, out)
    return where(out == -math.inf, -big if neginf is None else neginf, out)


@tensor_method
def angle(input: Tensor) -> Tensor:
    if input.dtype.is_complex:
        return atan2(input.imag, input.real)
    return where(input < 0, math.pi, 0.0 * input).to(float_dtype_for(input))


# ---- binary -----------------------------------------------------------------------------------

def binary(name, backward=None, result="same", save=True):
    """Declare a binary op with broadcasting and PyTorch's type promotion.

    ``result``: "same" (promoted dtype), "float" (ints become the default float: div, atan2),
    "bool" (comparisons and logical ops: not differentiable).
    """
    backward_name = node_name(name)

    def op(input, other, *, out=None):
        a, b = input, other
        if type(a) is not Tensor or type(b) is not Tensor or a._data.dtype != b._data.dtype \
                or a._device is not b._device:
            a, b = promote(a, b, name)
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        t = a if ta else b
        if result == "float" and t._data.dtype.kind in "biu":
            a = a.to(_FLOAT("f")) if ta else a
            b = b.to(_FLOAT("f")) if tb else b
            t = a if ta else b
        k = t._be.kernels.get(name)
        if k is None:
            raise missing_kernel(name, t._be)
        res = wrap(k(a._data if ta else a, b._data if tb else b), t)
        if backward is not None and state.grad_enabled and ((ta and a._rg) or (tb and b._rg)):
            # a Python scalar operand has no edge; its value is saved as a tensor when needed
            saved = (a if ta else _scalar_tensor(a, t), b if tb else _scalar_tensor(b, t)) \
                if save else ()
            record(res, backward, backward_name, (a if ta else None, b if tb else None), saved,
                   (a._data.shape if ta else (), b._data.shape if tb else ()))
        return res if out is None else write_out(out, res)

    op.__name__ = op.__qualname__ = name
    op.op_name = name
    setattr(Tensor, name, op)
    setattr(Tensor, name + "_", inplace_variant(op, name + "_"))
    return op


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


def _scalar_tensor(s, like):
    from .creation import tensor

    return tensor(s, dtype=like.dtype, device=like.device)


def _ab(n):
    return n.saved_tensors()


def _unb(n, ga, gb):
    """Sum both gradients back to their inputs' shapes (skipping inputs with no edge)."""
    sa, sb = n.ctx
    ea, eb = n.next_functions
    return (sum_to(ga, sa) if ea is not None and ga is not None else None,
            sum_to(gb, sb) if eb is not None and gb is not None else None)


def _add_bw(n, g):
    return _unb(n, g, g)


def _sub_bw(n, g):
    return _unb(n, g, -g)


def _mul_bw(n, g):
    a, b = _ab(n)
    return _unb(n, g * b.conj() if n.next_functions[0] else None,
                g * a.conj() if n.next_functions[1] else None)


def _div_bw(n, g):
    a, b = _ab(n)
    ga = g / b.conj()
    return _unb(n, ga, -ga * (a / b).conj() if n.next_functions[1] else None)


def _pow_bw(n, g):
    a, b = _ab(n)
    ga = g * b * a.pow(b - 1) if n.next_functions[0] else None
    gb = None
    if n.next_functions[1]:
        safe = where(a == 0, 1, a) if not a.dtype.is_complex else a
        gb = g * a.pow(b) * safe.log()
        gb = where((a == 0) & (b.real >= 0 if b.dtype.is_complex else b >= 0), 0, gb) \
            if not a.dtype.is_complex else gb
    return _unb(n, ga, gb)


def _max_bw(n, g):
    a, b = _ab(n)
    pick_a = (a > b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
    return _unb(n, g * pick_a, g * (1 - pick_a))


def _min_bw(n, g):
    a, b = _ab(n)
    pick_a = (a < b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
    return _unb(n, g * pick_a, g * (1 - pick_a))


def _atan2_bw(n, g):
    a, b = _ab(n)
    denom = a * a + b * b
    return _unb(n, g * b / denom, -g * a / denom)


def _fmod_bw(n, g):
    a, b = _ab(n)
    return _unb(n, g, -g * (a / b).trunc() if n.next_functions[1] else None)


def _remainder_bw(n, g):
    a, b = _ab(n)
    return _unb(n, g, -g * (a / b).floor() if n.next_functions[1] else None)


_add = binary("add", _add_bw, save=False)
_sub = binary("sub", _sub_bw, save=False)
mul = binary("mul", _mul_bw)
_div = binary("div", _div_bw, result="float")
pow = binary("pow", _pow_bw)  # noqa: A001
maximum = binary("maximum", _max_bw)
minimum = binary("minimum", _min_bw)
atan2 = binary("atan2", _atan2_bw, result="float")
arctan2 = atan2
fmod = binary("fmod", _fmod_bw)
remainder = binary("remainder", _remainder_bw)
_floor_divide = binary("floor_divide", None)
eq = binary("eq", None, "bool")
ne = binary("ne", None, "bool")
lt = binary("lt", None, "bool")
le = binary("le", None, "bool")
gt = binary("gt", None, "bool")
ge = binary("ge", None, "bool")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = binary("logical_and", None, "bool")
logical_or = binary("logical_or", None, "bool")
logical_xor = binary("logical_xor", None, "bool")
bitwise_and = binary("bitwise_and", None)
bitwise_or = binary("bitwise_or", None)
bitwise_xor = binary("bitwise_xor", None)
bitwise_left_shift = binary("bitwise_left_shift", None)
bitwise_right_shift = binary("bitwise_right_shift", None)
multiply = mul
for _alias in ("greater", "greater_equal", "less", "less_equal", "not_equal", "multiply",
               "arctan2"):
    setattr(Tensor, _alias, globals()[_alias])


@tensor_method
def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other``."""
    if alpha != 1:
        other = other * alpha
    return _add(input, other, out=out)


@tensor_method
def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    if alpha != 1:
        other = other * alpha
    return _sub(input, other, out=out)


subtract = sub


@tensor_method
def div(input, other, *, rounding_mode=None, out=None):
    """True division; ``rounding_mode`` "trunc" or "floor" rounds the quotient (int stays int)."""
    if rounding_mode is None:
        return _div(input, other, out=out)
    if rounding_mode == "floor":
        return floor_divide(input, other, out=out)
    if rounding_mode != "trunc":
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    a, b = promote(input, other, "div")
    t = a if isinstance(a, Tensor) else b
    if t.dtype.is_floating_point:
        res = _div(a, b).trunc()
    else:
        q = _floor_divide(a, b)
        r = remainder(a, b)
        res = where((r != 0) & ((a < 0) != (b < 0)), q + 1, q)  # floor → toward zero
    return res if out is None else write_out(out, res)


divide = true_divide = div


@tensor_method
def floor_divide(input, other, *, out=None):
    a, b = promote(input, other, "floor_divide")
    t = a if isinstance(a, Tensor) else b
    if t.dtype.is_floating_point:
        res = _div(a, b).floor()
    else:
        if (isinstance(b, Tensor) and bool((b == 0).any())) or (not isinstance(b, Tensor) and b == 0):
            raise RuntimeError("ZeroDivisionError")
        res = _floor_divide(a, b)
    return res if out is None else write_out(out, res)


for _alias in ("subtract", "divide", "true_divide"):
    setattr(Tensor, _alias, globals()[_alias])
for _n in ("add", "sub", "div", "floor_divide", "subtract", "divide", "true_divide"):
    setattr(Tensor, _n + "_", inplace_variant(globals()[_n], _n + "_"))


@tensor_method
def float_power(input, exponent):
    """``pow`` computed in float64 (complex128 for complex operands)."""
    from .._dtype import complex128, float64

    def wide(x):
        if not isinstance(x, Tensor):
            return x
        return x.to(complex128 if x.dtype.is_complex else float64)

    return pow(wide(input), wide(exponent))


# ---- ternary and friends ----------------------------------------------------------------------

def _where_bw(n, g):
    (cond,) = n.saved_tensors()
    sa, sb = n.ctx[1:]
    ea, eb = n.next_functions[1:]
    zero = g * 0
    return (None, sum_to(where(cond, g, zero), sa) if ea else None,
            sum_to(where(cond, zero, g), sb) if eb else None)


def where(condition, input=None, other=None, *, out=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcast)."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype.name != "bool":
        condition = condition.to(_dt.bool)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # two Python scalars
        from .._dtype import result_type

        input = as_tensor_like(input, condition, dtype=result_type(input, other))
    a, b = promote(input, other, "where")
    t = a if isinstance(a, Tensor) else b
    if condition._device != t._device:
        if condition.ndim == 0:
            condition = condition.to(t._device)
        else:
            check_same_device(condition, t, "where")
    da = a._data if isinstance(a, Tensor) else a
    db = b._data if isinstance(b, Tensor) else b
    data = kernel(t._be, "where")(condition._data, da, db)
    if data.dtype != t._data.dtype:  # two Python scalars of a tensor's dtype
        data = kernel(t._be, "astype")(data, t._data.dtype)
    res = wrap(data, t)
    if state.grad_enabled and ((isinstance(a, Tensor) and a._rg) or (isinstance(b, Tensor) and b._rg)):
        record(res, _where_bw, "WhereBackward0",
               (None, a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None),
               (condition,), (None, _shape(a), _shape(b)))
    return res if out is None else write_out(out, res)


@tensor_method(name="where")
def _where_method(self, condition, other):
    return where(condition, self, other)


@tensor_method
def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Clamp into [min, max]; the gradient flows where the input was inside the range."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    res = input
    if min is not None:
        res = where(res < min, min, res) if not isinstance(min, Tensor) else maximum(res, min)
    if max is not None:
        res = where(res > max, max, res) if not isinstance(max, Tensor) else minimum(res, max)
    return res if out is None else write_out(out, res)


clip = clamp
Tensor.clip = clamp
Tensor.clamp_ = Tensor.clip_ = inplace_variant(clamp, "clamp_")


@tensor_method
def clamp_min(input, min):  # noqa: A002
    return clamp(input, min=min)


@tensor_method
def clamp_max(input, max):  # noqa: A002
    return clamp(input, max=max)


@tensor_method
def lerp(input, end, weight):
    return input + weight * (end - input)


@tensor_method
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@tensor_method
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


for _n in ("add", "sub", "lerp", "addcmul", "addcdiv", "clamp"):  # names of in-place fast paths
    globals()[_n].op_name = _n


@tensor_method
def hypot(input, other):
    return (input * input + other * other).sqrt()


@tensor_method
def logaddexp(input, other):
    m = maximum(input, other).detach()
    return m + ((input - m).exp() + (other - m).exp()).log()


@tensor_method
def xlogy(input, other):
    return where(input == 0, 0.0, input * log(other) if isinstance(other, Tensor) else
                 input * math.log(other))


@tensor_method
def copysign(input, other):
    if not isinstance(other, Tensor):  # a Python number: its sign bit picks the sign
        return -input.abs() if math.copysign(1.0, other) < 0 else input.abs()
    neg = other < 0
    return where(neg, -input.abs(), input.abs())


@tensor_method
def heaviside(input, values):
    return where(input == 0, values, (input > 0).to(input.dtype))


@tensor_method
def frac(input):
    return input - input.trunc()


@tensor_method
def deg2rad(input):
    return input * (math.pi / 180)


@tensor_method
def rad2deg(input):
    return input * (180 / math.pi)


@tensor_method
def positive(input):
    return input


@tensor_method
def signbit(input):
    """True where the sign bit is set (``-0.0`` included, via ``1/x < 0``)."""
    if not input.dtype.is_floating_point:
        return input < 0
    return (input < 0) | ((input == 0) & (1 / input < 0))


@tensor_method
def fmax(input, other):
    """``maximum`` that ignores NaN (a NaN loses to a number)."""
    return where(input.isnan(), other, where(other.isnan() if isinstance(other, Tensor) else
                                             math.isnan(other), input, maximum(input, other)))


@tensor_method
def fmin(input, other):
    """``minimum`` that ignores NaN (a NaN loses to a number)."""
    return where(input.isnan(), other, where(other.isnan() if isinstance(other, Tensor) else
                                             math.isnan(other), input, minimum(input, other)))


@tensor_method
def ldexp(input, other):
    """``input * 2**other``."""
    return input * pow(2.0, other)


for _n in ("lerp", "addcmul", "addcdiv", "logit", "nan_to_num", "xlogy", "copysign", "frac",
           "hypot", "deg2rad", "rad2deg", "ldexp", "float_power"):
    setattr(Tensor, _n + "_", inplace_variant(globals()[_n], _n + "_"))

# ---- Python operators -------------------------------------------------------------------------


def _reflected(op):
    return lambda self, other: op(other, self)


Tensor.__add__ = _add
Tensor.__radd__ = _add
Tensor.__iadd__ = lambda self, other: apply_inplace(_add, self, other)
Tensor.__sub__ = _sub
Tensor.__rsub__ = _reflected(_sub)
Tensor.__isub__ = lambda self, other: apply_inplace(_sub, self, other)
Tensor.__mul__ = mul
Tensor.__rmul__ = mul
Tensor.__imul__ = lambda self, other: apply_inplace(mul, self, other)
Tensor.__truediv__ = _div
Tensor.__rtruediv__ = _reflected(_div)
Tensor.__itruediv__ = lambda self, other: apply_inplace(_div, self, other)
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _reflected(floor_divide)
Tensor.__ifloordiv__ = lambda self, other: apply_inplace(floor_divide, self, other)
Tensor.__mod__ = remainder
Tensor.__rmod__ = _reflected(remainder)
Tensor.__pow__ = pow
Tensor.__rpow__ = _reflected(pow)
Tensor.__ipow__ = lambda self, other: apply_inplace(pow, self, other)
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs
Tensor.__eq__ = eq
Tensor.__ne__ = ne
Tensor.__lt__ = lt
Tensor.__le__ = le
Tensor.__gt__ = gt
Tensor.__ge__ = ge


def _logical_or_bitwise(logical, bitwise):
    def op(self, other):
        a_bool = self.dtype.name == "bool"
        b_bool = other.dtype.name == "bool" if isinstance(other, Tensor) else isinstance(other, bool)
        return logical(self, other) if a_bool and b_bool else bitwise(self, other)

    return op


Tensor.__and__ = Tensor.__rand__ = _logical_or_bitwise(logical_and, bitwise_and)
Tensor.__or__ = Tensor.__ror__ = _logical_or_bitwise(logical_or, bitwise_or)
Tensor.__xor__ = Tensor.__rxor__ = _logical_or_bitwise(logical_xor, bitwise_xor)
Tensor.__iand__ = lambda self, o: apply_inplace(Tensor.__and__, self, o)
Tensor.__ior__ = lambda self, o: apply_inplace(Tensor.__or__, self, o)
Tensor.__invert__ = lambda self: logical_not(self) if self.dtype.name == "bool" else bitwise_not(self)
Tensor.__lshift__ = bitwise_left_shift
Tensor.__rshift__ = bitwise_right_shift


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
