"""Stochastic depth ("Deep Networks with Stochastic Depth", https://arxiv.org/abs/1603.09382)."""

from __future__ import annotations

import ember
from ember import Tensor, nn

__all__ = ["stochastic_depth", "StochasticDepth"]


def stochastic_depth(input: Tensor, p: float, mode: str, training: bool = True) -> Tensor:
    """Randomly zero a residual branch, scaling the survivors by ``1 / (1 - p)``.

    Args:
        input (Tensor[N, ...]): the branch's output; dim 0 is the batch.
        p (float): probability of zeroing.
        mode (str): ``"batch"`` zeroes the whole input at once, ``"row"`` each sample on its own.
        training (bool): apply only when True. Default: True.

    Returns:
        Tensor[N, ...]: the randomly zeroed tensor.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth` (active in training mode only).

    Args:
        p (float): probability of zeroing.
        mode (str): ``"batch"`` or ``"row"``.

    Shape:
        - Input: ``(N, *)``. Output: same shape.

    Examples::

        >>> drop = StochasticDepth(0.2, "row")
        >>> out = x + drop(branch(x))
    """

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"
