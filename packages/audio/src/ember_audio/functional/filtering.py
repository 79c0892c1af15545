"""IIR filtering: ``lfilter``, ``filtfilt`` and the biquad family (Audio EQ Cookbook), in
ember ops so that gradients flow to the waveform *and* the coefficients.

How ``lfilter`` avoids a Python loop over every sample: the difference equation
``a0 y[n] = sum_k b_k x[n-k] - sum_{k>=1} a_k y[n-k]`` splits into an FIR part (one grouped
``conv1d``) and an all-pole recursion ``y[n] = u[n] - sum_k a_k y[n-k]``. Over a block of ``B``
samples the recursion is linear: ``y_block = H u_block + G s``, where ``H`` is the lower-triangular
Toeplitz matrix of the all-pole impulse response and ``G`` maps the previous block's last
``p`` outputs ``s`` into this block. ``H`` and ``G`` come from a ``B``-step recursion on
``p + 1`` basis signals; then every block's ``H u`` is one batched matmul, and only the
``p``-value state is carried block to block (``len / B`` small steps). The cost is about
``len * B`` multiply-adds plus ``B + len / B`` Python steps (64000 samples, order 2: about
0.06 s of CPU time).
"""

from __future__ import annotations

import math

import ember
import ember.nn.functional as F

__all__ = ["lfilter", "filtfilt", "biquad", "lowpass_biquad", "highpass_biquad",
           "bandpass_biquad", "bandreject_biquad", "allpass_biquad", "equalizer_biquad"]

_BLOCK = 128


def _all_pole_basis(a, block: int):
    """Responses of ``y[n] = u[n] - sum_k a[:, k] y[n-k]`` over ``block`` samples.

    Returns ``h`` ``(C, block)`` (impulse response, zero initial state) and ``G``
    ``(C, block, p)`` (response to zero input with ``y[-j-1] = 1``)."""
    channels, p = a.shape[0], a.shape[1] - 1
    # history[k] holds y[n-1-k] for the p+1 basis signals: column 0 the impulse, column j+1 the
    # initial condition y[-j-1] = 1
    eye = ember.eye(p + 1, dtype=a.dtype, device=a.device)
    history = [eye[k + 1].expand(channels, p + 1) for k in range(p)]
    impulse = ember.zeros(p + 1, dtype=a.dtype, device=a.device)
    impulse[0] = 1.0
    outputs = []
    for n in range(block):
        y = -sum(a[:, k + 1:k + 2] * history[k] for k in range(p))
        if n == 0:
            y = y + impulse
        outputs.append(y)
        history = [y] + history[:-1]
    responses = ember.stack(outputs, dim=1)                       # (C, block, p + 1)
    return responses[..., 0], responses[..., 1:]


def _toeplitz_lower(h):
    """``H[c, n, m] = h[c, n - m]`` for ``n >= m``, else 0."""
    block = h.shape[-1]
    padded = F.pad(h, (block - 1, 0))
    return padded.unfold(-1, block, 1).flip(-1)


