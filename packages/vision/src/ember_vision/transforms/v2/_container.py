"""v2 containers: Compose, RandomApply, RandomChoice, RandomOrder (on whole samples)."""

from __future__ import annotations

from collections.abc import Sequence

import ember
from ember import nn

from .._random import coin

__all__ = ["Compose", "RandomApply", "RandomChoice", "RandomOrder"]


def _call(t, inputs):
    """Call ``t`` with the sample spread like the caller's arguments."""
    return t(*inputs) if len(inputs) > 1 else t(inputs[0])


def _as_args(out, n_inputs):
    return out if n_inputs > 1 else (out,)


def _list_repr(transforms) -> str:
    return "\n".join(str(t) for t in transforms)


class Compose(nn.Module):
    """Apply ``transforms`` in order to a sample (any structure of inputs).

    Examples::

        >>> v2.Compose([v2.ToImage(), v2.RandomHorizontalFlip(),
        ...             v2.ToDtype(ember.float32, scale=True)])
    """

    def __init__(self, transforms: Sequence):
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = list(transforms)

    def extra_repr(self) -> str:
        return _list_repr(self.transforms)

    def forward(self, *inputs):
        n = len(inputs)
        for t in self.transforms:
            inputs = _as_args(_call(t, inputs), n)
        return inputs if n > 1 else inputs[0]


class RandomApply(Compose):
    """Apply all ``transforms`` with probability ``p`` (default 0.5), else none."""

    def __init__(self, transforms: Sequence, p: float = 0.5):
        super().__init__(transforms)
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs):
        if not coin(self.p):
            return inputs if len(inputs) > 1 else inputs[0]
        return super().forward(*inputs)


class RandomChoice(nn.Module):
    """Apply one of ``transforms``, picked with probabilities ``p`` (uniform by default)."""

    def __init__(self, transforms: Sequence, p=None):
        super().__init__()
        if p is None:
            p = [1.0] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        total = float(sum(p))
        self.transforms = list(transforms)
        self.p = [w / total for w in p]

    def extra_repr(self) -> str:
        return f"p={self.p}\n" + _list_repr(self.transforms)

    def forward(self, *inputs):
        idx = int(ember.multinomial(ember.tensor(self.p, dtype=ember.float64), 1).item())
        return _call(self.transforms[idx], inputs)


class RandomOrder(nn.Module):
    """Apply ``transforms`` in a random order."""

    def __init__(self, transforms: Sequence):
        super().__init__()
        self.transforms = list(transforms)

    def extra_repr(self) -> str:
        return _list_repr(self.transforms)

    def forward(self, *inputs):
        n = len(inputs)
        for i in ember.randperm(len(self.transforms)).tolist():
            inputs = _as_args(_call(self.transforms[i], inputs), n)
        return inputs if n > 1 else inputs[0]
