"""Normalization layers: PyTorch's fixtures (values, gradients, running statistics) through the
CPU fast paths and through the ember-ops decompositions, NumPy float64 references for the
rest, gradcheck/gradgradcheck via the OpInfos, error messages and the modules."""

import warnings

import numpy as np
import pytest
from _layer_fixtures import check_case, load_case
from _opdb_runner import check_opinfo

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing.op_db import nn_norm as norm_db

DTYPES = ("float64", "float32")


def fast_and_decomposition(op):
    return pytest.mark.parametrize("fn", [op, op.decomposition], ids=["fast", "decomposition"])


# ---- fixtures (PyTorch 2.13) --------------------------------------------------------------------

BN_CASES = {
    "train_4d": dict(training=True, momentum=0.1, eps=1e-5),
    "eval_4d": dict(training=False, momentum=0.1, eps=1e-5),
    "train_2d": dict(training=True, momentum=0.1, eps=1e-5),
    "train_3d": dict(training=True, momentum=0.1, eps=1e-5),
    "train_no_affine_mom03": dict(training=True, momentum=0.3, eps=1e-3),
    "train_no_running_stats": dict(training=True, momentum=0.1, eps=1e-5),
}


@fast_and_decomposition(F.batch_norm)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(BN_CASES))
def test_batch_norm_fixture(fn, case, dtype):
    def call(input, running_mean=None, running_var=None, weight=None, bias=None):
        return fn(input, running_mean, running_var, weight, bias, **BN_CASES[case])

    check_case("batch_norm", case, dtype, call, no_grad=("running_mean", "running_var"))


LN_CASES = {"last_dim": ((4,), 1e-5), "last_two_dims": ((3, 4), 1e-5), "no_affine": ((5,), 1e-6),
            "large_offset": ((6,), 1e-5)}


@fast_and_decomposition(F.layer_norm)
@pytest.mark.parametrize("case,dtype", [(c, d) for c in LN_CASES for d in DTYPES
                                        if (c, d) != ("large_offset", "float32")])
def test_layer_norm_fixture(fn, case, dtype):
    shape, eps = LN_CASES[case]
    check_case("layer_norm", case, dtype,
               lambda input, weight=None, bias=None: fn(input, shape, weight, bias, eps))


@fast_and_decomposition(F.layer_norm)
def test_layer_norm_large_offset_float32(fn):
    """Mean ~1000 in float32: one rounding of the mean is ~|mean| * 6e-8 / std ≈ 5e-5 of the
    output, so no float32 implementation is within atol 1e-5 of another here — PyTorch's own
    float32 output is 3.6e-5 off the exact result. Both are compared with the exact (float64)
    result at atol 1e-4; a naive E[x²] - E[x]² variance would be off by far more."""
    d32, d64 = load_case("layer_norm", "large_offset", "float32"), \
        load_case("layer_norm", "large_offset", "float64")
    x = ember.tensor(d32["input"], requires_grad=True)
    out = fn(x, (6,), ember.tensor(d32["weight"]), ember.tensor(d32["bias"]))
    np.testing.assert_allclose(out.detach().numpy(), d64["output"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(d32["output"], d64["output"], rtol=1e-4, atol=1e-4)
    out.backward(ember.tensor(d32["grad_output"]))
    np.testing.assert_allclose(x.grad.numpy(), d64["grad_input"], rtol=1e-4, atol=1e-4)


GN_CASES = {"g2": 2, "g1_3d": 1, "g4_per_channel": 4, "no_affine": 2}


@fast_and_decomposition(F.group_norm)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(GN_CASES))
def test_group_norm_fixture(fn, case, dtype):
    check_case("group_norm", case, dtype,
               lambda input, weight=None, bias=None: fn(input, GN_CASES[case], weight, bias, 1e-5))


# ---- NumPy references -----------------------------------------------------------------------


def np_norm(x, axes, eps):
    mean = x.mean(axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), mean, var


@fast_and_decomposition(F.instance_norm)
def test_instance_norm_matches_numpy_and_updates_running_stats(fn):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (3, 2, 5))
    w, b = rng.uniform(0.5, 2, 2), rng.normal(size=2)
    rm, rv = np.zeros(2), np.ones(2)
    erm, erv = ember.tensor(rm.copy()), ember.tensor(rv.copy())
    out = fn(ember.tensor(x), erm, erv, ember.tensor(w), ember.tensor(b), True, 0.2, 1e-5)
    xhat, mean, var = np_norm(x, (2,), 1e-5)
    np.testing.assert_allclose(out.numpy(), xhat * w[:, None] + b[:, None], rtol=1e-12)
    np.testing.assert_allclose(erm.numpy(), 0.8 * rm + 0.2 * mean[..., 0].mean(0), rtol=1e-12)
    np.testing.assert_allclose(erv.numpy(), 0.8 * rv + 0.2 * (var[..., 0] * 5 / 4).mean(0),
                               rtol=1e-12)
    # use_input_stats=False normalises with the running statistics
    ev = fn(ember.tensor(x), erm, erv, use_input_stats=False).numpy()
    np.testing.assert_allclose(ev, (x - erm.numpy()[:, None]) /
                               np.sqrt(erv.numpy()[:, None] + 1e-5), rtol=1e-12)


