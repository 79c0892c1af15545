"""ember.linalg against numpy.linalg (float64): the CPU kernels AND the decompositions in ember
ops (called directly, and through the ops with the CPU kernels removed), gradients by gradcheck,
errors like PyTorch's."""

import math

import numpy as np
import pytest
from _opdb_runner import check_opinfo

import ember
from ember import linalg as L
from ember.autograd import gradcheck, gradgradcheck
from ember.backends import cpu_linalg
from ember.testing.op_db import linalg as linalg_db

rng = np.random.default_rng(1)


def t(a, grad=False):
    a = np.asarray(a)
    return ember.tensor(a if a.dtype.kind == "c" else a.astype(np.float64), requires_grad=grad)


def r(*shape):
    return rng.standard_normal(shape)


def sq(*shape):
    return r(*shape) + 3 * np.eye(shape[-1])


def spd(*shape):
    a = r(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def close(x, ref, tol=1e-10):
    np.testing.assert_allclose(np.asarray(x.detach()), ref, rtol=tol, atol=tol)


@pytest.fixture(params=["kernel", "decomposition"])
def path(request, monkeypatch):
    """Run each test with the CPU's LAPACK kernels and with them removed (decompositions)."""
    if request.param == "decomposition":
        kernels = ember.zeros(1)._be.kernels
        for name in cpu_linalg.KERNELS:
            monkeypatch.delitem(kernels, name)
    return request.param


# ---- values -----------------------------------------------------------------------------------

def test_inv_det_slogdet_solve(path):
    a, b = sq(2, 4, 4), r(2, 4, 3)
    close(L.inv(t(a)), np.linalg.inv(a))
    close(L.det(t(a)), np.linalg.det(a))
    sign, logabs = L.slogdet(t(a))
    close(sign, np.linalg.slogdet(a)[0])
    close(logabs, np.linalg.slogdet(a)[1])
    close(L.solve(t(a), t(b)), np.linalg.solve(a, b))
    close(L.solve(t(a), t(b[..., 0])), np.linalg.solve(a, b[..., :1])[..., 0])
    close(L.solve(t(a[0]), t(b)), np.linalg.solve(a[0], b))  # batch broadcast
    close(L.solve(t(a), t(b.swapaxes(-1, -2)), left=False),
          np.swapaxes(np.linalg.solve(a.swapaxes(-1, -2), b), -1, -2))
    res = L.inv_ex(t(a))
    close(res.inverse, np.linalg.inv(a))
    assert res.info.dtype == ember.int32 and res.info.tolist() == [0, 0]


def test_singular(path):
    s = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    assert abs(L.det(t(s)).item()) < 1e-12
    sign, logabs = L.slogdet(t(s))
    assert sign.item() == 0 and logabs.item() == -math.inf
    with pytest.raises(L.LinAlgError, match=r"linalg.inv: The diagonal element 3 is zero, the "
                                            r"inversion could not be completed because the input "
                                            r"matrix is singular."):
        L.inv(t(s))
    assert issubclass(L.LinAlgError, RuntimeError)
    with pytest.raises(L.LinAlgError, match=r"linalg.inv: \(Batch element 1\): The diagonal "
                                            r"element 2 is zero"):
        L.inv(t(np.stack([np.eye(2), [[1.0, 1.0], [1.0, 1.0]]])))
    with pytest.raises(L.LinAlgError, match="linalg.solve: The solver failed because the input "
                                            "matrix is singular."):
        L.solve(t(s), t(r(3)))
    assert L.inv_ex(t(s)).info.item() == 3


def test_cholesky(path):
    a = spd(2, 4, 4)
    close(L.cholesky(t(a)), np.linalg.cholesky(a))
    close(L.cholesky(t(a), upper=True), np.swapaxes(np.linalg.cholesky(a), -1, -2))
    junk = np.triu(r(4, 4), 1) * 100  # the upper triangle is not read
    close(L.cholesky(t(a[0] + junk)), np.linalg.cholesky(a[0]))
    bad = np.diag([1.0, 2.0, -1.0, 3.0])
    with pytest.raises(L.LinAlgError, match=r"linalg.cholesky: The factorization could not be "
                                            r"completed because the input is not "
                                            r"positive-definite \(the leading minor of order 3 "
                                            r"is not positive-definite\)."):
        L.cholesky(t(bad))
    assert L.cholesky_ex(t(bad)).info.item() == 3


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 3), (3, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(path, shape, mode):
    a = r(*shape)
    Q, R = L.qr(t(a), mode=mode)
    if mode == "r":
        assert Q.numel() == 0
        close(R, np.linalg.qr(a, mode="r"))
        return
    q, rr = np.linalg.qr(a, mode=mode)
    close(Q, q)  # same sign convention as LAPACK for real inputs
    close(R, rr)


def test_eigh(path):
    a = spd(2, 4, 4) - 6 * np.eye(4)  # indefinite
    w, V = L.eigh(t(a))
    close(w, np.linalg.eigvalsh(a))
    v = V.numpy()
    close(V @ ember.diag_embed(w) @ V.mT, a)
    close(V.mT @ V, np.broadcast_to(np.eye(4), (2, 4, 4)))
    np.testing.assert_allclose(np.abs(v), np.abs(np.linalg.eigh(a)[1]), atol=1e-10)
    lower = np.tril(a[0]) + np.triu(r(4, 4), 1)
    close(L.eigvalsh(t(lower)), np.linalg.eigvalsh(a[0]))
    upper = np.triu(a[0]) + np.tril(r(4, 4), -1)
    close(L.eigvalsh(t(upper), UPLO="U"), np.linalg.eigvalsh(a[0]))


def test_eigh_complex_hermitian(path):
    x = r(3, 3) + 1j * r(3, 3)
    h = x + x.conj().T
    w, V = L.eigh(ember.tensor(h))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(h), atol=1e-10)
    rec = V.numpy() @ np.diag(w.numpy()) @ V.numpy().conj().T
    np.testing.assert_allclose(rec, h, atol=1e-10)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
