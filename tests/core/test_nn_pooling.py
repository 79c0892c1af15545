"""Pooling and resampling: PyTorch's fixtures (values, indices and gradients), NumPy references,
hand-computed interpolation values, decomposition == fast path, gradcheck and errors."""

import numpy as np
import pytest
from test_nn_conv import run_fixture

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck
from ember.backends import cpu_conv

CASES = {
    "max_pool2d": {
        "k2": lambda i: F.max_pool2d(i, kernel_size=2),
        "k3_s2_p1": lambda i: F.max_pool2d(i, kernel_size=3, stride=2, padding=1),
        "ceil_mode": lambda i: F.max_pool2d(i, kernel_size=2, stride=2, ceil_mode=True),
        "dilation2": lambda i: F.max_pool2d(i, kernel_size=2, stride=1, dilation=2),
        "return_indices": lambda i: F.max_pool2d(i, kernel_size=(2, 3), stride=(2, 1),
                                                 return_indices=True),
    },
    "avg_pool2d": {
        "k2": lambda i: F.avg_pool2d(i, kernel_size=2),
        "k3_s2_p1_include_pad": lambda i: F.avg_pool2d(i, 3, stride=2, padding=1,
                                                       count_include_pad=True),
        "k3_s2_p1_exclude_pad": lambda i: F.avg_pool2d(i, 3, stride=2, padding=1,
                                                       count_include_pad=False),
        "ceil_mode": lambda i: F.avg_pool2d(i, kernel_size=2, stride=2, ceil_mode=True),
        "ceil_mode_pad": lambda i: F.avg_pool2d(i, 3, stride=2, padding=1, ceil_mode=True,
                                                count_include_pad=True),
        "divisor_override": lambda i: F.avg_pool2d(i, kernel_size=2, divisor_override=3),
    },
    "adaptive_avg_pool2d": {
        "out1": lambda i: F.adaptive_avg_pool2d(i, output_size=1),
        "out2x3_from5x7": lambda i: F.adaptive_avg_pool2d(i, output_size=(2, 3)),
        "out4_from6": lambda i: F.adaptive_avg_pool2d(i, output_size=4),
        "out_none_2": lambda i: F.adaptive_avg_pool2d(i, output_size=(None, 2)),
    },
}
PARAMS = [(f, c) for f, cs in CASES.items() for c in cs]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("file,case", PARAMS)
def test_fixture(file, case, dtype):
    run_fixture(file, case, CASES[file][case], dtype, names=("input",))


@pytest.fixture
def decomposition_only():
    kernels = ember.tensor(1.0)._be.kernels
    saved = {k: kernels.pop(k) for k in cpu_conv.KERNELS}
    yield
    kernels.update(saved)


@pytest.mark.parametrize("file,case", PARAMS)
def test_fixture_decomposition(file, case, decomposition_only):
    run_fixture(file, case, CASES[file][case], "float64", names=("input",))


# ---- NumPy references ---------------------------------------------------------------------------

def naive_max_pool(x, k, s, p, d, ceil_mode):
    """Window by window; indices are flat positions in the (unpadded) plane."""
    nd = len(k)
    sizes = x.shape[2:]
    outs = []
    for n, kk, ss, pp, dd in zip(sizes, k, s, p, d):
        span = n + 2 * pp - dd * (kk - 1) - 1
        o = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1
        outs.append(o)
    vals = np.full(x.shape[:2] + tuple(outs), -np.inf)
    idx = np.zeros(vals.shape, np.int64)
    for pos in np.ndindex(*outs):
        for tap in np.ndindex(*k):
            c = [po * ss - pp + t * dd for po, ss, pp, t, dd in zip(pos, s, p, tap, d)]
            if all(0 <= ci < n for ci, n in zip(c, sizes)):
                v = x[(slice(None), slice(None)) + tuple(c)]
                sel = (slice(None), slice(None)) + pos
                better = v > vals[sel]
                vals[sel] = np.where(better, v, vals[sel])
                idx[sel] = np.where(better, np.ravel_multi_index(c, sizes), idx[sel])
    del nd
    return vals, idx


