"""M5 and Wav2Letter: architecture checks against published/hand-computed sizes, and the
keyword-spotting example learning on held-out data."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import ember
from ember_audio.models import M5, Wav2Letter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "audio_keyword_spotting.py"


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def conv(cin, cout, k):
    return cin * cout * k + cout


def test_m5_matches_the_torchaudio_tutorial():
    model = M5(n_input=1, n_output=35)
    assert n_params(model) == 26915        # printed by torchaudio's speech-command tutorial
    out = model(ember.randn(3, 1, 8000))
    assert out.shape == (3, 1, 35)
    np.testing.assert_allclose(out.detach().exp().sum(-1).numpy(), 1.0, atol=1e-5)


@pytest.mark.parametrize("input_type, features, length, frames", [
    ("mfcc", 13, 60, 31), ("power_spectrum", 201, 100, 51), ("waveform", 1, 8000, 26)])
def test_wav2letter_layout(input_type, features, length, frames):
    model = Wav2Letter(num_classes=29, input_type=input_type, num_features=features)
    acoustic = conv(250 if input_type == "waveform" else features, 250, 48) + \
        7 * conv(250, 250, 7) + conv(250, 2000, 32) + conv(2000, 2000, 1) + conv(2000, 29, 1)
    front = conv(features, 250, 250) if input_type == "waveform" else 0
    assert n_params(model) == acoustic + front
    prefix = "acoustic_model.1." if input_type == "waveform" else "acoustic_model."
    assert f"{prefix}0.weight" in model.state_dict()
    with ember.no_grad():
        out = model(ember.randn(1, features, length))
    assert out.shape == (1, 29, frames)
    np.testing.assert_allclose(out.exp().sum(1).numpy(), 1.0, atol=1e-4)


def test_keyword_spotting_example_learns():
    spec = importlib.util.spec_from_file_location("audio_keyword_spotting", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    accuracy = example.main(["--steps", "100"])
    assert accuracy > 0.6                 # chance is 1/8; 100 steps reach about 0.84
