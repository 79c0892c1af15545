"""Sorting, order statistics, unique, counting and binary search against NumPy."""

import math

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(99)
A = RNG.standard_normal((4, 6))
TIES = np.array([[3, 1, 2, 1, 3, 3], [0, 0, 2, 2, 1, 5]])


def t(a, **kw):
    return ember.tensor(a, **kw)


def grad_of(fn, a):
    x = t(a, dtype=ember.float64, requires_grad=True)
    out = fn(x)
    out.backward(ember.ones_like(out))
    return x.grad.numpy()


# ---- sort ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_numpy_stable(dim, descending):
    values, indices = ember.sort(t(TIES), dim, descending)
    key = -TIES if descending else TIES
    order = np.argsort(key, axis=dim, kind="stable")
    np.testing.assert_array_equal(indices.numpy(), order)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(TIES, order, dim))


def test_sort_nan_order_and_return_type():
    x = t([1.0, math.nan, 3.0, 2.0])
    r = x.sort()
    assert isinstance(r, ember.return_types.sort)
    assert r.indices.tolist() == [0, 3, 2, 1]
    assert x.sort(descending=True).indices.tolist() == [1, 2, 3, 0]  # NaN first, like PyTorch
    assert ember.sort(t(5.0)).values.item() == 5.0


def test_argsort_msort():
    np.testing.assert_array_equal(ember.argsort(t(A), 0).numpy(), np.argsort(A, 0))
    np.testing.assert_array_equal(t(TIES).argsort(descending=True, stable=True).numpy(),
                                  np.argsort(-TIES, 1, kind="stable"))
    np.testing.assert_array_equal(ember.msort(t(A)).numpy(), np.sort(A, 0))


def test_sort_gradient_follows_the_permutation():
    a = np.array([3.0, 1.0, 2.0])
    w = ember.tensor([1.0, 10.0, 100.0], dtype=ember.float64)
    g = grad_of(lambda x: (x.sort().values * w).sum(), a)
    np.testing.assert_array_equal(g, [100, 1, 10])


# ---- topk / kthvalue ------------------------------------------------------------------------------

@pytest.mark.parametrize("largest", [True, False])
def test_topk(largest):
    r = ember.topk(t(A), 3, 1, largest)
    order = np.argsort(-A if largest else A, 1, kind="stable")[:, :3]
    np.testing.assert_array_equal(r.indices.numpy(), order)
    np.testing.assert_array_equal(r.values.numpy(), np.take_along_axis(A, order, 1))
    assert t(A).topk(2, dim=0).values.shape == (2, 6)


def test_topk_errors_and_gradient():
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        ember.topk(t(A), 7)
    assert ember.topk(t(A), 0).values.shape == (4, 0)
    g = grad_of(lambda x: x.topk(2).values, np.array([1.0, 5.0, 3.0, 4.0]))
    np.testing.assert_array_equal(g, [0, 1, 0, 1])


def test_kthvalue():
    for k in (1, 3, 6):
        r = ember.kthvalue(t(A), k)
        np.testing.assert_array_equal(r.values.numpy(), np.sort(A, 1)[:, k - 1])
        np.testing.assert_array_equal(r.indices.numpy(), np.argsort(A, 1)[:, k - 1])
    assert t(A).kthvalue(2, 0, keepdim=True).values.shape == (1, 6)
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        ember.kthvalue(t(A), 7)
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        ember.kthvalue(t(A), 0)


# ---- median / mode ------------------------------------------------------------------------------------

def test_median_is_lower_median():
    assert ember.median(t([4.0, 1.0, 3.0, 2.0])).item() == 2.0
    assert t([[5, 1, 4, 2]]).median().item() == 2
    r = ember.median(t(A), 1)
    np.testing.assert_array_equal(r.values.numpy(), np.sort(A, 1)[:, 2])
    np.testing.assert_array_equal(r.indices.numpy(), np.argsort(A, 1)[:, 2])
    assert ember.median(t(A), 0, keepdim=True).values.shape == (1, 6)


