"""Joining, splitting and rearranging ops against NumPy float64, with PyTorch's errors."""

import numpy as np
import pytest

import ember


def _np(t):
    return t.detach().numpy()


def _t(a):
    return ember.tensor(np.asarray(a, dtype=np.float64))


RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 4))


# ---- cat / stack --------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat_against_numpy(dim):
    b = RNG.standard_normal(tuple(5 if i == dim % 3 else s for i, s in enumerate(A.shape)))
    for fn in (ember.cat, ember.concat, ember.concatenate):
        np.testing.assert_array_equal(_np(fn([_t(A), _t(b)], dim)),
                                      np.concatenate([A, b], dim))


def test_cat_promotes_and_skips_legacy_empty():
    out = ember.cat([ember.tensor([1, 2]), ember.tensor([0.5]), ember.zeros(0)])
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(_np(out), [1, 2, 0.5])
    out = ember.cat([ember.zeros(0), ember.ones(2, 2)], 1)  # the 1-d empty tensor is ignored
    assert out.shape == (2, 2)
    assert ember.cat([ember.zeros(2, 0), ember.ones(2, 3)], 1).shape == (2, 3)


def test_cat_errors():
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 1\. "
                                           r"Expected size 3 but got size 4 for tensor number 1 "
                                           r"in the list\."):
        ember.cat([ember.zeros(3, 2), ember.zeros(4, 2)], 1)
    with pytest.raises(RuntimeError, match="expected a non-empty list of Tensors"):
        ember.cat([])
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 "
                                           "and 1"):
        ember.cat([ember.zeros(2, 2), ember.zeros(2)])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 1\\) cannot be "
                                           "concatenated"):
        ember.cat([ember.zeros(1), ember.tensor(1.0)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.cat([ember.zeros(2, 2)], 2)
    with pytest.raises(TypeError):
        ember.cat(ember.zeros(2, 2))


@pytest.mark.parametrize("dim", [0, 1, 3, -1, -4])
def test_stack_against_numpy(dim):
    b = RNG.standard_normal(A.shape)
    np.testing.assert_array_equal(_np(ember.stack([_t(A), _t(b), _t(A)], dim)),
                                  np.stack([A, b, A], dim))


def test_stack_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2, 3\] at entry 0 and \[2, 4\] at entry 1"):
        ember.stack([ember.zeros(2, 3), ember.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        ember.stack([])


@pytest.mark.parametrize("name,shapes", [
    ("hstack", [(3,), (2,)]), ("hstack", [(2, 1), (2, 3)]), ("hstack", [(), ()]),
    ("vstack", [(3,), (2, 3)]), ("vstack", [(), ()]),
    ("dstack", [(2, 3), (2, 3, 2)]), ("dstack", [(3,), (3,)]),
    ("column_stack", [(3,), (3, 2), (3,)]), ("column_stack", [(), ()]),
])
def test_stack_variants_against_numpy(name, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    out = getattr(ember, name)([_t(a) for a in arrays])
    np.testing.assert_array_equal(_np(out), getattr(np, name)(arrays))


def test_cat_gradient_routes_slices():
    a = ember.ones(2, 1, requires_grad=True)
    b = ember.ones(2, 2, requires_grad=True)
    w = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (ember.cat([a, b], 1) * w).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [[1], [4]])
    np.testing.assert_array_equal(_np(b.grad), [[2, 3], [5, 6]])


# ---- splitting ----------------------------------------------------------------------------------

@pytest.mark.parametrize("size,dim", [(1, 0), (2, 1), (3, 2), (4, -1), (10, 1)])
def test_split_int_against_numpy(size, dim):
    d = dim % 3
    n = A.shape[d]
    bounds = list(range(size, n, size))
    parts = ember.split(_t(A), size, dim)
    expected = np.split(A, bounds, d)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        np.testing.assert_array_equal(_np(p), e)


def test_split_sizes_and_errors():
    parts = _t(A).split([1, 0, 3], 2)
    assert [p.shape[2] for p in parts] == [1, 0, 3]
    np.testing.assert_array_equal(_np(parts[2]), A[:, :, 1:])
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly "
                                           r"to 4 \(input tensor's size at dimension 2\), but got "
                                           r"split_sizes=\[1, 2\]"):
        _t(A).split([1, 2], 2)


@pytest.mark.parametrize("n,chunks", [(7, 3), (6, 3), (5, 4), (2, 5), (1, 1)])
def test_chunk(n, chunks):
    a = np.arange(float(n))
    parts = ember.chunk(_t(a), chunks)
    size = -(-n // chunks)
    expected = [a[i:i + size] for i in range(0, n, size)]
    assert [p.tolist() for p in parts] == [e.tolist() for e in expected]
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        _t(a).chunk(0)


@pytest.mark.parametrize("arg", [3, 4, 1, 7, [1, 3], [2, 2, 5], [-2], [0, 10]])
def test_tensor_split_against_numpy(arg):
    a = np.arange(10.0).reshape(2, 5)
    parts = _t(a).tensor_split(arg, 1)
    expected = np.array_split(a, arg, 1)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        np.testing.assert_array_equal(_np(p), e)
    if isinstance(arg, list):  # a tensor of indices works like the list
        parts = ember.tensor_split(_t(a), ember.tensor(arg), 1)
        assert [p.shape for p in parts] == [e.shape for e in expected]


def test_hsplit_vsplit_dsplit():
    a = np.arange(24.0).reshape(2, 4, 3)
    for name in ("hsplit", "vsplit", "dsplit"):
        n = {"hsplit": 2, "vsplit": 2, "dsplit": 3}[name]
        for p, e in zip(getattr(ember, name)(_t(a), n), getattr(np, name)(a, n)):
            np.testing.assert_array_equal(_np(p), e)
    with pytest.raises(RuntimeError, match="is not divisible by the split_size 3"):
        ember.hsplit(_t(a), 3)


def test_unbind():
    parts = ember.unbind(_t(A), 1)
    assert len(parts) == 3
    for i, p in enumerate(parts):
        np.testing.assert_array_equal(_np(p), A[:, i])


# ---- repeating ----------------------------------------------------------------------------------

@pytest.mark.parametrize("reps", [(2, 1, 3), (1, 2, 1, 1), (3, 2, 1, 2), (1, 0, 1)])
def test_repeat_against_numpy_tile(reps):
    np.testing.assert_array_equal(_np(_t(A).repeat(*reps)), np.tile(A, reps))


def test_repeat_errors():
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller "
                                           "than number of dimensions of tensor"):
        _t(A).repeat(2, 2)


@pytest.mark.parametrize("reps", [(2,), (2, 1), (1, 1, 2), (2, 1, 1, 3)])
def test_tile_against_numpy(reps):
    np.testing.assert_array_equal(_np(ember.tile(_t(A), reps)), np.tile(A, reps))


def test_repeat_interleave_against_numpy():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_np(_t(a).repeat_interleave(2)), np.repeat(a, 2))
    np.testing.assert_array_equal(_np(_t(a).repeat_interleave(3, dim=1)), np.repeat(a, 3, 1))
    counts = [1, 0, 2]
    np.testing.assert_array_equal(_np(_t(a).repeat_interleave(ember.tensor(counts), dim=-1)),
                                  np.repeat(a, counts, 1))
    np.testing.assert_array_equal(_np(ember.repeat_interleave(ember.tensor([2, 0, 1]))),
                                  [0, 0, 2])
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        _t(a).repeat_interleave(ember.tensor([1, 2]), dim=1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        _t(a).repeat_interleave(-1)


# ---- flip / roll / rot90 ------------------------------------------------------------------------

@pytest.mark.parametrize("dims", [(0,), (1, 2), (-1,), (0, 1, 2), ()])
def test_flip_against_numpy(dims):
    out = ember.flip(_t(A), dims)
    np.testing.assert_array_equal(_np(out), np.flip(A, dims) if dims else A)
    assert out.is_contiguous() and out._base is None  # a copy, like PyTorch


def test_flip_decomposition_matches():
    from ember.ops.joining import _flip_decomposition

    np.testing.assert_array_equal(_np(_flip_decomposition(_t(A), (0, 2))), np.flip(A, (0, 2)))


def test_fliplr_flipud():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_np(_t(a).fliplr()), np.fliplr(a))
    np.testing.assert_array_equal(_np(ember.flipud(_t(a))), np.flipud(a))
    with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
        ember.fliplr(ember.zeros(3))


@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), ((1, 5), (0, 2)), (7, None),
                                         (-13, None), (3, -1)])
