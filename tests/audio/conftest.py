"""Fixtures of the ember-audio tests: the torchaudio 2.9.1 reference values
(``transforms_ref_small.npz``, see fixtures/README.md) and the real recording they were made
from."""

import pytest
from audio_testutils import FIXTURES, Reference


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
