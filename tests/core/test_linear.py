"""matmul and its family, dot products, einsum, tensordot, kron, trace, cross: against NumPy
(float64), gradients by gradcheck, PyTorch's error types and messages."""

import numpy as np
import pytest
from _opdb_runner import check_opinfo

import ember
from ember.autograd import gradcheck
from ember.testing.op_db import linalg as linalg_db

rng = np.random.default_rng(0)


def t(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def r(*shape):
    return rng.standard_normal(shape)


def close(x, ref, tol=1e-12):
    np.testing.assert_allclose(np.asarray(x.detach()), ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)),
                                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
                                   ((4,), (2, 4, 3)), ((2, 3, 4), (4,))])
def test_matmul_matches_numpy_and_gradcheck(sa, sb):
    a, b = r(*sa), r(*sb)
    close(t(a) @ t(b), a @ b)
    assert gradcheck(lambda x, y: ember.matmul(x, y), (t(a, True), t(b, True)))


def test_matmul_backward_sums_broadcast_batch():
    a, b = t(r(3, 4), True), t(r(2, 4, 5), True)
    (a @ b).sum().backward()
    bn = b.detach().numpy()
    close(a.grad, (np.ones((2, 3, 5)) @ np.swapaxes(bn, -1, -2)).sum(0))
    close(b.grad, np.broadcast_to(a.detach().numpy().T @ np.ones((3, 5)), (2, 4, 5)))


def test_rmatmul_with_numpy_and_operator():
    a = r(3, 3)
    close(ember.tensor(a) @ ember.tensor(a), a @ a)
    close(ember.Tensor.__rmatmul__(ember.tensor(a), a.tolist()), a @ a)


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(64x128 and 256x10\)"):
        ember.zeros(64, 128) @ ember.zeros(256, 10)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(1x3 and 4x5\)"):
        ember.zeros(3) @ ember.zeros(4, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(2\), mat \(2x3\), "
                                           r"vec \(4\)"):
        ember.zeros(2, 3) @ ember.zeros(4)
    with pytest.raises(RuntimeError, match=r"inconsistent tensor size, expected tensor \[3\] "
                                           r"and src \[4\]"):
        ember.zeros(3) @ ember.zeros(4)
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 "
                                           r"tensor to be: \[2, 4\] but got: \[2, 5\]"):
        ember.zeros(2, 3, 4) @ ember.zeros(2, 5, 6)
    with pytest.raises(RuntimeError, match=r"both arguments to matmul need to be at least 1D"):
        ember.matmul(ember.zeros(()), ember.zeros(3))
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but "
                                           r"got: float != double"):
        ember.zeros(2, 2) @ ember.zeros(2, 2, dtype=ember.float64)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size of "
                                           r"tensor b \(3\)"):
        ember.zeros(2, 3, 4) @ ember.zeros(3, 4, 5)


def test_mm_bmm_mv_checks():
    a, b = r(3, 4), r(4, 2)
    close(ember.mm(t(a), t(b)), a @ b)
    close(ember.mv(t(a), t(b[:, 0])), a @ b[:, 0])
    x, y = r(2, 3, 4), r(2, 4, 5)
    close(ember.bmm(t(x), t(y)), x @ y)
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        ember.mm(t(x), t(y))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        ember.bmm(t(a), t(b))
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 "
                                           r"tensor to be: \[2, 4\] but got: \[3, 4\]"):
        ember.bmm(t(x), t(r(3, 4, 5)))
    with pytest.raises(RuntimeError, match="vector \\+ matrix @ vector expected, got 1, 2, 2"):
        ember.mv(t(a), t(b))
    assert t(a).mm(t(b)).shape == (3, 2)


def test_addmm_family():
    c, a, b = r(3, 2), r(3, 4), r(4, 2)
    close(ember.addmm(t(c), t(a), t(b), beta=0.5, alpha=2), 0.5 * c + 2 * a @ b)
    nan = np.full((3, 2), np.nan)
    close(ember.addmm(t(nan), t(a), t(b), beta=0), a @ b)  # beta=0 ignores NaN in input
    close(ember.addmv(t(c[:, 0]), t(a), t(b[:, 0]), alpha=3), c[:, 0] + 3 * a @ b[:, 0])
    x, y = r(2, 3, 4), r(2, 4, 2)
    close(ember.addbmm(t(c), t(x), t(y)), c + (x @ y).sum(0))
    close(ember.baddbmm(t(c), t(x), t(y), beta=2), 2 * c + x @ y)
    z = t(c.copy())
    z.addmm_(t(a), t(b))
    close(z, c + a @ b)