def test_roll_against_numpy(shifts, dims):
    np.testing.assert_array_equal(_np(ember.roll(_t(A), shifts, dims)), np.roll(A, shifts, dims))


def test_roll_errors():
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        _t(A).roll((1, 2), 0)


@pytest.mark.parametrize("k,dims", [(1, (0, 1)), (2, (0, 1)), (3, (1, 2)), (-1, (0, 2)),
                                    (4, (0, 1)), (5, (2, 0))])
def test_rot90_against_numpy(k, dims):
    np.testing.assert_array_equal(_np(ember.rot90(_t(A), k, dims)), np.rot90(A, k, dims))


def test_rot90_errors():
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2"):
        ember.rot90(_t(A), 1, (0,))
    with pytest.raises(RuntimeError, match="expected rotation dims to be different"):
        ember.rot90(_t(A), 1, (1, 1))
    with pytest.raises(RuntimeError, match="expected total dims >= 2"):
        ember.rot90(ember.zeros(3))


# ---- triangles ----------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu_against_numpy(k):
    a = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(_np(ember.tril(_t(a), k)), np.tril(a, k))
    np.testing.assert_array_equal(_np(_t(a).triu(diagonal=k)), np.triu(a, k))
    x = _t(a)
    x.tril_(k)
    np.testing.assert_array_equal(_np(x), np.tril(a, k))
    with pytest.raises(RuntimeError, match="input tensor must have at least 2 dimensions"):
        ember.tril(ember.zeros(3))


