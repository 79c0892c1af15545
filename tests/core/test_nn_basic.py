"""Basic layers, their functional forms, ``nn.init`` and ``nn.utils``: PyTorch's reference values
(``fixtures/layers``, made by torch 2.13), NumPy references, reprs, keys and initialisation."""

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn import init

FIX = Path(__file__).resolve().parent / "fixtures" / "layers"
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-5)}
DTYPES = ("float64", "float32")


# ---- fixtures from PyTorch ----------------------------------------------------------------------

def _case(file: str, case: str, dtype: str) -> dict:
    data = np.load(FIX / f"{file}.npz")
    prefix = f"{case}/{dtype}/"
    return {k[len(prefix):]: data[k] for k in data.files if k.startswith(prefix)}


def _leaf(a: np.ndarray) -> ember.Tensor:
    t = ember.tensor(a)
    return t.requires_grad_() if t.dtype.is_floating_point else t


def _close(actual: ember.Tensor, expected: np.ndarray, dtype: str) -> None:
    np.testing.assert_allclose(actual.detach().numpy(), expected, **TOL[dtype])
    assert actual.dtype is getattr(ember, str(expected.dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["basic", "no_bias"])
def test_linear_fixture(case, dtype):
    d = _case("linear", case, dtype)
    x, w = _leaf(d["input"]), _leaf(d["weight"])
    b = _leaf(d["bias"]) if "bias" in d else None
    out = F.linear(x, w, b)
    _close(out, d["output"], dtype)
    out.backward(ember.tensor(d["grad_output"]))
    _close(x.grad, d["grad_input"], dtype)
    _close(w.grad, d["grad_weight"], dtype)
    if b is not None:
        _close(b.grad, d["grad_bias"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case,fn", [("exact", lambda x: F.gelu(x)),
                                     ("tanh", lambda x: F.gelu(x, approximate="tanh"))])
def test_gelu_fixture(case, fn, dtype):
    d = _case("gelu", case, dtype)
    x = _leaf(d["input"])
    out = fn(x)
    _close(out, d["output"], dtype)
    out.backward(ember.tensor(d["grad_output"]))
    _close(x.grad, d["grad_input"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_silu_fixture(dtype):
    d = _case("silu", "basic", dtype)
    x = _leaf(d["input"])
    out = nn.SiLU()(x)
    _close(out, d["output"], dtype)
    out.backward(ember.tensor(d["grad_output"]))
    _close(x.grad, d["grad_input"], dtype)


_SOFTMAX = {"softmax_lastdim": lambda x: F.softmax(x, dim=-1),
            "softmax_dim1": lambda x: F.softmax(x, dim=1),
            "log_softmax_lastdim": lambda x: F.log_softmax(x, dim=-1),
            "log_softmax_dim0": lambda x: F.log_softmax(x, dim=0),
            "softmax_extreme": lambda x: F.softmax(x, dim=-1),
            "log_softmax_extreme": lambda x: F.log_softmax(x, dim=-1)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(_SOFTMAX))
def test_softmax_fixture(case, dtype):
    d = _case("softmax", case, dtype)
    x = _leaf(d["input"])
    out = _SOFTMAX[case](x)
    _close(out, d["output"], dtype)
    out.backward(ember.tensor(d["grad_output"]))
    _close(x.grad, d["grad_input"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case,kwargs", [("basic", {}), ("padding_idx", {"padding_idx": 0}),
                                         ("1d", {})])
def test_embedding_fixture(case, kwargs, dtype):
    d = _case("embedding", case, dtype)
    idx, w = ember.tensor(d["indices"]), _leaf(d["weight"])
    out = F.embedding(idx, w, **kwargs)
    _close(out, d["output"], dtype)
    out.backward(ember.tensor(d["grad_output"]))
    _close(w.grad, d["grad_weight"], dtype)
    # the module gives the same, with the fixture's weight loaded through the state_dict
    m = nn.Embedding(*d["weight"].shape, dtype=getattr(ember, dtype), **kwargs)
    m.load_state_dict({"weight": ember.tensor(d["weight"])})
    _close(m(idx), d["output"], dtype)


# ---- fast paths agree with their decompositions -------------------------------------------------

@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_fast_paths_match_decompositions(dtype):
    import sys

    activation = sys.modules["ember.nn.functional.activation"]
    linear = sys.modules["ember.nn.functional.linear"]
    ember.manual_seed(0)
    x = ember.randn(4, 5, dtype=dtype) * 3
    w, b = ember.randn(3, 5, dtype=dtype), ember.randn(3, dtype=dtype)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype is ember.float32 else dict(rtol=1e-12, atol=1e-12)
    pairs = [(linear._linear(x, w, b), linear._linear.decomposition(x, w, b)),
             (linear._linear(x, w), linear._linear.decomposition(x, w)),
             (activation._gelu(x), activation._gelu.decomposition(x)),
             (activation._gelu(x, approximate="tanh"),
              activation._gelu.decomposition(x, approximate="tanh")),
             (activation._silu(x), activation._silu.decomposition(x)),
             (x.sigmoid(), ember.sigmoid.decomposition(x))]
    for fast, slow in pairs:
        assert fast.dtype is dtype
        np.testing.assert_allclose(fast.numpy(), slow.numpy(), **tol)
    big = ember.tensor([-1000.0, 1000.0, 0.0], dtype=dtype)
    assert F.silu(big).tolist() == [-0.0, 1000.0, 0.0]


# ---- activations vs NumPy ------------------------------------------------------------------------

def _np_ref():
    sa, ss = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    sp = lambda x: np.log1p(np.exp(x))  # noqa: E731
    return {
        "relu": (lambda x: F.relu(x), lambda x: np.maximum(x, 0)),
        "relu6": (lambda x: F.relu6(x), lambda x: np.clip(x, 0, 6)),
        "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        "elu": (lambda x: F.elu(x, 2.0), lambda x: np.where(x > 0, x, 2.0 * np.expm1(x))),
        "selu": (lambda x: F.selu(x), lambda x: ss * np.where(x > 0, x, sa * np.expm1(x))),
        "celu": (lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
        "softplus": (lambda x: F.softplus(x, 2.0, 5.0),
                     lambda x: np.where(2 * x > 5, x, sp(2 * np.minimum(x, 2.5)) / 2)),
        "logsigmoid": (lambda x: F.logsigmoid(x), lambda x: -np.logaddexp(0, -x)),
        "mish": (lambda x: F.mish(x), lambda x: x * np.tanh(sp(x))),
        "hardswish": (lambda x: F.hardswish(x), lambda x: x * np.clip(x + 3, 0, 6) / 6),
        "hardsigmoid": (lambda x: F.hardsigmoid(x), lambda x: np.clip(x + 3, 0, 6) / 6),
        "hardtanh": (lambda x: F.hardtanh(x, -2, 1), lambda x: np.clip(x, -2, 1)),
        "softsign": (lambda x: F.softsign(x), lambda x: x / (1 + np.abs(x))),
        "tanhshrink": (lambda x: F.tanhshrink(x), lambda x: x - np.tanh(x)),
        "threshold": (lambda x: F.threshold(x, 0.5, -7.0), lambda x: np.where(x > 0.5, x, -7.0)),
        "hardshrink": (lambda x: F.hardshrink(x, 1.0), lambda x: np.where(np.abs(x) > 1, x, 0)),
        "softshrink": (lambda x: F.softshrink(x, 1.0),
                       lambda x: np.where(x > 1, x - 1, np.where(x < -1, x + 1, 0))),
        "sigmoid": (lambda x: F.sigmoid(x), lambda x: 1 / (1 + np.exp(-x))),
        "tanh": (lambda x: F.tanh(x), np.tanh),
        "softmin": (lambda x: F.softmin(x, 0),
                    lambda x: np.exp(-x) / np.exp(-x).sum(0, keepdims=True)),
        "rrelu_eval": (lambda x: F.rrelu(x, 0.1, 0.3),
                       lambda x: np.where(x >= 0, x, 0.2 * x)),
    }


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("layout", ["3d", "transposed", "1d"])
def test_linear_gradients_match_numpy(dtype, layout):
    """The fused CPU backward (one GEMM per gradient over all leading dims) against NumPy
    float64, for 3-d, non-contiguous and 1-d inputs, and with only some inputs needing grad."""
    rng = np.random.default_rng(11)
    shape = {"3d": (2, 3, 5), "transposed": (4, 5), "1d": (5,)}[layout]
    x0 = rng.normal(size=shape)
    w0, b0 = rng.normal(size=(3, 5)), rng.normal(size=3)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype is ember.float32 else dict(rtol=1e-12, atol=1e-12)
    for need in ((True, True, True), (False, True, True), (True, False, False)):
        x, w, b = (ember.tensor(a, dtype=dtype, requires_grad=r)
                   for a, r in zip((x0, w0, b0), need))
        xin = x.t().contiguous().t() if layout == "transposed" else x
        out = F.linear(xin, w, b)
        g0 = rng.normal(size=tuple(out.shape))
        out.backward(ember.tensor(g0, dtype=dtype))
        g2, x2 = g0.reshape(-1, 3), x0.reshape(-1, 5)
        np.testing.assert_allclose(out.detach().numpy(), x0 @ w0.T + b0, **tol)
        refs = ((g0 @ w0).reshape(shape), g2.T @ x2, g2.sum(0))
        for t, r, n in zip((x, w, b), refs, need):
            assert (t.grad is not None) == n
            if n:
                assert t.grad.dtype is dtype
                np.testing.assert_allclose(t.grad.numpy(), r, **tol)


@pytest.mark.parametrize("name", sorted(_np_ref()))
def test_activation_values(name):
    fn, ref = _np_ref()[name]
    x = np.linspace(-6, 6, 97)
    np.testing.assert_allclose(fn(ember.tensor(x)).numpy(), ref(x), rtol=1e-12, atol=1e-12)


def test_activations_extreme_inputs_have_finite_gradients():
    x = ember.tensor([-1e4, -50.0, 0.5, 50.0, 1e4], dtype=ember.float64, requires_grad=True)
    for fn in (F.elu, F.selu, F.celu, F.softplus, F.logsigmoid, F.mish, F.silu, F.gelu):
        x.grad = None
        fn(x).sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), fn.__name__


def test_glu_prelu_and_errors():
    x = ember.arange(8.0).reshape(2, 4)
    a, b = x.numpy()[:, :2], x.numpy()[:, 2:]
    np.testing.assert_allclose(F.glu(x).numpy(), a / (1 + np.exp(-b)), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is "
                                           "size 3"):
        F.glu(ember.ones(3, 2), 0)
    w = ember.tensor([0.1, 0.2, 0.3])
    x = -ember.ones(2, 3, 2)
    np.testing.assert_allclose(F.prelu(x, w).numpy()[0, :, 0], [-0.1, -0.2, -0.3], rtol=1e-6)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel"):
        F.prelu(ember.ones(2, 4), w)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(x, -1.0)


def test_inplace_activations():
    x = ember.tensor([-1.0, 2.0])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 2.0]
    x = ember.tensor([-1.0, 2.0])
    nn.LeakyReLU(0.5, inplace=True)(x)
    assert x.tolist() == [-0.5, 2.0]
    # in place on a non-leaf: the gradient still flows
    leaf = ember.tensor([-1.0, 2.0], requires_grad=True)
    h = leaf * 2
    F.elu_(h)
    h.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), [2 * math.exp(-2.0), 2.0], rtol=1e-6)


