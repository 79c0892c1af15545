"""Skipping the random initialisation of models whose weights are about to be loaded
(``transformers.modeling_utils.no_init_weights``): filling 100M+ parameters with random
numbers only to overwrite them costs seconds."""

from __future__ import annotations

import contextlib
import threading

__all__ = ["no_init_weights", "init_weights_enabled"]

_state = threading.local()


@contextlib.contextmanager
def no_init_weights():
    """Inside this block, models of ember_text leave their weights uninitialised
    (``ember.empty``): only for weights that are loaded right after.

    Examples:
        >>> with no_init_weights():
        ...     model = GPT2LMHeadModel(GPT2Config())   # fast, garbage weights
        >>> model.load_state_dict(state)
    """
    previous = init_weights_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous


def init_weights_enabled() -> bool:
    return getattr(_state, "enabled", True)
