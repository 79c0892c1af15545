"""Elementwise semantics that PyTorch users rely on, checked against NumPy float64."""

import math

import numpy as np
import pytest

import ember


def test_integer_division_rounding_modes():
    a = np.array([-7, -5, 5, 7, 6, -6])
    b = np.array([2, -2, -3, 3, -3, 4])
    ta, tb = ember.tensor(a), ember.tensor(b)
    np.testing.assert_array_equal(ember.div(ta, tb, rounding_mode="trunc").numpy(),
                                  np.trunc(a / b).astype(np.int64))
    np.testing.assert_array_equal(ember.div(ta, tb, rounding_mode="floor").numpy(), a // b)
    np.testing.assert_array_equal((ta % tb).numpy(), np.mod(a, b))  # sign of the divisor
    np.testing.assert_array_equal(ember.fmod(ta, tb).numpy(), np.fmod(a, b))  # of the dividend
    with pytest.raises(ValueError, match="rounding_mode"):
        ember.div(ta, tb, rounding_mode="round")


def test_where_with_python_scalars():
    x = ember.tensor([-1.0, 2.0])
    assert ember.where(x > 0, 1.0, 0.0).tolist() == [0.0, 1.0]
    assert ember.where(x > 0, 1.0, 0.0).dtype is ember.float32
    assert ember.where(x > 0, 1, 0).dtype is ember.int64
    assert ember.where(x > 0, x, 0.0).tolist() == [0.0, 2.0]


def test_complex_gradients_follow_the_conjugate_convention():
    # for a real loss L of z = x + iy, PyTorch's grad is dL/dx + i dL/dy
    rng = np.random.default_rng(0)
    zr = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    for fn, derivative in [(ember.sin, np.cos), (ember.tanh, lambda z: 1 - np.tanh(z) ** 2),
                           (ember.sqrt, lambda z: 0.5 / np.sqrt(z)), (ember.exp, np.exp)]:
        z = ember.tensor(zr, dtype=ember.complex128, requires_grad=True)
        fn(z).imag.sum().backward()  # L = Im f(z)
        # d Im f / dx = Im f'(z), d Im f / dy = Re f'(z)
        d = derivative(zr)
        np.testing.assert_allclose(z.grad.numpy(), d.imag + 1j * d.real, rtol=1e-12)


def test_backward_of_a_complex_scalar_needs_an_explicit_gradient():
    z = ember.tensor([1 + 2j], dtype=ember.complex64, requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (z * z).sum().backward()


def test_small_math_helpers_match_numpy():
    x = np.array([-2.5, -0.0, 0.0, 1.0, np.nan, 3.0])
    t = ember.tensor(x, dtype=ember.float64)
    np.testing.assert_allclose(t.deg2rad().numpy(), np.deg2rad(x))
    np.testing.assert_allclose(t.rad2deg().numpy(), np.rad2deg(x))
    np.testing.assert_array_equal(t.signbit().numpy(), np.signbit(x))
    y = np.array([1.0, np.nan, -1.0, np.nan, 2.0, 0.0])
    u = ember.tensor(y, dtype=ember.float64)
    np.testing.assert_array_equal(ember.fmax(t, u).numpy(), np.fmax(x, y))
    np.testing.assert_array_equal(ember.fmin(t, u).numpy(), np.fmin(x, y))
    np.testing.assert_allclose(ember.ldexp(t, ember.tensor([1, 2, 3, 4, 5, 6])).numpy(),
                               np.ldexp(x, [1, 2, 3, 4, 5, 6]))
    assert ember.float_power(ember.tensor([2], dtype=ember.int32), 0.5).dtype is ember.float64
    assert math.isclose(float(ember.float_power(ember.tensor([2]), 0.5)), math.sqrt(2))


def test_flip_accepts_dims_as_varargs_or_tuple():
    x = ember.arange(6).reshape(2, 3)
    assert x.flip(0, 1).tolist() == x.flip((0, 1)).tolist() == [[5, 4, 3], [2, 1, 0]]


def test_no_numpy_warnings_for_inf_and_nan(recwarn):
    t = ember.tensor([0.0, -1.0, 1.0])
    out = [t / 0, t.log(), t.sqrt(), t ** -1]
    assert np.isinf(out[0].numpy()[2]) and np.isnan(out[1].numpy()[1])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype, scalar", [("uint8", -16), ("uint8", 300), ("int8", 1000),
                                           ("int16", -40000), ("int32", 2**33 + 5)])
@pytest.mark.parametrize("op", ["add", "mul", "bitwise_and", "bitwise_or"])
def test_out_of_range_int_scalar_wraps_to_the_tensors_dtype(dtype, scalar, op):
    """PyTorch casts an int scalar to an integer tensor's dtype (C wrap-around), so
    ``uint8_tensor & -16`` masks with 240; NumPy would raise OverflowError."""
    x = np.array([0, 1, 7, 100, -3 if dtype[0] == "i" else 200], dtype=dtype)
    wrapped = np.array(scalar % 2**64, dtype=np.uint64).astype(dtype)  # C cast, NumPy's way
    expected = getattr(np, {"add": "add", "mul": "multiply"}.get(op, op))(x, wrapped)
    t = ember.from_numpy(x)
    for result in (getattr(ember, op)(t, scalar), getattr(ember, op)(scalar, t)):
        assert result.dtype == getattr(ember, dtype)
        np.testing.assert_array_equal(result.numpy(), expected)