def test_softmax_implicit_dim_warns():
    x = ember.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.sum(1).numpy(), [1, 1], rtol=1e-6)  # dim 1 for 2-D inputs
    with pytest.warns(UserWarning):
        assert nn.LogSoftmax()(ember.randn(4)).shape == (4,)
    y = F.softmax(x, 1, dtype=ember.float64)
    assert y.dtype is ember.float64
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(x)
    s = nn.Softmax2d()(ember.randn(2, 3, 2, 2))
    np.testing.assert_allclose(s.sum(1).numpy(), np.ones((2, 2, 2)), rtol=1e-6)


def test_rrelu_training_slopes_in_range():
    ember.manual_seed(0)
    x = -ember.ones(2000)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    m = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)


# ---- dropout ------------------------------------------------------------------------------------

def test_dropout_statistics_and_modes():
    ember.manual_seed(0)
    x = ember.ones(200, 100)
    y = F.dropout(x, 0.3)
    v = y.numpy()
    assert set(np.unique(v)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((v == 0).mean() - 0.3) < 0.01
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0) == 0).all()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(-0.1)
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x
    # the same seed gives the same mask
    ember.manual_seed(3)
    a = F.dropout(x, 0.5)
    ember.manual_seed(3)
    assert (F.dropout(x, 0.5) == a).all()


