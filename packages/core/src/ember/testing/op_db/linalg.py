"""OpInfos of the products (``ember/ops/linear.py``) and of ``ember.linalg``.

Matrices are drawn well-conditioned: square ones get 3·I added (inv, solve, det), symmetric
positive-definite ones are built inside the call as X Xᵀ + n·I (cholesky), Hermitian ones as
X + Xᵀ (eigh), so that finite differences see the same symmetric perturbation that the
factorizations read. Eigen- and singular vectors are compared through functions that do not
depend on their sign (V∘V, U diag(S) Vh), since the sign is implementation-defined.
"""

from __future__ import annotations

import math

import numpy as np

import ember

from ..opinfo import OpInfo, Sample, arr

FLOATS = ("float32", "float64")


def _m(rng, shape, dtype):
    return arr(rng, shape, dtype, -1.0, 1.0)


def _sq(rng, shape, dtype):
    """Well-conditioned square matrices: random entries plus 3·I."""
    a = arr(rng, shape, dtype, -1.0, 1.0)
    return (a + 3 * np.eye(shape[-1], dtype=a.dtype)).astype(a.dtype)


def _samples(*makers):
    def samples(rng, dtype):
        return [Sample(tuple(m(rng, dtype) if callable(m) else m for m in args))
                for args in makers]

    return samples


def _s(maker, shape):
    return lambda rng, dt: maker(rng, shape, dt)


_mat = lambda shape: _s(_m, shape)  # noqa: E731
_sqm = lambda shape: _s(_sq, shape)  # noqa: E731


def _spd(a):
    n = a.shape[-1]
    return a @ a.mT + n * ember.eye(n, dtype=a.dtype, device=a.device)


def _sym(a):
    return a + a.mT


def _eigh_inv(a):
    w, v = ember.linalg.eigh(_sym(a))
    return w, v * v


def _svd_inv(a):
    u, s, vh = ember.linalg.svd(a, full_matrices=False)
    return s, (u * s.unsqueeze(-2)) @ vh, u * u, vh * vh


