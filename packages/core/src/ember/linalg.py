"""``ember.linalg``: matrix functions and decompositions, like ``torch.linalg``.

How the factorizations run: each one (``linalg_inv_ex``, ``linalg_solve_ex``, ``linalg_det``,
``linalg_slogdet``, ``linalg_cholesky_ex``, ``linalg_qr``, ``linalg_eigh``, ``linalg_svd``) is a
composite op. A backend may register a kernel under that name (the CPU backend uses LAPACK through
NumPy, ``backends/cpu_linalg.py``); otherwise the decomposition here runs, written in ember
primitives only so that any backend computes it:

- LU with partial pivoting (a loop over columns, vectorised over the batch) for solve, inv, det
  and slogdet;
- Cholesky column by column;
- QR by Householder reflections (same sign convention as LAPACK for real inputs);
- eigh by cyclic Jacobi sweeps (Hermitian rotations) until the off-diagonal part is below
  machine precision;
- SVD by one-sided (Hestenes) Jacobi sweeps on the columns. Unlike SVD through eigh(AᴴA), it
  does not square the condition number, so small singular values keep full relative precision.

Either way the forward runs without recording a graph and the op records one node whose backward
is the closed-form derivative written in ember ops (so it runs everywhere and can be
differentiated again). Eigenvector/singular-vector derivatives assume distinct eigen/singular
values, as in PyTorch.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple

import numpy as np

from ._tensor import Tensor, _wrap_dim, wrap
from .autograd.grad_mode import no_grad
from .ops._dispatch import kernel, needs_grad, record
from .ops.elementwise import where as _where
from .ops.linear import (
    _PRETTY,
    _cross_impl,
    _diagonal_copy,
    _diagonal_view,
    _unsq,
    matmul,  # noqa: F401 - torch.linalg.matmul
)
from .ops.linear import matmul as _mm


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (``torch.linalg.LinAlgError``)."""


_slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_qr_result = namedtuple("linalg_qr", ["Q", "R"])
_eigh_result = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_svd_result = namedtuple("linalg_svd", ["U", "S", "Vh"])
_lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_inv_ex_result = namedtuple("linalg_inv_ex", ["inverse", "info"])
_cholesky_ex_result = namedtuple("linalg_cholesky_ex", ["L", "info"])
_solve_ex_result = namedtuple("linalg_solve_ex", ["result", "info"])


# ---- small helpers (primitives only) ----------------------------------------------------------

def _raw(name: str, x: Tensor, *args):
    return kernel(x._be, name)(x._data, *args)


def _argmax(x: Tensor, dim: int) -> Tensor:
    return wrap(_raw("argmax", x, dim, False), x)


def _prod_last(x: Tensor) -> Tensor:
    return wrap(_raw("prod", x, (x.ndim - 1,), False), x)


def _sort_last(x: Tensor, descending: bool):
    values, idx = _raw("sort", x, x.ndim - 1, descending, True)
    return wrap(values, x), wrap(idx, x)


def _arange(n: int, like: Tensor) -> Tensor:
    from .ops.creation import arange

    return arange(n, device=like.device)


def _eye(n: int, like: Tensor, batch=()) -> Tensor:
    from .ops.creation import eye

    e = eye(n, dtype=like.dtype, device=like.device)
    return e.expand(tuple(batch) + (n, n)) if batch else e


def _tri_mask(rows: int, cols: int, k: int, lower: bool, like: Tensor) -> Tensor:
    """True on and below (lower) / above (upper) the k-th diagonal."""
    i = _unsq(_arange(rows, like), -1)
    j = _arange(cols, like)
    return (j - i <= k) if lower else (j - i >= k)


def _tril(x: Tensor, k: int = 0) -> Tensor:
    return x.where(_tri_mask(x.shape[-2], x.shape[-1], k, True, x), 0)


def _triu(x: Tensor, k: int = 0) -> Tensor:
    return x.where(_tri_mask(x.shape[-2], x.shape[-1], k, False, x), 0)


def _diag(x: Tensor) -> Tensor:
    return _diagonal_copy(x, 0, x.ndim - 2, x.ndim - 1)


def _diag_embed(v: Tensor, dtype=None) -> Tensor:
    v = v if dtype is None or v.dtype is dtype else v.to(dtype)
    return _unsq(v, -1) * _eye(v.shape[-1], v)


def _real_dtype(t: Tensor):
    return t.dtype.to_real()


def _eps(t: Tensor) -> float:
    return float(np.finfo(_real_dtype(t).np).eps)


def _abs2(x: Tensor) -> Tensor:
    return (x * x.conj()).real if x.dtype.is_complex else x * x


def _empty(like: Tensor, dtype=None) -> Tensor:
    from .ops.creation import zeros

    return zeros(0, dtype=dtype or like.dtype, device=like.device)


def _hcat(a: Tensor, b: Tensor) -> Tensor:
    """[a | b] along the last dim, as two matmuls with selection matrices (differentiable)."""
    from .ops.creation import eye

    p, q = a.shape[-1], b.shape[-1]
    sel = eye(p + q, dtype=a.dtype, device=a.device)
    return _mm(a, sel[:p]) + _mm(b, sel[p:])