def test_dropout_gradient_is_the_mask():
    ember.manual_seed(1)
    x = ember.ones(50, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy(), rtol=1e-6)


def test_channel_dropout():
    ember.manual_seed(0)
    x = ember.ones(8, 16, 3, 3)
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # whole channels
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    z = F.dropout1d(ember.ones(16, 5), 0.5).numpy()  # unbatched (C, L)
    assert (z.min(1) == z.max(1)).all()
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received "
                                           "a 4D input"):
        F.dropout1d(x, 0.5)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ember.ones(2, 3, 4), 0.5)
    z = F.dropout3d(ember.ones(6, 2, 2, 2), 0.5).numpy()  # unbatched (C, D, H, W)
    assert (z.reshape(6, -1).min(1) == z.reshape(6, -1).max(1)).all()


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(0)
    x = ember.randn(400000, dtype=ember.float64)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False
    y = nn.FeatureAlphaDropout(0.5)(ember.randn(4, 6, 5)).numpy()
    assert (np.ptp(y - y[..., :1], axis=-1) >= 0).all()


# ---- linear-family functional ops ---------------------------------------------------------------

def test_linear_errors_and_shapes():
    x = ember.randn(6, 4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(6x4 and 3x5\)"):
        F.linear(x, ember.randn(5, 3))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        F.linear(x, ember.randn(5, 4, dtype=ember.float64))
    assert F.linear(ember.randn(4), ember.randn(3, 4)).shape == (3,)
    assert F.linear(ember.randn(2, 3, 4), ember.randn(5, 4), ember.randn(5)).shape == (2, 3, 5)


def test_bilinear_matches_einsum():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 4))
    w, bias = rng.standard_normal((5, 2, 4)), rng.standard_normal(5)
    out = F.bilinear(ember.tensor(a), ember.tensor(b), ember.tensor(w), ember.tensor(bias))
    np.testing.assert_allclose(out.numpy(), np.einsum("ni,kij,nj->nk", a, w, b) + bias,
                               rtol=1e-12)


