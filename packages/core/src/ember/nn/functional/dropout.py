"""Dropout: ``dropout``, channel-wise ``dropout1d/2d/3d``, ``alpha_dropout`` and
``feature_alpha_dropout``.

In training, one random mask (drawn from ember's default generator on the host, like every
sampler, so a seed gives the same masks on every backend) is multiplied into the input: one
elementwise multiply, whose backward is the same multiply. In evaluation, or with ``p == 0``, the
input itself is returned, like PyTorch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor
from ...ops.inplace import apply_inplace

_SELU_NEG = 1.7580993408473766  # -selu_alpha * selu_scale: SELU's negative saturation value


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, shape, value: float = 1.0) -> Tensor:
    """A tensor of ``shape`` on input's device: ``value`` with probability ``1 - p``, else 0.
    Built on the host in one pass (the samples come from the host generator anyway)."""
    from ..._random import _gen, _place

    keep = _gen(None).random(tuple(shape), dtype=np.float32) >= np.float32(p)
    host = keep * value if value != 1.0 else keep
    return _place(host, input.dtype, input.device, False)


def _feature_shape(input: Tensor, batched: bool = True) -> tuple:
    """Channel-wise noise: one draw per (batch, channel), broadcast over the rest; an unbatched
    input draws one per entry of its first dimension."""
    lead = 2 if batched else 1
    return tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, noise_shape,
                  alpha: bool) -> Tensor:
    """Dropout with noise of ``noise_shape`` (None: one draw per element) broadcast over input."""
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        fn = lambda x: x * 0.0  # noqa: E731
    else:
        shape = input.shape if noise_shape is None else noise_shape
        if alpha:
            keep = _keep_mask(input, p, shape)
            a = 1.0 / math.sqrt((_SELU_NEG * _SELU_NEG * p + 1) * (1 - p))
            b = (keep - 1) * (_SELU_NEG * a) + _SELU_NEG * a * p
            scale = keep * a
            fn = lambda x: x * scale + b  # noqa: E731
        else:
            scale = _keep_mask(input, p, shape, 1.0 / (1.0 - p))
            fn = lambda x: x * scale  # noqa: E731
    return apply_inplace(fn, input) if inplace else fn(input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    return _dropout_impl(input, p, training, inplace, None, False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's saturation value and an affine
    map keeps the mean and variance."""
    return _dropout_impl(input, p, training, inplace, None, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels."""
    return _dropout_impl(input, p, training, inplace, _feature_shape(input), True)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    return _dropout_impl(input, p, training, inplace, _feature_shape(input, batched), False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` inputs with probability ``p``."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout "
                           "on inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p``.

    A 3-D input is treated like PyTorch does today: as ``(N, C, L)`` with the noise drawn per
    entry of its first dimension (with a warning).
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-"
                      "wise 1D dropout behavior is desired - input is interpreted as shape (N, "
                      "C, L), where C is the channel dim. This behavior will change in a future "
                      "release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, input.ndim != 3)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, input.ndim != 4)


from ...ops._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