# ---- argument checks --------------------------------------------------------------------------

def _check_float(A: Tensor, name: str) -> None:
    dt = A.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_PRETTY[dt.name]}")
    if dt.name in ("float16", "bfloat16"):
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_PRETTY[dt.name]}")


def _check_matrix(A: Tensor, name: str, square: bool = True) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    _check_float(A, name)
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _raise_info(info: Tensor, name: str, message) -> None:
    """Raise LinAlgError for the first matrix whose ``info`` is non-zero (one host sync)."""
    flat = info.reshape(-1).tolist()
    for i, v in enumerate(flat):
        if v:
            prefix = f"(Batch element {i}): " if info.ndim else ""
            raise LinAlgError(f"{name}: {prefix}{message(v)}")


# ---- dispatch: kernel or decomposition, then one node with the closed-form derivative -------

def _linalg_op(name: str, backward, multi: bool = False):
    """Declare a composite linalg op: ``op(*tensors, **options)``.

    The backend's kernel ``name`` runs when registered (arrays in, arrays out), else the
    decorated decomposition; neither records a graph. When an input requires grad, one node
    with ``backward(node, *grads)`` is recorded; ``node.saved`` holds the inputs, then the
    outputs, and ``node.ctx`` the options.
    """
    node_name = "".join(p.capitalize() for p in name.split("_")) + "Backward0"

    def decorate(decomposition):
        @functools.wraps(decomposition)
        def op(*tensors, **options):
            x = tensors[0]
            grad = needs_grad(*tensors)
            fast = x._be.kernels.get(name)
            with no_grad():
                if fast is not None:
                    res = fast(*(t._data for t in tensors), **options)
                    outs = tuple(wrap(r, x) for r in res) if multi else wrap(res, x)
                else:
                    outs = decomposition(*tensors, **options)
            if grad:
                outs_t = outs if multi else (outs,)
                # the outputs themselves (not detached): with create_graph, the backward's use
                # of them differentiates through this node again (double backward)
                record(outs, backward, node_name, tensors, tuple(tensors) + tuple(outs_t),
                       options, multi=multi)
            return outs

        op.decomposition = decomposition
        op.op_name = name
        return op

    return decorate


# ---- LU (decomposition of solve / inv / det / slogdet) ----------------------------------------

def _swap_rows(m: Tensor, rows: Tensor, k: int, p: Tensor) -> None:
    row_k = m[:, k].clone()
    m[:, k] = m[rows, p]
    m[rows, p] = row_k


def _lu_factor(A: Tensor):
    """LU with partial pivoting of A flattened to (B, n, n), in place on a copy.

    Returns (LU packed: unit-lower L below the diagonal and U on/above it, the row
    permutation (B, n), the permutation's sign (B,), info (B,): 1 + the first zero pivot or 0).
    """
    from .ops.creation import ones, zeros

    n = A.shape[-1]
    lu = A.reshape(-1, n, n).clone()
    b = lu.shape[0]
    rows = _arange(b, A)
    perm = _arange(n, A).expand(b, n).clone()
    sign = ones(b, dtype=_real_dtype(A), device=A.device)
    info = zeros(b, dtype=_int32(), device=A.device)
    for k in range(n):
        p = _argmax(lu[:, k:, k].abs(), 1) + k
        _swap_rows(lu, rows, k, p)
        _swap_rows(perm, rows, k, p)
        sign = _where((p != k), -sign, sign)
        piv = lu[:, k, k]
        zero = piv == 0
        info = _where((zero & (info == 0)), k + 1, info)
        if k + 1 < n:
            lower = lu[:, k + 1:, k] / _unsq(_where(zero, 1, piv), -1)
            lu[:, k + 1:, k + 1:] -= _unsq(lower, -1) * _unsq(lu[:, k, k + 1:], -2)
            lu[:, k + 1:, k] = lower
    return lu, perm, sign, info


def _int32():
    from . import int32

    return int32


def _lu_solve(lu: Tensor, perm: Tensor, rhs: Tensor) -> Tensor:
    """Solve with a packed LU: rhs (B, n, k) -> x (B, n, k) by forward/back substitution."""
    n = lu.shape[-1]
    rows = _unsq(_arange(lu.shape[0], lu), -1)
    y = rhs[rows, perm]  # P @ rhs (a copy)
    for i in range(1, n):
        y[:, i] -= _mm(_unsq(lu[:, i, :i], -2), y[:, :i]).squeeze(-2)
    for i in reversed(range(n)):
        if i + 1 < n:
            y[:, i] -= _mm(_unsq(lu[:, i, i + 1:], -2), y[:, i + 1:]).squeeze(-2)
        piv = lu[:, i, i]
        y[:, i] /= _unsq(_where(piv == 0, 1, piv), -1)  # singular: info reports it, stay finite
    return y


# ---- inv / solve / det / slogdet --------------------------------------------------------------

def _inv_backward(node, g, _g_info):
    _, X, _ = node.saved_tensors()
    Xh = X.mH
    return (-_mm(_mm(Xh, g), Xh),)