def test_embedding_padding_scale_grad_and_max_norm():
    w = ember.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = ember.tensor([[0, 2, 2], [1, 2, 0]])
    F.embedding(idx, w, padding_idx=0, scale_grad_by_freq=True).sum().backward()
    # row 0: padding (no gradient); row 2 used 3 times, scaled by 1/3; row 1 once
    np.testing.assert_allclose(w.grad.numpy(), [[0] * 3, [1] * 3, [1] * 3, [0] * 3])
    w2 = ember.tensor(np.arange(12.0).reshape(4, 3))
    out = F.embedding(ember.tensor([3, 1]), w2, max_norm=2.0)
    norms = np.linalg.norm(w2.numpy(), axis=1)
    np.testing.assert_allclose(norms[[1, 3]], 2.0, rtol=1e-6)  # renormalised in place
    np.testing.assert_allclose(norms[[0, 2]], np.linalg.norm(np.arange(12.0).reshape(4, 3),
                                                             axis=1)[[0, 2]])
    np.testing.assert_allclose(out.numpy(), w2.numpy()[[3, 1]])
    with pytest.raises(RuntimeError, match="indices"):
        F.embedding(ember.tensor([1.0]), w2)


def _bag_ref(idx, w, offsets, mode, psw=None, padding_idx=None):
    ends = list(offsets[1:]) + [len(idx)]
    out = np.zeros((len(offsets), w.shape[1]))
    for b, (s, e) in enumerate(zip(offsets, ends)):
        rows = [w[i] * (1 if psw is None else psw[j])
                for j, i in enumerate(idx[s:e], start=s) if i != padding_idx]
        if rows:
            out[b] = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, axis=0)
    return out


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_vs_numpy(mode, padding_idx):
    rng = np.random.default_rng(0)
    idx, offsets = np.array([1, 2, 4, 4, 3, 2, 0, 5]), np.array([0, 2, 2, 5])
    w = rng.standard_normal((6, 3))
    out = F.embedding_bag(ember.tensor(idx), ember.tensor(w), ember.tensor(offsets), mode=mode,
                          padding_idx=padding_idx)
    np.testing.assert_allclose(out.numpy(), _bag_ref(idx, w, offsets, mode,
                                                     padding_idx=padding_idx), rtol=1e-12)
    psw = rng.standard_normal(8)
    if mode == "sum":
        out = F.embedding_bag(ember.tensor(idx), ember.tensor(w), ember.tensor(offsets),
                              mode="sum", per_sample_weights=ember.tensor(psw))
        np.testing.assert_allclose(out.numpy(), _bag_ref(idx, w, offsets, "sum", psw),
                                   rtol=1e-12)
    # 2-D input: fixed-size bags; include_last_offset: the last offset is the end
    two_d = F.embedding_bag(ember.tensor(idx.reshape(2, 4)), ember.tensor(w), mode=mode)
    np.testing.assert_allclose(two_d.numpy(), _bag_ref(idx, w, [0, 4], mode), rtol=1e-12)
    last = F.embedding_bag(ember.tensor(idx), ember.tensor(w), ember.tensor([0, 2, 2, 5, 8]),
                           mode=mode, include_last_offset=True)
    np.testing.assert_allclose(last.numpy(), _bag_ref(idx, w, offsets, mode), rtol=1e-12)