@pytest.mark.parametrize("nd,shape,k,s,p,d,ceil", [
    (1, (2, 3, 9), (3,), (2,), (1,), (1,), True),
    (2, (1, 2, 7, 6), (3, 2), (2, 1), (1, 1), (1, 2), False),
    (3, (1, 2, 5, 4, 6), (2, 3, 2), (1, 2, 2), (1, 1, 0), (1, 1, 1), True),
])
def test_max_pool_against_naive(nd, shape, k, s, p, d, ceil):
    x = np.random.default_rng(0).standard_normal(shape)
    fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    v, i = fn(ember.tensor(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    rv, ri = naive_max_pool(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(v.numpy(), rv)
    np.testing.assert_array_equal(i.numpy(), ri)
    assert i.dtype == ember.int64


def test_max_pool_nan_wins_and_unpool():
    x = ember.tensor([[[1.0, float("nan"), 3.0, 2.0]]])
    v, i = F.max_pool1d(x, 2, return_indices=True)
    assert np.isnan(v.numpy()[0, 0, 0]) and i.tolist() == [[[1, 2]]]
    x = ember.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    v, i = F.max_pool2d(x, 2, return_indices=True)
    up = F.max_unpool2d(v, i, 2)
    expect = np.zeros((4, 4))
    expect[1::2, 1::2] = [[5, 7], [13, 15]]
    np.testing.assert_array_equal(up.numpy()[0, 0], expect)
    assert F.max_unpool2d(v, i, 2, output_size=(5, 5)).shape == (1, 1, 5, 5)
    assert nn.MaxUnpool2d(2)(v, i).shape == (1, 1, 4, 4)


def test_avg_pool_1d_3d_against_numpy():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 6, 5))
    y = F.avg_pool3d(ember.tensor(x), (2, 3, 1), stride=(2, 3, 1))
    ref = x.reshape(2, 3, 2, 2, 2, 3, 5, 1).mean(axis=(3, 5, 7))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    # exclude-pad divisor at the edge: [0, x0, x1] → (x0 + x1) / 2
    x1 = ember.tensor([[[1.0, 2.0, 3.0, 4.0]]], dtype=ember.float64)
    np.testing.assert_allclose(F.avg_pool1d(x1, 3, 2, 1, count_include_pad=False).numpy(),
                               [[[1.5, 3.0]]])
    np.testing.assert_allclose(F.avg_pool1d(x1, 3, 2, 1).numpy(), [[[1.0, 3.0]]])


def test_adaptive_pools_against_numpy():
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 7))
    bins = lambda n, o: [(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]  # noqa: E731
    ref_avg = np.array([[x[:, :, a:b, c:d].mean((2, 3)) for c, d in bins(7, 3)]
                        for a, b in bins(5, 2)]).transpose(2, 3, 0, 1)
    ref_max = np.array([[x[:, :, a:b, c:d].max((2, 3)) for c, d in bins(7, 3)]
                        for a, b in bins(5, 2)]).transpose(2, 3, 0, 1)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(ember.tensor(x), (2, 3)).numpy(), ref_avg,
                               rtol=1e-12)
    v, i = F.adaptive_max_pool2d(ember.tensor(x), (2, 3), return_indices=True)
    np.testing.assert_array_equal(v.numpy(), ref_max)
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(2, 2, -1),
                                                     i.numpy().reshape(2, 2, -1), 2),
                                  ref_max.reshape(2, 2, -1))
    x3 = np.random.default_rng(3).standard_normal((1, 2, 4, 6, 2))
    np.testing.assert_allclose(F.adaptive_avg_pool3d(ember.tensor(x3), (2, 3, 1)).numpy(),
                               x3.reshape(1, 2, 2, 2, 3, 2, 1, 2).mean((3, 5, 7)), rtol=1e-12)


def test_lp_pool():
    x = np.abs(np.random.default_rng(4).standard_normal((1, 2, 4, 4))) + 0.1
    y = F.lp_pool2d(ember.tensor(x), 2, 2)
    ref = np.sqrt((x.reshape(1, 2, 2, 2, 2, 2) ** 2).sum((3, 5)))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    assert nn.LPPool1d(3, 2)(ember.tensor(x[0])).shape == (2, 4, 2)


# ---- interpolate / grid_sample / affine_grid ------------------------------------------------