@pytest.mark.parametrize("full", [False, True])
def test_svd(path, shape, full):
    a = r(*shape)
    U, S, Vh = L.svd(t(a), full_matrices=full)
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    assert U.shape == u.shape and S.shape == s.shape and Vh.shape == vh.shape
    close(S, s)
    k = min(shape[-2:])
    close((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :], a)
    close(U.mT @ U, np.broadcast_to(np.eye(U.shape[-1]), U.shape[:-2] + (U.shape[-1],) * 2))
    close(Vh @ Vh.mT, np.broadcast_to(np.eye(Vh.shape[-2]), Vh.shape[:-2] + (Vh.shape[-2],) * 2))
    close(L.svdvals(t(a)), s)


def test_svd_rank_deficient(path):
    a = r(5, 2) @ r(2, 4)  # rank 2
    U, S, Vh = L.svd(t(a))
    close(S, np.linalg.svd(a, compute_uv=False))
    close(U.mT @ U, np.eye(5))
    close(U[:, :4] * S @ Vh, a)
    assert L.matrix_rank(t(a)).item() == 2
    close(L.pinv(t(a)), np.linalg.pinv(a))


def test_pinv_lstsq_rank_power(path):
    a, b = r(5, 3), r(5, 2)
    close(L.pinv(t(a)), np.linalg.pinv(a))
    close(L.pinv(t(a.T)), np.linalg.pinv(a.T))
    h = spd(3, 3)
    close(L.pinv(t(h), hermitian=True), np.linalg.pinv(h, hermitian=True))
    sol = L.lstsq(t(a), t(b))
    ref, res, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    close(sol.solution, ref)
    assert sol.rank.item() == rank and sol.residuals.numel() == 0  # gelsy: no residuals
    full = L.lstsq(t(a), t(b), driver="gelsd")
    close(full.residuals, res)
    close(full.singular_values, sv)
    close(L.lstsq(t(a), t(b[:, 0])).solution, ref[:, 0])
    m = sq(3, 3)
    close(L.matrix_power(t(m), 3), np.linalg.matrix_power(m, 3))
    close(L.matrix_power(t(m), -2), np.linalg.matrix_power(m, -2))
    close(L.matrix_power(t(m), 0), np.eye(3))
    assert L.matrix_rank(t(np.eye(4))).item() == 4
    assert L.matrix_rank(t(np.diag([1.0, 1e-3, 0])), atol=1e-2).item() == 1
    assert L.matrix_rank(t(np.diag([1.0, 2.0, 0])), hermitian=True).item() == 2


# ---- decompositions called directly --------------------------------------------------------------

