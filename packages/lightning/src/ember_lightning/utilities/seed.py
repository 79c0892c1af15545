"""seed_everything: seed Python's, NumPy's and ember's random generators at once."""

from __future__ import annotations

import os
import random
import warnings

import numpy as np

import ember

_MAX_SEED = np.iinfo(np.uint32).max


def seed_everything(seed: int | None = None, workers: bool = False) -> int:
    """Seed ``random``, ``numpy.random`` and ember's global generator.

    Args:
        seed: the seed; None reads ``PL_GLOBAL_SEED`` from the environment, else picks 0.
        workers: sets ``PL_SEED_WORKERS=1`` so data-loader workers are seeded derivably.

    Returns:
        The seed that was used.
    """
    if seed is None:
        env_seed = os.environ.get("PL_GLOBAL_SEED")
        if env_seed is None:
            seed = 0
            warnings.warn(f"No seed found, seed set to {seed}", stacklevel=2)
        else:
            seed = int(env_seed)
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        warnings.warn(f"{seed} is not in bounds, numpy accepts from 0 to {_MAX_SEED}; using 0", stacklevel=2)
        seed = 0
    os.environ["PL_GLOBAL_SEED"] = str(seed)
    os.environ["PL_SEED_WORKERS"] = str(int(workers))
    random.seed(seed)
    np.random.seed(seed)
    ember.manual_seed(seed)
    return seed


def _collect_rng_states() -> dict:
    """The global RNG states, as stored in checkpoints under ``"rng_states"``."""
    # NumPy's key array becomes a tensor so the checkpoint loads with weights_only=True
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    numpy_state = (kind, ember.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
                   float(cached))
    return {"ember": ember.get_rng_state(), "numpy": numpy_state, "python": random.getstate()}


def _set_rng_states(states: dict) -> None:
    ember.set_rng_state(states["ember"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    keys = keys.numpy() if isinstance(keys, ember.Tensor) else np.asarray(keys)
    np.random.set_state((kind, keys.astype(np.uint32), pos, has_gauss, cached))
    random.setstate(states["python"])
