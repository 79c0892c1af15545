"""Helpers shared by the ember-audio tests (a uniquely named module, so that test modules can
import it whatever other ``conftest`` modules the whole test run loads)."""

from pathlib import Path

import numpy as np

import ember

FIXTURES = Path(__file__).parent / "fixtures"


class Reference:
    """``ref[key]`` is the stored window of a torchaudio output; ``ref.window(key, ours)`` cuts
    the same window out of our full output (checking the full shape first)."""

    def __init__(self, path):
        self.data = np.load(path)

    def __getitem__(self, key):
        return self.data[key]

    def window(self, key, ours):
        ours = ours.detach().numpy() if isinstance(ours, ember.Tensor) else np.asarray(ours)
        if key + ".shape" in self.data.files:
            assert ours.shape == tuple(self.data[key + ".shape"]), key
            start, stop = self.data[key + ".slice"]
            ours = ours[..., start:stop]
        assert ours.shape == self.data[key].shape, key
        return ours


def assert_close_to_ref(ours, ref_values, rtol, name=""):
    """max |ours - ref| <= rtol * max |ref| (the README's tolerance measure)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref_values = np.asarray(ref_values, dtype=np.float64)
    err = np.abs(ours - ref_values).max()
    scale = max(np.abs(ref_values).max(), 1e-30)
    assert err <= rtol * scale, f"{name}: max |diff| {err:.3g} > {rtol:g} * {scale:.3g}"
