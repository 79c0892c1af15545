"""Activation functions by their Hugging Face config names (``hidden_act`` /
``activation_function``), like ``transformers.activations.ACT2FN``."""

from __future__ import annotations

import ember
import ember.nn.functional as F

__all__ = ["ACT2FN", "get_activation"]

ACT2FN = {
    "gelu": F.gelu,  # exact (erf)
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": ember.tanh,
}


def get_activation(name: str):
    """The activation called ``name`` in a Hugging Face config."""
    try:
        return ACT2FN[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {sorted(ACT2FN)}") from None