@_linalg_op("linalg_inv_ex", _inv_backward, multi=True)
def _inv_ex(A):
    batch, n = A.shape[:-2], A.shape[-1]
    lu, perm, _, info = _lu_factor(A)
    X = _lu_solve(lu, perm, _eye(n, A, (lu.shape[0],)).clone())
    return X.reshape(A.shape), info.reshape(batch)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """Inverse and ``info`` (0, or 1 + the index of the zero pivot that makes A singular)."""
    _check_matrix(A, "linalg.inv_ex")
    res = _inv_ex_result(*_inv_ex(A))
    if check_errors:
        _check_inv_info(res.info)
    return res


def _check_inv_info(info):
    _raise_info(info, "linalg.inv", lambda v: f"The diagonal element {v} is zero, the "
                "inversion could not be completed because the input matrix is singular.")


def inv(A: Tensor, *, out=None) -> Tensor:
    """Inverse of square matrices; raises LinAlgError for singular ones.

    Shape: (*, n, n) -> (*, n, n).
    """
    _check_matrix(A, "linalg.inv")
    X, info = _inv_ex(A)
    _check_inv_info(info)
    return _out(X, out)


def _out(res, out):
    if out is None:
        return res
    from .ops.inplace import write_out

    return write_out(out, res)


def _solve_backward(node, g, _g_info):
    A, _, X, _ = node.saved_tensors()
    ea, eb = node.next_functions
    gB = solve(A.mH, g)
    gA = -_mm(gB, X.mH) if ea is not None else None
    return gA, gB if eb is not None else None


@_linalg_op("linalg_solve_ex", _solve_backward, multi=True)
def _solve_ex(A, B):
    batch, n = A.shape[:-2], A.shape[-1]
    lu, perm, _, info = _lu_factor(A)
    X = _lu_solve(lu, perm, B.reshape(-1, n, B.shape[-1]))
    return X.reshape(B.shape), info.reshape(batch)


def _solve_prepare(A: Tensor, B: Tensor, left: bool, name: str):
    """Broadcast A (*, n, n) and B (*, n, k) or a vector B (*, n); returns (A, B, vector?)."""
    from .ops._dispatch import promote
    from .ops.shape import broadcast_shapes

    _check_matrix(A, name)
    if not left:  # X A = B  <=>  Aᵀ Xᵀ = Bᵀ
        if B.ndim < 2:
            raise RuntimeError(f"{name}: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        A, B = A.mT, B.mT
    A, B = promote(A, B, name)
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = _unsq(B, -1) if vector else B
    if Bm.shape[-2] != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and "
                           f"{'x'.join(str(s) for s in Bm.shape[-2:])})")
    batch = broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    A = A.expand(batch + (n, n)) if A.shape[:-2] != batch else A
    Bm = Bm.expand(batch + tuple(Bm.shape[-2:])) if Bm.shape[:-2] != batch else Bm
    return A, Bm, vector


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None):
    """Solution of AX = B (or XA = B when not ``left``) and ``info``."""
    A2, Bm, vector = _solve_prepare(A, B, left, "linalg.solve_ex")
    X, info = _solve_ex(A2, Bm)
    if check_errors:
        _check_solve_info(info)
    X = X.squeeze(-1) if vector else X
    return _solve_ex_result(X if left else X.mT, info)


def _check_solve_info(info):
    _raise_info(info, "linalg.solve", lambda v: "The solver failed because the input matrix "
                "is singular.")


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """The solution X of AX = B (``left``) or XA = B; B may be a vector (*, n).

    Shape: A (*, n, n), B (*, n, k) or (*, n) -> X like B (batch dims broadcast).
    """
    A2, Bm, vector = _solve_prepare(A, B, left, "linalg.solve")
    X, info = _solve_ex(A2, Bm)
    _check_solve_info(info)
    X = X.squeeze(-1) if vector else X
    return _out(X if left else X.mT, out)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False, out=None) -> Tensor:
    """Solve with the upper or lower triangle of A (the other triangle is not read)."""
    _check_matrix(A, "linalg.solve_triangular")
    T = _triu(A) if upper else _tril(A)
    if unitriangular:
        T = T - _diag_embed(_diag(T)) + _eye(A.shape[-1], A)
    return _out(solve(T, B, left=left), out)


def _det_backward(node, g):
    A, d = node.saved_tensors()
    return (_unsq(_unsq((g * d.conj()), -1), -1) * inv(A).mH,)


@_linalg_op("linalg_det", _det_backward)
def _det(A):
    batch = A.shape[:-2]
    lu, _, sign, _ = _lu_factor(A)
    d = _prod_last(_diag(lu))
    return (d * sign).reshape(batch)


def det(A: Tensor, *, out=None) -> Tensor:
    """Determinant. Shape: (*, n, n) -> (*)."""
    _check_matrix(A, "linalg.det")
    return _out(_det(A), out)


def _slogdet_backward(node, _g_sign, g_logabs):
    A = node.saved_tensors()[0]
    return (_unsq(_unsq(g_logabs, -1), -1) * inv(A).mH,)


