"""ember.special (and ember.erfc/i0/sinc/polygamma/mvlgamma, softmax/log_softmax): published
values, SciPy's values in float64 where SciPy is installed (both the CPU ops and the
decompositions a primitives-only backend runs), gradients and errors."""

import math

import numpy as np
import pytest
from _opdb_runner import check_opinfo

import ember
import ember.special as S
from ember.autograd import gradcheck
from ember.testing.op_db import special as special_db


def t(a, **kw):
    return ember.tensor(np.asarray(a, dtype=np.float64), **kw)


def val(fn, x):
    return fn(t(x)).item()


# ---- published values (no SciPy needed) -------------------------------------------------------

KNOWN = [
    (S.erf, 0.5, 0.5204998778130465),
    (S.erfc, 0.5, 0.4795001221869535),
    (S.erfc, 5.0, 1.5374597944280349e-12),
    (S.erfcx, 10.0, 0.05614099274382259),
    (S.digamma, 1.0, -0.5772156649015329),
    (S.psi, 0.5, -1.9635100260214235),
    (lambda x: S.polygamma(1, x), 1.0, math.pi ** 2 / 6),
    (lambda x: S.polygamma(1, x), 0.5, math.pi ** 2 / 2),
    (lambda x: S.polygamma(2, x), 1.0, -2 * 1.2020569031595942),  # -2·ζ(3)
    (S.gammaln, 0.5, math.log(math.sqrt(math.pi))),
    (S.i0, 1.0, 1.2660658777520082),
    (S.i1, 1.0, 0.5651591039924851),
    (S.i0e, 1.0, 1.2660658777520082 * math.exp(-1)),
    (S.i1e, -1.0, -0.5651591039924851 * math.exp(-1)),
    (S.ndtr, 1.0, 0.8413447460685429),
    (S.ndtri, 0.975, 1.959963984540054),
    (S.log_ndtr, -10.0, -53.23128515051247),
    (S.sinc, 0.5, 2 / math.pi),
    (S.entr, 0.5, 0.5 * math.log(2)),
    (S.expit, 0.0, 0.5),
    (lambda x: S.zeta(x, 1.0), 2.0, math.pi ** 2 / 6),
    (lambda x: S.multigammaln(x, 2), 2.0, 0.5 * math.log(math.pi) + math.lgamma(2) +
     math.lgamma(1.5)),
]