OPS = [
    # ---- products ---------------------------------------------------------------------------
    OpInfo("matmul", lambda a, b: ember.matmul(a, b), _samples(
        (_mat((3, 4)), _mat((4, 2))), (_mat((2, 3, 4)), _mat((4, 5))),
        (_mat((2, 1, 3, 4)), _mat((3, 4, 2))), (_mat((4,)), _mat((2, 4, 3))),
        (_mat((3, 4)), _mat((4,))), (_mat((4,)), _mat((4,))),
    ), gradgrad=True),
    OpInfo("mm", lambda a, b: ember.mm(a, b), _samples((_mat((3, 4)), _mat((4, 2))))),
    OpInfo("bmm", lambda a, b: ember.bmm(a, b), _samples((_mat((2, 3, 4)), _mat((2, 4, 2))))),
    OpInfo("mv", lambda a, b: ember.mv(a, b), _samples((_mat((3, 4)), _mat((4,))))),
    OpInfo("addmm", lambda c, a, b, **kw: ember.addmm(c, a, b, **kw), lambda rng, dt: [
        Sample((_m(rng, (3, 2), dt), _m(rng, (3, 4), dt), _m(rng, (4, 2), dt))),
        Sample((_m(rng, (2,), dt), _m(rng, (3, 4), dt), _m(rng, (4, 2), dt)),
               {"beta": 0.5, "alpha": -2.0}),
        Sample((_m(rng, (3, 2), dt), _m(rng, (3, 4), dt), _m(rng, (4, 2), dt)),
               {"beta": 0}),
    ]),
    OpInfo("addmv", lambda c, a, b, **kw: ember.addmv(c, a, b, **kw), lambda rng, dt: [
        Sample((_m(rng, (3,), dt), _m(rng, (3, 4), dt), _m(rng, (4,), dt)),
               {"beta": 2.0, "alpha": 0.5}),
    ]),
    OpInfo("addbmm", lambda c, a, b, **kw: ember.addbmm(c, a, b, **kw), lambda rng, dt: [
        Sample((_m(rng, (3, 2), dt), _m(rng, (2, 3, 4), dt), _m(rng, (2, 4, 2), dt)),
               {"alpha": 1.5}),
    ]),
    OpInfo("baddbmm", lambda c, a, b, **kw: ember.baddbmm(c, a, b, **kw), lambda rng, dt: [
        Sample((_m(rng, (2, 3, 2), dt), _m(rng, (2, 3, 4), dt), _m(rng, (2, 4, 2), dt)),
               {"beta": 0.5}),
    ]),
    OpInfo("dot", lambda a, b: ember.dot(a, b), _samples((_mat((5,)), _mat((5,))))),
    OpInfo("vdot", lambda a, b: ember.vdot(a, b), _samples((_mat((5,)), _mat((5,))))),
    OpInfo("inner", lambda a, b: ember.inner(a, b), _samples(
        (_mat((2, 3)), _mat((4, 3))), (_mat(()), _mat((2,))))),
    OpInfo("outer", lambda a, b: ember.outer(a, b), _samples((_mat((3,)), _mat((4,))))),
    OpInfo("einsum", lambda eq, *ops: ember.einsum(eq, *ops), _samples(
        ("ij,jk->ik", _mat((3, 4)), _mat((4, 2))),
        ("bij,bjk", _mat((2, 3, 4)), _mat((2, 4, 2))),
        ("ii->i", _mat((3, 3))),
        ("...ij,...jk->...ik", _mat((2, 3, 4)), _mat((4, 2))),
        ("i,j,ij->", _mat((3,)), _mat((4,)), _mat((3, 4))),
        ("bii,bi->b", _mat((2, 3, 3)), _mat((2, 3))),
    ), gradgrad=True),
    OpInfo("tensordot", lambda a, b, **kw: ember.tensordot(a, b, **kw), lambda rng, dt: [
        Sample((_m(rng, (2, 3, 4), dt), _m(rng, (3, 4, 5), dt))),
        Sample((_m(rng, (2, 3, 4), dt), _m(rng, (4, 2), dt)), {"dims": ([0, 2], [1, 0])}),
    ]),
    OpInfo("kron", lambda a, b: ember.kron(a, b), _samples(
        (_mat((2, 3)), _mat((3, 2))), (_mat((2,)), _mat((2, 3))))),
    OpInfo("trace", lambda a: ember.trace(a), _samples((_mat((3, 4)),))),
    OpInfo("cross", lambda a, b: ember.cross(a, b, dim=1), _samples(
        (_mat((2, 3)), _mat((2, 3))), (_mat((4, 3, 2)), _mat((1, 3, 2))))),
    OpInfo("linalg.cross", lambda a, b: ember.linalg.cross(a, b), _samples(
        (_mat((4, 3)), _mat((4, 3))))),
    OpInfo("chain_matmul", lambda a, b, c: ember.chain_matmul(a, b, c), _samples(
        (_mat((2, 3)), _mat((3, 4)), _mat((4, 2))))),
    OpInfo("linalg.multi_dot", lambda a, b, c: ember.linalg.multi_dot([a, b, c]), _samples(
        (_mat((3,)), _mat((3, 4)), _mat((4,))))),
    OpInfo("linalg.vecdot", lambda a, b: ember.linalg.vecdot(a, b), _samples(
        (_mat((2, 3)), _mat((3,))))),
    OpInfo("linalg.diagonal", lambda a: ember.linalg.diagonal(a, offset=1), _samples(
        (_mat((2, 3, 4)),))),
    # ---- linalg: LU family ------------------------------------------------------------------
    OpInfo("linalg.inv", lambda a: ember.linalg.inv(a), _samples(
        (_sqm((3, 3)),), (_sqm((2, 4, 4)),)), gradgrad=True),
    OpInfo("linalg.det", lambda a: ember.linalg.det(a), _samples(
        (_sqm((3, 3)),), (_sqm((2, 4, 4)),)), gradgrad=True),
    OpInfo("linalg.slogdet", lambda a: tuple(ember.linalg.slogdet(a)), _samples(
        (_sqm((3, 3)),), (_sqm((2, 2, 2)) ,))),
    OpInfo("linalg.solve", lambda a, b, **kw: ember.linalg.solve(a, b, **kw), lambda rng, dt: [
        Sample((_sq(rng, (3, 3), dt), _m(rng, (3, 2), dt))),
        Sample((_sq(rng, (2, 3, 3), dt), _m(rng, (3,), dt))),
        Sample((_sq(rng, (3, 3), dt), _m(rng, (2, 3), dt)), {"left": False}),
    ], gradgrad=True),
    OpInfo("linalg.solve_triangular",
           lambda a, b, **kw: ember.linalg.solve_triangular(a, b, **kw), lambda rng, dt: [
               Sample((_sq(rng, (3, 3), dt), _m(rng, (3, 2), dt)), {"upper": True}),
               Sample((_sq(rng, (3, 3), dt), _m(rng, (2, 3), dt)),
                      {"upper": False, "left": False}),
           ]),
    OpInfo("linalg.matrix_power", lambda a, **kw: ember.linalg.matrix_power(a, **kw),
           lambda rng, dt: [Sample((_sq(rng, (3, 3), dt),), {"n": n}) for n in (1, 3, -2)]),
    # ---- linalg: factorizations -------------------------------------------------------------
    OpInfo("linalg.cholesky", lambda a, **kw: ember.linalg.cholesky(_spd(a), **kw),
           lambda rng, dt: [Sample((_m(rng, (3, 3), dt),)),
                            Sample((_m(rng, (2, 3, 3), dt),), {"upper": True})],
           gradgrad=True),
    OpInfo("linalg.qr", lambda a, **kw: tuple(ember.linalg.qr(a, **kw)), lambda rng, dt: [
        Sample((_m(rng, (4, 3), dt) + 2 * np.eye(4, 3, dtype=dt),)),
        Sample((_sq(rng, (2, 3, 3), dt),)),
        Sample((_m(rng, (3, 4), dt) + 2 * np.eye(3, 4, dtype=dt),)),
        Sample((_sq(rng, (3, 3), dt),), {"mode": "complete"}),
    ], gradgrad=True),
    OpInfo("linalg.eigh", _eigh_inv, _samples((_mat((3, 3)),), (_mat((2, 4, 4)),)),
           gradgrad=True, atol32=1e-3),
    OpInfo("linalg.eigvalsh", lambda a: ember.linalg.eigvalsh(_sym(a), UPLO="U"),
           _samples((_mat((4, 4)),))),
    OpInfo("linalg.svd", _svd_inv, _samples(
        (_mat((4, 3)),), (_mat((2, 3, 4)),), (_mat((3, 3)),)), gradgrad=True, atol32=1e-3),
    OpInfo("linalg.svdvals", lambda a: ember.linalg.svdvals(a), _samples((_mat((4, 3)),))),
    OpInfo("linalg.pinv", lambda a, **kw: ember.linalg.pinv(a, **kw), lambda rng, dt: [
        Sample((_m(rng, (4, 3), dt),)), Sample((_m(rng, (2, 3, 4), dt),)),
    ], atol32=1e-3),
    OpInfo("linalg.pinv_hermitian", lambda a: ember.linalg.pinv(_spd(a), hermitian=True),
           _samples((_mat((3, 3)),))),
    OpInfo("linalg.lstsq", lambda a, b: ember.linalg.lstsq(a, b).solution, _samples(
        (_mat((5, 3)), _mat((5, 2))),)),
    OpInfo("linalg.matrix_rank", lambda a: ember.linalg.matrix_rank(a), _samples(
        (_mat((4, 3)),)), grad=False),
    # ---- norms ------------------------------------------------------------------------------
    OpInfo("linalg.vector_norm", lambda a, **kw: ember.linalg.vector_norm(a, **kw),
           lambda rng, dt: [Sample((_m(rng, (3, 4), dt) + 3,), {"ord": o, "dim": d})
                            for o, d in ((2, None), (1, 1), (3, (0, 1)), (math.inf, 0))]),
    OpInfo("linalg.matrix_norm", lambda a, **kw: ember.linalg.matrix_norm(a, **kw),
           lambda rng, dt: [Sample((_m(rng, (2, 4, 3), dt),), {"ord": o})
                            for o in ("fro", "nuc", 2, 1, -math.inf)], atol32=1e-3),
    OpInfo("linalg.norm", lambda a, **kw: ember.linalg.norm(a, **kw),
           lambda rng, dt: [Sample((_m(rng, (3, 4), dt),)),
                            Sample((_m(rng, (3, 4), dt),), {"ord": "fro", "dim": (0, 1)})]),
]