@_linalg_op("linalg_slogdet", _slogdet_backward, multi=True)
def _slogdet(A):
    batch = A.shape[:-2]
    lu, _, sign, _ = _lu_factor(A)
    d = _diag(lu)
    mag = d.abs()
    unit = _where((mag == 0), 0, d / _where((mag == 0), 1, mag))
    total = _prod_last(unit) * sign
    return total.reshape(batch), mag.log().sum(-1).reshape(batch)


def slogdet(A: Tensor, *, out=None):
    """(sign, log|det|) of square matrices; sign is 0 and logabsdet -inf when singular."""
    _check_matrix(A, "linalg.slogdet")
    return _slogdet_result(*_slogdet(A))


# ---- Cholesky ---------------------------------------------------------------------------------

def _cholesky_backward(node, g, _g_info):
    _, L, _ = node.saved_tensors()
    upper = node.ctx.get("upper", False)
    L, g = (L.mH, g.mH) if upper else (L, g)
    # PyTorch's formula: gA = L^-H Φ(L^H gL) L^-1 with Φ the lower triangle, half diagonal
    T = _tril(_mm(L.mH, g))
    T = 0.5 * (T + _tril(T, -1).mH)
    T = solve_triangular(L.mH, T, upper=True)
    return (solve_triangular(L, T, upper=False, left=False),)


@_linalg_op("linalg_cholesky_ex", _cholesky_backward, multi=True)
def _cholesky_ex(A, *, upper=False):
    from .ops.creation import zeros, zeros_like

    batch, n = A.shape[:-2], A.shape[-1]
    a = A.reshape(-1, n, n)
    low = zeros_like(a)
    info = zeros(a.shape[0], dtype=_int32(), device=A.device)
    for j in range(n):
        row = low[:, j, :j]
        d = a[:, j, j] - (row * row.conj()).sum(-1)
        d = d.real if d.dtype.is_complex else d
        bad = ~(d > 0)
        info = _where((bad & (info == 0)), j + 1, info)
        ljj = _where(bad, 1, d).sqrt()
        low[:, j, j] = ljj
        if j + 1 < n:
            below = a[:, j + 1:, j] - _mm(low[:, j + 1:, :j], _unsq(row.conj(), -1)).squeeze(-1)
            low[:, j + 1:, j] = below / _unsq(ljj, -1)
    low = low.reshape(A.shape)
    return (low.mH.clone() if upper else low), info.reshape(batch)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    _check_matrix(A, "linalg.cholesky_ex")
    res = _cholesky_ex_result(*_cholesky_ex(A, upper=upper))
    if check_errors:
        _check_cholesky_info(res.info)
    return res


def _check_cholesky_info(info):
    _raise_info(info, "linalg.cholesky", lambda v: "The factorization could not be completed "
                f"because the input is not positive-definite (the leading minor of order {v} is "
                "not positive-definite).")


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """L with A = L Lᴴ (or U = Lᴴ when ``upper``), reading A's lower triangle.

    Shape: (*, n, n) -> (*, n, n).
    """
    _check_matrix(A, "linalg.cholesky")
    L, info = _cholesky_ex(A, upper=upper)
    _check_cholesky_info(info)
    return _out(L, out)


# ---- QR ---------------------------------------------------------------------------------------

def _right_solve_rh(X: Tensor, R: Tensor) -> Tensor:
    """X R^-H (R square, invertible)."""
    return solve(R, X.mH).mH


def _qr_backward_square(Q, R, gQ, gR):
    """A = QR with m >= n, reduced (the standard formula, e.g. TensorFlow's QrGrad)."""
    qdq = _mm(Q.mH, gQ)
    rdr = _mm(R, gR.mH)
    low = _tril(qdq - qdq.mH + rdr - rdr.mH)
    grad_a = _mm(Q, gR + _right_solve_rh(low, R))
    grad_b = _right_solve_rh(gQ - _mm(Q, qdq), R)
    return grad_a + grad_b


def _qr_backward(node, gQ, gR):
    A, Q, R = node.saved_tensors()
    mode = node.ctx.get("mode", "reduced")
    m, n = A.shape[-2:]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going "
                           "to differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    if m >= n:
        return (_qr_backward_square(Q, R, gQ, gR),)
    # wide A = [X | Y], R = [U | V] with X = QU square: Y = QV
    Y, U = A[..., m:], R[..., :m]
    gU, gV = gR[..., :m], gR[..., m:]
    gX = _qr_backward_square(Q, U, gQ + _mm(Y, gV.mH), gU)
    return (_hcat(gX, _mm(Q, gV)),)


def _householder(A: Tensor):
    """Householder QR of A flattened to (B, m, n): (Q (B, m, m), R (B, m, n) upper)."""
    m, n = A.shape[-2:]
    R = A.reshape(-1, m, n).clone()
    Q = _eye(m, A, (R.shape[0],)).clone()
    for j in range(min(m - 1, n)):
        x = R[:, j:, j]
        x0 = x[:, 0]
        tail = _abs2(x[:, 1:]).sum(-1)
        norm = (_abs2(x0) + tail).sqrt()
        mag = x0.abs()
        phase = _where((mag == 0), 1, x0 / _where((mag == 0), 1, mag))
        alpha = -phase * norm  # LAPACK's beta = -sign(x0) * ||x|| for real inputs
        v = x.clone()
        v[:, 0] = x0 - alpha
        skip = tail == 0  # already reduced: H = I, as in LAPACK's larfg
        tau = _where(skip, 0, 2 / _where(skip, 1, _abs2(v).sum(-1)))
        tau = _unsq(_unsq(tau, -1), -1)
        sub = R[:, j:, :]
        sub -= (tau * _unsq(v, -1)) * _mm(_unsq(v.conj(), -2), sub)
        qs = Q[:, :, j:]
        qs -= (_mm(qs, _unsq(v, -1)) * tau) * _unsq(v.conj(), -2)
    return Q, _triu(R)