@pytest.mark.parametrize("fn,x,expected", KNOWN)
def test_published_values(fn, x, expected):
    assert math.isclose(val(fn, x), expected, rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("fn,x,expected", [k for k in KNOWN
                                           if getattr(k[0], "decomposition", None)])
def test_published_values_of_decompositions(fn, x, expected):
    assert math.isclose(fn.decomposition(t(x)).item(), expected, rel_tol=1e-11)


def test_edge_values():
    inf = math.inf
    x = t([-inf, -30.0, 0.0, 30.0, inf, math.nan])
    out = S.erfc.decomposition(x).numpy()
    assert out[0] == 2 and out[2] == 1 and out[4] == 0 and out[3] == 0 and np.isnan(out[5])
    with np.errstate(over="ignore"):  # erfcx(-inf) = inf: NumPy's exp reports the overflow
        e = S.erfcx.decomposition(x).numpy()
    assert e[0] == inf and e[2] == 1 and e[4] == 0 and np.isnan(e[5])
    assert math.isclose(e[3], 1 / (30 * math.sqrt(math.pi)) * (1 - 1 / 1800), rel_tol=1e-6)
    p = S.ndtri.decomposition(t([0.0, 1.0, -0.5, 1.5, 0.5])).numpy()
    assert p[0] == -inf and p[1] == inf and np.isnan(p[2]) and np.isnan(p[3]) and p[4] == 0
    assert S.entr(t([-1.0])).item() == -inf and S.entr(t([0.0])).item() == 0
    assert S.sinc(t([0.0])).item() == 1 and S.sinc.decomposition(t([0.0])).item() == 1
    assert S.i0(t([0.0])).item() == 1 and S.i1(t([0.0])).item() == 0


def test_ints_compute_in_default_float():
    assert S.erfc(ember.tensor([0, 1])).dtype == ember.float32
    assert S.ndtr(ember.tensor([0, 1])).dtype == ember.float32
    assert S.i1e(t([1.0]).to(ember.float32)).dtype == ember.float32


# ---- against SciPy, float64 ---------------------------------------------------------------------

GRID = np.concatenate([np.linspace(-9, 9, 181), [-27.0, -12.5, 0.999, 1.001, 7.99, 8.01, 24.9,
                                                  25.1, 40.0, 300.0]])
UNARY = ["erfc", "erfcx", "ndtr", "log_ndtr", "i0", "i0e", "i1", "i1e", "entr"]


@pytest.mark.parametrize("name", UNARY)
def test_against_scipy(name):
    sp = pytest.importorskip("scipy.special")
    ref = getattr(sp, name)(GRID)
    fn = getattr(S, name)
    with np.errstate(all="ignore"):
        for out in (fn(t(GRID)).numpy(), fn.decomposition(t(GRID)).numpy()):
            np.testing.assert_allclose(out, ref, rtol=1e-10, atol=0)


def test_ndtri_against_scipy():
    sp = pytest.importorskip("scipy.special")
    p = np.concatenate([np.logspace(-300, -1, 40), np.linspace(0.05, 0.95, 19),
                        1 - np.logspace(-12, -1, 12)])
    ref = sp.ndtri(p)
    np.testing.assert_allclose(S.ndtri(t(p)).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(S.ndtri.decomposition(t(p)).numpy(), ref, rtol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_against_scipy(n):
    sp = pytest.importorskip("scipy.special")
    x = np.concatenate([np.linspace(0.05, 30, 60), [-0.5, -1.5, -2.7]])
    ref = sp.polygamma(n, x)
    np.testing.assert_allclose(S.polygamma(n, t(x)).numpy(), ref, rtol=1e-12)
    dec = ember.ops.special_math._polygamma.decomposition(t(x), n=n).numpy()
    np.testing.assert_allclose(dec, ref, rtol=1e-10)


def test_xlogy_gradients_where_x_is_zero():
    # PyTorch's convention: no gradient to x where x == 0; d/dy = x/y = 0 there
    x, y = t([0.0, 2.0], requires_grad=True), t([3.0, 4.0], requires_grad=True)
    S.xlogy(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, math.log(4.0)])
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 0.5])
    assert S.xlogy(0.0, t([0.0])).item() == 0 and S.xlogy(t([2.0]), 1).item() == 0


def test_zeta_xlogy_multigammaln_against_scipy():
    sp = pytest.importorskip("scipy.special")
    s = np.array([1.5, 2.0, 3.3, 10.0, 1.0, 0.5])
    q = np.array([0.5, 1.0, 2.5, 3.0, 1.0, 1.0])
    np.testing.assert_allclose(S.zeta(t(s), t(q)).numpy(), sp.zeta(s, q), rtol=1e-12)
    x = np.array([0.0, 0.0, 1.5, -2.0, 3.0])
    y = np.array([0.0, np.nan, 2.0, 0.5, -0.5])
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(S.xlogy(t(x), t(y)).numpy(), sp.xlogy(x, y))
        np.testing.assert_allclose(S.xlog1py(t(x), t(y)).numpy(), sp.xlog1py(x, y))
    a = np.array([2.5, 3.0, 7.25])
    np.testing.assert_allclose(S.multigammaln(t(a), 3).numpy(),
                               [sp.multigammaln(v, 3) for v in a], rtol=1e-13)


# ---- gradients --------------------------------------------------------------------------------

X = [-3.0, -1.2, -0.3, 0.4, 1.3, 2.5, 9.0, 30.0]
DERIVATIVES = [  # (function, inputs, closed form of the derivative)
    (S.erfc, X, lambda x: -2 / math.sqrt(math.pi) * np.exp(-x * x)),
    (S.i0, X, lambda x: S.i1(t(x)).numpy()),
    (S.ndtr, X, lambda x: np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    (S.digamma, [0.3, 1.0, 4.0], lambda x: S.polygamma(1, t(x)).numpy()),
    (S.log_ndtr, X, lambda x: np.exp(-x * x / 2 - S.log_ndtr(t(x)).numpy()) /
     math.sqrt(2 * math.pi)),
]


@pytest.mark.parametrize("fn,x,deriv", DERIVATIVES)
def test_derivatives_match_closed_forms(fn, x, deriv):
    xt = t(x, requires_grad=True)
    fn(xt).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), deriv(np.array(x)), rtol=1e-10)