def test_interpolate_known_values():
    x = ember.tensor([[[1.0, 2.0, 4.0]]], dtype=ember.float64)
    # nearest: src = floor(dst * in/out)
    assert F.interpolate(x, size=5).tolist() == [[[1.0, 1.0, 2.0, 2.0, 4.0]]]
    # nearest-exact: src = floor((dst + 0.5) * in/out)
    assert F.interpolate(x, size=5, mode="nearest-exact").tolist() == [[[1.0, 1.0, 2.0, 4.0,
                                                                          4.0]]]
    # linear, half-pixel centres: src = (dst + 0.5) * 3/6 - 0.5 clamped at 0
    np.testing.assert_allclose(F.interpolate(x, scale_factor=2, mode="linear").numpy(),
                               [[[1.0, 1.25, 1.75, 2.5, 3.5, 4.0]]])
    # align_corners maps the ends onto each other
    np.testing.assert_allclose(
        F.interpolate(x, size=5, mode="linear", align_corners=True).numpy(),
        [[[1.0, 1.5, 2.0, 3.0, 4.0]]])
    # area = adaptive average
    np.testing.assert_allclose(F.interpolate(ember.tensor([[[1.0, 3.0, 5.0, 7.0]]]), size=2,
                                             mode="area").numpy(), [[[2.0, 6.0]]])
    # bicubic with align_corners reproduces a linear ramp exactly away from the clamped edges
    ramp = ember.tensor(np.arange(4.0).reshape(1, 1, 1, 4).repeat(2, 2))
    y = F.interpolate(ramp, size=(2, 7), mode="bicubic", align_corners=True)
    np.testing.assert_allclose(y.numpy()[0, 0, 0, 2:5], [1.0, 1.5, 2.0], atol=1e-12)
    # next to the edge the clamped tap (x[-1] = x[0]) bends it: 0.5 - A/8 ... = 0.40625
    assert y.numpy()[0, 0, 0, 1] == pytest.approx(0.40625)


def test_interpolate_antialias_is_a_box_filter_for_integer_downscale():
    # bilinear antialias with scale 2: triangle of support 2 → weights 1/8, 3/8, 3/8, 1/8
    x = np.random.default_rng(5).standard_normal((1, 1, 1, 8))
    y = F.interpolate(ember.tensor(x), size=(1, 4), mode="bilinear", antialias=True)
    w = np.array([1, 3, 3, 1]) / 8
    ref = [(x[0, 0, 0, 0:3] * w[1:]).sum() / w[1:].sum()] + \
        [(x[0, 0, 0, 2 * i - 1:2 * i + 3] * w).sum() for i in (1, 2)] + \
        [(x[0, 0, 0, 5:8] * w[:3]).sum() / w[:3].sum()]
    np.testing.assert_allclose(y.numpy()[0, 0, 0], ref, rtol=1e-12)


def test_interpolate_errors_and_upsample_modules():
    x = ember.randn(1, 2, 3, 3)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D input"):
        F.interpolate(ember.randn(1, 2, 3), size=2, mode="bilinear")
    assert nn.Upsample(scale_factor=2, mode="bilinear")(x).shape == (1, 2, 6, 6)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    a = nn.UpsamplingBilinear2d(size=(5, 5))(x)
    b = F.interpolate(x, size=(5, 5), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(a.numpy(), b.numpy())


def test_grid_sample_identity_and_known_points():
    x = ember.tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=ember.float64)
    for ac in (False, True):
        grid = F.affine_grid(theta, (1, 1, 3, 4), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)
    # the centre of the top edge between pixels 1 and 2 (align_corners: x = 0 ↔ 1.5)
    g = ember.tensor([[[[0.0, -1.0], [2.0, 0.0]]]], dtype=ember.float64)
    y = F.grid_sample(x, g, align_corners=True)
    assert y.tolist()[0][0][0][0] == pytest.approx(1.5)
    assert y.tolist()[0][0][0][1] == 0.0  # outside with zeros padding
    yb = F.grid_sample(x, g, padding_mode="border", align_corners=True)
    assert yb.tolist()[0][0][0][1] == pytest.approx(7.0)  # clamped to (x=3, y=1)
    yr = F.grid_sample(x, g, padding_mode="reflection", align_corners=True)
    assert yr.tolist()[0][0][0][1] == pytest.approx(4.0 + 1.5)  # x=4.5 reflects to 1.5


# ---- gradients, fast path == decomposition ------------------------------------------------