def _all_pole(u, a):
    """The recursion ``y[n] = u[n] - sum_{k>=1} a[:, k] y[n-k]`` on ``u`` ``(N, C, L)``."""
    n_batch, channels, length = u.shape
    p = a.shape[1] - 1
    if p == 0:
        return u
    block = max(min(_BLOCK, length), p)
    n_blocks = -(-length // block)
    u = F.pad(u, (0, n_blocks * block - length))
    h, g = _all_pole_basis(a, block)
    blocks = u.reshape(n_batch, channels, n_blocks, block)
    # the response of each block to its own input, all blocks at once
    z = ember.einsum("cnm,bckm->bckn", _toeplitz_lower(h), blocks)
    # carry the last p outputs from block to block
    tail_g = g[:, block - p:, :].flip(1)                          # rows for y[B-1], …, y[B-p]
    state = ember.zeros(n_batch, channels, p, dtype=u.dtype, device=u.device)
    states = []
    for k in range(n_blocks):
        states.append(state)
        tail = z[:, :, k, block - p:].flip(-1)                     # (N, C, p): y[B-1] first
        state = tail + ember.einsum("cij,bcj->bci", tail_g, state)
    states = ember.stack(states, dim=2)                           # (N, C, n_blocks, p)
    y = z + ember.einsum("cnj,bckj->bckn", g, states)
    return y.reshape(n_batch, channels, n_blocks * block)[..., :length]


def lfilter(waveform, a_coeffs, b_coeffs, clamp: bool = True, batching: bool = True):
    """IIR filter by the difference equation
    ``a[0] y[n] = sum_k b[k] x[n-k] - sum_{k>=1} a[k] y[n-k]``.

    Args:
        waveform: ``(..., time)``.
        a_coeffs, b_coeffs: denominator / numerator ``(order + 1,)``, or ``(C, order + 1)``
            for C filters (applied to dim -2 of ``waveform`` when ``batching``, else every
            filter to every signal).
        clamp: clip the output to [-1, 1].

    Shape:
        ``(..., time)`` → same (``(..., C, time)`` for 2-D coefficients without batching).
    """
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(f"Expected coeffs to be the same size. Found a_coeffs size: "
                         f"{tuple(a_coeffs.shape)}, b_coeffs size: {tuple(b_coeffs.shape)}")
    if a_coeffs.ndim > 2:
        raise ValueError(f"Expected coeffs to have greater than 1 dimension. Found: "
                         f"{a_coeffs.ndim}")
    one_filter = a_coeffs.ndim == 1
    if one_filter:
        a_coeffs, b_coeffs = a_coeffs.unsqueeze(0), b_coeffs.unsqueeze(0)
        waveform = waveform.unsqueeze(-2)
    elif batching:
        if waveform.shape[-2] != a_coeffs.shape[0]:
            raise ValueError(f"Expected number of batches in waveform and coeffs to be the "
                             f"same. Found waveform.size(-2)={waveform.shape[-2]} and "
                             f"{a_coeffs.shape[0]} filters")
    else:
        waveform = ember.stack([waveform] * a_coeffs.shape[0], -2)
    shape = waveform.shape
    x = waveform.reshape(-1, a_coeffs.shape[0], shape[-1])
    a0 = a_coeffs[:, :1]
    order = a_coeffs.shape[1]
    # FIR part: sum_k b[k] x[n-k] / a0 as one grouped convolution
    fir = F.conv1d(F.pad(x, (order - 1, 0)), (b_coeffs / a0).flip(1).unsqueeze(1),
                   groups=a_coeffs.shape[0])
    output = _all_pole(fir, a_coeffs / a0)
    if clamp:
        output = ember.clamp(output, min=-1.0, max=1.0)
    output = output.reshape(shape)
    return output.squeeze(-2) if one_filter else output


def filtfilt(waveform, a_coeffs, b_coeffs, clamp: bool = True):
    """Zero-phase filtering: ``lfilter`` forward, then on the time-reversed result."""
    forward = lfilter(waveform, a_coeffs, b_coeffs, clamp=False, batching=True)
    return lfilter(forward.flip(-1), a_coeffs, b_coeffs, clamp=clamp, batching=True).flip(-1)


def _as(value, like):
    return ember.as_tensor(value, dtype=like.dtype, device=like.device).view(1)


def biquad(waveform, b0, b1, b2, a0, a1, a2):
    """Second-order IIR filter ``(b0 + b1 z^-1 + b2 z^-2) / (a0 + a1 z^-1 + a2 z^-2)``
    (output clamped to [-1, 1], as ``lfilter``'s default)."""
    a = ember.cat([_as(a0, waveform), _as(a1, waveform), _as(a2, waveform)])
    b = ember.cat([_as(b0, waveform), _as(b1, waveform), _as(b2, waveform)])
    return lfilter(waveform, a, b)


def _cookbook(waveform, sample_rate, freq, Q):
    """``w0`` and ``alpha`` of the Audio EQ Cookbook, as tensors of the waveform's dtype."""
    freq = ember.as_tensor(freq, dtype=waveform.dtype, device=waveform.device)
    Q = ember.as_tensor(Q, dtype=waveform.dtype, device=waveform.device)
    w0 = 2 * math.pi * freq / sample_rate
    return w0, ember.sin(w0) / 2 / Q


def lowpass_biquad(waveform, sample_rate: int, cutoff_freq, Q=0.707):
    """Two-pole low-pass filter (Audio EQ Cookbook)."""
    w0, alpha = _cookbook(waveform, sample_rate, cutoff_freq, Q)
    b0 = (1 - ember.cos(w0)) / 2
    return biquad(waveform, b0, 1 - ember.cos(w0), b0, 1 + alpha, -2 * ember.cos(w0), 1 - alpha)


def highpass_biquad(waveform, sample_rate: int, cutoff_freq, Q=0.707):
    """Two-pole high-pass filter (Audio EQ Cookbook)."""
    w0, alpha = _cookbook(waveform, sample_rate, cutoff_freq, Q)
    b0 = (1 + ember.cos(w0)) / 2
    return biquad(waveform, b0, -1 - ember.cos(w0), b0, 1 + alpha, -2 * ember.cos(w0),
                  1 - alpha)


def bandpass_biquad(waveform, sample_rate: int, central_freq, Q=0.707,
                    const_skirt_gain: bool = False):
    """Two-pole band-pass filter; ``const_skirt_gain``: constant skirt gain (peak gain = Q),
    else constant 0 dB peak gain."""
    w0, alpha = _cookbook(waveform, sample_rate, central_freq, Q)
    temp = ember.sin(w0) / 2 if const_skirt_gain else alpha
    return biquad(waveform, temp, 0.0, -temp, 1 + alpha, -2 * ember.cos(w0), 1 - alpha)


def bandreject_biquad(waveform, sample_rate: int, central_freq, Q=0.707):
    """Two-pole band-reject (notch) filter."""
    w0, alpha = _cookbook(waveform, sample_rate, central_freq, Q)
    return biquad(waveform, 1.0, -2 * ember.cos(w0), 1.0, 1 + alpha, -2 * ember.cos(w0),
                  1 - alpha)


def allpass_biquad(waveform, sample_rate: int, central_freq, Q=0.707):
    """Two-pole all-pass filter (changes phase only)."""
    w0, alpha = _cookbook(waveform, sample_rate, central_freq, Q)
    return biquad(waveform, 1 - alpha, -2 * ember.cos(w0), 1 + alpha, 1 + alpha,
                  -2 * ember.cos(w0), 1 - alpha)


def equalizer_biquad(waveform, sample_rate: int, center_freq, gain, Q=0.707):
    """Peaking equalizer: ``gain`` dB around ``center_freq``."""
    w0, alpha = _cookbook(waveform, sample_rate, center_freq, Q)
    gain = ember.as_tensor(gain, dtype=waveform.dtype, device=waveform.device)
    A = ember.exp(gain / 40.0 * math.log(10))
    return biquad(waveform, 1 + alpha * A, -2 * ember.cos(w0), 1 - alpha * A, 1 + alpha / A,
                  -2 * ember.cos(w0), 1 - alpha / A)
