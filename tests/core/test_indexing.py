"""Indexing: getitem/setitem (basic and advanced), gather/scatter, index_*, masks, take/put,
nonzero, against NumPy float64 references, with PyTorch's errors and gradients."""

import numpy as np
import pytest
from _opdb_runner import check_opinfo

import ember
from ember.testing.op_db import indexing as indexing_db


def _np(t):
    return t.detach().numpy()


def _t(a):
    return ember.tensor(np.asarray(a, dtype=np.float64))


A = np.random.default_rng(1).standard_normal((3, 4, 5))


# ---- getitem ------------------------------------------------------------------------------------

KEYS = [
    1, -1, (0, 2), (slice(None), 1), (slice(1, None, 2), slice(None, -1), 3), (Ellipsis, 1),
    (None, 1, Ellipsis, None), (1, None, slice(None), Ellipsis), (slice(10, 20),),
    (Ellipsis,), (),
    # advanced
    ([0, 2],), (slice(None), [3, 0, 3]), ([0, 1], [1, 2]), ([[0], [2]], [1, 3]),
    (1, slice(None), [0, 4]), ([0, 2], slice(None), [1, 1]), (Ellipsis, [4, 0]),
    (None, [1, 1], Ellipsis), (A[:, 0, 0] > 0,), (A[:, :, 0] > 0,), (slice(None), A[0] > 0),
    (np.array(True),), (np.int64(2),),
]


@pytest.mark.parametrize("key", KEYS, ids=[str(i) for i in range(len(KEYS))])
def test_getitem_against_numpy(key):
    def as_ember(k):
        if isinstance(k, list):
            return ember.tensor(k)
        if isinstance(k, np.ndarray):
            return ember.tensor(k)
        return k

    ek = tuple(as_ember(k) for k in key) if isinstance(key, tuple) else as_ember(key)
    out = _t(A)[ek]
    np.testing.assert_array_equal(_np(out), A[key])
    if isinstance(key, tuple) and key and isinstance(key[0], list):  # plain lists work too
        np.testing.assert_array_equal(_np(_t(A)[key]), A[key])


def test_basic_index_is_view_advanced_is_copy():
    x = _t(A)
    assert x[1, ..., ::2]._base is x
    adv = x[[0, 1]]
    assert adv._base is None
    adv.fill_(0)
    assert _np(x).any()


def test_getitem_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[:, ::0]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="index -5 is out of bounds for dimension 1 with size 4"):
        x[0, -5]
    with pytest.raises(IndexError, match="out of bounds"):
        x[ember.tensor([0, 7])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match "
                                         r"the shape of the indexed tensor \[3, 4\] at index 0"):
        x[ember.tensor([True, False])]
    with pytest.raises(IndexError, match=r"at index 1"):
        x[..., ember.tensor([True, False, True])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        x[ember.tensor([0.0])]


# ---- setitem ------------------------------------------------------------------------------------

SET_KEYS = [
    (1,), (slice(None), 2), (Ellipsis, slice(1, 3)), ([0, 2],), ([0, 2], [1, 3]),
    (slice(None), [3, 0]), (A[:, :, 0] > 0,), (None, 0),
]


@pytest.mark.parametrize("key", SET_KEYS, ids=[str(i) for i in range(len(SET_KEYS))])
@pytest.mark.parametrize("value_kind", ["scalar", "broadcast", "full"])
def test_setitem_against_numpy(key, value_kind):
    ref = A.copy()
    target_shape = ref[key].shape
    value = {"scalar": 2.5, "broadcast": np.arange(float(target_shape[-1])),
             "full": np.random.default_rng(2).standard_normal(target_shape)}[value_kind]
    ref[key] = value
    x = _t(A)
    ek = tuple(ember.tensor(k) if isinstance(k, (list, np.ndarray)) else k for k in key)
    x[ek] = value if value_kind == "scalar" else _t(value)
    np.testing.assert_array_equal(_np(x), ref)
    assert x._version == 1


def test_setitem_list_and_int_dtype_casts():
    x = ember.zeros(4, dtype=ember.int64)
    x[[1, 3]] = ember.tensor([7.9, -2.2])  # cast like PyTorch's copy: truncation
    assert x.tolist() == [0, 7, 0, -2]
    x[ember.tensor([True, False, False, False])] = 5
    assert x.tolist() == [5, 7, 0, -2]


def test_setitem_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        x[5] = 1.0
    with pytest.raises(IndexError, match="out of bounds"):
        x[ember.tensor([1, 9])] = 1.0
    with pytest.raises(IndexError, match="The shape of the mask"):
        x[ember.tensor([True])] = 1.0
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(3\) must match the "
                                           r"existing size \(4\) at non-singleton dimension 0"):
        x[:, 1] = ember.ones(4)
    x[0] = ember.ones(1, 4)  # leading size-1 dims of the value are fine
    assert x[0].tolist() == [1, 1, 1, 1]


