"""The OpenCL primitive kernels against NumPy on cases the conformance kit's small samples do not
reach: strided and broadcast operands, large reductions, NumPy's integer division and shift rules,
NaN ordering, GEMM shapes that are not multiples of the tile, duplicate scatter indices."""

import numpy as np
import pytest

import ember
from ember_opencl import array as cla
from ember_opencl import elementwise, indexing, matmul, reduction

rng = np.random.default_rng(1234)


def on(host):
    return cla.from_numpy(np.asarray(host), 0)


def back(x):
    return cla.to_numpy(x)


def test_binary_on_strided_and_broadcast_views():
    a = rng.standard_normal((5, 6, 7)).astype(np.float32)
    b = rng.standard_normal((7, 1)).astype(np.float32)
    da = on(a)
    view = cla.restride(da, (7, 6, 3), (1, 7, 84), 0)  # a.transpose(2, 1, 0)[:, :, ::2] in storage
    expect = a.transpose(2, 1, 0)[:, :, ::2] * b[:, :, None][:, :1]
    got = back(elementwise.binary("mul", view, cla.from_numpy(b[:, :, None], 0)))
    np.testing.assert_allclose(got, a.transpose(2, 1, 0)[:, :, ::2] * b[:, :, None], rtol=1e-6)
    assert expect.shape == got.shape


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
def test_integer_division_and_shifts_follow_numpy(dtype):
    info = np.iinfo(dtype)
    a = np.array([7, -7, 7, -7, 0, info.min, info.min, 5, -1, 3], dtype)
    b = np.array([2, 2, -2, -2, 3, -1, 1, 0, 0, 70], dtype)
    for name, ref in [("floor_divide", np.floor_divide), ("remainder", np.remainder),
                      ("fmod", np.fmod)]:
        with np.errstate(all="ignore"):
            expect = ref(a, b)
        np.testing.assert_array_equal(back(elementwise.binary(name, on(a), on(b))), expect,
                                      err_msg=name)
    s = np.array([0, 1, 3, 7, 8, 31, 63, 64, 100, 2], dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(back(elementwise.binary("bitwise_left_shift", on(a), on(s)))
                                      [s < 8 * a.itemsize], np.left_shift(a, s)[s < 8 * a.itemsize])
    right = back(elementwise.binary("bitwise_right_shift", on(a), on(s)))
    big = s >= 8 * a.itemsize  # NumPy: everything shifted out (sign fill for negatives)
    np.testing.assert_array_equal(right[~big], np.right_shift(a, s)[~big])
    np.testing.assert_array_equal(right[big], np.where(a[big] < 0, -1, 0))


def test_float_floor_divide_remainder_like_python():
    a = np.array([7.5, -7.5, 7.5, -7.5, 1.0, -0.0, 5.0], np.float64)
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.0, 3.0, np.inf], np.float64)
    with np.errstate(all="ignore"):
        for name, ref in [("floor_divide", np.floor_divide), ("remainder", np.remainder)]:
            np.testing.assert_array_equal(back(elementwise.binary(name, on(a), on(b))),
                                          ref(a, b), err_msg=name)


def test_large_reductions_against_float64():
    x = rng.standard_normal((3, 1 << 18)).astype(np.float32)
    np.testing.assert_allclose(back(reduction.sum_(on(x), (1,), False)),
                               x.astype(np.float64).sum(1), rtol=1e-4)
    np.testing.assert_allclose(back(reduction.sum_(on(x), None, False)),
                               x.astype(np.float64).sum(), rtol=1e-4)
    y = rng.standard_normal((64, 5, 33)).astype(np.float32)
    for dims in [(0,), (0, 2), (1,), (2,)]:
        np.testing.assert_allclose(back(reduction.sum_(on(y), dims, True)),
                                   y.sum(dims, keepdims=True, dtype=np.float64), rtol=1e-5,
                                   atol=1e-5)
        np.testing.assert_array_equal(back(reduction.amax(on(y), dims, False)), y.max(dims))


def test_nan_ordering_in_max_argmax_and_sort():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 2.0, -np.inf, 0.5]], np.float32)
    np.testing.assert_array_equal(back(reduction.amax(on(x), (1,), False)), [np.nan, 2.0])
    np.testing.assert_array_equal(back(reduction.argmax(on(x), 1, False)), np.argmax(x, 1))
    np.testing.assert_array_equal(back(reduction.argmin(on(x), 1, False)), np.argmin(x, 1))
    values, idx = reduction.sort(on(x), 1, False, True)
    np.testing.assert_array_equal(back(idx), np.argsort(x, 1, kind="stable"))
    values, idx = reduction.sort(on(x), 1, True, True)
    np.testing.assert_array_equal(back(values)[0], [np.nan, np.nan, 3.0, 1.0])
    np.testing.assert_array_equal(back(idx), [[1, 3, 2, 0], [0, 1, 3, 2]])  # stable: ties kept