def test_dot_vdot_inner_outer():
    a, b = r(5), r(5)
    close(ember.dot(t(a), t(b)), np.dot(a, b))
    ca = a + 1j * r(5)
    cb = b + 1j * r(5)
    got = ember.vdot(ember.tensor(ca), ember.tensor(cb))
    np.testing.assert_allclose(got.numpy(), np.vdot(ca, cb))
    m, n = r(2, 5), r(3, 5)
    close(ember.inner(t(m), t(n)), np.inner(m, n))
    close(ember.outer(t(a), t(b[:3])), np.outer(a, b[:3]))
    close(ember.ger(t(a), t(b[:3])), np.outer(a, b[:3]))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        ember.dot(t(m), t(a))
    with pytest.raises(RuntimeError, match=r"inconsistent tensor size, expected tensor \[5\] "
                                           r"and src \[3\]"):
        ember.dot(t(a), t(b[:3]))
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, "
                                           "but found Float and Double"):
        ember.dot(ember.zeros(3), ember.zeros(3, dtype=ember.float64))


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("iij->ji", [(3, 3, 2)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("b...,b...->...b", [(2, 3, 4), (2, 1, 4)]),
    ("...i->...", [(2, 3, 4)]),
    ("i,j,ij->", [(3,), (4,), (3, 4)]),
    ("abc,cd,db->a", [(2, 3, 4), (4, 5), (5, 3)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,ij->ij", [(3, 1), (1, 4)]),
])
def test_einsum_matches_numpy(eq, shapes):
    arrays = [r(*s) for s in shapes]
    close(ember.einsum(eq, *[t(a) for a in arrays]), np.einsum(eq, *arrays), 1e-10)
    close(ember.einsum(eq, [t(a) for a in arrays]), np.einsum(eq, *arrays), 1e-10)


def test_einsum_gradcheck_and_errors():
    a, b = t(r(2, 3, 3), True), t(r(2, 3), True)
    assert gradcheck(lambda x, y: ember.einsum("bii,bi->b", x, y), (a, b))
    with pytest.raises(RuntimeError, match="einsum\\(\\): more operands were provided"):
        ember.einsum("ij", t(r(2, 2)), t(r(2, 2)))
    with pytest.raises(RuntimeError, match="the number of subscripts in the equation \\(2\\) "
                                           "does not match the number of dimensions \\(3\\)"):
        ember.einsum("ij->i", t(r(2, 2, 2)))
    with pytest.raises(RuntimeError, match="output subscript k does not appear"):
        ember.einsum("ij->k", t(r(2, 2)))
    with pytest.raises(RuntimeError, match="subscript j has size 3 for operand 1 which does not "
                                           "broadcast with previously seen size 2"):
        ember.einsum("ij,jk->ik", t(r(2, 2)), t(r(3, 2)))
    with pytest.raises(RuntimeError, match="invalid subscript"):
        ember.einsum("i1->i", t(r(2, 2)))


def test_tensordot_kron_trace():
    a, b = r(2, 3, 4), r(3, 4, 5)
    close(ember.tensordot(t(a), t(b)), np.tensordot(a, b))
    close(ember.tensordot(t(a), t(b), dims=([1], [0])), np.tensordot(a, b, ([1], [0])))
    close(ember.tensordot(t(a), t(b), dims=0), np.tensordot(a, b, 0))
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has "
                                           "size 4 in dim 2 and second has size 3 in dim 0"):
        ember.tensordot(t(a), t(b), dims=([2], [0]))
    x, y = r(2, 3), r(3, 2)
    close(ember.kron(t(x), t(y)), np.kron(x, y))
    close(ember.kron(t(x[0]), t(y)), np.kron(x[0], y))
    close(ember.trace(t(x)), np.trace(x))
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 3"):
        ember.trace(t(a))


def test_cross_and_chain_matmul():
    a, b = r(4, 3), r(4, 3)
    close(ember.cross(t(a), t(b)), np.cross(a, b))
    close(ember.linalg.cross(t(a), t(b)), np.cross(a, b))
    c, d = r(3, 5), r(3, 5)
    close(ember.cross(t(c), t(d), dim=0), np.cross(c, d, axis=0))
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension -1 must have length "
                                           "3. Got 2 and 2"):
        ember.linalg.cross(t(r(2)), t(r(2)))
    m = [r(2, 3), r(3, 4), r(4, 2)]
    close(ember.chain_matmul(*[t(x) for x in m]), m[0] @ m[1] @ m[2])
    close(ember.linalg.multi_dot([t(m[0][0]), t(m[1]), t(m[2])]), m[0][0] @ m[1] @ m[2])


@pytest.mark.parametrize("op", [o for o in linalg_db.OPS if "." not in o.name],
                         ids=lambda o: o.name)
def test_opinfo(op):
    check_opinfo(op)
