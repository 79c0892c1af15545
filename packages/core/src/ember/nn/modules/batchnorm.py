"""``BatchNorm1d/2d/3d`` (PyTorch's arguments, buffers, ``state_dict`` keys and checks)."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


def _vector(n: int, value: float, device=None, dtype=None) -> Tensor:
    from ...ops.creation import full

    return full((n,), value, device=device, dtype=dtype)


class _NormBase(Module):
    """Shared by batch and instance norm: ``weight``/``bias`` (with ``affine``) and the
    ``running_mean``/``running_var``/``num_batches_tracked`` buffers (with
    ``track_running_stats``)."""

    _version = 2  # version 2 added num_batches_tracked

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_vector(num_features, 1.0, device, dtype))
            self.bias = Parameter(_vector(num_features, 0.0, device, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            from ...ops.creation import tensor

            self.register_buffer("running_mean", _vector(num_features, 0.0, device, dtype))
            self.register_buffer("running_var", _vector(num_features, 1.0, device, dtype))
            self.register_buffer("num_batches_tracked", tensor(0, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs, assign=False) -> None:
        # state dicts saved before num_batches_tracked existed (no version 2) load with a zero
        version = (local_metadata or {}).get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and \
                key not in state_dict:
            from ...ops.creation import tensor

            state_dict[key] = self.num_batches_tracked if self.num_batches_tracked is not None \
                else tensor(0)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs, assign)


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            # momentum None: the cumulative average over every batch seen
            factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None \
                else self.momentum
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_running else None,
                            self.running_var if use_running else None, self.weight, self.bias,
                            batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a (N, C) or (N, C, L) input, per channel C.

    Args:
        num_features: C.
        eps: added to the variance. Default: 1e-5.
        momentum: running-statistics update factor; ``None`` for a cumulative average.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default: True.
        track_running_stats: keep ``running_mean``/``running_var`` for evaluation. Default: True.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a (N, C, H, W) input, per channel C (see ``BatchNorm1d``)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over a (N, C, D, H, W) input, per channel C (see ``BatchNorm1d``)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")