@pytest.mark.parametrize("r,c,k", [(3, 3, 0), (3, 4, 1), (4, 3, -1), (2, 5, -3), (0, 3, 0)])
def test_tri_indices_against_numpy(r, c, k):
    assert ember.tril_indices(r, c, k).tolist() == [list(v) for v in np.tril_indices(r, k, c)]
    assert ember.triu_indices(r, c, k).tolist() == [list(v) for v in np.triu_indices(r, k, c)]
    assert ember.tril_indices(r, c, k).dtype == ember.int64


# ---- grids --------------------------------------------------------------------------------------

@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_against_numpy(indexing):
    a, b, c = np.arange(2.0), np.arange(3.0) + 10, np.arange(4.0) + 100
    out = ember.meshgrid(_t(a), _t(b), _t(c), indexing=indexing)
    for o, e in zip(out, np.meshgrid(a, b, c, indexing=indexing)):
        np.testing.assert_array_equal(_np(o), e)
    assert ember.meshgrid(_t(a), indexing=indexing)[0].tolist() == a.tolist()
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        ember.meshgrid(_t(a), indexing="ji")


def test_cartesian_prod():
    a, b = ember.tensor([1, 2]), ember.tensor([3, 4, 5])
    import itertools

    assert ember.cartesian_prod(a, b).tolist() == [list(p) for p in itertools.product([1, 2],
                                                                                     [3, 4, 5])]
    assert ember.cartesian_prod(a).tolist() == [1, 2]


def test_atleast():
    s, v, m, c = ember.tensor(1.0), ember.zeros(3), ember.zeros(2, 3), ember.zeros(2, 3, 4)
    for t in (s, v, m, c):
        assert ember.atleast_1d(t).shape == np.atleast_1d(np.zeros(t.shape)).shape
        assert ember.atleast_2d(t).shape == np.atleast_2d(np.zeros(t.shape)).shape
        assert ember.atleast_3d(t).shape == np.atleast_3d(np.zeros(t.shape)).shape
    assert [t.shape for t in ember.atleast_2d(s, v)] == [(1, 1), (1, 3)]
    assert [t.shape for t in ember.atleast_1d((s, v))] == [(1,), (3,)]