def test_setitem_on_view_reaches_base_and_bumps_shared_version():
    x = ember.zeros(3, 4)
    v = x[1:]
    v[0, ember.tensor([0, 3])] = 9.0
    v[1] = ember.arange(4.0)
    assert _np(x)[1].tolist() == [9, 0, 0, 9]
    assert _np(x)[2].tolist() == [0, 1, 2, 3]
    assert x._version == v._version == 2


def test_index_add_assign_does_not_accumulate_duplicates():
    """``x[idx] += v`` is get, add, set: repeated indices are written once, like PyTorch."""
    x = ember.zeros(5)
    x[ember.tensor([0, 0, 3])] += 1
    assert x.tolist() == [1, 0, 0, 1, 0]
    x = ember.zeros(5)
    x.index_put_((ember.tensor([0, 0, 3]),), ember.tensor(1.0), accumulate=True)
    assert x.tolist() == [2, 0, 0, 1, 0]


def test_getitem_setitem_gradients():
    x = ember.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x[ember.tensor([0, 0, 1]), 1] * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[0, 3, 0], [0, 3, 0]])

    x.grad = None
    w = ember.tensor([5.0, 6.0], requires_grad=True)
    y = x * 1
    y[ember.tensor([True, False]), 1:] = w * 3
    (y * y).sum().backward()
    y_ref = np.arange(6.0).reshape(2, 3)
    y_ref[0, 1:] = [15, 18]
    grad_x = 2 * y_ref
    grad_x[0, 1:] = 0
    np.testing.assert_allclose(_np(x.grad), grad_x)
    np.testing.assert_allclose(_np(w.grad), [2 * 15 * 3, 2 * 18 * 3])


# ---- gather / scatter ---------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather_and_take_along_dim_against_numpy(dim):
    rng = np.random.default_rng(dim + 5)
    d = dim % 3
    shape = list(A.shape)
    shape[d] = 6
    idx = rng.integers(0, A.shape[d], shape)
    expected = np.take_along_axis(A, idx, d)
    np.testing.assert_array_equal(_np(ember.gather(_t(A), dim, ember.tensor(idx))), expected)
    np.testing.assert_array_equal(_np(_t(A).take_along_dim(ember.tensor(idx), dim)), expected)
    # an index smaller than the input in the other dims reads the leading block
    small = idx[tuple(slice(0, 2) if i != d else slice(None) for i in range(3))]
    block = A[tuple(slice(0, 2) if i != d else slice(None) for i in range(3))]
    np.testing.assert_array_equal(_np(_t(A).gather(dim, ember.tensor(small))),
                                  np.take_along_axis(block, small, d))


def test_take_along_dim_broadcasts_and_flattens():
    idx = np.array([[[0], [2]]])  # (1, 2, 1) broadcast against A (3, 4, 5) except dim 1
    out = ember.take_along_dim(_t(A), ember.tensor(idx), 1)
    np.testing.assert_array_equal(_np(out), np.take_along_axis(
        A, np.broadcast_to(idx, (3, 2, 5)), 1))
    flat = ember.take_along_dim(_t(A), ember.tensor([[3, 0]]))
    np.testing.assert_array_equal(_np(flat), A.reshape(-1)[[3, 0]])