@pytest.mark.parametrize("name", ["erfc", "erfcx", "ndtr", "log_ndtr", "i0", "i0e", "i1", "i1e",
                                  "sinc"])
def test_decomposition_gradients(name):
    fn = getattr(S, name).decomposition
    assert gradcheck(fn, (t([-3.0, -1.2, -0.3, 0.4, 1.3, 9.0], requires_grad=True),))


def test_i1_and_erfcx_derivatives_at_zero():
    for fn, expected in ((S.i1, 0.5), (S.i1e, 0.5), (S.erfcx, -2 / math.sqrt(math.pi))):
        for f in (fn, fn.decomposition):
            x = t(0.0, requires_grad=True)
            f(x).backward()
            assert math.isclose(x.grad.item(), expected, rel_tol=1e-12)


@pytest.mark.parametrize("op", special_db.OPS, ids=lambda op: op.name)
def test_opinfos(op):
    check_opinfo(op)


# ---- softmax ------------------------------------------------------------------------------------

def _np_softmax(a, dim):
    e = np.exp(a - a.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


def _np_log_softmax(a, dim):
    z = a - a.max(dim, keepdims=True)
    return z - np.log(np.exp(z).sum(dim, keepdims=True))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_matches_numpy(dim):
    a = np.random.default_rng(3).standard_normal((3, 4, 5)) * 10
    close = np.testing.assert_allclose
    close(ember.softmax(t(a), dim).numpy(), _np_softmax(a, dim), rtol=1e-12)
    close(ember.log_softmax(t(a), dim).numpy(), _np_log_softmax(a, dim), rtol=1e-12)
    close(ember.softmax.decomposition(t(a), dim % 3).numpy(), _np_softmax(a, dim), rtol=1e-12)
    close(t(a).log_softmax(dim).numpy(), _np_log_softmax(a, dim), rtol=1e-12)
    close(S.softmax(t(a), dim).numpy(), _np_softmax(a, dim), rtol=1e-12)


def test_softmax_is_stable_and_handles_edges():
    big = t([[1000.0, 1000.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(ember.softmax(big, 1).numpy(), [[0.5, 0.5], [0.0, 1.0]])
    assert ember.log_softmax(big, 1).numpy()[1, 0] == -1000.0
    assert np.isnan(ember.softmax(t([-math.inf, -math.inf]), 0).numpy()).all()
    assert ember.softmax(t(3.0), 0).item() == 1.0 and ember.softmax(t(3.0), 0).shape == ()
    assert ember.softmax(ember.zeros(0, 3), 0).shape == (0, 3)
    assert ember.softmax(t([1.0, 2.0]), 0, dtype=ember.float32).dtype == ember.float32


def test_softmax_gradients():
    a = t(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    for fn in (ember.softmax, ember.log_softmax, ember.softmax.decomposition,
               ember.log_softmax.decomposition):
        assert gradcheck(lambda x, fn=fn: fn(x, 1), (a,))
    y = ember.softmax(a, 1)
    assert y.grad_fn.name() == "SoftmaxBackward0"


# ---- errors -----------------------------------------------------------------------------------

def test_errors():
    with pytest.raises(RuntimeError, match="does not support negative n"):
        S.polygamma(-1, t([1.0]))
    with pytest.raises(RuntimeError, match=r"All elements must be greater than \(p-1\)/2"):
        S.multigammaln(t([0.9]), 3)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        ember.softmax(ember.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.softmax(t([1.0, 2.0]), 1)


def test_namespace():
    assert ember.special is S
    assert S.expit is ember.sigmoid and S.gammaln is ember.lgamma and S.psi is S.digamma
    assert S.erfc is ember.erfc and S.log_softmax is ember.log_softmax
    for name in S.__all__:
        assert callable(getattr(S, name)), name
    assert t([1.0]).erfc().item() == pytest.approx(0.15729920705028513)
    assert t([1.0]).polygamma(1).item() == pytest.approx(math.pi ** 2 / 6)