# ---- block_diag / diag / pad --------------------------------------------------------------------

def test_block_diag_against_scipy_style_reference():
    a, b, c = np.arange(4.0).reshape(2, 2), np.array([5.0, 6.0, 7.0]), np.array(8.0)
    out = ember.block_diag(_t(a), _t(b), _t(c))
    expected = np.zeros((4, 6))
    expected[:2, :2], expected[2, 2:5], expected[3, 5] = a, b, c
    np.testing.assert_array_equal(_np(out), expected)
    assert ember.block_diag(ember.tensor([[1, 2]]), ember.tensor([[0.5]])).dtype == ember.float32
    with pytest.raises(RuntimeError, match="Input tensors must have 2 or fewer dimensions"):
        ember.block_diag(ember.zeros(1, 1, 1))


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_diagflat_diag_embed(k):
    v = np.arange(1.0, 4.0)
    m = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(_np(ember.diag(_t(v), k)), np.diag(v, k))
    np.testing.assert_array_equal(_np(_t(m).diag(k)), np.diag(m, k))
    assert ember.diag(_t(m)).is_contiguous()
    np.testing.assert_array_equal(_np(ember.diagflat(_t(m[:2, :2]), k)), np.diagflat(m[:2, :2], k))
    batch = RNG.standard_normal((2, 3))
    expected = np.stack([np.diag(r, k) for r in batch])
    np.testing.assert_array_equal(_np(ember.diag_embed(_t(batch), k)), expected)
    np.testing.assert_array_equal(_np(ember.diag_embed(_t(batch), k, 0, 2)),
                                  np.moveaxis(expected, 0, 1))
    with pytest.raises(RuntimeError, match="Supports 1D or 2D tensors. Got 3D"):
        ember.diag(ember.zeros(2, 2, 2))


NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@pytest.mark.parametrize("mode", sorted(NP_MODE))
@pytest.mark.parametrize("shape,pad", [((2, 5), (2, 3)), ((1, 2, 4, 5), (1, 2, 3, 0)),
                                       ((2, 3, 4), (0, 1, 2, 2)), ((1, 1, 2, 3, 4), (1, 1, 1, 1, 1, 1))])
def test_pad_against_numpy(mode, shape, pad):
    a = RNG.standard_normal(shape)
    k = len(pad) // 2
    widths = [(0, 0)] * (a.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]
    if mode == "reflect" and any(max(w) >= n for w, n in zip(widths, a.shape)):
        return
    out = ember.pad(_t(a), pad, mode=mode)
    np.testing.assert_array_equal(_np(out), np.pad(a, widths, mode=NP_MODE[mode]))


def test_pad_constant_value_and_negative():
    a = np.arange(12.0).reshape(3, 4)
    out = ember.pad(_t(a), (1, -2, -1, 0), value=9.0)
    np.testing.assert_array_equal(_np(out), np.pad(a[1:, :2], [(0, 0), (1, 0)],
                                                   constant_values=9.0))
    assert ember.pad(ember.ones(2, dtype=ember.int64), (1, 1)).tolist() == [0, 1, 1, 0]


def test_pad_errors():
    x = ember.zeros(1, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        ember.pad(x, (1,))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding "
                                           "input dimension"):
        ember.pad(x, (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="Only 2D, 3D, 4D, 5D padding"):
        ember.pad(ember.zeros(3), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="negative output size"):
        ember.pad(x, (-2, -2))
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode"):
        ember.pad(x, (1, 1), mode="mirror")


def test_pad_reflect_gradient_accumulates_mirrored_entries():
    x = ember.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    ember.pad(x, (2, 2), mode="reflect").sum().backward()
    # output: [3, 2, 1, 2, 3, 2, 1] → counts per input element
    np.testing.assert_array_equal(_np(x.grad), [[2, 3, 2]])
