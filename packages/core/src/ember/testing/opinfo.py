"""``OpInfo``: how the conformance kit exercises one op (like PyTorch's OpInfo, much smaller).

Each ``op_db/<area>.py`` module lists ``OPS = [OpInfo(...), ...]``. The kit runs every sample on
the device under test and on the CPU in float64 and compares results and gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Sample:
    """One call: ``args`` are NumPy arrays (become tensors) or plain Python values."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    #: which array args get requires_grad (default: every floating-point array arg)
    grad_args: tuple | None = None


@dataclass
class OpInfo:
    name: str
    #: the call under test, e.g. ``lambda x, y: ember.add(x, y)``; may return a tuple
    fn: Callable[..., Any]
    #: samples for a dtype name: ``samples(rng, "float32") -> list[Sample]``
    samples: Callable[[np.random.Generator, str], list]
    dtypes: tuple = ("float32", "float64")
    #: check gradients (against the CPU, and by gradcheck on the CPU in float64)
    grad: bool = True
    #: gradgradcheck too (second derivatives)
    gradgrad: bool = False
    atol: float = 1e-5
    rtol: float = 1.3e-6
    #: tolerances used for float32 comparisons
    atol32: float = 1e-4
    rtol32: float = 1e-4
    #: outputs whose values are implementation-defined (e.g. indices of ties) are skipped
    skip_outputs: tuple = ()


def arr(rng: np.random.Generator, shape, dtype: str, low=-2.0, high=2.0) -> np.ndarray:
    """A random array of ``dtype`` (floats uniform in [low, high), ints in [low, high])."""
    np_dtype = np.dtype(dtype) if dtype != "bfloat16" else np.float32
    if np_dtype.kind == "f":
        return rng.uniform(low, high, shape).astype(np_dtype)
    if np_dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.integers(int(low), int(high) + 1, shape).astype(np_dtype)


def positive(rng, shape, dtype, low=0.5, high=2.0) -> np.ndarray:
    return arr(rng, shape, dtype, low, high)
