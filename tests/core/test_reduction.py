"""Reductions and scans against NumPy float64: values, dtypes, gradients, errors, edge cases."""

import math

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(1234)
A = RNG.standard_normal((3, 4, 5))


def t(a, **kw):
    return ember.tensor(a, **kw)


def grad_of(fn, a):
    x = t(a, dtype=ember.float64, requires_grad=True)
    out = fn(x)
    out = out if isinstance(out, ember.Tensor) else out[0]
    out.backward(ember.ones_like(out))
    return x.grad.numpy()


# ---- prod ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod_values(dim):
    x = t(A)
    expected = A.prod() if dim is None else A.prod(dim)
    np.testing.assert_allclose(ember.prod(x, dim) if dim is not None else x.prod(), expected)


def test_prod_keepdim_dtype_and_int_promotion():
    assert ember.prod(t(A), 1, keepdim=True).shape == (3, 1, 5)
    r = ember.prod(t([[1, 2], [3, 4]], dtype=ember.int32), 0)
    assert r.dtype is ember.int64 and r.tolist() == [3, 8]
    assert ember.prod(t([True, True])).dtype is ember.int64
    assert ember.prod(t([1, 2]), dtype=ember.float64).dtype is ember.float64


def test_prod_tuple_dim_is_type_error():
    with pytest.raises(TypeError):
        ember.prod(t(A), (0, 1))


def test_prod_gradient_with_zeros():
    a = np.array([[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0]])
    g = grad_of(lambda x: x.prod(1), a)
    np.testing.assert_allclose(g, [[12, 8, 6], [0, 8, 0], [0, 0, 0]])
    g_all = grad_of(lambda x: x[1].prod(), a)
    np.testing.assert_allclose(g_all[1], [0, 8, 0])


# ---- max / min / arg ---------------------------------------------------------------------------

def test_max_min_full():
    assert ember.max(t(A)).item() == A.max()
    assert t(A).min().item() == A.min()
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        ember.max(ember.zeros(0))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_max_min_dim(dim):
    r = ember.max(t(A), dim)
    assert type(r).__name__ == "max" and isinstance(r, ember.return_types.max)
    np.testing.assert_array_equal(r.values.numpy(), A.max(dim))
    np.testing.assert_array_equal(r.indices.numpy(), A.argmax(dim))
    values, indices = t(A).min(dim=dim, keepdim=True)
    np.testing.assert_array_equal(values.numpy(), A.min(dim, keepdims=True))
    assert indices.dtype is ember.int64


def test_max_ties_first_index_and_nan():
    r = ember.max(t([[1.0, 3.0, 3.0], [2.0, math.nan, 5.0]]), 1)
    assert r.indices.tolist() == [1, 1]
    assert r.values[0].item() == 3.0 and math.isnan(r.values[1].item())


def test_max_dim_gradient_goes_to_index():
    a = np.array([[1.0, 3.0, 3.0], [4.0, 2.0, 0.0]])
    np.testing.assert_array_equal(grad_of(lambda x: x.max(1).values, a),
                                  [[0, 1, 0], [1, 0, 0]])
    # the full reduction shares the gradient among ties (like amax)
    b = np.array([[1.0, 4.0, 4.0], [3.0, 2.0, 0.0]])
    np.testing.assert_array_equal(grad_of(lambda x: x.max(), b), [[0, .5, .5], [0, 0, 0]])


def test_max_binary_and_scalar_tensor():
    a, b = t([1.0, 5.0]), t([3.0, 2.0])
    assert ember.max(a, b).tolist() == [3.0, 5.0]
    assert ember.min(a, b).tolist() == [1.0, 2.0]
    s = ember.max(t(2.0), 0)
    assert s.values.item() == 2.0 and s.indices.item() == 0 and s.indices.ndim == 0


def test_max_dim_errors():
    with pytest.raises(IndexError, match="Dimension out of range"):
        t(A).max(3)
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        ember.zeros(2, 0).max(1)


def test_argmax_argmin():
    ties = np.array([[1, 3, 3], [0, 0, -1]])
    assert ember.argmax(t(ties)).item() == 1
    np.testing.assert_array_equal(ember.argmax(t(ties), 1).numpy(), [1, 0])
    np.testing.assert_array_equal(t(ties).argmin(0, keepdim=True).numpy(), [[1, 1, 1]])
    assert ember.argmax(t(ties), keepdim=True).shape == (1, 1)
    assert ember.argmax(t(3.0)).item() == 0
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        ember.argmax(ember.zeros(0))