def test_embedding_bag_errors_and_module():
    w = ember.randn(5, 2)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(ember.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(ember.tensor([[1, 2]]), w, ember.tensor([0]))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(ember.tensor([[1, 2]]), w, mode="min")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                                                  "mode='sum'"):
        F.embedding_bag(ember.tensor([[1, 2]]), w, per_sample_weights=ember.ones(1, 2))
    m = nn.EmbeddingBag(5, 2, mode="sum")
    assert m(ember.tensor([[1, 2], [3, 4]])).shape == (2, 2)
    assert list(m.state_dict()) == ["weight"]


def test_one_hot():
    out = F.one_hot(ember.tensor([0, 2, 1]))
    assert out.dtype is ember.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(ember.tensor([[1]]), 4).shape == (1, 1, 4)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(ember.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(ember.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(ember.tensor([1.0]))


def test_normalize_and_distances_vs_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ta, tb = ember.tensor(a), ember.tensor(b)
    np.testing.assert_allclose(F.normalize(ta).numpy(),
                               a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(F.normalize(ta, p=1, dim=0).numpy(),
                               a / np.abs(a).sum(0, keepdims=True), rtol=1e-12)
    assert F.normalize(ember.zeros(2, 3)).abs().sum().item() == 0
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(F.cosine_similarity(ta, tb).numpy(), cos, rtol=1e-12)
    np.testing.assert_allclose(nn.CosineSimilarity(dim=1)(ta, tb).numpy(), cos, rtol=1e-12)
    np.testing.assert_allclose(F.pairwise_distance(ta, tb).numpy(),
                               np.linalg.norm(a - b + 1e-6, axis=1), rtol=1e-12)
    np.testing.assert_allclose(nn.PairwiseDistance(p=1.0, keepdim=True)(ta, tb).numpy(),
                               np.abs(a - b + 1e-6).sum(1, keepdims=True), rtol=1e-12)
    i, j = np.triu_indices(3, 1)
    np.testing.assert_allclose(F.pdist(ta).numpy(), np.linalg.norm(a[i] - a[j], axis=1),
                               rtol=1e-12)


def test_pixel_shuffle_roundtrip_and_layout():
    x = ember.arange(2 * 8 * 2 * 3.0).reshape(2, 8, 2, 3)
    y = nn.PixelShuffle(2)(x)
    assert y.shape == (2, 2, 4, 6)
    ref = x.numpy().reshape(2, 2, 2, 2, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 4, 6)
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(y).numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ember.ones(1, 3, 2, 2), 2)


# ---- module classes: repr, keys, defaults -------------------------------------------------------

@pytest.mark.parametrize("module,text", [
    (nn.Linear(4, 2), "Linear(in_features=4, out_features=2, bias=True)"),
    (nn.Linear(4, 2, bias=False), "Linear(in_features=4, out_features=2, bias=False)"),
    (nn.Bilinear(2, 3, 4), "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"),
    (nn.Identity(54, unused="x"), "Identity()"),
    (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.ReLU6(), "ReLU6()"), (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (nn.PReLU(), "PReLU(num_parameters=1)"), (nn.RReLU(), "RReLU(lower=0.125, "
                                                          "upper=0.3333333333333333)"),
    (nn.ELU(), "ELU(alpha=1.0)"), (nn.CELU(0.5, True), "CELU(alpha=0.5, inplace=True)"),
    (nn.SELU(), "SELU()"), (nn.GELU(), "GELU(approximate='none')"),
    (nn.GELU("tanh"), "GELU(approximate='tanh')"), (nn.SiLU(), "SiLU()"), (nn.Mish(), "Mish()"),
    (nn.Hardswish(), "Hardswish()"), (nn.Hardsigmoid(), "Hardsigmoid()"),
    (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"), (nn.Softsign(), "Softsign()"),
    (nn.Tanhshrink(), "Tanhshrink()"), (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, "
                                                               "value=20)"),
    (nn.GLU(), "GLU(dim=-1)"), (nn.Sigmoid(), "Sigmoid()"), (nn.Tanh(), "Tanh()"),
    (nn.LogSigmoid(), "LogSigmoid()"), (nn.Softmax(dim=1), "Softmax(dim=1)"),
    (nn.LogSoftmax(0), "LogSoftmax(dim=0)"), (nn.Softmin(), "Softmin(dim=None)"),
    (nn.Softmax2d(), "Softmax2d()"), (nn.Hardshrink(), "Hardshrink(0.5)"),
    (nn.Softshrink(0.3), "Softshrink(0.3)"),
    (nn.Dropout(), "Dropout(p=0.5, inplace=False)"), (nn.Dropout2d(0.1, True),
                                                      "Dropout2d(p=0.1, inplace=True)"),
    (nn.AlphaDropout(0.2), "AlphaDropout(p=0.2, inplace=False)"),
    (nn.Embedding(10, 3), "Embedding(10, 3)"),
    (nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
     "Embedding(10, 3, padding_idx=9, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"),
    (nn.EmbeddingBag(10, 3), "EmbeddingBag(10, 3, mode='mean')"),
    (nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2),
     "EmbeddingBag(10, 3, mode='sum', padding_idx=2)"),
    (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    (nn.Unflatten(1, (2, 5)), "Unflatten(dim=1, unflattened_size=(2, 5))"),
    (nn.ZeroPad2d(2), "ZeroPad2d((2, 2, 2, 2))"), (nn.ZeroPad1d((1, 2)), "ZeroPad1d((1, 2))"),
    (nn.ConstantPad1d(2, 3.5), "ConstantPad1d(padding=(2, 2), value=3.5)"),
    (nn.ConstantPad3d(1, 0.0), "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=0.0)"),
    (nn.ReflectionPad2d((1, 0, 2, 0)), "ReflectionPad2d((1, 0, 2, 0))"),
    (nn.ReplicationPad1d(3), "ReplicationPad1d((3, 3))"),
    (nn.CircularPad2d(1), "CircularPad2d((1, 1, 1, 1))"),
    (nn.PixelShuffle(3), "PixelShuffle(upscale_factor=3)"),
    (nn.PixelUnshuffle(2), "PixelUnshuffle(downscale_factor=2)"),
    (nn.CosineSimilarity(), "CosineSimilarity()"), (nn.PairwiseDistance(), "PairwiseDistance()"),
])
def test_repr_matches_pytorch(module, text):
    assert repr(module) == text


def test_state_dict_keys():
    assert list(nn.Linear(3, 2).state_dict()) == ["weight", "bias"]
    assert list(nn.Linear(3, 2, bias=False).state_dict()) == ["weight"]
    assert list(nn.Bilinear(3, 2, 4).state_dict()) == ["weight", "bias"]
    assert list(nn.PReLU(3).state_dict()) == ["weight"]
    assert list(nn.Embedding(4, 2).state_dict()) == ["weight"]
    for m in (nn.ReLU(), nn.Dropout(), nn.Flatten(), nn.ZeroPad2d(1), nn.GELU()):
        assert m.state_dict() == {}
    shapes = {k: tuple(v.shape) for k, v in nn.Bilinear(3, 2, 4).state_dict().items()}
    assert shapes == {"weight": (4, 3, 2), "bias": (4,)}


def test_linear_default_init_bounds():
    ember.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives exactly 1/sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(-a, a) has std a/sqrt(3)
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    assert m.weight.dtype is ember.float32 and m.weight.requires_grad
    m64 = nn.Linear(3, 2, dtype=ember.float64)
    assert m64.weight.dtype is ember.float64 and m64.bias.dtype is ember.float64
    ember.manual_seed(5)
    a = nn.Linear(4, 3).weight.detach().clone()
    ember.manual_seed(5)
    assert (nn.Linear(4, 3).weight == a).all()  # reproducible from the seed
    bl = nn.Bilinear(16, 3, 50)
    assert np.abs(bl.weight.detach().numpy()).max() <= 1 / 4


def test_embedding_and_prelu_init():
    ember.manual_seed(0)
    e = nn.Embedding(1000, 50, padding_idx=3)
    w = e.weight.detach().numpy()
    assert (w[3] == 0).all() and abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02
    p = nn.PReLU(4, init=0.1)
    assert p.weight.tolist() == pytest.approx([0.1] * 4)
    pre = ember.randn(3, 2)
    f = nn.Embedding.from_pretrained(pre)
    assert not f.weight.requires_grad and (f(ember.tensor([1])) == pre[1]).all()
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_padding_layers_vs_numpy():
    x = np.arange(2 * 3 * 4.0).reshape(1, 2, 3, 4)
    t = ember.tensor(x)
    cases = [(nn.ZeroPad2d((1, 2, 0, 1)), np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 2)))),
             (nn.ConstantPad2d(1, -1.0), np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)),
                                               constant_values=-1)),
             (nn.ReflectionPad2d(2), np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), "reflect")),
             (nn.ReplicationPad2d((1, 0, 2, 1)), np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 0)),
                                                       "edge")),
             (nn.CircularPad2d(1), np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), "wrap")),
             (nn.ReplicationPad3d(1), np.pad(x, ((0, 0), (1, 1), (1, 1), (1, 1)), "edge"))]
    for m, ref in cases:
        np.testing.assert_array_equal(m(t).numpy(), ref, err_msg=repr(m))
    np.testing.assert_array_equal(nn.ReflectionPad1d(1)(t[0]).numpy(),
                                  np.pad(x[0], ((0, 0), (0, 0), (1, 1)), "reflect"))
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        nn.CircularPad2d(1)(ember.ones(2, 2))