@_linalg_op("linalg_qr", _qr_backward, multi=True)
def _qr(A, *, mode="reduced"):
    batch, (m, n) = A.shape[:-2], A.shape[-2:]
    k = min(m, n)
    Q, R = _householder(A)
    if mode == "complete":
        return Q.reshape(batch + (m, m)), R.reshape(batch + (m, n))
    R = R[:, :k].reshape(batch + (k, n))
    if mode == "r":
        return _empty(A), R
    return Q[:, :, :k].reshape(batch + (m, k)), R


def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """A = QR with Q orthonormal columns and R upper triangular.

    ``mode``: "reduced" (Q (*, m, k), R (*, k, n), k = min(m, n)), "complete" (Q (*, m, m),
    R (*, m, n)) or "r" (R only; Q is empty).
    """
    _check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return _qr_result(*_qr(A, mode=mode))


# ---- Jacobi rotations (eigh and svd decompositions) -------------------------------------------

def _rotation(app: Tensor, aqq: Tensor, apq: Tensor):
    """(c, s, e) of the unitary rotation that zeroes the (p, q) entry of the Hermitian 2x2 block
    [[app, apq], [conj(apq), aqq]]: columns p, q become c·x_p - s·e·x_q and s·x_p + c·e·x_q."""
    r = apq.abs()
    zero = r == 0
    rs = _where(zero, 1, r)
    e = _where(zero, 1, apq.conj() / rs)  # conj phase of apq (its sign for real inputs)
    tau = (aqq - app) / (2 * rs)
    t = ((tau >= 0).to(tau.dtype) * 2 - 1) / (tau.abs() + (1 + tau * tau).sqrt())
    t = _where(zero, 0, t)
    c = 1 / (1 + t * t).sqrt()
    return c, t * c, e


def _rotate_columns(M: Tensor, p: int, q: int, c, s, e) -> None:
    xp, xq = M[:, :, p].clone(), M[:, :, q].clone()
    c, s, e = _unsq(c, -1), _unsq(s, -1), _unsq(e, -1)
    M[:, :, p] = c * xp - s * e * xq
    M[:, :, q] = s * xp + c * e * xq


def _rotate_rows(M: Tensor, p: int, q: int, c, s, e) -> None:
    xp, xq = M[:, p].clone(), M[:, q].clone()
    c, s, e = _unsq(c, -1), _unsq(s, -1), _unsq(e.conj(), -1)
    M[:, p] = c * xp - s * e * xq
    M[:, q] = s * xp + c * e * xq


_MAX_SWEEPS = 60


def _jacobi_eigh(H: Tensor):
    """Cyclic Jacobi on Hermitian H (B, n, n): (eigenvalues ascending (B, n), vectors)."""
    n = H.shape[-1]
    H = H.clone()
    V = _eye(n, H, (H.shape[0],)).clone()
    off_mask = ~_tri_mask(n, n, 0, True, H) | ~_tri_mask(n, n, 0, False, H)
    tol = (_eps(H) ** 2) * _abs2(H).sum((-2, -1))
    for _ in range(_MAX_SWEEPS):
        off = _where(off_mask, _abs2(H), 0).sum((-2, -1))
        if not bool((off > tol).sum() > 0):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                app, aqq = H[:, p, p], H[:, q, q]
                if H.dtype.is_complex:
                    app, aqq = app.real, aqq.real
                c, s, e = _rotation(app, aqq, H[:, p, q])
                _rotate_columns(H, p, q, c, s, e)
                _rotate_rows(H, p, q, c, s, e)
                _rotate_columns(V, p, q, c, s, e)
    w = _diag(H)
    w = w.real if w.dtype.is_complex else w
    w, idx = _sort_last(w.contiguous(), False)
    return w, _permute_columns(V, idx)


def _permute_columns(M: Tensor, idx: Tensor) -> Tensor:
    """Columns of each M[b] in the order idx[b] (idx (B, k) picks k of them)."""
    rows = _unsq(_arange(M.shape[0], M), -1)
    return M.mT[rows, idx].mT


def _eigh_backward(node, gL, gV):
    _, L, V = node.saved_tensors()
    n = L.shape[-1]
    eye = _tri_mask(n, n, 0, True, L) & _tri_mask(n, n, 0, False, L)
    E = _unsq(L, -2) - _unsq(L, -1)  # E[i, j] = λj - λi
    K = _mm(V.mH, gV)
    K = (K - K.mH) * 0.5  # only the skew part reaches a Hermitian input
    inner = _where(eye, 0, K / _where(eye, 1, _where((E == 0), 1, E)).to(K.dtype))
    inner = inner + _diag_embed(gL, V.dtype)
    return (_mm(_mm(V, inner), V.mH),)