def test_rms_norm_matches_numpy():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 2, (3, 4))
    out = F.rms_norm(ember.tensor(x), (3, 4), ember.tensor(w), eps=1e-6).numpy()
    ref = x / np.sqrt((x ** 2).mean((1, 2), keepdims=True) + 1e-6) * w
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    x32 = ember.tensor(x.astype(np.float32))  # eps=None: the dtype's machine epsilon
    ref32 = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + np.finfo(np.float32).eps)
    np.testing.assert_allclose(F.rms_norm(x32, 4).numpy(), ref32, rtol=1e-5)


def test_local_response_norm_matches_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 3, 2))
    size, alpha, beta, k = 3, 0.4, 0.7, 1.5
    sq = np.pad(x ** 2, ((0, 0), (size // 2, (size - 1) // 2), (0, 0), (0, 0)))
    avg = sum(sq[:, i:i + 6] for i in range(size)) / size
    ref = x / (k + alpha * avg) ** beta
    out = F.local_response_norm(ember.tensor(x), size, alpha, beta, k).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-12)


FAST_CASES = {
    "batch_norm": (F.batch_norm, lambda fn, x, w, b: fn(x, None, None, w, b, True)),
    "layer_norm": (F.layer_norm, lambda fn, x, w, b: fn(x, (2, 4), w[:2].reshape(2, 1) * b[:4],
                                                         None)),
    "group_norm": (F.group_norm, lambda fn, x, w, b: fn(x, 3, w, b)),
    "instance_norm": (F.instance_norm, lambda fn, x, w, b: fn(x, None, None, w, b)),
}


@pytest.mark.parametrize("case", list(FAST_CASES))
def test_fast_path_equals_decomposition(case):
    """Values and all gradients of the CPU kernels equal the ember-ops decomposition's."""
    op, call = FAST_CASES[case]
    rng = np.random.default_rng(3)
    x0, w0, b0 = rng.normal(5.0, 2.0, (4, 6, 2, 4)), rng.uniform(0.5, 2, 6), rng.normal(size=6)
    g = rng.normal(size=x0.shape)
    results = []
    for fn in (op, op.decomposition):
        leaves = [ember.tensor(a, requires_grad=True) for a in (x0, w0, b0)]
        out = call(fn, *leaves)
        out.backward(ember.tensor(g))
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in leaves])
    for a, e in zip(*results):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_row_blocks_equal_decomposition(dtype, affine):
    """Wide inputs take the CPU kernels' block-by-block path (several blocks of rows, the last
    one partial): values and gradients still equal the decomposition's."""
    rng = np.random.default_rng(5)
    x0, w0, b0 = rng.normal(1.0, 3.0, (3, 101, 512)), rng.uniform(0.5, 2, 512), \
        rng.normal(size=512)
    g = rng.normal(size=x0.shape)
    results = []
    for fn in (F.layer_norm, F.layer_norm.decomposition):
        leaves = [ember.tensor(a.astype(dtype), requires_grad=True) for a in (x0, w0, b0)]
        out = fn(leaves[0], (512,), *(leaves[1:] if affine else (None, None)))
        out.backward(ember.tensor(g.astype(dtype)))
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in leaves
                                                 if t.grad is not None])
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-4)
    assert len(results[0]) == (4 if affine else 2)
    for a, e in zip(*results):
        np.testing.assert_allclose(a, e, **tol)


@pytest.mark.parametrize("op", norm_db.OPS, ids=lambda o: o.name)
def test_opinfo_gradcheck_and_gradgradcheck(op):
    check_opinfo(op)


