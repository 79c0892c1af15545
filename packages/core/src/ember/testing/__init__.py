"""``ember.testing``: ``assert_close`` and ``make_tensor`` (like ``torch.testing``), the op database
and the backend conformance kit (``pytest --pyargs ember.testing.conformance --ember-device NAME``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype name, as in torch.testing.assert_close; other dtypes compare exactly
_DEFAULT_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


class _Mismatch(Exception):
    """A comparison failed; ``str()`` is the message (without the caller's ``msg``)."""

    def __init__(self, message: str, exc_type=AssertionError):
        super().__init__(message)
        self.exc_type = exc_type


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None) -> None:
    """Assert that ``actual`` and ``expected`` are close: ``|actual - expected| <= atol +
    rtol * |expected|`` elementwise, with matching shape, dtype and device.

    Inputs may be tensors, Python numbers, or sequences/mappings of them (compared item by
    item). Without ``rtol``/``atol`` the defaults of the dtype apply (float32: 1.3e-6 / 1e-5,
    float64: 1e-7 / 1e-7, float16: 1e-3 / 1e-5; integers and bool: exact).

    Args:
        check_device / check_dtype: when False, move both to the CPU / to a common dtype first.
        check_stride: also compare ``stride()``.
        equal_nan: NaN equals NaN.
        msg: a string replacing the generated message, or a callable ``msg(generated) -> str``.

    Raises:
        AssertionError: on a mismatch (values, shape, dtype, device, stride).
        TypeError: when the inputs have types that cannot be compared.
        ValueError: when only one of ``rtol`` and ``atol`` is given.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, (), dict(allow_subclasses=allow_subclasses, rtol=rtol,
                                            atol=atol, equal_nan=equal_nan,
                                            check_device=check_device, check_dtype=check_dtype,
                                            check_stride=check_stride))
    except _Mismatch as exc:
        text = str(exc)
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise exc.exc_type(text) from None


def _compare(actual, expected, path: tuple, opts: dict) -> None:
    from .._tensor import Tensor

    where = "" if not path else "\n\nThe failure occurred for item " + \
        "".join(f"[{p!r}]" for p in path)
    if isinstance(actual, Tensor) or isinstance(expected, Tensor):
        if not (isinstance(actual, Tensor) and isinstance(expected, Tensor)):
            raise _Mismatch(_unsupported(actual, expected), TypeError)
        return _with_path(_compare_tensors, actual, expected, opts, where)
    if _is_number(actual) and _is_number(expected):
        return _with_path(_compare_numbers, actual, expected, opts, where)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(f"The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {sorted(map(repr, set(expected) - set(actual)))}\n"
                            f"Additional keys in the actual mapping: {sorted(map(repr, set(actual) - set(expected)))}{where}")
        for key in expected:
            _compare(actual[key], expected[key], path + (key,), opts)
        return None
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}{where}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), opts)
        return None
    raise _Mismatch(_unsupported(actual, expected), TypeError)


def _with_path(fn, actual, expected, opts, where):
    try:
        fn(actual, expected, opts)
    except _Mismatch as exc:
        raise _Mismatch(str(exc) + where, exc.exc_type) from None


def _unsupported(actual, expected) -> str:
    return (f"No comparison pair was able to handle inputs of type {type(actual)} and "
            f"{type(expected)}.")


def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float, complex, np.number, np.bool_))


def _is_sequence(x) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, str)


def _attr_mismatch(name: str, a, e) -> _Mismatch:
    return _Mismatch(f"The values for attribute '{name}' do not match: {a} != {e}.")


def _compare_tensors(actual, expected, opts) -> None:
    if not opts["allow_subclasses"] and type(actual) is not type(expected):
        raise _Mismatch(_unsupported(actual, expected), TypeError)
    if actual.shape != expected.shape:
        raise _attr_mismatch("shape", actual.shape, expected.shape)
    if opts["check_device"] and actual.device != expected.device:
        raise _attr_mismatch("device", actual.device, expected.device)
    if opts["check_dtype"] and actual.dtype is not expected.dtype:
        raise _attr_mismatch("dtype", actual.dtype, expected.dtype)
    if opts["check_stride"] and actual.stride() != expected.stride():
        raise _attr_mismatch("stride()", actual.stride(), expected.stride())
    from .._dtype import promote_types

    dtype = promote_types(actual.dtype, expected.dtype)
    rtol, atol = _tolerances(dtype, opts)
    a = _host(actual)
    e = _host(expected)
    _check_values(a, e, rtol, atol, opts["equal_nan"], "Tensor-likes")


def _host(t) -> np.ndarray:
    """A tensor's values on the host, widened so that differences are exact enough."""
    arr = np.asarray(t.detach().cpu().numpy())
    kind = arr.dtype.kind
    if kind == "c":
        return arr.astype(np.complex128)
    if kind == "b":
        return arr
    return arr.astype(np.float64) if kind == "f" or arr.dtype.name == "bfloat16" else \
        arr.astype(np.int64)


def _tolerances(dtype, opts):
    if opts["rtol"] is not None:
        return opts["rtol"], opts["atol"]
    return _DEFAULT_TOLERANCES.get(dtype.name, (0.0, 0.0))


