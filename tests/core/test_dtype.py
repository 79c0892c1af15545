"""dtypes and PyTorch's type-promotion rules."""

import numpy as np
import pytest

import ember

E = ember


@pytest.mark.parametrize("a, b, expected", [
    (E.uint8, E.int8, E.int16),
    (E.int32, E.int64, E.int64),
    (E.bool, E.uint8, E.uint8),
    (E.int64, E.float16, E.float16),
    (E.float16, E.bfloat16, E.float32),
    (E.float32, E.float64, E.float64),
    (E.float64, E.complex64, E.complex128),
    (E.float32, E.complex64, E.complex64),
    (E.int8, E.bool, E.int8),
])
def test_promote_types_table(a, b, expected):
    assert E.promote_types(a, b) is expected
    assert E.promote_types(b, a) is expected


def test_python_scalars_do_not_upcast_within_a_category():
    f16 = E.ones(2, dtype=E.float16)
    assert (f16 + 1.5).dtype is E.float16
    assert (E.ones(2, dtype=E.int32) + 2).dtype is E.int32
    assert (E.ones(2, dtype=E.int32) + 2.5).dtype is E.float32  # the default float dtype
    assert (E.ones(2, dtype=E.uint8) * True).dtype is E.uint8
    assert (E.tensor([True]) + 1).dtype is E.int64
    assert (E.ones(2) * 1j).dtype is E.complex64


def test_zero_dim_tensors_promote_like_scalars_unless_higher_category():
    i32 = E.ones(3, dtype=E.int32)
    assert E.result_type(i32, E.tensor(5)).name == "int32"  # same category: dimensioned wins
    assert E.result_type(i32, E.tensor(1.0, dtype=E.float64)) is E.float64
    assert E.result_type(E.ones(2), E.tensor(1.0, dtype=E.float64)) is E.float32
    assert E.result_type(2, 3.0) is E.float32


def test_division_of_integers_is_true_division_in_default_float():
    out = E.tensor([1, 2, 3]) / E.tensor([2, 2, 2])
    assert out.dtype is E.float32
    np.testing.assert_allclose(out.numpy(), [0.5, 1.0, 1.5])


def test_set_default_dtype():
    try:
        E.set_default_dtype(E.float64)
        assert E.tensor([1.0]).dtype is E.float64
        assert E.ones(2).dtype is E.float64
        assert (E.tensor([1, 2]) / 2).dtype is E.float64
    finally:
        E.set_default_dtype(E.float32)
    with pytest.raises(TypeError, match="floating-point"):
        E.set_default_dtype(E.int64)


def test_conversions_and_aliases():
    x = E.tensor([1.7, -2.2])
    assert x.long().dtype is E.int64 and x.long().tolist() == [1, -2]
    assert x.double().dtype is E.float64
    assert x.half().dtype is E.float16
    assert x.to(E.int32).dtype is E.int32
    assert x.bool().tolist() == [True, True]
    assert E.float is E.float32 and E.long is E.int64 and E.half is E.float16
    assert E.float32.is_floating_point and not E.int8.is_floating_point
    assert E.complex64.is_complex and E.complex64.to_real() is E.float32


def test_bfloat16_round_trip():
    x = E.tensor([1.0, 3.14159, -2.5], dtype=E.bfloat16)
    assert x.dtype is E.bfloat16 and x.element_size() == 2
    assert abs(float(x[1]) - 3.140625) < 1e-6  # bfloat16 keeps 8 mantissa bits
    assert (x + x).dtype is E.bfloat16


def test_inplace_op_cannot_downcast_category():
    x = E.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        x.add_(1.5)
    y = E.tensor([1.0, 2.0])
    y.add_(E.tensor([1, 1]))
    assert y.dtype is E.float32 and y.tolist() == [2.0, 3.0]


def test_unsupported_numpy_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16"):
        E.from_numpy(np.zeros(2, np.uint16))