def test_flatten_unflatten_identity():
    x = ember.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(2, (2, 2))(x).shape == (2, 3, 2, 2)
    assert nn.Identity()(x) is x
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (2, 2.0))


def test_layers_forward_backward():
    ember.manual_seed(0)
    lin = nn.Linear(4, 3)
    x = ember.randn(5, 4)
    out = lin(x)
    np.testing.assert_allclose(out.detach().numpy(), x.numpy() @ lin.weight.detach().numpy().T
                               + lin.bias.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.tile(x.numpy().sum(0), (3, 1)),
                               rtol=1e-5)
    np.testing.assert_allclose(lin.bias.grad.numpy(), [5.0] * 3)
    bl = nn.Bilinear(2, 3, 4)
    assert bl(ember.randn(5, 2), ember.randn(5, 3)).shape == (5, 4)
    p = nn.PReLU(3)
    p(-ember.ones(2, 3, 4)).sum().backward()
    np.testing.assert_allclose(p.weight.grad.numpy(), [-8.0] * 3)


# ---- nn.init ------------------------------------------------------------------------------------

def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_computation():
    fan = init._calculate_fan_in_and_fan_out
    assert fan(ember.empty(5, 3)) == (3, 5)
    assert fan(ember.empty(8, 4, 3, 2)) == (4 * 6, 8 * 6)  # conv weights: times the kernel
    assert fan(ember.empty(2, 3, 4)) == (12, 8)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        fan(ember.empty(3))


