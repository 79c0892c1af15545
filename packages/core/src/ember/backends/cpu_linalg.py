"""CPU fast paths of ``ember.linalg`` (NumPy's LAPACK bindings).

Each kernel mirrors the decomposition of the op of the same name in ``ember/linalg.py``: same
arguments (arrays positionally, options by keyword), same outputs. Where LAPACK reports a
failure (singular matrix, not positive-definite) the kernels return PyTorch's ``info`` codes
instead of raising, so that the op raises one message on every backend.
"""

from __future__ import annotations

import numpy as np

_LinAlgError = np.linalg.LinAlgError


def _batched(a: np.ndarray) -> np.ndarray:
    return a.reshape((-1,) + a.shape[-2:])


def _lu_info(a: np.ndarray) -> np.ndarray:
    """getrf's info per matrix: 1 + the index of the first exactly-zero pivot of LU with
    partial pivoting, 0 when there is none (the same elimination as linalg's decomposition)."""
    u = np.array(_batched(a))
    n = u.shape[-1]
    rows = np.arange(u.shape[0])
    info = np.zeros(u.shape[0], np.int32)
    for k in range(n):
        p = k + np.argmax(np.abs(u[:, k:, k]), axis=1)
        row_k = u[rows, k].copy()
        u[rows, k] = u[rows, p]
        u[rows, p] = row_k
        piv = u[:, k, k]
        info[(piv == 0) & (info == 0)] = k + 1
        lower = u[:, k + 1:, k] / np.where(piv == 0, 1, piv)[:, None]
        u[:, k + 1:, k + 1:] -= lower[:, :, None] * u[:, None, k, k + 1:]
    return info.reshape(a.shape[:-2])


def inv_ex(a):
    try:
        return np.linalg.inv(a), np.zeros(a.shape[:-2], np.int32)
    except _LinAlgError:
        info = _lu_info(a)
        out = np.full_like(a, np.nan)
        ok = info == 0
        out[ok] = np.linalg.inv(a[ok])
        return out, info


def solve_ex(a, b):
    """``b`` is a batch of matrices with ``a``'s batch shape (the op broadcasts first)."""
    try:
        return np.linalg.solve(a, b), np.zeros(a.shape[:-2], np.int32)
    except _LinAlgError:
        info = _lu_info(a)
        out = np.full_like(b, np.nan)
        ok = info == 0
        out[ok] = np.linalg.solve(a[ok], b[ok])
        return out, info


def det(a):
    return np.asarray(np.linalg.det(a))


def slogdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.asarray(sign), np.asarray(logabs)


def cholesky_ex(a, *, upper=False):
    try:
        return np.linalg.cholesky(a, upper=upper), np.zeros(a.shape[:-2], np.int32)
    except _LinAlgError:
        low, info = _cholesky_loop(a)
        return (np.swapaxes(low, -1, -2).conj() if upper else low), info


def _cholesky_loop(a):
    """Column-by-column Cholesky (lower triangle of ``a``) that reports the failing minor."""
    x = _batched(a)
    n = x.shape[-1]
    low = np.zeros_like(x)
    info = np.zeros(x.shape[0], np.int32)
    for j in range(n):
        row = low[:, j, :j]
        d = (x[:, j, j] - np.sum(row * row.conj(), axis=-1)).real
        bad = ~(d > 0)
        info[bad & (info == 0)] = j + 1
        ljj = np.sqrt(np.where(bad, 1, d))
        low[:, j, j] = ljj
        below = x[:, j + 1:, j] - np.einsum("bik,bk->bi", low[:, j + 1:, :j], row.conj())
        low[:, j + 1:, j] = below / ljj[:, None]
    return low.reshape(a.shape), info.reshape(a.shape[:-2])


def qr(a, *, mode="reduced"):
    if mode == "r":
        return np.zeros((0,), a.dtype), np.linalg.qr(a, mode="r")
    q, r = np.linalg.qr(a, mode=mode)
    return q, r


def eigh(a, *, uplo="L", compute_v=True):
    if not compute_v:
        return np.linalg.eigvalsh(a, UPLO=uplo), np.zeros((0,), a.dtype)
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return w, v


def svd(a, *, full_matrices=True, compute_uv=True):
    if not compute_uv:
        empty = np.zeros((0,), a.dtype)
        return empty, np.linalg.svd(a, compute_uv=False), empty
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return u, s, vh


KERNELS = {
    "linalg_inv_ex": inv_ex,
    "linalg_solve_ex": solve_ex,
    "linalg_det": det,
    "linalg_slogdet": slogdet,
    "linalg_cholesky_ex": cholesky_ex,
    "linalg_qr": qr,
    "linalg_eigh": eigh,
    "linalg_svd": svd,
}