def test_aminmax():
    r = ember.aminmax(t(A), dim=1)
    np.testing.assert_array_equal(r.min.numpy(), A.min(1))
    np.testing.assert_array_equal(r.max.numpy(), A.max(1))
    mn, mx = t(A).aminmax()
    assert mn.item() == A.min() and mx.item() == A.max()


# ---- statistics ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [None, 0, (0, 2), -1])
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std(dim, correction):
    x = t(A)
    np.testing.assert_allclose(ember.var(x, dim, correction=correction).numpy(),
                               A.var(axis=dim, ddof=correction))
    np.testing.assert_allclose(x.std(dim, correction=correction, keepdim=True).numpy(),
                               A.std(axis=dim, ddof=correction, keepdims=True))


def test_var_legacy_unbiased_and_means():
    x = t(A)
    np.testing.assert_allclose(ember.var(x, False).numpy(), A.var())
    np.testing.assert_allclose(ember.var(x, 1, False).numpy(), A.var(1))
    np.testing.assert_allclose(x.std(1, True, True).numpy(), A.std(1, ddof=1, keepdims=True))
    v, m = ember.var_mean(x, 1)
    np.testing.assert_allclose(v.numpy(), A.var(1, ddof=1))
    np.testing.assert_allclose(m.numpy(), A.mean(1))
    s, m = ember.std_mean(x, (0, 1), correction=0)
    np.testing.assert_allclose(s.numpy(), A.std((0, 1)))


def test_var_errors_and_edge_cases():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.var(t([1, 2, 3]))
    with np.errstate(all="ignore"):
        assert math.isinf(ember.var(t([1.0, 2.0]), correction=2).item())


def test_var_gradient():
    a = RNG.standard_normal((3, 4))
    g = grad_of(lambda x: x.var(1), a)
    np.testing.assert_allclose(g, 2 * (a - a.mean(1, keepdims=True)) / 3)


def test_nansum_nanmean():
    a = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])
    np.testing.assert_allclose(ember.nansum(t(a), 1).numpy(), np.nansum(a, 1))
    assert t(a).nansum().item() == np.nansum(a)
    np.testing.assert_allclose(ember.nanmean(t(a), 1).numpy(), np.nanmean(a, 1))
    np.testing.assert_array_equal(grad_of(lambda x: x.nansum(), a), [[1, 0, 1], [0, 0, 1]])
    assert ember.nansum(t([1, 2])).item() == 3


# ---- norms ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [2, "fro", 1, 3, 0.5, math.inf, -math.inf, 0])
def test_norm_values(p):
    x = t(A)
    flat = A.reshape(-1)
    q = 2 if p == "fro" else p
    expected = np.linalg.norm(flat, q)
    np.testing.assert_allclose(ember.norm(x, p).item(), expected)
    np.testing.assert_allclose(x.norm(p, dim=1).numpy(), np.linalg.norm(A, q, axis=1))


def test_norm_dims_keepdim_and_dtype_errors():
    np.testing.assert_allclose(t(A).norm(dim=(0, 2), keepdim=True).numpy(),
                               np.sqrt((A ** 2).sum((0, 2), keepdims=True)))
    with pytest.raises(RuntimeError, match="floating point or complex"):
        ember.norm(t([1, 2]))


def test_norm_gradients():
    a = np.array([3.0, -4.0, 0.0])
    np.testing.assert_allclose(grad_of(lambda x: x.norm(), a), [0.6, -0.8, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.norm(), np.zeros(3)), [0, 0, 0])
    np.testing.assert_allclose(grad_of(lambda x: x.norm(math.inf), a), [0, -1, 0])
    np.testing.assert_allclose(grad_of(lambda x: x.norm(1), a), [1, -1, 0])


# ---- scans ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod(dim):
    np.testing.assert_allclose(ember.cumsum(t(A), dim).numpy(), A.cumsum(dim))
    np.testing.assert_allclose(t(A).cumprod(dim).numpy(), A.cumprod(dim))


def test_scan_dtypes_and_scalars():
    assert ember.cumsum(t([True, True]), 0).tolist() == [1, 2]
    assert ember.cumsum(t([1, 2], dtype=ember.int32), 0).dtype is ember.int64
    assert ember.cumsum(t([1, 2]), 0, dtype=ember.float32).dtype is ember.float32
    assert ember.cumprod(t(3.0), 0).item() == 3.0 and ember.cumsum(t(3.0), -1).ndim == 0
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.cumsum(t(A), 3)