@pytest.mark.parametrize("name,expected_std", [
    ("xavier_uniform_", math.sqrt(2 / (40 * 9 + 30 * 9))),
    ("xavier_normal_", math.sqrt(2 / (40 * 9 + 30 * 9))),
    # a=0: leaky_relu's gain with slope 0, i.e. sqrt(2)
    ("kaiming_uniform_", math.sqrt(2) / math.sqrt(40 * 9)),
    ("kaiming_normal_", math.sqrt(2) / math.sqrt(40 * 9)),
])
def test_init_statistics_match_formulas(name, expected_std):
    ember.manual_seed(0)
    w = ember.empty(30, 40, 3, 3)
    out = getattr(init, name)(w)
    assert out is w
    v = w.numpy()
    assert abs(v.std() / expected_std - 1) < 0.03 and abs(v.mean()) < 0.05 * expected_std
    if "uniform" in name:  # U(-a, a) with a = sqrt(3) std
        assert np.abs(v).max() <= math.sqrt(3) * expected_std * (1 + 1e-6)


def test_kaiming_modes_and_generator():
    ember.manual_seed(0)
    w = ember.empty(200, 50)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() / (math.sqrt(2) / math.sqrt(200)) - 1) < 0.03
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(w, mode="fan_avg")
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    a, b = ember.empty(4, 4), ember.empty(4, 4)
    init.xavier_uniform_(a, generator=g1)
    init.xavier_uniform_(b, generator=g2)
    assert (a == b).all()
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


def test_simple_initialisers_and_no_grad():
    p = nn.Parameter(ember.empty(3, 4))
    init.constant_(p, 0.5)
    assert (p == 0.5).all() and p.requires_grad and p.grad_fn is None
    init.ones_(p)
    assert (p == 1).all()
    init.zeros_(p)
    assert (p == 0).all()
    init.eye_(p)
    np.testing.assert_array_equal(p.detach().numpy(), np.eye(3, 4))
    ember.manual_seed(0)
    init.uniform_(p, -2, -1)
    assert (p >= -2).all() and (p < -1).all()
    init.normal_(p, 10.0, 0.01)
    assert abs(p.detach().numpy().mean() - 10) < 0.05