def test_decompositions_directly_match_numpy():
    a, b = sq(3, 4, 4), r(3, 4, 2)
    X, info = L._inv_ex.decomposition(t(a))
    close(X, np.linalg.inv(a))
    assert info.tolist() == [0, 0, 0]
    close(L._solve_ex.decomposition(t(a), t(b))[0], np.linalg.solve(a, b))
    close(L._det.decomposition(t(a)), np.linalg.det(a))
    close(L._slogdet.decomposition(t(a))[1], np.linalg.slogdet(a)[1])
    p = spd(2, 5, 5)
    close(L._cholesky_ex.decomposition(t(p))[0], np.linalg.cholesky(p))
    w = r(2, 6, 4)
    Q, R = L._qr.decomposition(t(w), mode="reduced")
    q, rr = np.linalg.qr(w)
    close(Q, q)
    close(R, rr)
    ev, V = L._eigh.decomposition(t(p), uplo="L", compute_v=True)
    close(ev, np.linalg.eigvalsh(p))
    np.testing.assert_allclose(np.abs(V.numpy()), np.abs(np.linalg.eigh(p)[1]), atol=1e-9)
    U, S, Vh = L._svd.decomposition(t(w), full_matrices=False, compute_uv=True)
    close(S, np.linalg.svd(w, compute_uv=False))
    close((U * S.unsqueeze(-2)) @ Vh, w)
    sing = np.array([[0.0, 1.0], [0.0, 2.0]])
    assert L._inv_ex.decomposition(t(sing))[1].item() == 1
    assert L._inv_ex(t(sing))[1].item() == 1  # the LAPACK kernel reports the same pivot


def test_decomposition_float32():
    a = sq(4, 4).astype(np.float32)
    X, _ = L._inv_ex.decomposition(ember.tensor(a))
    assert X.dtype == ember.float32
    np.testing.assert_allclose(X.numpy(), np.linalg.inv(a), rtol=1e-5, atol=1e-5)
    U, S, Vh = L._svd.decomposition(ember.tensor(a), full_matrices=True, compute_uv=True)
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(a, compute_uv=False), rtol=1e-5)


# ---- gradients --------------------------------------------------------------------------------

