"""Random draws for the transforms, all from ember's generator so that ``ember.manual_seed``
makes every transform reproducible."""

from __future__ import annotations

import numpy as np

import ember


def uniform(low: float, high: float) -> float:
    """One float drawn uniformly from [low, high)."""
    return float(ember.empty(1).uniform_(float(low), float(high)).item())


def randint(low: int, high: int | None = None) -> int:
    """One int drawn uniformly from [low, high) (or [0, low) when ``high`` is None)."""
    if high is None:
        low, high = 0, low
    return int(ember.randint(low, high, (1,)).item())


def coin(p: float) -> bool:
    """True with probability ``p``."""
    return float(ember.rand(1).item()) < p


def dirichlet(n: int, k: int, alpha: float) -> np.ndarray:
    """``n`` draws (n, k) of a symmetric Dirichlet(alpha), as normalised Gamma draws.

    ember has no Gamma sampler, so NumPy draws them from a seed taken from ember's generator:
    ``ember.manual_seed`` still makes them reproducible.
    """
    seed = randint(2 ** 31)
    g = np.random.default_rng(seed).standard_gamma(alpha, size=(n, k))
    return g / g.sum(axis=-1, keepdims=True)


def beta(alpha: float, beta_: float) -> float:
    """One draw of Beta(alpha, beta_) (the first weight of a 2-way Dirichlet)."""
    seed = randint(2 ** 31)
    rng = np.random.default_rng(seed)
    return float(rng.beta(alpha, beta_))