@_linalg_op("linalg_eigh", _eigh_backward, multi=True)
def _eigh(A, *, uplo="L", compute_v=True):
    batch, n = A.shape[:-2], A.shape[-1]
    a = A.reshape(-1, n, n)
    T = _tril(a, -1) if uplo == "L" else _triu(a, 1)
    d = _diag(a)
    d = d.real.to(a.dtype) if a.dtype.is_complex else d
    w, V = _jacobi_eigh(T + T.mH + _diag_embed(d))
    w = w.reshape(batch + (n,))
    return w, (V.reshape(A.shape) if compute_v else _empty(A))


def _check_uplo(UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """Eigenvalues (ascending, real) and orthonormal eigenvectors of Hermitian matrices, from
    the ``UPLO`` triangle. Shape: (*, n, n) -> (*, n), (*, n, n)."""
    _check_matrix(A, "linalg.eigh")
    _check_uplo(UPLO)
    w, V = _eigh(A, uplo=UPLO, compute_v=True)
    return _eigh_result(w, V)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    _check_matrix(A, "linalg.eigvalsh")
    _check_uplo(UPLO)
    if needs_grad(A):
        return eigh(A, UPLO).eigenvalues
    return _out(_eigh(A, uplo=UPLO, compute_v=False)[0], out)


# ---- SVD --------------------------------------------------------------------------------------

def _svd_backward(node, gU, gS, gVh):
    A, U, S, Vh = node.saved_tensors()
    m, n = A.shape[-2:]
    k = min(m, n)
    if node.ctx.get("full_matrices", True):  # extra columns carry no well-defined gradient
        U, Vh, gU, gVh = U[..., :k], Vh[..., :k, :], gU[..., :k], gVh[..., :k, :]
    V, gV = Vh.mH, gVh.mH
    skew = lambda X: X - X.mH  # noqa: E731
    UhgU = skew(_mm(U.mH, gU))
    VhgV = skew(_mm(V.mH, gV))
    S2 = S * S
    E = _unsq(S2, -2) - _unsq(S2, -1)  # E[j, k] = s_k² - s_j²
    E = _where((E == 0), 1, E)  # diagonal (and ties): their numerators vanish for S-only losses
    dt = U.dtype
    ret = (UhgU * _unsq(S, -2).to(dt) + _unsq(S, -1).to(dt) * VhgV) / E.to(dt)
    ret = ret + _diag_embed(gS, dt)
    Ssafe = _where((S == 0), 1, S).to(dt)
    if m > n:
        gA = _mm(U, ret)
        gUSinv = gU / _unsq(Ssafe, -2)
        gA = _mm(gA + gUSinv - _mm(U, _mm(U.mH, gUSinv)), Vh)
    elif m < n:
        gA = _mm(ret, Vh)
        SinvgVh = gV.mH / _unsq(Ssafe, -1)
        gA = _mm(U, gA + SinvgVh - _mm(_mm(SinvgVh, V), Vh))
    else:
        gA = _mm(_mm(U, ret), Vh)
    return (gA,)


def _jacobi_svd_tall(A: Tensor, full_matrices: bool, compute_uv: bool):
    """One-sided Jacobi on A (B, m, n), m >= n: (U, S descending, Vh)."""
    m, n = A.shape[-2:]
    W = A.clone()
    V = _eye(n, A, (W.shape[0],)).clone()
    eps = _eps(A)
    for _ in range(_MAX_SWEEPS):
        worst = 0.0
        for p in range(n - 1):
            for q in range(p + 1, n):
                xp, xq = W[:, :, p], W[:, :, q]
                alpha, beta = _abs2(xp).sum(-1), _abs2(xq).sum(-1)
                gamma = (xp.conj() * xq).sum(-1)
                scale = (alpha * beta).sqrt()
                rel = _where((scale == 0), 0, gamma.abs() / _where((scale == 0), 1, scale))
                worst = max(worst, float(rel.amax())) if rel.numel() else worst
                c, s, e = _rotation(alpha, beta, gamma)
                _rotate_columns(W, p, q, c, s, e)
                _rotate_columns(V, p, q, c, s, e)
        if worst <= eps * n:
            break
    norms = _abs2(W).sum(-2).sqrt()
    S, idx = _sort_last(norms, True)
    if not compute_uv:
        return None, S, None
    W, V = _permute_columns(W, idx), _permute_columns(V, idx)
    small = S <= (S[:, :1] * (eps * max(m, n)))  # numerically zero: no direction of their own
    U = _where(_unsq(small, -2), 0, W / _unsq(_where(small, 1, S), -2).to(W.dtype))
    if full_matrices and m > n or bool(small.sum() > 0):
        # complete U to an orthonormal basis: Householder Q of [U | 0] spans U's columns first
        Q, _ = _householder(U)
        Q[:, :, :n] = _where(_unsq(small, -2), Q[:, :, :n], U)
        U = Q if full_matrices else Q[:, :, :n]
    return U, S, V.mH


@_linalg_op("linalg_svd", _svd_backward, multi=True)
def _svd(A, *, full_matrices=True, compute_uv=True):
    batch, (m, n) = A.shape[:-2], A.shape[-2:]
    a = A.reshape(-1, m, n)
    wide = m < n
    U, S, Vh = _jacobi_svd_tall(a.mH if wide else a, full_matrices, compute_uv)
    S = S.reshape(batch + (min(m, n),))
    if not compute_uv:
        return _empty(A), S, _empty(A)
    if wide:
        U, Vh = Vh.mH, U.mH
    U = U.reshape(batch + tuple(U.shape[-2:]))
    Vh = Vh.reshape(batch + tuple(Vh.shape[-2:]))
    return U, S, Vh


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """A = U diag(S) Vh with S descending.

    Shape: (*, m, n) -> U (*, m, m or k), S (*, k), Vh (*, n or k, n) with k = min(m, n).
    """
    _check_matrix(A, "linalg.svd", square=False)
    return _svd_result(*_svd(A, full_matrices=full_matrices, compute_uv=True))


def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """Singular values, descending. Shape: (*, m, n) -> (*, min(m, n))."""
    _check_matrix(A, "linalg.svdvals", square=False)
    if needs_grad(A):
        return svd(A, full_matrices=False).S
    return _out(_svd(A, full_matrices=False, compute_uv=False)[1], out)


# ---- pinv / lstsq / rank / power --------------------------------------------------------------

def _tolerance(S_max: Tensor, atol, rtol, m: int, n: int, like: Tensor):
    """max(atol, rtol * σ_max), PyTorch's defaults: rtol = eps·max(m, n) unless atol > 0."""
    if rtol is None:
        rtol = _eps(like) * max(m, n) if (atol is None or (not isinstance(atol, Tensor)
                                                          and atol <= 0)) else 0.0
    atol = 0.0 if atol is None else atol
    tol = S_max * rtol
    if isinstance(atol, Tensor) or atol > 0:
        from .ops.elementwise import maximum

        atol = atol if isinstance(atol, Tensor) else tol * 0 + atol
        tol = maximum(tol, atol)
    return tol


def _pinv_backward(node, g):
    A, X = node.saved_tensors()
    m, n = A.shape[-2:]
    Xh, gh = X.mH, g.mH
    P = _eye(m, A) - _mm(A, X)  # I - A A⁺
    Qn = _eye(n, A) - _mm(X, A)  # I - A⁺ A
    return (-_mm(_mm(Xh, g), Xh) + _mm(_mm(P, gh), _mm(X, Xh)) + _mm(_mm(Xh, X), _mm(gh, Qn)),)


@_linalg_op("linalg_pinv", _pinv_backward)
def _pinv(A, *, atol=None, rtol=None, hermitian=False):
    m, n = A.shape[-2:]
    if hermitian:
        w, V = eigh(A)
        mag = w.abs()
        tol = _tolerance(mag.amax(-1, keepdim=True), atol, rtol, m, n, A)
        winv = _where((mag > tol), 1 / _where((mag == 0), 1, w), 0).to(A.dtype)
        return _mm(V * _unsq(winv, -2), V.mH)
    U, S, Vh = svd(A, full_matrices=False)
    tol = _tolerance(S[..., :1] if S.shape[-1] else S, atol, rtol, m, n, A)
    sinv = _where((S > tol), 1 / _where((S == 0), 1, S), 0).to(A.dtype)
    return _mm(Vh.mH * _unsq(sinv, -2), U.mH)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Moore–Penrose pseudo-inverse; singular values ≤ max(atol, rtol·σ_max) count as zero.

    Shape: (*, m, n) -> (*, n, m).
    """
    _check_matrix(A, "linalg.pinv", square=hermitian)
    return _out(_pinv(A, atol=atol, rtol=rtol, hermitian=hermitian), out)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """Least-squares solution of AX ≈ B (minimum norm), via the pseudo-inverse.

    Like PyTorch on the CPU: ``driver`` defaults to "gelsy"; ``residuals`` (squared column
    norms of AX - B) are returned only for m > n, full-rank A and a driver other than gelsy;
    ``rank`` for gelsy/gelsd/gelss; ``singular_values`` for gelsd/gelss. Others are empty.
    """
    from . import int64

    _check_matrix(A, "linalg.lstsq", square=False)
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"(gels, gelsy, gelsd, gelss), but got {driver}")
    m, n = A.shape[-2:]
    vector = B.ndim == A.ndim - 1
    Bm = _unsq(B, -1) if vector else B
    if Bm.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), "
                           f"but got {m} != {Bm.shape[-2]}")
    rtol = rcond if rcond is not None and rcond > 0 else None
    X = _mm(pinv(A, rtol=rtol), Bm)
    rank = residuals = sv = None
    if driver != "gels":
        with no_grad():
            S = svdvals(A)
            tol = _tolerance(S[..., :1], None, rtol, m, n, A) if S.shape[-1] else S
            rank = (S > tol).sum(-1).to(int64)
        sv = S if driver in ("gelsd", "gelss") else None
    if m > n and driver != "gelsy":
        full = True if rank is None else bool((rank == n).sum() == rank.numel())
        if full:
            residuals = _abs2(_mm(A, X) - Bm).sum(-2)
    X = X.squeeze(-1) if vector else X
    real = _real_dtype(A)
    return _lstsq_result(X, residuals if residuals is not None else _empty(A, real),
                         rank if rank is not None else _empty(A, int64),
                         sv if sv is not None else _empty(A, real))


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, tol=None,
                out=None) -> Tensor:
    """Number of singular values above max(atol, rtol·σ_max). Shape: (*, m, n) -> (*)."""
    from . import int64

    _check_matrix(A, "linalg.matrix_rank", square=hermitian)
    if tol is not None:
        atol, rtol = tol, 0.0
    with no_grad():
        S = eigvalsh(A).abs() if hermitian else svdvals(A)
        if hermitian:
            S = _sort_last(S, True)[0]
        m, n = A.shape[-2:]
        if S.shape[-1] == 0:
            return S.sum(-1).to(int64)
        thr = _tolerance(S[..., :1], atol, rtol, m, n, A)
        return _out((S > thr).sum(-1).to(int64), out)


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A to the integer power n (negative n inverts first). Shape: (*, m, m) -> (*, m, m)."""
    _check_matrix(A, "linalg.matrix_power")
    if not isinstance(n, int):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        return _out(_eye(A.shape[-1], A, tuple(A.shape[:-2])).clone(), out)
    base = inv(A) if n < 0 else A
    n = -n if n < 0 else n
    result = None
    while n:  # binary exponentiation
        if n & 1:
            result = base if result is None else _mm(result, base)
        n >>= 1
        if n:
            base = _mm(base, base)
    return _out(result, out)


# ---- norms ------------------------------------------------------------------------------------

def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """p-norm over ``dim`` (all elements by default): ord inf/-inf → max/min of |x|, 0 → the
    number of non-zeros, otherwise (Σ|x|^ord)^(1/ord)."""
    from .ops.reduction import normalize_dims

    _check_float(x, "linalg.vector_norm")
    x = x if dtype is None else x.to(dtype)
    dims = normalize_dims(dim, x.ndim)
    if x.ndim == 0:
        dims = None
    a = x.abs()
    if ord == math.inf or ord == -math.inf:
        if x.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               "tensor because the operation does not have an identity")
        res = a.amax(dims, keepdim) if ord > 0 else a.amin(dims, keepdim)
    elif ord == 0:
        res = (a != 0).to(a.dtype).sum(dims, keepdim)
    elif ord == 1:
        res = a.sum(dims, keepdim)
    elif ord == 2:
        res = _abs2(x).sum(dims, keepdim).sqrt()
    else:
        res = (a ** ord).sum(dims, keepdim) ** (1.0 / ord)
    return _out(res, out)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    _check_float(A, "linalg.matrix_norm")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    A = A if dtype is None else A.to(dtype)
    d0, d1 = (_wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        res = _abs2(A).sum((d0, d1), keepdim).sqrt()
        return _out(res, out)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(A.ndim) if i not in (d0, d1)]
        S = svdvals(A.permute(rest + [d0, d1]))
        res = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                res = _unsq(res, d)
        return _out(res, out)
    if ord in (1, -1, math.inf, -math.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(inner, keepdim=True)
        res = sums.amax(outer, keepdim=True) if ord > 0 else sums.amin(outer, keepdim=True)
        return _out(res if keepdim else res.squeeze((d0, d1)), out)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None):
    """Vector or matrix norm: a matrix norm when ``dim`` is a 2-tuple (or A is 2-D with ``ord``
    given and no ``dim``), a vector norm otherwise (``ord`` None means 2 / 'fro')."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, dim if dim is not None else (-2, -1),
                           keepdim, dtype=dtype, out=out)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord}")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


# ---- products ---------------------------------------------------------------------------------

def cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (broadcasting)."""
    return _out(_cross_impl(input, other, dim, "linalg.cross"), out)


def multi_dot(tensors, *, out=None) -> Tensor:
    """Product of matrices; the first may be a row vector (1-D), the last a column vector."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            where = "first and last" if t.ndim == 1 else ""
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D{' (only the ' + where + ' may be 1D)' if where else ''} but got {t.ndim}D")
    res = tensors[0]
    for t in tensors[1:]:
        res = _mm(res, t)
    return _out(res, out)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """``sum(conj(x) * y, dim)`` with broadcasting."""
    return _out((x.conj() * y).sum(dim), out)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal of the matrices in A (a view), as the last dimension."""
    d1, d2 = _wrap_dim(dim1, A.ndim), _wrap_dim(dim2, A.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _diagonal_view(A, offset, d1, d2)


def vander(x: Tensor, *, N=None) -> Tensor:
    """Vandermonde matrix with increasing powers: column j is x ** j."""
    n = x.shape[-1] if N is None else N
    from .ops.creation import arange

    return _unsq(x, -1) ** arange(n, device=x.device).to(x.dtype)


__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "inv", "inv_ex", "lstsq", "matmul", "matrix_norm", "matrix_power",
           "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
           "solve_triangular", "svd", "svdvals", "vander", "vecdot", "vector_norm"]
