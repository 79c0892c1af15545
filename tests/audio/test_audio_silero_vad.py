"""Silero VAD rebuild against silero-vad 6.2.3's own outputs (JIT and ONNX) on arctic_a0007."""

import numpy as np
import pytest
from audio_testutils import FIXTURES

import ember
from ember_audio.models import SileroVAD, load_silero_vad

REF = np.load(FIXTURES / "silero_vad_ref.npz")


@pytest.fixture(scope="module")
def v62():
    return load_silero_vad(FIXTURES / "silero_vad_v6_2_16k_weights.npz")


def test_v62_weights_reproduce_jit_and_onnx_probabilities(v62, wave):
    probs = v62.audio_forward(wave[0], 16000)
    assert probs.shape == (1, 125)
    np.testing.assert_allclose(probs.numpy()[0], REF["jit_probs"], atol=2e-6)
    np.testing.assert_allclose(probs.numpy()[0], REF["onnx_probs"], atol=2e-6)


def test_safetensors_snapshot_reproduces_its_reference(wave):
    """The wheel's safetensors is a different snapshot: it must match the rebuild run on it,
    and stay within 0.0603 of the JIT with the same decisions at 0.5 (fixtures README)."""
    probs = load_silero_vad(FIXTURES / "silero_vad_16k.safetensors").audio_forward(wave[0])[0]
    np.testing.assert_allclose(probs.numpy(), REF["safetensors_probs"], atol=2e-6)
    assert np.abs(probs.numpy() - REF["jit_probs"]).max() < 0.0604
    np.testing.assert_array_equal(probs.numpy() > 0.5, REF["jit_probs"] > 0.5)


def test_intermediate_activations_of_chunk_20(v62):
    x = ember.tensor(REF["probe_input"])
    with ember.no_grad():
        mag = v62.stft_magnitude(x)
        np.testing.assert_allclose(mag.numpy(), REF["probe_stft_mag"], atol=1e-5)
        encoded = v62.encoder(mag)
        np.testing.assert_allclose(encoded.numpy(), REF["probe_encoder_out"], atol=1e-5)


def test_state_is_carried_between_chunks(v62, wave):
    """Chunk by chunk by hand (context + LSTM state) equals audio_forward; chunk 20's state and
    probability equal the reference probes."""
    audio = wave[0]
    context, state = ember.zeros(1, 64), None
    with ember.no_grad():
        for k in range(21):
            x = ember.cat([context, audio[k * 512:(k + 1) * 512][None]], dim=1)
            prob, state = v62(x, state)
            context = x[:, -64:]
    np.testing.assert_array_equal(x.numpy(), REF["probe_input"])
    np.testing.assert_allclose(state[0].numpy(), REF["probe_h"], atol=1e-5)
    np.testing.assert_allclose(state[1].numpy(), REF["probe_c"], atol=1e-5)
    np.testing.assert_allclose(prob.numpy()[:, 0], REF["probe_prob"], atol=2e-6)


def test_bad_input_and_weights(tmp_path):
    model = SileroVAD()
    with pytest.raises(ValueError, match="576"):
        model(ember.zeros(1, 512))
    with pytest.raises(ValueError, match="16000"):
        model.audio_forward(ember.zeros(1000), 8000)
    bad = tmp_path / "w.npz"
    np.savez(bad, **{"conv1.weight": np.zeros((128, 129, 3), np.float32)})
    with pytest.raises(RuntimeError, match="Missing key"):
        load_silero_vad(bad)
