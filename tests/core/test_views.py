"""Views: shared memory, writes reaching the base, version counters, strides/offsets, and the
view ops (narrow, select, unfold, movedim, diagonal, split…) against NumPy."""

import numpy as np
import pytest
from _opdb_runner import check_opinfo

import ember
from ember.autograd import gradcheck
from ember.testing.op_db import shape as shape_db


def _np(t):
    return t.detach().numpy()


def _base(shape=(3, 4)):
    return ember.arange(float(np.prod(shape)), dtype=ember.float64).reshape(shape).clone()


# ---- memory sharing -----------------------------------------------------------------------------

VIEWS = {
    "view": lambda x: x.view(4, 3),
    "reshape": lambda x: x.reshape(-1),
    "permute": lambda x: x.permute(1, 0),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "expand": lambda x: x[:1].expand(5, 4),
    "squeeze": lambda x: x[None].squeeze(0),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "as_strided": lambda x: x.as_strided((2, 2), (4, 1), 1),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(0, 1),
    "unfold": lambda x: x.unfold(1, 2, 1),
    "movedim": lambda x: x.movedim(0, 1),
    "diagonal": lambda x: x.diagonal(1),
    "getitem": lambda x: x[1:, ::2],
    "split": lambda x: x.split(2, 1)[1],
    "chunk": lambda x: x.chunk(2, 0)[1],
    "tensor_split": lambda x: x.tensor_split([1], 1)[1],
    "unbind": lambda x: x.unbind(1)[2],
    "meshgrid": lambda x: ember.meshgrid(x[0], x[1])[0],
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_shares_memory_and_version(name):
    x = _base()
    v = VIEWS[name](x)
    assert v._base is x
    before = _np(x).copy()
    x.add_(1)  # a write to the base shows through the view
    assert v._version == x._version == 1
    expected = VIEWS[name](ember.tensor(before + 1))
    np.testing.assert_array_equal(_np(v), _np(expected))
    if name in ("expand", "meshgrid", "unfold"):
        return  # overlapping memory: writes through these are ambiguous
    v.fill_(-7)  # a write through the view reaches the base
    assert x._version == 2
    assert (_np(x) == -7).sum() == v.numel()


def test_view_of_view_keeps_root_base():
    x = _base((2, 3, 4))
    v = x[1].t().narrow(0, 1, 2)
    assert v._base is x
    v[0, 0] = 100.0
    assert x[1, 0, 1].item() == 100.0


def test_contiguous_and_clone_copy():
    x = _base()
    t = x.t()
    c = t.contiguous()
    assert c.is_contiguous() and not t.is_contiguous()
    assert c._base is None
    c.fill_(0)
    assert _np(x).sum() == 66
    assert x.contiguous() is x


# ---- strides, offsets, contiguity ---------------------------------------------------------------

@pytest.mark.parametrize("fn,stride,offset,contig", [
    (lambda x: x, (12, 4, 1), 0, True),
    (lambda x: x.transpose(0, 2), (1, 4, 12), 0, False),
    (lambda x: x[1], (4, 1), 12, True),
    (lambda x: x[:, 1:, ::2], (12, 4, 2), 4, False),
    (lambda x: x[:, :, 1], (12, 4), 1, False),
    (lambda x: x.narrow(2, 1, 2), (12, 4, 1), 1, False),
    (lambda x: x[:, 2:3, :], (12, 4, 1), 8, False),
    (lambda x: x[1:, 2:3, :], (12, 4, 1), 20, True),
    (lambda x: x[0, 0].unsqueeze(0), (4, 1), 0, True),
    (lambda x: x.permute(1, 2, 0).unsqueeze(1), (4, 4, 1, 12), 0, False),
    (lambda x: x[:1].expand(3, 3, 4), (0, 4, 1), 0, False),
    (lambda x: x.diagonal(0, 1, 2), (12, 5), 0, False),
    (lambda x: x.unfold(2, 2, 2), (12, 4, 2, 1), 0, True),
    (lambda x: x.unfold(2, 2, 1), (12, 4, 1, 1), 0, False),
    (lambda x: x.select(2, -1), (12, 4), 3, False),
])
def test_stride_offset_contiguous(fn, stride, offset, contig):
    v = fn(ember.zeros(2, 3, 4))
    assert v.stride() == stride
    assert v.storage_offset() == offset
    assert v.is_contiguous() == contig


def test_size_one_dims_do_not_break_contiguity():
    x = ember.zeros(3, 1, 4)
    assert x.transpose(0, 1).is_contiguous()
    assert x.transpose(0, 1).stride() == (4, 4, 1)


# ---- view ops against NumPy ---------------------------------------------------------------------

def test_narrow_select_against_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = ember.tensor(a)
    np.testing.assert_array_equal(_np(x.narrow(2, 1, 3)), a[:, :, 1:4])
    np.testing.assert_array_equal(_np(x.narrow(-1, -2, 2)), a[..., 2:4])
    np.testing.assert_array_equal(_np(ember.narrow(x, 0, 0, 0)), a[0:0])
    np.testing.assert_array_equal(_np(x.select(1, -1)), a[:, -1])
    np.testing.assert_array_equal(_np(ember.select(x, 2, 0)), a[:, :, 0])


def test_narrow_select_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size"):
        x.narrow(1, 3, 2)
    with pytest.raises(IndexError, match="start out of range"):
        x.narrow(0, 5, 0)
    with pytest.raises(IndexError, match=r"select\(\): index 3 out of range for tensor of size "
                                         r"\[3, 4\] at dimension 0"):
        x.select(0, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.select(2, 0)


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 1, 3), (1, 5, 1), (0, 0, 1)])
def test_unfold_against_numpy(dim, size, step):
    a = np.arange(15.0).reshape(3, 5)
    d = dim % 2
    windows = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
    windows = windows[(slice(None),) * d + (slice(None, None, step),)]
    np.testing.assert_array_equal(_np(ember.tensor(a).unfold(dim, size, step)), windows)


