"""Window functions and the short-time Fourier transform, like ``torch.hann_window``,
``torch.stft`` and ``torch.istft``.

Everything here is a composition of public ops (``arange``/``cos`` for the windows; padding,
``unfold`` framing and ``ember.fft.rfft`` for ``stft``; ``irfft`` and ``nn.functional.fold``
overlap-add for ``istft``), so it is differentiable and runs on every backend.
"""

from __future__ import annotations

import math

from ._tensor import Tensor

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window", "stft", "istft"]


# ---- windows ----------------------------------------------------------------------------------

def _window_positions(window_length: int, periodic: bool, dtype, device, name: str):
    """``arange(N)`` and the denominator ``N - 1`` (``N`` for a periodic window: the window of
    length ``N + 1`` with its last sample dropped)."""
    import ember

    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    dtype = dtype or ember.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    n = ember.arange(window_length, dtype=dtype, device=device)
    return n, (window_length if periodic else window_length - 1)


def _finish_window(w: Tensor, requires_grad: bool) -> Tensor:
    return w.requires_grad_() if requires_grad else w


def _special_length(window_length: int, dtype, device, requires_grad):
    """Windows of length 0 and 1 are ``[]`` and ``[1.]`` for every kind (as in PyTorch)."""
    import ember

    if window_length > 1:
        return None
    return _finish_window(ember.ones(window_length, dtype=dtype, device=device), requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """``alpha - beta * cos(2 pi n / (N - 1))`` (``N`` instead of ``N - 1`` when periodic)."""
    short = _special_length(window_length, dtype, device, requires_grad)
    if short is not None:
        return short
    n, denom = _window_positions(window_length, periodic, dtype, device, "hamming_window")
    w = (n * (2 * math.pi / denom)).cos() * (-beta) + alpha
    return _finish_window(w, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                requires_grad: bool = False) -> Tensor:
    """``0.5 - 0.5 * cos(2 pi n / (N - 1))``; a periodic window (the default, the one STFTs
    want) uses ``N``."""
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / (N-1)) + 0.08 cos(4 pi n / (N-1))``."""
    short = _special_length(window_length, dtype, device, requires_grad)
    if short is not None:
        return short
    n, denom = _window_positions(window_length, periodic, dtype, device, "blackman_window")
    phase = n * (2 * math.pi / denom)
    w = 0.42 - 0.5 * phase.cos() + 0.08 * (2 * phase).cos()
    return _finish_window(w, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """The triangular window ``1 - |2n / (N-1) - 1|``."""
    short = _special_length(window_length, dtype, device, requires_grad)
    if short is not None:
        return short
    n, denom = _window_positions(window_length, periodic, dtype, device, "bartlett_window")
    w = 1 - (n * (2 / denom) - 1).abs()
    return _finish_window(w, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None,
                  device=None, requires_grad: bool = False) -> Tensor:
    """``I0(beta * sqrt(1 - (2n / (N-1) - 1)^2)) / I0(beta)``."""
    import ember

    short = _special_length(window_length, dtype, device, requires_grad)
    if short is not None:
        return short
    n, denom = _window_positions(window_length, periodic, dtype, device, "kaiser_window")
    ratio = n * (2 / denom) - 1
    i0_beta = ember.special.i0(ember.tensor(beta, dtype=n.dtype, device=n.device))
    w = ember.special.i0(beta * (1 - ratio * ratio).clamp(min=0).sqrt()) / i0_beta
    return _finish_window(w, requires_grad)


# ---- STFT -------------------------------------------------------------------------------------

def _padded_window(window, win_length: int, n_fft: int, like: Tensor) -> Tensor:
    """The window (rectangular when None) zero-padded on both sides to ``n_fft``, centred."""
    import ember
    import ember.nn.functional as F

    if window is None:
        window = ember.ones(win_length, dtype=like.dtype.to_real() if like.dtype.is_complex
                            else like.dtype, device=like.device)
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {list(window.shape)}")
    if win_length == n_fft:
        return window
    left = (n_fft - win_length) // 2
    return F.pad(window, (left, n_fft - win_length - left))


def _stft_args(n_fft, hop_length, win_length, name):
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if n_fft <= 0:
        raise RuntimeError(f"{name}: expected 0 < n_fft, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise RuntimeError(f"{name}: expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{name}: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    return hop_length, win_length


def stft(input: Tensor, n_fft: int, hop_length=None, win_length=None, window=None,
         center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided=None, return_complex=None) -> Tensor:
    """Short-time Fourier transform, like ``torch.stft``.

    Args:
        input: signal, shape ``(L,)`` or ``(B, L)``.
        n_fft: FFT size; hop_length defaults to ``n_fft // 4``, win_length to ``n_fft``.
        window: 1-D tensor of ``win_length`` (rectangular when None), zero-padded to ``n_fft``.
        center: pad ``n_fft // 2`` on both sides with ``pad_mode`` so frame ``t`` is centred
            at ``t * hop_length``.
        normalized: multiply by ``n_fft ** -0.5``.
        onesided: keep only ``n_fft // 2 + 1`` frequencies (default for real input and window).
        return_complex: must be True for real input (as PyTorch requires); False returns the
            real view ``(..., 2)``.

    Shape:
        Output ``(B?, n_fft // 2 + 1, n_frames)`` (``n_fft`` rows when two-sided), complex.
    """
    import ember

    hop_length, win_length = _stft_args(n_fft, hop_length, win_length, "stft")
    if return_complex is None:
        if not (input.dtype.is_complex or (window is not None and window.dtype.is_complex)):
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in "
                               "a future PyTorch release.")
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor "
                           f"of shape {list(input.shape)}")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    if center:
        x = _center_pad(x, n_fft // 2, pad_mode)
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {x.shape[-1]} (the padded input "
                           f"length), but got n_fft={n_fft}")
    win = _padded_window(window, win_length, n_fft, x)
    frames = x.unfold(-1, n_fft, hop_length) * win           # (B, n_frames, n_fft)
    complex_input = x.dtype.is_complex or win.dtype.is_complex
    onesided = (not complex_input) if onesided is None else onesided
    if onesided and complex_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = ember.fft.rfft(frames, dim=-1, norm=norm) if onesided else \
        ember.fft.fft(frames, dim=-1, norm=norm)
    spec = spec.transpose(-1, -2)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    if not return_complex:
        return ember.stack([spec.real, spec.imag], dim=-1)
    return spec


def _center_pad(x: Tensor, pad: int, pad_mode: str) -> Tensor:
    """Pad the last dim by ``pad`` on both sides. Reflection is two flipped slices and a ``cat``
    (views and one copy; much cheaper than the general ``F.pad(mode="reflect")``)."""
    import ember
    import ember.nn.functional as F

    if pad_mode != "reflect" or pad == 0:
        return F.pad(x.unsqueeze(1), (pad, pad), mode=pad_mode).squeeze(1)
    if pad >= x.shape[-1]:
        raise RuntimeError(f"stft: reflect padding of {pad} (n_fft // 2) must be less than the "
                           f"input length {x.shape[-1]}")
    return ember.cat([x[..., 1:pad + 1].flip(-1), x, x[..., -pad - 1:-1].flip(-1)], dim=-1)


def istft(input: Tensor, n_fft: int, hop_length=None, win_length=None, window=None,
          center: bool = True, normalized: bool = False, onesided=None, length=None,
          return_complex: bool = False) -> Tensor:
    """Inverse short-time Fourier transform, like ``torch.istft`` (least-squares overlap-add:
    each frame's inverse FFT times the window, summed, divided by the summed squared window).

    Shape:
        ``input`` ``(B?, n_fft // 2 + 1, n_frames)`` complex → ``(B?, L)``.
    """
    import ember
    import ember.nn.functional as F

    hop_length, win_length = _stft_args(n_fft, hop_length, win_length, "istft")
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a 2D or 3D complex tensor, but got {input.ndim}D "
                           f"of shape {list(input.shape)}")
    spec = input.unsqueeze(0) if input.ndim == 2 else input
    n_frames = spec.shape[-1]
    onesided = (spec.shape[-2] != n_fft) if onesided is None else onesided
    expected = n_fft // 2 + 1 if onesided else n_fft
    if spec.shape[-2] != expected:
        raise RuntimeError(f"istft: expected the frequency dimension (-2) of input to be "
                           f"{expected} (n_fft={n_fft}, onesided={onesided}), but got "
                           f"{spec.shape[-2]}")
    if onesided and return_complex:
        raise RuntimeError("cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(-1, -2)                            # (B, n_frames, freq)
    frames = ember.fft.irfft(frames, n=n_fft, dim=-1, norm=norm) if onesided else \
        ember.fft.ifft(frames, dim=-1, norm=norm)
    if not return_complex and frames.dtype.is_complex:
        frames = frames.real
    real_dtype = frames.dtype.to_real() if frames.dtype.is_complex else frames.dtype
    win = _padded_window(window, win_length, n_fft, ember.empty(0, dtype=real_dtype,
                                                                 device=spec.device))
    frames = frames * win
    total = n_fft + hop_length * (n_frames - 1)
    signal = _overlap_add(frames, total, hop_length)
    envelope = _overlap_add((win * win).expand(1, n_frames, n_fft), total, hop_length)
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    signal = signal[..., start:min(end, total)]
    envelope = envelope[..., start:min(end, total)]
    if envelope.abs().min().item() < 1e-11:
        raise RuntimeError("istft: window overlap add min: the sum of squared windows is "
                           "(nearly) zero somewhere, so the signal cannot be recovered (check "
                           "the window and hop_length)")
    signal = signal / envelope
    if length is not None and signal.shape[-1] < length:
        signal = F.pad(signal, (0, length - signal.shape[-1]))
    return signal.squeeze(0) if input.ndim == 2 else signal


def _overlap_add(frames: Tensor, total: int, hop_length: int) -> Tensor:
    """Sum ``(B, n_frames, n_fft)`` frames placed every ``hop_length`` samples → ``(B, total)``."""
    import ember.nn.functional as F

    n_fft = frames.shape[-1]
    if frames.dtype.is_complex:
        return _overlap_add(frames.real, total, hop_length) + \
            1j * _overlap_add(frames.imag, total, hop_length)
    cols = frames.transpose(-1, -2)                            # (B, n_fft, n_frames)
    out = F.fold(cols, output_size=(1, total), kernel_size=(1, n_fft), stride=(1, hop_length))
    return out.reshape(frames.shape[0], total)