def test_sort_long_rows_is_stable():
    x = rng.integers(0, 50, (3, 1000)).astype(np.int64)
    values, idx = reduction.sort(on(x), 1, False, True)
    np.testing.assert_array_equal(back(idx), np.argsort(x, 1, kind="stable"))
    np.testing.assert_array_equal(back(values), np.sort(x, 1))


@pytest.fixture(params=["cpu-kernel", "gpu-kernels", "clblast"])
def gemm_variant(request, dev, monkeypatch):
    """Run the GEMM tests with the kernel for CPU drivers, with the tiled (local-memory)
    kernels that GPUs get, whatever the device here is, and through CLBlast where pyclblast
    is installed (the optional extra)."""
    if request.param == "clblast":
        pytest.importorskip("pyclblast", reason="optional: pip install 'ember-opencl[clblast]'")
    monkeypatch.setenv("EMBER_OPENCL_CLBLAST", "1" if request.param == "clblast" else "0")
    monkeypatch.setattr(dev, "is_cpu", request.param == "cpu-kernel")
    return request.param


@pytest.mark.parametrize("shapes", [((67, 45), (45, 131)), ((3, 1, 70, 9), (5, 9, 66)),
                                    ((129,), (129, 3)), ((2, 65, 17), (17,)),
                                    ((130, 200), (200, 70)), ((40, 2048), (2048, 9))])
def test_gemm_shapes(shapes, gemm_variant):
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32)
    np.testing.assert_allclose(back(matmul.matmul(on(a), on(b))), a @ b, rtol=1e-4, atol=1e-4)


def test_gemm_on_transposed_views_and_integers(gemm_variant):
    a = rng.standard_normal((40, 70))
    b = rng.standard_normal((90, 40))
    da, db = on(a), on(b)
    at = cla.restride(da, (70, 40), (1, 70))  # a.T without a copy
    bt = cla.restride(db, (40, 90), (1, 40))
    np.testing.assert_allclose(back(matmul.matmul(at, bt)), a.T @ b.T, rtol=1e-10)
    i = rng.integers(-5, 5, (20, 30)).astype(np.int64)
    np.testing.assert_array_equal(back(matmul.matmul(on(i), on(i.T.copy()))), i @ i.T)


def test_advanced_indexing_like_numpy():
    x = rng.standard_normal((4, 5, 6)).astype(np.float32)
    i = np.array([[0, -1], [2, 3]])
    j = np.array([1, 4])
    mask = x[:, 0, 0] > 0
    cases = [(i,), (slice(None), j), (i, slice(1, 4), j), (Ellipsis, j), (1, slice(None), j),
             (np.array([1, 3]), None, 2), (mask,), (slice(None, None, 2), j, j)]
    for key in cases:
        dkey = tuple(on(k) if isinstance(k, np.ndarray) else k for k in key)
        np.testing.assert_array_equal(back(indexing.index(on(x), dkey)), x[key], err_msg=str(key))
    with pytest.raises(IndexError, match="index out of range"):
        indexing.index(on(x), (on(np.array([4])),))


def test_index_put_accumulates_duplicates():
    for dtype in (np.float32, np.float64, np.int32, np.int64, np.int16):
        x = np.zeros((5, 3), dtype)
        idx = np.array([0, 2, 0, 4, 0])
        vals = np.arange(15, dtype=dtype).reshape(5, 3)
        dx = on(x)
        indexing.index_put(dx, (on(idx),), on(vals), True)
        expect = x.copy()
        np.add.at(expect, idx, vals)
        np.testing.assert_array_equal(back(dx), expect, err_msg=str(dtype))
    y = on(np.zeros(6, np.float32))
    indexing.index_put(y, (on(np.array([1, 3])),), on(np.array([5.0, 6.0], np.float32)), False)
    np.testing.assert_array_equal(back(y), [0, 5, 0, 6, 0, 0])


def test_nonzero_large():
    x = (rng.random((300, 700)) < 0.1) * rng.standard_normal((300, 700))
    np.testing.assert_array_equal(back(indexing.nonzero(on(x))), np.argwhere(x))


def test_tensor_level_ops_on_device():
    t = ember.tensor([[3.0, -1.0], [0.5, 2.0]], device="opencl")
    assert t.device.type == "opencl"
    np.testing.assert_allclose((t.exp() @ t.T).cpu().numpy(),
                               np.exp(t.cpu().numpy()) @ t.cpu().numpy().T, rtol=1e-6)
    assert ember.arange(5, device="opencl").sum().item() == 10