def test_gather_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.gather(0, ember.tensor([[0]], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions "
                                           "as input tensor"):
        x.gather(0, ember.tensor([0]))
    with pytest.raises(RuntimeError, match=r"Size does not match at dimension 1 expected index "
                                           r"\[1, 5\] to be smaller than self \[3, 4\] apart from "
                                           r"dimension 0"):
        x.gather(0, ember.zeros(1, 5, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x.gather(0, ember.tensor([[3]]))


def _np_scatter(base, dim, idx, src, op):
    out = base.copy()
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        target = tuple(target)
        out[target] = src[pos] if op is None else op(out[target], src[pos])
    return out


def test_scatter_and_scatter_add_against_loops():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((3, 5))
    src = rng.standard_normal((3, 5))
    perm = np.stack([rng.permutation(5)[:4] for _ in range(2)])  # distinct targets per row
    for dim, idx in ((1, perm), (0, np.array([[2, 0, 1, 1, 0]]))):
        out = _t(base).scatter(dim, ember.tensor(idx), _t(src)) if dim == 1 else None
        if out is not None:
            np.testing.assert_array_equal(_np(out), _np_scatter(base, dim, idx, src, None))
        out = ember.scatter_add(_t(base), dim, ember.tensor(idx), _t(src))
        np.testing.assert_allclose(_np(out), _np_scatter(base, dim, idx, src, np.add))
        out = _t(base).scatter(dim, ember.tensor(idx), _t(src), reduce="multiply")
        np.testing.assert_allclose(_np(out), _np_scatter(base, dim, idx, src, np.multiply))
    out = _t(base).scatter(1, ember.tensor(perm), 7.0)
    np.testing.assert_array_equal(_np(out), _np_scatter(base, 1, perm, np.full((3, 5), 7.0), None))
    out = ember.scatter(_t(base), 1, ember.tensor(perm), value=1.5, reduce="add")
    np.testing.assert_allclose(_np(out), _np_scatter(base, 1, perm, np.full((3, 5), 1.5), np.add))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_against_loops(reduce, include_self):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((2, 4))
    src = rng.standard_normal((2, 6))
    idx = np.array([[0, 0, 2, 0, 2, 1], [3, 3, 3, 1, 1, 3]])
    groups = {}
    for pos in np.ndindex(*idx.shape):
        groups.setdefault((pos[0], idx[pos]), []).append(src[pos])
    expected = base.copy()
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for target, vals in groups.items():
        expected[target] = fn(vals + [base[target]] if include_self else vals)
    out = _t(base).scatter_reduce(1, ember.tensor(idx), _t(src), reduce,
                                  include_self=include_self)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12)


def test_scatter_reduce_integer_mean_floors_and_errors():
    x = ember.tensor([0, 0])
    out = x.scatter_reduce(0, ember.tensor([0, 0, 1]), ember.tensor([1, 2, -3]), "mean",
                           include_self=False)
    assert out.tolist() == [1, -3]
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax "
                                           "or amin"):
        x.scatter_reduce(0, ember.tensor([0]), ember.tensor([1]), "max")
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(0, ember.tensor([0]), ember.tensor([1]), reduce="sum")
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(0, ember.tensor([0]), ember.tensor([1.0]))


def test_scatter_gradients_against_hand_computation():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    src = ember.tensor([10.0, 20.0], requires_grad=True)
    out = x.scatter(0, ember.tensor([2, 0]), src)
    (out * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0, 2, 0]
    assert src.grad.tolist() == [3, 1]


def test_scatter_reduce_amax_tie_gradient_is_shared():
    x = ember.tensor([1.0, 0.0], requires_grad=True)
    src = ember.tensor([1.0, 1.0, -1.0], requires_grad=True)
    out = x.scatter_reduce(0, ember.tensor([0, 0, 1]), src, "amax")
    out.sum().backward()
    np.testing.assert_allclose(_np(x.grad), [1 / 3, 1])
    np.testing.assert_allclose(_np(src.grad), [1 / 3, 1 / 3, 0])


def test_scatter_inplace_variants():
    x = ember.zeros(2, 3)
    assert x.scatter_(1, ember.tensor([[2], [0]]), 1.0) is x
    x.scatter_add_(1, ember.tensor([[2], [2]]), ember.ones(2, 1))
    x.scatter_reduce_(1, ember.tensor([[0], [0]]), ember.full((2, 1), 5.0), "amax")
    assert x.tolist() == [[5, 0, 2], [5, 0, 1]]
    assert x._version == 3


# ---- index_* ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_against_numpy(dim):
    idx = [1, 0, 1, 3] if dim % 3 else [2, 0]
    np.testing.assert_array_equal(_np(_t(A).index_select(dim, ember.tensor(idx))),
                                  np.take(A, idx, dim))
    assert ember.index_select(_t(A), dim, ember.tensor(1)).shape[dim] == 1


def test_index_select_errors():
    with pytest.raises(IndexError, match="index out of range in self"):
        _t(A).index_select(0, ember.tensor([3]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        _t(A).index_select(0, ember.tensor([[0]]))


def test_index_add_copy_fill_against_numpy():
    base = np.arange(12.0).reshape(3, 4)
    src = np.arange(6.0).reshape(3, 2) + 100
    idx = np.array([3, 3])
    expected = base.copy()
    np.add.at(expected, (slice(None), idx), 2 * src)
    np.testing.assert_array_equal(_np(_t(base).index_add(1, ember.tensor(idx), _t(src),
                                                         alpha=2)), expected)
    expected = base.copy()
    expected[:, [3, 0]] = src
    np.testing.assert_array_equal(_np(ember.index_copy(_t(base), 1, ember.tensor([3, 0]),
                                                       _t(src))), expected)
    expected = base.copy()
    expected[[0, 2]] = -1
    np.testing.assert_array_equal(_np(_t(base).index_fill(0, ember.tensor([0, 2]), -1)),
                                  expected)
    x = _t(base)
    x.index_add_(0, ember.tensor([1]), ember.ones(1, 4, dtype=ember.float64))
    x.index_copy_(0, ember.tensor([0]), ember.zeros(1, 4, dtype=ember.float64))
    x.index_fill_(1, ember.tensor([1]), ember.tensor(7.0))
    assert x.tolist() == [[0, 7, 0, 0], [5, 7, 7, 8], [8, 7, 10, 11]]


def test_index_add_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"Number of indices \(3\) should be equal to "
                                           r"source.size\(dim\) \(2\)"):
        x.index_add(0, ember.tensor([0, 1, 2]), ember.ones(2, 4))
    with pytest.raises(RuntimeError, match=r"self \(Float\) and source \(Double\) must have the "
                                           r"same scalar type"):
        x.index_add(0, ember.tensor([0]), ember.ones(1, 4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="must have same slice shapes"):
        x.index_copy(0, ember.tensor([0]), ember.ones(1, 3))
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_fill(1, ember.tensor([4]), 1.0)


# ---- masks --------------------------------------------------------------------------------------

def test_masked_fill_select_scatter_against_numpy():
    mask = A[0] > 0  # (4, 5): broadcast over the first dim
    expected = np.where(mask, -3.0, A)
    np.testing.assert_array_equal(_np(_t(A).masked_fill(ember.tensor(mask), -3.0)), expected)
    np.testing.assert_array_equal(_np(ember.masked_fill(_t(A), ember.tensor(mask),
                                                        ember.tensor(-3.0))), expected)
    np.testing.assert_array_equal(_np(_t(A).masked_select(ember.tensor(mask))),
                                  A[np.broadcast_to(mask, A.shape)])
    source = np.arange(100.0)
    expected = A.copy()
    full_mask = np.broadcast_to(mask, A.shape)
    expected[full_mask] = source[:full_mask.sum()]
    np.testing.assert_array_equal(_np(_t(A).masked_scatter(ember.tensor(mask), _t(source))),
                                  expected)


def test_masked_fill_keeps_dtype_and_inplace_rules():
    x = ember.tensor([1, 2, 3])
    out = x.masked_fill(ember.tensor([True, False, True]), 2.7)
    assert out.dtype == ember.int64 and out.tolist() == [2, 2, 2]
    y = ember.zeros(2, 3)
    y.masked_fill_(ember.tensor([True, False, False]), 1.0)
    assert y.tolist() == [[1, 0, 0], [1, 0, 0]] and y._version == 1
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        ember.zeros(3).masked_fill_(ember.ones(2, 3, dtype=ember.bool), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
        y.masked_fill(ember.ones(3), 1.0)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        y.masked_fill(ember.ones(3, dtype=ember.bool), ember.ones(1))
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones"):
        y.masked_scatter(ember.ones(3, dtype=ember.bool), ember.ones(5))


# ---- flat indices and nonzero -------------------------------------------------------------------

def test_take_and_put_against_numpy():
    idx = np.array([[0, 59], [-1, 7]])
    np.testing.assert_array_equal(_np(_t(A).take(ember.tensor(idx))), np.take(A, idx))
    np.testing.assert_array_equal(_np(_t(A).transpose(0, 2).take(ember.tensor(idx))),
                                  np.take(A.transpose(2, 1, 0), idx))
    with pytest.raises(IndexError, match="out of range"):
        _t(A).take(ember.tensor([60]))
    expected = A.copy()
    np.put(expected, [0, 5], [1.0, 2.0])
    np.testing.assert_array_equal(_np(_t(A).put(ember.tensor([0, 5]), _t([1.0, 2.0]))), expected)
    x = ember.zeros(2, 2)
    x.put_(ember.tensor([3, 3]), ember.tensor([1.0, 2.0]), accumulate=True)
    assert x.tolist() == [[0, 0], [0, 3]]
    with pytest.raises(RuntimeError, match="Expected source and index to have the same number"):
        x.put_(ember.tensor([0]), ember.ones(2))


def test_nonzero_and_argwhere():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    assert ember.nonzero(_t(a)).tolist() == np.argwhere(a).tolist()
    assert ember.argwhere(_t(a)).tolist() == np.argwhere(a).tolist()
    cols = _t(a).nonzero(as_tuple=True)
    assert [c.tolist() for c in cols] == [c.tolist() for c in np.nonzero(a)]
    assert ember.nonzero(ember.zeros(0, 3)).shape == (0, 2)
    assert [c.tolist() for c in ember.nonzero(ember.tensor(3.0), as_tuple=True)] == [[0]]
    assert ember.nonzero(ember.tensor(0.0)).shape == (0, 0)
    assert [c.tolist() for c in ember.where(_t(a) > 0)] == [[0, 1], [1, 0]]


# ---- the OpInfos of op_db/indexing.py ---------------------------------------------------------

@pytest.mark.parametrize("op", indexing_db.OPS, ids=lambda op: op.name)
def test_opinfo(op):
    check_opinfo(op)