GRADS = {
    "inv": (lambda a: L.inv(a), lambda: (sq(2, 3, 3),)),
    "det": (lambda a: L.det(a), lambda: (sq(3, 3),)),
    "slogdet": (lambda a: L.slogdet(a).logabsdet, lambda: (sq(3, 3),)),
    "solve": (lambda a, b: L.solve(a, b), lambda: (sq(3, 3), r(2, 3, 2))),
    "cholesky": (lambda a: L.cholesky(a @ a.mT + 3 * ember.eye(3, dtype=a.dtype)),
                 lambda: (r(3, 3),)),
    "qr": (lambda a: tuple(L.qr(a)), lambda: (r(4, 3) + 2 * np.eye(4, 3),)),
    "qr_wide": (lambda a: tuple(L.qr(a)), lambda: (r(3, 4) + 2 * np.eye(3, 4),)),
    "eigh": (lambda a: (lambda w, v: (w, v * v))(*L.eigh(a + a.mT)), lambda: (r(3, 3),)),
    "svd": (lambda a: (lambda u, s, vh: (s, u * u, vh * vh))(*L.svd(a, full_matrices=False)),
            lambda: (r(4, 3),)),
    "svd_wide": (lambda a: (lambda u, s, vh: (s, u * s.unsqueeze(-2) @ vh))(*L.svd(a, False)),
                 lambda: (r(2, 4),)),
    "pinv": (lambda a: L.pinv(a), lambda: (r(4, 3),)),
    "lstsq": (lambda a, b: L.lstsq(a, b).solution, lambda: (r(4, 3), r(4, 2))),
    "nuc": (lambda a: L.matrix_norm(a, "nuc"), lambda: (r(3, 4),)),
    "spectral": (lambda a: L.matrix_norm(a, 2), lambda: (r(3, 4),)),
    "power": (lambda a: L.matrix_power(a, -3), lambda: (sq(3, 3),)),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradcheck(path, name):
    fn, make = GRADS[name]
    assert gradcheck(fn, tuple(t(a, True) for a in make()))


@pytest.mark.parametrize("name", ["inv", "det", "solve", "cholesky", "eigh", "svd"])
def test_gradgradcheck(name):
    fn, make = GRADS[name]
    assert gradgradcheck(fn, tuple(t(a, True) for a in make()))


def test_qr_backward_errors():
    a = t(r(4, 3), True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        L.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and "
                                           "nrows > ncols"):
        L.qr(a, mode="complete").Q.sum().backward()


# ---- norms and small functions ----------------------------------------------------------------

@pytest.mark.parametrize("ord", [2, 1, 3, 0, 0.5, math.inf, -math.inf])
def test_vector_norm(ord):
    x = r(3, 4)
    close(L.vector_norm(t(x), ord), np.linalg.norm(x.ravel(), ord))
    close(L.vector_norm(t(x), ord, dim=1, keepdim=True),
          np.linalg.norm(x, ord, axis=1, keepdims=True))


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
def test_matrix_norm(ord):
    x = r(2, 3, 4)
    close(L.matrix_norm(t(x), ord), np.linalg.norm(x, ord, axis=(-2, -1)))
    close(L.matrix_norm(t(x), ord, dim=(0, 2), keepdim=True),
          np.linalg.norm(x, ord, axis=(0, 2), keepdims=True))
    close(L.norm(t(x[0]), ord), np.linalg.norm(x[0], ord))


def test_norm_dispatch_and_misc():
    x = r(2, 3, 4)
    close(L.norm(t(x)), np.linalg.norm(x.ravel()))
    close(L.norm(t(x), dim=(1, 2)), np.linalg.norm(x, axis=(1, 2)))
    close(L.norm(t(x), 3, dim=-1), np.linalg.norm(x, 3, axis=-1))
    with pytest.raises(RuntimeError, match="input must be 1D or 2D. Got 3D"):
        L.norm(t(x), 2)
    y = r(4)
    close(L.vecdot(t(x), t(y)), x @ y)
    close(L.diagonal(t(x), offset=1), np.diagonal(x, 1, -2, -1))
    d = L.diagonal(t(x))
    assert d._base is not None  # a view


def test_solve_triangular():
    a, b = sq(3, 3), r(3, 2)
    close(L.solve_triangular(t(a), t(b), upper=True), np.linalg.solve(np.triu(a), b))
    close(L.solve_triangular(t(a), t(b.T), upper=False, left=False),
          b.T @ np.linalg.inv(np.tril(a)))
    unit = np.tril(a, -1) + np.eye(3)
    close(L.solve_triangular(t(a), t(b), upper=False, unitriangular=True),
          np.linalg.solve(unit, b))


def test_argument_errors():
    with pytest.raises(RuntimeError, match="linalg.inv: A must be batches of square matrices, "
                                           "but they are 2 by 3 matrices"):
        L.inv(t(r(2, 3)))
    with pytest.raises(RuntimeError, match="linalg.det: The input tensor A must have at least 2 "
                                           "dimensions."):
        L.det(t(r(3)))
    with pytest.raises(RuntimeError, match="linalg.inv: Expected a floating point or complex "
                                           "tensor as input. Got Long"):
        L.inv(ember.ones(2, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match=r"linalg.solve: Incompatible shapes of A and B for "
                                           r"the equation AX = B \(3x3 and 4x2\)"):
        L.solve(t(sq(3, 3)), t(r(4, 2)))
    with pytest.raises(RuntimeError, match="qr received unrecognized mode 'full'"):
        L.qr(t(r(3, 3)), mode="full")
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U'"):
        L.eigh(t(spd(3, 3)), UPLO="X")
    with pytest.raises(RuntimeError, match="linalg.lstsq: parameter `driver` should be one of"):
        L.lstsq(t(r(3, 2)), t(r(3, 1)), driver="nope")


@pytest.mark.parametrize("op", [o for o in linalg_db.OPS if "." in o.name],
                         ids=lambda o: o.name)
def test_opinfo(op):
    check_opinfo(op)


def test_solve_ex_and_vander_match_numpy():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    result, info = ember.linalg.solve_ex(ember.tensor(a), ember.tensor(b))
    np.testing.assert_allclose(result.numpy(), np.linalg.solve(a, b), rtol=1e-10)
    assert int(info) == 0
    _, info = ember.linalg.solve_ex(ember.zeros(3, 3, dtype=ember.float64), ember.tensor(b))
    assert int(info) > 0  # singular: reported in info, not raised
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ember.linalg.vander(ember.tensor(x)).numpy(),
                               np.vander(x, increasing=True))