def test_cumsum_gradient_is_reverse_cumsum():
    a = RNG.standard_normal(4)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    g = grad_of(lambda x: (x.cumsum(0) * t(w)).sum(), a)
    np.testing.assert_allclose(g, np.cumsum(w[::-1])[::-1])


def test_cumprod_gradient_with_zeros():
    a = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    g = grad_of(lambda x: x.cumprod(0).sum(), a)
    # d/dx_k sum_i prod_{j<=i} x_j, by hand
    expected = [1.0, 2 + 2 * 3 + 0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(g, expected)


def test_cummax_cummin():
    a = np.array([[1.0, 3.0, 2.0, 3.0, 5.0], [4.0, np.nan, 5.0, np.nan, 1.0]])
    v, i = ember.cummax(t(a), 1)
    np.testing.assert_array_equal(v.numpy()[0], np.maximum.accumulate(a[0]))
    assert i.tolist()[0] == [0, 1, 1, 3, 4]  # ties take the later index
    assert np.isnan(v.numpy()[1, 1:]).all() and i.tolist()[1] == [0, 1, 1, 3, 3]
    r = t(a[:1]).cummin(-1)
    np.testing.assert_array_equal(r.values.numpy()[0], np.minimum.accumulate(a[0]))
    assert r.indices.tolist()[0] == [0, 0, 0, 0, 0]
    assert isinstance(r, ember.return_types.cummin)


def test_cummax_decomposition_matches_fast_path():
    from ember.ops.reduction import _cummax_values, _cummin_values

    a = RNG.integers(-5, 5, (4, 9)).astype(np.float64)
    for fn, ref in ((_cummax_values, np.maximum), (_cummin_values, np.minimum)):
        for dim in (0, 1):
            out = fn.decomposition(t(a), dim)
            np.testing.assert_array_equal(out.numpy(), ref.accumulate(a, dim))


def test_cummax_gradient():
    a = np.array([1.0, 3.0, 2.0, 4.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.cummax(0).values, a), [1, 2, 0, 1])


def test_logcumsumexp_is_stable():
    a = np.array([[-1000.0, 0.0, 1000.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(ember.logcumsumexp(t(a), 1).numpy(), np.logaddexp.accumulate(a, 1))
    np.testing.assert_allclose(t(A).logcumsumexp(0).numpy(), np.logaddexp.accumulate(A, 0))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        ember.logcumsumexp(t([1, 2]), 0)


# ---- logical, counting, diff -------------------------------------------------------------------

def test_all_any_count_nonzero():
    a = np.array([[0, 1, 2], [3, 4, 5]])
    assert ember.all(t(a)).item() is False and ember.any(t(a)).item() is True
    assert t(a).all(1).tolist() == [False, True]
    assert t(a).any(0, keepdim=True).shape == (1, 3)
    assert ember.all(t(a), (0, 1)).dtype is ember.bool
    assert ember.all(ember.zeros(0)).item() is True and ember.any(ember.zeros(0)).item() is False
    assert ember.any(t([0, 2], dtype=ember.uint8)).dtype is ember.uint8
    assert ember.any(t([0.0, math.nan])).item() is True
    np.testing.assert_array_equal(ember.count_nonzero(t(a), 0).numpy(), [1, 2, 2])
    assert ember.count_nonzero(t(a)).item() == 5


def test_diff():
    a = np.array([[1, 4, 9, 16], [0, 1, 0, 1]])
    np.testing.assert_array_equal(ember.diff(t(a)).numpy(), np.diff(a))
    np.testing.assert_array_equal(t(a).diff(2, 0).numpy(), np.diff(a, 2, 0))
    p = np.array([[5], [6]])
    np.testing.assert_array_equal(ember.diff(t(a), prepend=t(p), append=t(p)).numpy(),
                                  np.diff(a, prepend=p, append=p))
    assert ember.diff(t([True, False, False])).tolist() == [True, False]
    g = grad_of(lambda x: x.diff(), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(g, [-1, 0, 1])


# ---- sum/mean/amax kept as they were -----------------------------------------------------------

def test_existing_reductions_unchanged():
    np.testing.assert_allclose(t(A).sum((0, 2)).numpy(), A.sum((0, 2)))
    np.testing.assert_allclose(ember.mean(t(A), 1).numpy(), A.mean(1))
    np.testing.assert_allclose(ember.logsumexp(t(A), 1).numpy(), np.log(np.exp(A).sum(1)))
    np.testing.assert_array_equal(ember.amax(t(A), (0, 1)).numpy(), A.max((0, 1)))
