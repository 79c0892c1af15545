"""``ember.fft``: discrete Fourier transforms, like ``torch.fft``.

Every transform reduces to three one-dimensional ops along one dimension, each a ``@composite``
with a backward written in these same ops (so gradients of gradients work):

- ``fft_c2c``: complex → complex, forward or inverse;
- ``fft_r2c``: real → complex, the one-sided half (``rfft``);
- ``fft_c2r``: one-sided Hermitian complex → real (``irfft``).

Their decompositions are dense DFTs: a matmul with a twiddle matrix built on the device from
``arange``/``cos``/``sin`` (O(n²), exact up to rounding). The matrix also does the padding or
trimming that ``n`` asks for: rows past the used length are zero. The CPU backend registers
``numpy.fft`` under the same names (``ember/backends/cpu_fft.py``).

``norm`` is ``"backward"`` (default: no scaling forward, 1/n inverse), ``"ortho"`` (1/sqrt(n)
both ways) or ``"forward"`` (1/n forward, none inverse). Real inputs are promoted to complex
(float32 → complex64, float64 → complex128); integer inputs compute in the default float.
"""

from __future__ import annotations

import math

from ._dtype import default_for_kind, get_default_dtype
from ._tensor import Tensor, _wrap_dim
from .ops._dispatch import composite
from .ops.creation import arange, zeros
from .ops.elementwise import where
from .ops.inplace import write_out
from .ops.linear import matmul

_NORMS = ("backward", "ortho", "forward")


# ---- argument handling ------------------------------------------------------------------------

def _norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _swap(norm: str) -> str:
    """The norm of the adjoint transform: the scale stays on the same side of the pair."""
    return {"backward": "forward", "forward": "backward"}.get(norm, norm)


def _scale(norm: str, n: int, forward: bool) -> float:
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    return 1.0 / n if (norm == "forward") == forward else 1.0


def _check_n(n: int) -> int:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _to_complex(x: Tensor) -> Tensor:
    if x.dtype.is_complex:
        return x
    if not x.dtype.is_floating_point:
        x = x.to(default_for_kind("f"))
    return x.to(x.dtype.to_complex())


def _to_real_float(x: Tensor, name: str) -> Tensor:
    if x.dtype.is_complex:
        kind = x.type().rsplit(".", 1)[-1][:-len("Tensor")]
        raise RuntimeError(f"{name} expects a real input tensor, but got {kind}")
    if not x.dtype.is_floating_point:
        return x.to(default_for_kind("f"))
    return x if x.dtype.name in ("float32", "float64") else x.to(x.dtype.to_complex().to_real())


def _nd_args(x: Tensor, s, dim, default_all=True):
    """PyTorch's canonicalization of (s, dim) for the n-dimensional transforms → (sizes, dims);
    a size of -1 (or None) means the input's size along that dim."""
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_wrap_dim(d, x.ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [s] if isinstance(s, int) else list(s)
        if dim is None:
            if len(s) > x.ndim:
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                                   f"{x.ndim} dimensions.")
            dims = list(range(x.ndim - len(s), x.ndim))
        elif len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif dim is None:
        dims = list(range(x.ndim)) if default_all else []
    if s is None:
        s = [-1] * len(dims)
    return [None if n in (-1, None) else _check_n(n) for n in s], dims


def _finish(result: Tensor, out) -> Tensor:
    return result if out is None else write_out(out, result)


# ---- the decompositions -----------------------------------------------------------------------

def _mm(x: Tensor, w: Tensor) -> Tensor:
    """``x (..., m) @ w (m, k)``; ``w`` is a constant twiddle matrix."""
    return matmul(x, w)


def _angles(rows: int, cols: int, n: int, used: int, real_dtype, device):
    """theta[j, k] = 2*pi*(j*k mod n)/n (the mod keeps large products exact) and a row mask
    that zeroes rows j >= used (the trimming or zero-padding that ``n`` asks for)."""
    j = arange(rows, device=device).unsqueeze(1)
    k = arange(cols, device=device).unsqueeze(0)
    theta = ((j * k) % n).to(real_dtype) * (2 * math.pi / n)
    mask = (j < used).to(real_dtype)
    return theta, mask


def _along_last(x: Tensor, dim: int, fn) -> Tensor:
    """Apply ``fn`` (a map of the last dimension) along ``dim``."""
    last = x.ndim - 1
    if dim == last:
        return fn(x)
    return fn(x.transpose(dim, last)).transpose(dim, last)


