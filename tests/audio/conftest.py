"""Shared fixtures of the ember-audio tests: paths of the copied reference files and the
torchaudio 2.9.1 reference values (``transforms_ref_small.npz``, see fixtures/README.md)."""

from pathlib import Path

import numpy as np
import pytest

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


@pytest.fixture(scope="session")
def ref():
    return Reference(FIXTURES / "transforms_ref_small.npz")


@pytest.fixture(scope="session")
def wave():
    """arctic_a0007.wav read by ember_audio.load: float32 (1, 64000), 16 kHz."""
    import ember_audio

    waveform, sample_rate = ember_audio.load(FIXTURES / "arctic_a0007.wav")
    assert sample_rate == 16000
    return waveform


def assert_close_to_ref(ours, ref_values, rtol, name=""):
    """max |ours - ref| <= rtol * max |ref| (the README's tolerance measure)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref_values = np.asarray(ref_values, dtype=np.float64)
    err = np.abs(ours - ref_values).max()
    scale = max(np.abs(ref_values).max(), 1e-30)
    assert err <= rtol * scale, f"{name}: max |diff| {err:.3g} > {rtol:g} * {scale:.3g}"