def _compare_numbers(actual, expected, opts) -> None:
    if opts["check_dtype"] and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    if opts["rtol"] is not None:
        rtol, atol = opts["rtol"], opts["atol"]
    else:  # Python floats are doubles
        rtol, atol = (1e-7, 1e-7) if isinstance(expected, (float, complex, np.floating,
                                                           np.complexfloating)) else (0.0, 0.0)
    if _number_close(actual, expected, rtol, atol, opts["equal_nan"]):
        return
    kind = "equal" if rtol == 0 and atol == 0 else "close"
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else math.inf
    text = f"Scalars are not {kind}!\n\nExpected {expected} but got {actual}.\n"
    text += f"Absolute difference: {abs_diff}" + (f" (up to {atol} allowed)" if atol else "")
    text += f"\nRelative difference: {rel_diff}" + (f" (up to {rtol} allowed)" if rtol else "")
    raise _Mismatch(text)


def _number_close(a, e, rtol, atol, equal_nan) -> bool:
    if a == e:
        return True
    if equal_nan and _isnan(a) and _isnan(e):
        return True
    try:
        return bool(abs(a - e) <= atol + rtol * abs(e))
    except OverflowError:
        return False


def _isnan(x) -> bool:
    return x != x


def _check_values(a: np.ndarray, e: np.ndarray, rtol, atol, equal_nan, identifier) -> None:
    if a.dtype.kind == "b" or e.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        # non-finite values (inf, NaN) only match when equal (or both NaN with equal_nan)
        finite = np.isfinite(a) & np.isfinite(e)
        close = (a == e) | (finite & (abs_diff <= atol + rtol * np.abs(e)))
        if equal_nan:
            close |= np.isnan(a) & np.isnan(e)
    if close.all():
        return
    mismatched = int((~close).sum())
    total = close.size
    kind = "equal" if rtol == 0 and atol == 0 else "close"
    text = f"{identifier} are not {kind}!\n\n"
    text += f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})\n"
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_diff = abs_diff / np.abs(e)
    text += _diff_line("absolute", abs_diff, atol, a.shape, a.dtype.kind in "iu") + "\n"
    text += _diff_line("relative", rel_diff, rtol, a.shape, False)
    raise _Mismatch(text)


def _diff_line(name, diff, tol, shape, integral) -> str:
    flat = diff.reshape(-1)
    if flat.size == 1:
        value = flat[0]
        idx = None
    else:
        nan = np.isnan(flat)
        flat_idx = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
        value = flat[flat_idx]
        idx = tuple(int(i) for i in np.unravel_index(flat_idx, shape))
    value = int(value) if integral else float(value)
    text = f"{name.title()} difference: {value}" if idx is None else \
        f"Greatest {name} difference: {value} at index {idx}"
    return text + (f" (up to {tol} allowed)" if tol else "")


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A random tensor of ``shape``, like ``torch.testing.make_tensor``.

    Floats are uniform in ``[low, high)`` (default ``[-9, 9)``), integers in ``[low, high)``
    (default ``[-9, 10)``, ``[0, 10)`` for uint8), bools fair coin flips, complex numbers have
    both parts drawn like floats. Values come from ember's default generator
    (``ember.manual_seed`` makes them reproducible).

    Args:
        noncontiguous: return a non-contiguous tensor with the same values.
        exclude_zero: replace zeros by a small value (the dtype's eps or 1).
    """
    import ember

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if low is not None and high is not None and low > high:
        raise ValueError(f"make_tensor: low must be less than or equal to high, but got "
                         f"low={low} and high={high}")
    for name, v in (("low", low), ("high", high)):
        if v is not None and isinstance(v, float) and math.isnan(v):
            raise ValueError(f"make_tensor: {name} cannot be NaN")
    if dtype is ember.bool:
        t = ember.rand(shape, dtype=ember.float64) < 0.5
    elif dtype.is_floating_point or dtype.is_complex:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        t = _uniform(shape, lo, hi)
        if dtype.is_complex:
            t = ember.complex(t, _uniform(shape, lo, hi))
    else:
        info = np.iinfo(dtype.np)
        lo = (0 if dtype is ember.uint8 else -9) if low is None else max(math.ceil(low), info.min)
        hi = 10 if high is None else min(math.ceil(high), info.max + 1)
        if hi <= lo:
            hi = lo + 1
        t = ember.randint(lo, hi, shape, dtype=ember.int64)
    t = t.to(dtype=dtype, device=device)
    if exclude_zero:
        small = float(np.finfo(dtype.to_real().np).eps) if dtype.is_floating_point or \
            dtype.is_complex else 1
        t = ember.where(t == 0, ember.full((), small, dtype=dtype, device=t.device), t)
    if noncontiguous and t.numel() > 1:
        # every other element of a twice-as-long last dim: a strided view with the same values
        wide = ember.zeros(shape[:-1] + (shape[-1] * 2,) if shape else (2,), dtype=dtype,
                           device=t.device)
        view = wide[..., ::2] if shape else wide[0]
        view.copy_(t)
        t = view
    if requires_grad:
        t = t.detach().requires_grad_(True)
    return t


def _uniform(shape, lo, hi):
    import ember

    return ember.rand(shape, dtype=ember.float64) * (hi - lo) + lo
