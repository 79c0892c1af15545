"""``InstanceNorm1d/2d/3d`` (PyTorch's arguments, defaults — no affine, no running stats —
and checks; unbatched inputs are accepted)."""

from __future__ import annotations

import warnings

from ..._tensor import Tensor
from .. import functional as F
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _spatial = 1  # number of spatial dimensions

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def _check_input_dim(self, input: Tensor) -> None:
        low = self._spatial + 1
        if input.ndim not in (low, low + 1):
            raise ValueError(f"expected {low}D or {low + 1}D input (got {input.ndim}D input)")

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        no_batch = self._spatial + 1
        feature_dim = input.ndim - no_batch
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        if input.ndim == no_batch:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of a (N, C, L) or (C, L) input: each sample's channel over L.

    Args:
        num_features: C.
        eps: added to the variance. Default: 1e-5.
        momentum: running-statistics update factor. Default: 0.1.
        affine: learn per-channel ``weight``/``bias``. Default: False.
        track_running_stats: keep running statistics for evaluation. Default: False.
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of a (N, C, H, W) or (C, H, W) input (see ``InstanceNorm1d``)."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of a (N, C, D, H, W) or (C, D, H, W) input."""

    _spatial = 3