@pytest.mark.parametrize("shape,axes", [((64, 5, 40), (0, 2)), ((300, 24), (1,)),
                                        ((2, 3, 2000), (2,))])
def test_norm_statistics_and_backward_against_float64(shape, axes):
    """native_norm in both of its modes (a work-item per output for short rows, a work-group
    per output for long ones) and its closed-form backward, against NumPy in float64."""
    from ember_opencl import norm

    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    wshape = tuple(1 if d in axes else n for d, n in enumerate(shape))
    w = rng.standard_normal(wshape).astype(np.float32)
    b = rng.standard_normal(wshape).astype(np.float32)
    out, mean, invstd, var = (back(a) for a in norm.native_norm(on(x), on(w), on(b), axes, 1e-5))
    x64 = x.astype(np.float64)
    m = x64.mean(axes, keepdims=True)
    v = x64.var(axes, keepdims=True)
    xhat = (x64 - m) / np.sqrt(v + 1e-5)
    np.testing.assert_allclose(mean, m, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(var, v, rtol=1e-4)
    np.testing.assert_allclose(out, xhat * w + b, rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(shape).astype(np.float32)
    dx, dw, db = (back(a) for a in norm.native_norm_backward(
        on(g), on(x), on(w), on(mean), on(invstd), axes, wshape, True, True))
    n = np.prod([shape[d] for d in axes])
    dxhat = g * w
    expect = (dxhat - dxhat.mean(axes, keepdims=True)
              - xhat * (dxhat * xhat).mean(axes, keepdims=True)) / np.sqrt(v + 1e-5)
    np.testing.assert_allclose(dx, expect, rtol=1e-3, atol=1e-4 * np.sqrt(n))
    np.testing.assert_allclose(dw, (g * xhat).sum(axes, keepdims=True), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(db, g.sum(axes, keepdims=True, dtype=np.float64), rtol=1e-4,
                               atol=1e-3)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_kernels_against_numpy(dtype):
    a = (rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))).astype(dtype)
    b = (rng.standard_normal((7,)) + 1j * rng.standard_normal((7,))).astype(dtype)
    tol = dict(rtol=1e-5 if dtype == np.complex64 else 1e-12)
    for name, ref in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("div", np.divide)]:
        np.testing.assert_allclose(back(elementwise.binary(name, on(a), on(b))), ref(a, b),
                                   err_msg=name, **tol)
    np.testing.assert_allclose(back(elementwise.binary("mul", on(a), 2 - 1j)), a * (2 - 1j), **tol)
    for name, ref in [("conj", np.conj), ("real", np.real), ("imag", np.imag), ("abs", np.abs)]:
        got = back(elementwise.unary(name, on(a)))
        assert got.dtype == ref(a).dtype, name
        np.testing.assert_allclose(got, ref(a), err_msg=name, **tol)
    np.testing.assert_array_equal(back(elementwise.cast(on(a.real.copy()), dtype)),
                                  a.real.astype(dtype))
    np.testing.assert_allclose(back(matmul.matmul(on(a), on(a.T.conj().copy()))), a @ a.T.conj(),
                               **tol)
    at = cla.restride(on(a), (7, 5), (1, 7))  # a.T as a view
    np.testing.assert_allclose(back(matmul.matmul(at, on(a))), a.T @ a, **tol)


def test_float16_computes_in_float32_and_rounds_like_numpy():
    a = rng.standard_normal((6, 9)).astype(np.float16)
    b = rng.standard_normal((9,)).astype(np.float16)
    t = ember.from_numpy(a).to("opencl")
    u = ember.from_numpy(b).to("opencl")
    # NumPy's float16 ufuncs compute in float32 and round once: the same bits are expected
    np.testing.assert_array_equal((t * u + 1).cpu().numpy(), a * b + np.float16(1))
    np.testing.assert_array_equal(t.exp().cpu().numpy(), np.exp(a))
    np.testing.assert_array_equal(t.t().contiguous().cpu().numpy(), a.T)
    assert (t @ u).dtype is ember.float16
    np.testing.assert_allclose((t @ u).cpu().numpy(), a.astype(np.float32) @ b.astype(np.float32),
                               rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(t.to(ember.float32).cpu().numpy(), a.astype(np.float32))
    x = ember.tensor([1.0, 2.0, 3.0, 4.0], dtype=ember.float16, device="opencl")
    x[ember.tensor([0, 0, 3], device="opencl")] += ember.tensor([1.0, 1.0, 0.5],
                                                                 dtype=ember.float16,
                                                                 device="opencl")
    np.testing.assert_array_equal(x.cpu().numpy(), np.array([2.0, 2.0, 3.0, 4.5], np.float16))