def test_unfold_errors_and_zero_dim():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 4 but size "
                                           "is 5"):
        x.unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(1, 2, 0)
    assert ember.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), ((0, 1), (2, 0)), ([2], [1])])
def test_movedim_against_numpy(src, dst):
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(_np(ember.movedim(ember.tensor(a), src, dst)),
                                  np.moveaxis(a, src, dst))
    np.testing.assert_array_equal(_np(ember.tensor(a).moveaxis(src, dst)),
                                  np.moveaxis(a, src, dst))


def test_movedim_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(RuntimeError, match="movedim: Invalid source or destination dims"):
        x.movedim((0, 1), 0)
    with pytest.raises(RuntimeError, match="repeated dim in `source`"):
        x.movedim((0, 0), (0, 1))


@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (2, 1, 2),
                                          (-2, 2, 0), (5, 0, 1), (-4, 1, 2)])
def test_diagonal_against_numpy(offset, d1, d2):
    a = np.arange(60.0).reshape(3, 4, 5)
    np.testing.assert_array_equal(_np(ember.tensor(a).diagonal(offset, d1, d2)),
                                  np.diagonal(a, offset, d1, d2))


def test_diagonal_is_writable_view():
    x = ember.zeros(3, 3)
    x.diagonal().fill_(1)
    np.testing.assert_array_equal(_np(x), np.eye(3))
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        x.diagonal(0, 1, -1)


def test_diagonal_scatter():
    a = np.zeros((3, 4))
    out = ember.diagonal_scatter(ember.tensor(a), ember.tensor([1.0, 2.0, 3.0]), 1)
    expected = a.copy()
    expected[[0, 1, 2], [1, 2, 3]] = [1, 2, 3]
    np.testing.assert_array_equal(_np(out), expected)
    with pytest.raises(RuntimeError, match="expected src to have a size equal"):
        ember.diagonal_scatter(ember.tensor(a), ember.zeros(2))


def test_split_results_are_views_with_correct_strides():
    x = _base((4, 6))
    parts = x.split([1, 2, 3], 1)
    assert [p.stride() for p in parts] == [(6, 1)] * 3
    assert [p.storage_offset() for p in parts] == [0, 1, 3]
    parts[2][0, 0] = -1
    assert x[0, 3].item() == -1


# ---- autograd through views and in-place writes -------------------------------------------------

def test_setitem_copy_slices_gradients():
    """``y = x.clone(); y[0] = w * 2`` sends gradients to both x (outside row 0) and w."""
    x = ember.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    y[0] = w * 2
    (y * ember.tensor([[1.0, 2, 3], [4, 5, 6]])).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[0, 0, 0], [4, 5, 6]])
    np.testing.assert_array_equal(_np(w.grad), [2, 4, 6])


def test_write_through_sibling_view_reaches_other_views():
    """After a write through one view, every other view of the base sees the new graph."""
    x = ember.tensor(np.arange(6.0).reshape(2, 3), dtype=ember.float64, requires_grad=True)
    w = ember.tensor([10.0, 20.0], dtype=ember.float64, requires_grad=True)
    y = x.clone()
    col0, row0 = y[:, 0], y[0]
    col0.copy_(w)
    (row0 * 3).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[0, 3, 3], [0, 0, 0]])
    np.testing.assert_array_equal(_np(w.grad), [3, 0])

    x.grad = w.grad = None
    yt = x.clone().t()  # a transposed view of the clone, written through a row of itself
    yt[0] = w
    yt.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[0, 1, 1], [0, 1, 1]])
    np.testing.assert_array_equal(_np(w.grad), [1, 1])


def test_inplace_on_view_of_leaf_is_an_error():
    x = ember.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.narrow(1, 0, 1).fill_(1)


def test_gradcheck_through_view_chain():
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.t().unfold(0, 2, 2).diagonal(0, 1, 2).narrow(0, 1, 1) * 2,
                     (x,))


# ---- the OpInfos of op_db/shape.py ------------------------------------------------------------

@pytest.mark.parametrize("op", shape_db.OPS, ids=lambda op: op.name)
def test_opinfo(op):
    check_opinfo(op)