def test_double_backward_through_fast_path():
    """Under create_graph the fast path's backward recomputes the statistics from x, so the
    second derivative matches the decomposition's."""
    rng = np.random.default_rng(4)
    x0, w0 = rng.normal(size=(3, 5)), rng.uniform(0.5, 2, 5)
    grads = []
    for fn in (F.layer_norm, F.layer_norm.decomposition):
        x = ember.tensor(x0, requires_grad=True)
        out = fn(x, (5,), ember.tensor(w0))
        (gx,) = ember.autograd.grad((out ** 3).sum(), x, create_graph=True)
        (ggx,) = ember.autograd.grad((gx ** 2).sum(), x)
        grads.append(ggx.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)


# ---- errors ---------------------------------------------------------------------------------


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got input size .*\[1, 3\]"):
        F.batch_norm(ember.zeros(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(ember.zeros(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(ember.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ember.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3)(ember.zeros(2, 3, 4, 4))


def test_layer_and_group_norm_errors():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with "
                                           r"shape \[\*, 4\], but got input of size\[2, 5\]"):
        F.layer_norm(ember.zeros(2, 5), (4,))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as "
                                           "normalized_shape"):
        F.layer_norm(ember.zeros(2, 4), (4,), ember.ones(3))
    with pytest.raises(RuntimeError, match="divisible by num_groups, but got input of shape "
                                           r"\[2, 4, 3\] and num_groups=3"):
        F.group_norm(ember.zeros(2, 4, 3), 3)
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input"):
        F.local_response_norm(ember.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(ember.zeros(2, 3, 1))


# ---- modules --------------------------------------------------------------------------------


def test_batchnorm_module_state_and_modes():
    m = nn.BatchNorm2d(3)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    assert m.num_batches_tracked.dtype is ember.int64
    assert repr(m) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, " \
                      "track_running_stats=True)"
    rng = np.random.default_rng(5)
    x = rng.normal(1.0, 2.0, (4, 3, 2, 2))
    m(ember.tensor(x))
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), ddof=1)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    assert m.num_batches_tracked.item() == 1
    m.eval()
    out = m(ember.tensor(x, dtype=ember.float32)).detach().numpy()
    ref = (x - m.running_mean.numpy()[:, None, None]) / \
        np.sqrt(m.running_var.numpy()[:, None, None] + 1e-5)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    assert m.num_batches_tracked.item() == 1  # eval does not count batches


def test_batchnorm_momentum_none_is_cumulative_average():
    m = nn.BatchNorm1d(2, momentum=None, dtype=ember.float64)
    rng = np.random.default_rng(6)
    batches = [rng.normal(size=(5, 2)) for _ in range(3)]
    for b in batches:
        m(ember.tensor(b))
    np.testing.assert_allclose(m.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0),
                               rtol=1e-12)
    assert m.num_batches_tracked.item() == 3


def test_batchnorm_without_tracking_and_affine():
    m = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == []
    assert m.weight is None and m.running_mean is None
    m.eval()  # no running stats: batch statistics even in eval
    out = m(ember.tensor(np.arange(12.0).reshape(4, 3))).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-6)


def test_batchnorm_loads_state_dict_without_num_batches_tracked():
    m = nn.BatchNorm1d(2)
    sd = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
    result = m.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_instancenorm_module():
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    x = ember.randn(3, 5)  # unbatched
    assert m(x).shape == (3, 5)
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features "
                                         r"\(3\), but got: 4\."):
        m(ember.randn(2, 4, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm2d(3)(ember.randn(2, 4, 3, 3))
    assert "does not match num_features" in str(caught[0].message)
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(ember.randn(2, 3))


def test_layer_group_rms_lrn_modules():
    ln = nn.LayerNorm((3, 4), bias=False)
    assert list(ln.state_dict()) == ["weight"] and ln.bias is None
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)"
    x = ember.randn(2, 3, 4)
    np.testing.assert_allclose(ln(x).detach().numpy(), F.layer_norm(x, (3, 4)).numpy(), rtol=1e-6)
    gn = nn.GroupNorm(2, 4)
    assert list(gn.state_dict()) == ["weight", "bias"]
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert gn(ember.randn(2, 4, 3)).shape == (2, 4, 3)
    rms = nn.RMSNorm(4)
    assert list(rms.state_dict()) == ["weight"]
    np.testing.assert_allclose(rms(x).detach().numpy(), F.rms_norm(x, 4).numpy(), rtol=1e-6)
    lrn = nn.LocalResponseNorm(2)
    assert repr(lrn) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    assert lrn(ember.randn(1, 3, 2)).shape == (1, 3, 2)