def test_median_nan_propagates_nanmedian_ignores():
    a = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, np.nan, np.nan, np.nan], [4.0, 2.0, 1.0, 3.0]])
    r = ember.median(t(a), 1)
    assert math.isnan(r.values[0].item()) and r.indices[0].item() == 1
    assert r.values[2].item() == 2.0
    n = ember.nanmedian(t(a), 1)
    assert n.values[0].item() == 2.0 and n.indices[0].item() == 3
    assert math.isnan(n.values[1].item())
    assert math.isnan(ember.median(t(a)).item())
    assert ember.nanmedian(t(a)).item() == 2.0
    assert math.isnan(ember.median(ember.zeros(0)).item())


def test_median_errors_and_gradients():
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        ember.median(ember.zeros(2, 0), 1)
    g = grad_of(lambda x: x.median(), np.array([2.0, 1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(g, [0.5, 0, 0.5, 0])  # shared by the equal elements
    g = grad_of(lambda x: x.median(0).values, np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [0, 0, 1])


def test_mode():
    r = ember.mode(t(TIES))
    # row 0: 3 is the most frequent (last at 5); row 1: 0 and 2 tie, the smaller wins
    assert r.values.tolist() == [3, 0] and r.indices.tolist() == [5, 1]
    assert isinstance(r, ember.return_types.mode)
    col = t(TIES).mode(0, keepdim=True)
    assert col.values.shape == (1, 6)
    assert col.values.tolist()[0] == [0, 0, 2, 1, 1, 3]


# ---- unique ------------------------------------------------------------------------------------------

def test_unique_flat():
    a = np.array([[3, 1, 2], [1, 3, 3]])
    u, inv, cnt = ember.unique(t(a), return_inverse=True, return_counts=True)
    eu, einv, ecnt = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(u.numpy(), eu)
    np.testing.assert_array_equal(inv.numpy(), einv.reshape(a.shape))
    np.testing.assert_array_equal(cnt.numpy(), ecnt)
    assert ember.unique(t(a)).tolist() == [1, 2, 3]
    assert t([2.0, 1.0, 2.0]).unique().tolist() == [1.0, 2.0]
    assert ember.unique(ember.zeros(0)).shape == (0,)


def test_unique_dim():
    a = np.array([[1, 2], [0, 5], [1, 2], [0, 1]])
    u, inv, cnt = ember.unique(t(a), dim=0, return_inverse=True, return_counts=True)
    eu, einv, ecnt = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(u.numpy(), eu)
    np.testing.assert_array_equal(inv.numpy(), einv.reshape(-1))
    np.testing.assert_array_equal(cnt.numpy(), ecnt)
    np.testing.assert_array_equal(ember.unique(t(a.T), dim=1).numpy(), eu.T)


def test_unique_consecutive():
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    u, inv, cnt = ember.unique_consecutive(t(a), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3, 1, 2]
    assert inv.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]
    assert cnt.tolist() == [2, 2, 1, 2, 1]
    m = ember.unique_consecutive(t([[1, 1], [1, 1], [2, 0]]), dim=0)
    assert m.tolist() == [[1, 1], [2, 0]]


# ---- counting ------------------------------------------------------------------------------------------

def test_bincount():
    a = np.array([0, 1, 1, 3, 7])
    np.testing.assert_array_equal(ember.bincount(t(a)).numpy(), np.bincount(a))
    assert ember.bincount(t(a)).dtype is ember.int64
    np.testing.assert_array_equal(ember.bincount(t(a), minlength=10).numpy(),
                                  np.bincount(a, minlength=10))
    w = np.array([0.5, 1.0, 2.0, 3.0, 4.0])
    r = ember.bincount(t(a), t(w, dtype=ember.float32))
    assert r.dtype is ember.float32
    np.testing.assert_allclose(r.numpy(), np.bincount(a, w))
    assert ember.bincount(t(a), t(a)).dtype is ember.float64
    assert ember.bincount(t([], dtype=ember.int64)).shape == (0,)


def test_bincount_errors():
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        ember.bincount(t([1, -1]))
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        ember.bincount(t([[1]]))
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        ember.bincount(t([1.0]))
    with pytest.raises(RuntimeError, match="same length"):
        ember.bincount(t([1, 2]), t([1.0]))


def test_histc():
    a = RNG.uniform(-3, 3, 50)
    h = ember.histc(t(a), bins=6, min=-2, max=2)
    np.testing.assert_array_equal(h.numpy(), np.histogram(a, 6, (-2, 2))[0])
    assert h.dtype is ember.float64
    h = ember.histc(t(a, dtype=ember.float32), bins=5)  # min == max: the data's range
    np.testing.assert_array_equal(h.numpy(), np.histogram(a.astype(np.float32), 5)[0])
    assert ember.histc(t([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist() == [0, 2, 1, 0]
    assert ember.histc(t([2.0, 2.0]), bins=2).tolist() == [0, 2]  # range [1, 3]
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        ember.histc(t([1.0]), bins=2, min=3, max=1)
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        ember.histc(t([1.0]), bins=0)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        ember.histc(t([1]))


# ---- binary search ------------------------------------------------------------------------------------

@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_1d(right):
    seq = np.array([1.0, 2.0, 2.0, 4.0, 7.0])
    v = np.array([[0.0, 2.0, 3.0], [7.0, 8.0, 4.0]])
    side = "right" if right else "left"
    out = ember.searchsorted(t(seq), t(v), right=right)
    np.testing.assert_array_equal(out.numpy(), np.searchsorted(seq, v, side))
    assert out.dtype is ember.int64
    assert ember.searchsorted(t(seq), t(v), side=side, out_int32=True).dtype is ember.int32
    assert ember.searchsorted(t(seq), 2.0, right=right).item() == np.searchsorted(seq, 2.0, side)


def test_searchsorted_batched_and_sorter():
    seq = np.sort(RNG.integers(0, 10, (3, 6)), 1)
    v = RNG.integers(-1, 11, (3, 4))
    out = ember.searchsorted(t(seq), t(v), side="right")
    for i in range(3):
        np.testing.assert_array_equal(out.numpy()[i], np.searchsorted(seq[i], v[i], "right"))
    raw = np.array([3, 1, 2])
    sorter = np.argsort(raw)
    assert ember.searchsorted(t(raw), t([2]), sorter=t(sorter)).tolist() == [1]


def test_searchsorted_errors():
    with pytest.raises(RuntimeError, match="boundaries tensor should be 1 dimension"):
        ember.searchsorted(ember.zeros(2, 3), ember.zeros(3, 3))
    with pytest.raises(RuntimeError, match="can't be set to opposites"):
        ember.searchsorted(ember.zeros(3), ember.zeros(2), right=True, side="left")


def test_bucketize():
    b = np.array([1, 3, 5, 7, 9])
    v = np.array([[3, 6, 9], [3, 6, 9]])
    assert ember.bucketize(t(v), t(b)).tolist() == [[1, 3, 4], [1, 3, 4]]
    assert t(v).bucketize(t(b), right=True).tolist() == [[2, 3, 5], [2, 3, 5]]
    np.testing.assert_array_equal(ember.bucketize(t(v), t(b)).numpy(), np.digitize(v, b, True))
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        ember.bucketize(t(v), t([[1, 2]]))


def test_descending_sort_puts_nan_first_and_keeps_ties_stable():
    x = ember.tensor([1.0, float("nan"), 3.0, 3.0, -1.0])
    values, indices = x.sort(descending=True)
    assert math.isnan(values[0].item()) and values[1:].tolist() == [3.0, 3.0, 1.0, -1.0]
    assert indices.tolist() == [1, 2, 3, 0, 4]  # PyTorch's (stable) order