def _c2c_decomposition(x, *, n, dim, norm, forward):
    real_dt = x.dtype.to_real()
    theta, mask = _angles(x.shape[dim], n, n, n, real_dt, x.device)
    sign = -1.0 if forward else 1.0
    scale = _scale(norm, n, forward)
    w = (theta.cos() * mask * scale).to(x.dtype) + (theta.sin() * mask * (sign * scale)).to(
        x.dtype) * 1j
    return _along_last(x, dim, lambda v: _mm(v, w))


def _r2c_decomposition(x, *, n, dim, norm):
    theta, mask = _angles(x.shape[dim], n // 2 + 1, n, n, x.dtype, x.device)
    scale = _scale(norm, n, True)
    wc, ws = theta.cos() * mask * scale, theta.sin() * mask * -scale
    cdt = x.dtype.to_complex()
    return _along_last(x, dim, lambda v: _mm(v, wc).to(cdt) + _mm(v, ws).to(cdt) * 1j)


def _hermitian_weights(rows: int, n: int, real_dtype, device, sin_row=False):
    """Per-row weights of a one-sided spectrum: 1 for the DC term and (n even) the Nyquist term,
    2 for the terms that stand for a conjugate pair, 0 past n//2. ``sin_row`` zeroes the DC and
    Nyquist rows too: their imaginary parts do not contribute (like NumPy's and PyTorch's)."""
    k = arange(rows, device=device)
    self_paired = ((k == 0) | (k * 2 == n)).to(real_dtype)
    w = (1 - self_paired) * 2 if sin_row else 2 - self_paired
    return (w * (k <= n // 2).to(real_dtype)).unsqueeze(1)


def _c2r_decomposition(x, *, n, dim, norm):
    real_dt = x.dtype.to_real()
    m = x.shape[dim]
    theta, _ = _angles(m, n, n, m, real_dt, x.device)
    scale = _scale(norm, n, False)
    wc = theta.cos() * _hermitian_weights(m, n, real_dt, x.device) * scale
    ws = theta.sin() * _hermitian_weights(m, n, real_dt, x.device, sin_row=True) * -scale
    return _along_last(x, dim, lambda v: _mm(v.real, wc) + _mm(v.imag, ws))


def _resize(t: Tensor, dim: int, size: int) -> Tensor:
    """Trim ``t`` along ``dim`` to ``size``, or zero-pad it there (differentiably)."""
    have = t.shape[dim]
    if have == size:
        return t
    if have > size:
        return t[(slice(None),) * dim + (slice(0, size),)]
    shape = list(t.shape)
    shape[dim] = size
    out = zeros(shape, dtype=t.dtype, device=t.device)
    out[(slice(None),) * dim + (slice(0, have),)] = t
    return out


def _along(weights: Tensor, dim: int, ndim: int) -> Tensor:
    """A (k, 1) weight column laid out to broadcast along ``dim`` of an ``ndim``-d tensor."""
    return weights.reshape((-1,) + (1,) * (ndim - 1 - dim))


# ---- the three 1-d ops and their derivatives --------------------------------------------------

def _c2c_backward(node, g):
    (x,) = node.saved_tensors()
    c = node.ctx
    gx = fft_c2c(g, n=c["n"], dim=c["dim"], norm=_swap(c["norm"]), forward=not c["forward"])
    return (_resize(gx, c["dim"], x.shape[c["dim"]]),)


def _r2c_backward(node, g):
    # rfft keeps the first n//2+1 terms of the full transform; the adjoint of that restriction
    # zero-pads, and Re(inverse c2c of a zero-padded half) is irfft of the half with the
    # conjugate-pair terms halved (irfft counts them twice)
    (x,) = node.saved_tensors()
    c = node.ctx
    n, dim = c["n"], c["dim"]
    rdt = g.dtype.to_real()
    half = _along(_hermitian_weights(g.shape[dim], n, rdt, g.device), dim, g.ndim)
    half = where(half == 1.0, half, half * 0.25)  # 1 → 1, 2 → 0.5
    gx = fft_c2r(g * half, n=n, dim=dim, norm=_swap(c["norm"]))
    return (_resize(gx, dim, x.shape[dim]),)


def _c2r_backward(node, g):
    # irfft reads each conjugate-pair term twice: its gradient doubles (PyTorch's
    # fft_c2r_backward); the terms past n//2 that irfft ignored get zeros
    (x,) = node.saved_tensors()
    c = node.ctx
    n, dim = c["n"], c["dim"]
    gx = fft_r2c(g, n=n, dim=dim, norm=_swap(c["norm"]))
    double = _along(_hermitian_weights(gx.shape[dim], n, g.dtype, g.device), dim, g.ndim)
    return (_resize(gx * double, dim, x.shape[dim]),)


@composite("fft_c2c", backward=_c2c_backward)
def fft_c2c(x: Tensor, *, n: int, dim: int, norm: str, forward: bool) -> Tensor:
    """Complex → complex transform of length ``n`` along ``dim`` (low-level: arguments checked
    and normalized by ``fft``/``ifft``)."""
    return _c2c_decomposition(x, n=n, dim=dim, norm=norm, forward=forward)


@composite("fft_r2c", backward=_r2c_backward)
def fft_r2c(x: Tensor, *, n: int, dim: int, norm: str) -> Tensor:
    """Real → one-sided complex transform (``rfft``), low-level."""
    return _r2c_decomposition(x, n=n, dim=dim, norm=norm)


@composite("fft_c2r", backward=_c2r_backward)
def fft_c2r(x: Tensor, *, n: int, dim: int, norm: str) -> Tensor:
    """One-sided complex → real inverse transform (``irfft``), low-level."""
    return _c2r_decomposition(x, n=n, dim=dim, norm=norm)


# ---- the public one-dimensional transforms ---------------------------------------------------

def _c2c(input, n, dim, norm, forward, out):
    x = _to_complex(input)
    d = _wrap_dim(dim, x.ndim)
    n = _check_n(x.shape[d] if n is None else n)
    return _finish(fft_c2c(x, n=n, dim=d, norm=_norm(norm), forward=forward), out)


def fft(input: Tensor, n=None, dim: int = -1, norm=None, *, out=None) -> Tensor:
    """One-dimensional discrete Fourier transform along ``dim``.

    Args:
        n: signal length: the input is zero-padded or trimmed to ``n`` along ``dim``.
        dim: the dimension to transform. norm: "backward" (default), "ortho" or "forward".
    """
    return _c2c(input, n, dim, norm, True, out)


def ifft(input: Tensor, n=None, dim: int = -1, norm=None, *, out=None) -> Tensor:
    """Inverse of ``fft`` (scaled by 1/n under the default norm)."""
    return _c2c(input, n, dim, norm, False, out)


def rfft(input: Tensor, n=None, dim: int = -1, norm=None, *, out=None) -> Tensor:
    """FFT of a real signal: the ``n//2 + 1`` non-redundant terms (Hermitian symmetry)."""
    x = _to_real_float(input, "rfft")
    d = _wrap_dim(dim, x.ndim)
    n = _check_n(x.shape[d] if n is None else n)
    return _finish(fft_r2c(x, n=n, dim=d, norm=_norm(norm)), out)


def irfft(input: Tensor, n=None, dim: int = -1, norm=None, *, out=None) -> Tensor:
    """Inverse of ``rfft``: a real signal of length ``n`` (default ``2*(m-1)`` for ``m`` input
    terms). Only the first ``n//2 + 1`` terms are used; the imaginary parts of the DC and (even
    ``n``) Nyquist terms are ignored."""
    x = _to_complex(input)
    d = _wrap_dim(dim, x.ndim)
    n = _check_n(2 * (x.shape[d] - 1) if n is None else n)
    return _finish(fft_c2r(x, n=n, dim=d, norm=_norm(norm)), out)


def hfft(input: Tensor, n=None, dim: int = -1, norm=None, *, out=None) -> Tensor:
    """FFT of a Hermitian-symmetric signal given by its one-sided half: a real spectrum of
    length ``n`` (default ``2*(m-1)``). ``irfft`` of the conjugate, with the norm swapped."""
    x = _to_complex(input)
    d = _wrap_dim(dim, x.ndim)
    n = _check_n(2 * (x.shape[d] - 1) if n is None else n)
    return _finish(fft_c2r(x.conj(), n=n, dim=d, norm=_swap(_norm(norm))), out)


def ihfft(input: Tensor, n=None, dim: int = -1, norm=None, *, out=None) -> Tensor:
    """Inverse of ``hfft``: the one-sided half of the inverse FFT of a real signal."""
    x = _to_real_float(input, "ihfft")
    d = _wrap_dim(dim, x.ndim)
    n = _check_n(x.shape[d] if n is None else n)
    return _finish(fft_r2c(x, n=n, dim=d, norm=_swap(_norm(norm))).conj(), out)


# ---- n-dimensional transforms: one 1-d transform per dimension --------------------------------

def _c2c_nd(input, s, dim, norm, forward, out, default_all=True):
    x = _to_complex(input)
    sizes, dims = _nd_args(x, s, dim, default_all)
    norm = _norm(norm)
    for n, d in zip(sizes, dims):
        x = fft_c2c(x, n=x.shape[d] if n is None else n, dim=d, norm=norm, forward=forward)
    return _finish(x, out)


def fftn(input: Tensor, s=None, dim=None, norm=None, *, out=None) -> Tensor:
    """N-dimensional FFT over ``dim`` (default: the last ``len(s)`` dims, or all), each padded or
    trimmed to the sizes ``s`` (-1: keep the input's size)."""
    return _c2c_nd(input, s, dim, norm, True, out)


def ifftn(input: Tensor, s=None, dim=None, norm=None, *, out=None) -> Tensor:
    """Inverse of ``fftn``."""
    return _c2c_nd(input, s, dim, norm, False, out)


def fft2(input: Tensor, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:
    """Two-dimensional FFT (``fftn`` over the last two dims by default)."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:
    """Inverse of ``fft2``."""
    return ifftn(input, s, dim, norm, out=out)


def rfftn(input: Tensor, s=None, dim=None, norm=None, *, out=None) -> Tensor:
    """N-dimensional FFT of a real input: the last of ``dim`` is one-sided (``n//2 + 1``)."""
    x = _to_real_float(input, "rfftn")
    sizes, dims = _nd_args(x, s, dim)
    if not dims:
        raise RuntimeError("rfftn must transform at least one axis")
    norm = _norm(norm)
    last, n = dims[-1], sizes[-1]
    x = fft_r2c(x, n=x.shape[last] if n is None else n, dim=last, norm=norm)
    for n, d in zip(sizes[:-1], dims[:-1]):
        x = fft_c2c(x, n=x.shape[d] if n is None else n, dim=d, norm=norm, forward=True)
    return _finish(x, out)


def irfftn(input: Tensor, s=None, dim=None, norm=None, *, out=None) -> Tensor:
    """Inverse of ``rfftn``: the last of ``dim`` gives a real signal of length ``s[-1]`` (default
    ``2*(m-1)``)."""
    x = _to_complex(input)
    sizes, dims = _nd_args(x, s, dim)
    if not dims:
        raise RuntimeError("irfftn must transform at least one axis")
    norm = _norm(norm)
    for n, d in zip(sizes[:-1], dims[:-1]):
        x = fft_c2c(x, n=x.shape[d] if n is None else n, dim=d, norm=norm, forward=False)
    last, n = dims[-1], sizes[-1]
    n = _check_n(2 * (x.shape[last] - 1) if n is None else n)
    return _finish(fft_c2r(x, n=n, dim=last, norm=norm), out)


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:
    """Two-dimensional ``rfftn``."""
    return rfftn(input, s, dim, norm, out=out)


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:
    """Inverse of ``rfft2``."""
    return irfftn(input, s, dim, norm, out=out)


# ---- helpers: sample frequencies and shifts ---------------------------------------------------

def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an ``n``-point FFT: ``[0, 1, …, -(n//2), …, -1] / (d*n)``."""
    k = arange(n, device=device)
    k = where(k < (n + 1) // 2, k, k - n)
    out = k.to(dtype or get_default_dtype()) / (d * n)
    return out.requires_grad_(requires_grad) if requires_grad else out


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The sample frequencies of ``rfft``: ``[0, 1, …, n//2] / (d*n)``."""
    out = arange(n // 2 + 1, device=device).to(dtype or get_default_dtype()) / (d * n)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _roll_dims(x: Tensor, dim, direction: int) -> Tensor:
    dims = range(x.ndim) if dim is None else [dim] if isinstance(dim, int) else dim
    for d in dims:
        d = _wrap_dim(d, x.ndim)
        n = x.shape[d]
        shift = (n // 2) * direction
        if n == 0 or shift % n == 0:
            continue
        idx = (arange(n, device=x.device) - shift) % n  # out[i] = x[(i - shift) mod n]
        x = x[(slice(None),) * d + (idx,)]
    return x


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero-frequency term to the center (rolls each dim by ``n//2``; default all)."""
    return _roll_dims(input, dim, 1)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """Inverse of ``fftshift`` (rolls by ``-(n//2)``)."""
    return _roll_dims(input, dim, -1)


__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
