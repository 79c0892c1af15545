"""Small waveform / spectrogram utilities: mu-law companding, gain, and random masking of
spectrogram bands (SpecAugment's building block)."""

from __future__ import annotations

import warnings

import ember

__all__ = ["mu_law_encoding", "mu_law_decoding", "gain", "mask_along_axis",
           "mask_along_axis_iid"]


def mu_law_encoding(x, quantization_channels: int):
    """Mu-law compand ``x`` in [-1, 1] to integers in ``[0, quantization_channels)`` (int64)."""
    mu = quantization_channels - 1.0
    if not x.dtype.is_floating_point:
        warnings.warn("The input Tensor must be of floating type. This will be an error in "
                      "the v0.12 release.", stacklevel=2)
        x = x.to(ember.float32)
    mu_t = ember.tensor(mu, dtype=x.dtype, device=x.device)
    x_mu = ember.sign(x) * ember.log1p(mu * ember.abs(x)) / ember.log1p(mu_t)
    return ((x_mu + 1) / 2 * mu + 0.5).to(ember.int64)


def mu_law_decoding(x_mu, quantization_channels: int):
    """Inverse of ``mu_law_encoding``: integers → floats in [-1, 1]."""
    mu = quantization_channels - 1.0
    if not x_mu.dtype.is_floating_point:
        x_mu = x_mu.to(ember.float32)
    mu_t = ember.tensor(mu, dtype=x_mu.dtype, device=x_mu.device)
    x = (x_mu / mu) * 2 - 1.0
    return ember.sign(x) * (ember.exp(ember.abs(x) * ember.log1p(mu_t)) - 1.0) / mu


def gain(waveform, gain_db: float = 1.0):
    """Multiply by ``10 ** (gain_db / 20)``."""
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)


def _get_mask_param(mask_param: int, p: float, axis_length: int) -> int:
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def _check_axis(specgram, axis: int, p: float, allowed: tuple) -> None:
    if specgram.ndim < 2:
        raise ValueError(f"Spectrogram must have at least two dimensions (time and frequency), "
                         f"got shape {list(specgram.shape)}")
    if axis not in allowed:
        raise ValueError(f"Only Frequency and Time masking are supported: axis must be one of "
                         f"{allowed} for a {specgram.ndim}D input, got {axis}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")


def mask_along_axis(specgram, mask_param: int, mask_value: float, axis: int, p: float = 1.0):
    """Mask one band ``[start, start + width)`` along ``axis`` (frequency: ndim-2, time:
    ndim-1), the same band for every example: ``width = int(u0 * mask_param)``,
    ``start = int(u1 * (size - u0 * mask_param))`` with ``u0, u1 ~ U(0, 1)`` from
    ``ember.rand``."""
    dim = specgram.ndim
    _check_axis(specgram, axis, p, (dim - 2, dim - 1))
    mask_param = _get_mask_param(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    value = ember.rand(1) * mask_param
    min_value = ember.rand(1) * (specgram.shape[axis] - value)
    mask_start = int(min_value.long().item())
    mask_end = mask_start + int(value.long().item())
    positions = ember.arange(0, specgram.shape[axis], device=specgram.device)
    mask = (positions >= mask_start) & (positions < mask_end)
    if axis == dim - 2:
        mask = mask.unsqueeze(-1)
    if mask_end - mask_start >= mask_param:
        raise ValueError("Number of columns to be masked should be less than mask_param")
    return specgram.masked_fill(mask, mask_value)


def mask_along_axis_iid(specgrams, mask_param: int, mask_value: float, axis: int,
                        p: float = 1.0):
    """Like ``mask_along_axis`` but an independent band for every example and channel of a
    ``(batch, channel, freq, time)`` (or ``(channel, freq, time)``) input."""
    dim = specgrams.ndim
    if dim < 3:
        raise ValueError(f"Spectrogram must have at least three dimensions ({dim} given).")
    _check_axis(specgrams, axis, p, (dim - 2, dim - 1))
    mask_param = _get_mask_param(mask_param, p, specgrams.shape[axis])
    if mask_param < 1:
        return specgrams
    lead = tuple(specgrams.shape[:dim - 2])
    value = ember.rand(lead, device=specgrams.device, dtype=specgrams.dtype) * mask_param
    min_value = ember.rand(lead, device=specgrams.device, dtype=specgrams.dtype) * \
        (specgrams.shape[axis] - value)
    mask_start = min_value.long()[..., None, None]
    mask_end = (min_value.long() + value.long())[..., None, None]
    positions = ember.arange(0, specgrams.shape[axis], device=specgrams.device)
    moved = specgrams.transpose(axis, -1)
    moved = moved.masked_fill((positions >= mask_start) & (positions < mask_end), mask_value)
    return moved.transpose(axis, -1)
