"""Precision plugins."""

from ember_lightning.plugins.precision import (
    DoublePrecision,
    MixedPrecision,
    Precision,
    precision_plugin,
)

__all__ = ["DoublePrecision", "MixedPrecision", "Precision", "precision_plugin"]