def test_trunc_normal_orthogonal_sparse_dirac():
    ember.manual_seed(0)
    w = ember.empty(100000, dtype=ember.float64)
    init.trunc_normal_(w, mean=1.0, std=2.0, a=-1.0, b=2.0)
    v = w.numpy()
    assert v.min() >= -1 and v.max() <= 2
    # the truncated normal's mean (standardised bounds alpha=-1, beta=0.5)
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mean = 1.0 + 2.0 * (phi(-1) - phi(0.5)) / (cdf(0.5) - cdf(-1))
    assert abs(v.mean() - mean) < 0.02
    for shape in [(6, 4), (4, 6), (4, 2, 3)]:
        q = init.orthogonal_(ember.empty(*shape, dtype=ember.float64), gain=2.0).numpy()
        flat = q.reshape(shape[0], -1) / 2
        small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(small, np.eye(min(flat.shape)), atol=1e-12)
    s = init.sparse_(ember.empty(10, 5), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) == 3).all()
    d = init.dirac_(ember.empty(4, 2, 3, 3), groups=2).numpy()
    assert d.sum() == 4 and d[0, 0, 1, 1] == 1 and d[1, 1, 1, 1] == 1 and d[2, 0, 1, 1] == 1
    x = ember.randn(1, 4, 5)
    conv_like = init.dirac_(ember.empty(4, 4, 3))
    # a dirac kernel copies each channel: check through an explicit correlation
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1)))
    out = np.einsum("oik,nilk->nol", conv_like.numpy(),
                    np.lib.stride_tricks.sliding_window_view(xp, 3, axis=2))
    np.testing.assert_allclose(out, x.numpy(), rtol=1e-6)


# ---- nn.utils -----------------------------------------------------------------------------------

def _params_with_grads(rng, scale=1.0):
    ps = []
    for shape in [(3, 4), (5,), (2, 2, 2)]:
        p = nn.Parameter(ember.tensor(rng.standard_normal(shape)))
        p.grad = ember.tensor(rng.standard_normal(shape) * scale)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_vs_numpy(norm_type):
    rng = np.random.default_rng(0)
    ps = _params_with_grads(rng)
    flat = np.concatenate([p.grad.numpy().ravel() for p in ps])
    total = np.abs(flat).max() if math.isinf(norm_type) else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    before = [p.grad.numpy().copy() for p in ps]
    out = nn.utils.clip_grad_norm_(ps, max_norm=0.5, norm_type=norm_type)
    assert isinstance(out, ember.Tensor) and out.ndim == 0
    np.testing.assert_allclose(out.item(), total, rtol=1e-12)
    coef = min(1.0, 0.5 / (total + 1e-6))
    for p, g in zip(ps, before):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-12)
    # a large max_norm leaves the gradients alone
    ps = _params_with_grads(rng)
    before = [p.grad.numpy().copy() for p in ps]
    nn.utils.clip_grad_norm_(ps, max_norm=1e6, norm_type=norm_type)
    for p, g in zip(ps, before):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-12)


def test_clip_grad_edge_cases():
    p = nn.Parameter(ember.ones(3))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients
    p.grad = ember.tensor([3.0, 4.0, 0.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)  # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    p.grad = ember.tensor([float("nan"), 1.0, 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())
    q = nn.Parameter(ember.ones(4))
    q.grad = ember.tensor([-3.0, -0.1, 0.2, 5.0])
    assert nn.utils.clip_grad_value_([q], 1.0) is None
    assert q.grad.tolist() == pytest.approx([-1.0, -0.1, 0.2, 1.0])
    total = nn.utils.get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])])
    assert total.item() == pytest.approx(5.0)


def test_parameters_vector_roundtrip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (3 * 2 + 2 + 2 + 1,) and vec.requires_grad
    ref = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    np.testing.assert_allclose(vec.detach().numpy(), ref)
    vec.sum().backward()  # differentiable: every parameter gets ones
    assert all((p.grad == 1).all() for p in m.parameters())
    new = ember.arange(11.0)
    weight = m[0].weight
    nn.utils.vector_to_parameters(new, m.parameters())
    assert m[0].weight is weight  # the same Parameter, new data
    assert m[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m[1].bias.tolist() == [10.0]
    with pytest.raises(TypeError, match="expected ember.Tensor"):
        nn.utils.vector_to_parameters([1.0], m.parameters())


def test_no_warnings_on_plain_calls():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(ember.randn(2, 3), dim=1)
        nn.Dropout2d()(ember.randn(2, 3, 4, 4))