def _calls(rng):
    t = lambda *s: ember.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    return [
        (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (t(1, 2, 6, 5),)),
        (lambda x: F.max_pool1d(x, 2, 1, dilation=2), (t(2, 2, 6),)),
        (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
         (t(1, 2, 6, 5),)),
        (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), (t(1, 2, 5, 7),)),
        (lambda x: F.adaptive_max_pool2d(x, (2, 3)), (t(1, 2, 5, 7),)),
        (lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic"), (t(1, 1, 3, 4),)),
        (lambda x: F.interpolate(x, size=(2, 3), mode="bilinear", antialias=True),
         (t(1, 1, 5, 6),)),
        (lambda x, g: F.grid_sample(x, g.tanh() * 1.2, padding_mode="reflection"),
         (t(1, 2, 3, 4), t(1, 2, 3, 2))),
        (lambda th: F.affine_grid(th, (2, 1, 3, 4)), (t(2, 2, 3),)),
    ]


@pytest.mark.parametrize("i", range(9))
def test_gradcheck(i):
    fn, inputs = _calls(np.random.default_rng(10 + i))[i]
    assert gradcheck(fn, inputs)


def test_max_pool_gradgrad():
    x = ember.tensor(np.random.default_rng(3).permutation(30).reshape(1, 1, 5, 6).astype(np.float64),
                     requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: F.max_pool2d(t, 2, 1), (x,))


def test_fast_path_matches_decomposition(decomposition_only):
    kernels = ember.tensor(1.0)._be.kernels
    rng = np.random.default_rng(7)
    for fn, inputs in _calls(rng)[:5]:
        out = fn(*inputs)
        g = ember.tensor(rng.standard_normal(out.shape))
        slow = [out.detach().numpy()] + [v.numpy() for v in ember.autograd.grad(out, inputs, g)]
        kernels.update(cpu_conv.KERNELS)
        try:
            out = fn(*inputs)
            fast = [out.detach().numpy()] + [v.numpy() for v in
                                             ember.autograd.grad(out, inputs, g)]
        finally:
            for k in cpu_conv.KERNELS:
                kernels.pop(k)
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_errors_and_modules():
    x = ember.randn(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(x, 6)
    assert nn.MaxPool2d(2, return_indices=True)(x)[1].dtype == ember.int64
    assert nn.AvgPool2d(2, 1)(x).shape == (1, 2, 4, 4)
    assert nn.AdaptiveAvgPool2d((None, 2))(x).shape == (1, 2, 5, 2)
    assert nn.AdaptiveMaxPool1d(2)(ember.randn(1, 2, 5)).shape == (1, 2, 2)
    assert nn.MaxPool3d(2)(ember.randn(1, 1, 4, 4, 4)).shape == (1, 1, 2, 2, 2)
    assert repr(nn.MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, "
                                     "dilation=1, ceil_mode=False)")


@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (1, 2, 7, 5)])
def test_max_pool_2x2_fast_path_ties_nan_and_grad(shape):
    """The 2×2 stride-2 kernel: first maximum wins ties, NaN wins (first NaN), odd sizes drop
    the last row/column; its gradient (disjoint windows) lands on the indices."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, shape).astype(np.float64)  # many ties
    for data in (x, np.where(rng.random(shape) < 0.1, np.nan, x)):
        t = ember.tensor(data, requires_grad=True)
        v, i = F.max_pool2d(t, 2, return_indices=True)
        rv, ri = naive_max_pool(np.nan_to_num(data, nan=np.inf), (2, 2), (2, 2), (0, 0), (1, 1),
                                False)
        np.testing.assert_array_equal(i.numpy(), ri)
        np.testing.assert_array_equal(v.detach().numpy(), np.where(np.isinf(rv), np.nan, rv))
        g = rng.standard_normal(v.shape)
        (gx,) = ember.autograd.grad(v, (t,), ember.tensor(g))
        expect = np.zeros(data.shape).reshape(*data.shape[:2], -1)
        np.put_along_axis(expect, ri.reshape(*ri.shape[:2], -1), g.reshape(*g.shape[:2], -1), 2)
        np.testing.assert_array_equal(gx.numpy(), expect.reshape(data.shape))
        # without indices and gradient the values are the same
        np.testing.assert_array_equal(F.max_pool2d(t.detach(), 2).numpy(), v.detach().numpy())
