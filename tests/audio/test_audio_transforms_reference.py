"""Transforms and functional against torchaudio 2.9.1 outputs and gradients on arctic_a0007.wav.

Tolerances are relative to max |reference| (torch's own float32-vs-float64 spread is 2e-7..2e-5,
see the fixtures README); integer outputs must match exactly.
"""

import math

import numpy as np
import pytest
from audio_testutils import assert_close_to_ref

import ember
import ember_audio.functional as F
import ember_audio.transforms as T

MEL = {"n_fft": 400, "hop_length": 160, "n_mels": 80, "f_min": 0.0, "f_max": 8000.0}


CASES = {
    # key: (function of (wave, ref-loader) → our full output, rtol)
    "spec_power2": (lambda w: T.Spectrogram(n_fft=400, hop_length=160, power=2.0)(w), 1e-6),
    "spec_power1": (lambda w: T.Spectrogram(n_fft=400, hop_length=160, power=1.0)(w), 1e-6),
    "spec_complex_real": (lambda w: T.Spectrogram(n_fft=400, hop_length=160,
                                                  power=None)(w).real, 1e-6),
    "spec_complex_imag": (lambda w: T.Spectrogram(n_fft=400, hop_length=160,
                                                  power=None)(w).imag, 1e-6),
    "spec_center_false": (lambda w: T.Spectrogram(n_fft=400, hop_length=160, power=2.0,
                                                  center=False)(w), 1e-6),
    "spec_normalized": (lambda w: T.Spectrogram(n_fft=400, hop_length=160, power=2.0,
                                                normalized=True)(w), 2e-6),
    "dct_ortho": (lambda w: F.create_dct(13, 80, "ortho"), 1e-6),
    "dct_none": (lambda w: F.create_dct(13, 80, None), 1e-6),
    "mfcc_logmels_false": (lambda w: T.MFCC(16000, 13, melkwargs=MEL)(w), 5e-6),
    "mfcc_logmels_true": (lambda w: T.MFCC(16000, 13, melkwargs=MEL, log_mels=True)(w), 5e-6),
    "mfcc_logmels_false_f64": (lambda w: T.MFCC(16000, 13, melkwargs=MEL).double()(w.double()),
                               5e-6),
    "linear_fbanks": (lambda w: F.linear_fbanks(201, 0.0, 8000.0, 128, 16000), 2e-5),
    "lfcc": (lambda w: T.LFCC(16000, 128, 0.0, 8000.0, 40,
                              speckwargs={"n_fft": 400, "hop_length": 160})(w), 5e-6),
    "melspec_htk_none_f64": (lambda w: T.MelSpectrogram(16000, **MEL).double()(w.double()),
                             1e-5),
    "mulaw_encoded": (lambda w: T.MuLawEncoding(256)(w), 0),
    "vol_amp_0p5": (lambda w: T.Vol(0.5)(w), 1e-7),
    "vol_db_6": (lambda w: T.Vol(6.0, "db")(w), 1e-7),
    "vol_power_2": (lambda w: T.Vol(2.0, "power")(w), 1e-7),
    "fade_linear": (lambda w: T.Fade(8000, 16000, "linear")(w), 1e-7),
    "fade_logarithmic": (lambda w: T.Fade(8000, 16000, "logarithmic")(w), 1e-7),
    "lowpass_biquad": (lambda w: F.lowpass_biquad(w, 16000, 1000.0, 0.707), 2e-6),
    "highpass_biquad": (lambda w: F.highpass_biquad(w, 16000, 300.0, 0.707), 5e-6),
}
for _ms in ("htk", "slaney"):
    for _norm in (None, "slaney"):
        _tag = f"{_ms}_{_norm or 'none'}"
        CASES[f"melfb_{_tag}"] = (lambda w, n=_norm, m=_ms: F.melscale_fbanks(
            201, 0.0, 8000.0, 80, 16000, n, m), 2e-5)
        CASES[f"melspec_{_tag}"] = (lambda w, n=_norm, m=_ms: T.MelSpectrogram(
            16000, **MEL, norm=n, mel_scale=m)(w), 1e-5)
for _freq in (8000, 22050):
    for _method in ("hann", "kaiser"):
        for _width in (6, 16):
            CASES[f"resample_{_freq}_{_method}_w{_width}"] = (
                lambda w, f=_freq, m=_method, k=_width: T.Resample(
                    16000, f, "sinc_interp_" + m, k)(w), 1e-5)


@pytest.mark.parametrize("key", sorted(CASES))
def test_matches_torchaudio(key, wave, ref):
    fn, rtol = CASES[key]
    ours = ref.window(key, fn(wave))
    if rtol == 0:
        np.testing.assert_array_equal(ours, ref[key])
    else:
        assert_close_to_ref(ours, ref[key], rtol, key)


@pytest.fixture(scope="module")
def spectra(wave, ref):
    """Our spectrograms (checked above against torchaudio's) as inputs of later stages."""
    complex_spec = T.Spectrogram(n_fft=400, hop_length=160, power=None)(wave)
    power2 = complex_spec.abs().pow(2.0)
    assert_close_to_ref(ref.window("spec_power2", power2), ref["spec_power2"], 1e-6)
    return {"complex": complex_spec, "power2": power2, "power1": complex_spec.abs()}


@pytest.mark.parametrize("tag", ["htk_none", "htk_slaney", "slaney_none", "slaney_slaney"])
def test_melscale(tag, spectra, ref):
    mel_scale, norm = tag.split("_")
    out = T.MelScale(80, 16000, 0.0, 8000.0, 201, None if norm == "none" else norm,
                     mel_scale)(spectra["power2"])
    assert_close_to_ref(ref.window(f"melscale_{tag}", out), ref[f"melscale_{tag}"], 1e-5)


def test_amplitude_to_db(spectra, ref):
    # on torchaudio's own spectrogram (window) the formula must agree to float32 rounding ...
    for key, source, stype in (("db_power", "spec_power2", "power"),
                               ("db_magnitude", "spec_power1", "magnitude")):
        out = T.AmplitudeToDB(stype, top_db=None)(ember.tensor(ref[source]))
        above_floor = ref[key] > ref[key].min()
        assert_close_to_ref(out.numpy()[above_floor], ref[key][above_floor], 1e-6, key)
    # ... and the full path from our STFT: dB of near-silent bins magnifies the STFT's float32
    # rounding (0.003 dB of 52 dB), hence 1e-4
    out = T.AmplitudeToDB("power", top_db=80.0)(spectra["power2"])
    assert_close_to_ref(ref.window("db_power", out), ref["db_power"], 1e-4)
    out = T.AmplitudeToDB("magnitude", top_db=80.0)(spectra["power1"])
    assert_close_to_ref(ref.window("db_magnitude", out), ref["db_magnitude"], 1e-4)
    assert float(out.min()) >= float(out.max()) - 80.0 - 1e-4


def test_inverse_spectrogram_and_griffinlim(spectra, ref):
    out = T.InverseSpectrogram(n_fft=400, hop_length=160)(spectra["complex"], length=64000)
    assert_close_to_ref(ref.window("ispec_roundtrip", out), ref["ispec_roundtrip"], 1e-6)
    out = T.GriffinLim(n_fft=400, n_iter=8, hop_length=160, power=2.0, length=64000,
                       rand_init=False)(spectra["power2"])
    assert_close_to_ref(ref.window("griffinlim", out), ref["griffinlim"], 1e-4)


def test_time_stretch(spectra, ref):
    out = T.TimeStretch(hop_length=160, n_freq=201, fixed_rate=1.3)(spectra["complex"])
    # the accumulated phase reaches ~1e5 rad, where one float32 ulp is 0.01 rad
    assert_close_to_ref(ref.window("timestretch_1p3_real", out.real),
                        ref["timestretch_1p3_real"], 1e-3)
    assert_close_to_ref(ref.window("timestretch_1p3_imag", out.imag),
                        ref["timestretch_1p3_imag"], 1e-3)
    np.testing.assert_allclose(np.abs(ref.window("timestretch_1p3_real", out.abs())),
                               np.abs(ref["timestretch_1p3_real"] +
                                      1j * ref["timestretch_1p3_imag"]), rtol=1e-4, atol=1e-4)


def test_compute_deltas(wave, ref):
    coeffs = T.MFCC(16000, 13, melkwargs=MEL)(wave)
    for win in (5, 9):
        out = F.compute_deltas(coeffs, win_length=win)
        assert_close_to_ref(ref.window(f"deltas_w{win}", out), ref[f"deltas_w{win}"], 1e-5)


def test_mu_law_decoding_and_lfilter(wave, ref):
    decoded = T.MuLawDecoding(256)(ember.tensor(ref["mulaw_encoded"]))
    assert_close_to_ref(decoded.numpy(), ref["mulaw_decoded"], 1e-6)
    a, b = ember.tensor(ref["lfilter_a"]), ember.tensor(ref["lfilter_b"])
    clamped = F.lfilter(wave * 2.5, a, b, clamp=True)
    assert_close_to_ref(ref.window("lfilter_clamp", clamped), ref["lfilter_clamp"], 2e-6)
    free = F.lfilter(wave * 2.5, a, b, clamp=False)
    assert_close_to_ref(ref.window("lfilter_noclamp", free), ref["lfilter_noclamp"], 2e-6)
    assert float(free.abs().max()) > 1.4 and float(clamped.abs().max()) == 1.0


@pytest.mark.parametrize("kind, param, axis_size", [("freq", 30, 201), ("time", 60, 401)])
def test_masking_positions(kind, param, axis_size, spectra, ref, monkeypatch):
    """Feed torch's two uniform draws to our masking and get torch's masked band."""
    draws = iter(ember.tensor(u).reshape(1) for u in ref[f"{kind}mask_uniforms"])
    monkeypatch.setattr(ember, "rand", lambda *a, **k: next(draws))
    masker = T.FrequencyMasking(param) if kind == "freq" else T.TimeMasking(param)
    out = masker(spectra["power2"])
    changed = (out != spectra["power2"]).numpy()[0]
    observed = changed.any(axis=1 if kind == "freq" else 0)
    np.testing.assert_array_equal(observed, ref[f"{kind}mask_observed"])
    start, end = ref[f"{kind}mask_range"]
    u0, u1 = ref[f"{kind}mask_uniforms"].astype(np.float32)
    assert (start, end) == (int(u1 * (axis_size - u0 * param)),
                            int(u1 * (axis_size - u0 * param)) + int(u0 * param))
    assert_close_to_ref(ref.window(f"{kind}mask_out", out), ref[f"{kind}mask_out"], 1e-6)


def test_gradients_match_torchaudio(wave, ref):
    w = wave.clone().requires_grad_()
    (T.MelSpectrogram(16000, **MEL)(w) * ember.tensor(ref["grad_G_melspec"])).sum().backward()
    assert_close_to_ref(ref.window("grad_melspec", w.grad), ref["grad_melspec"], 1e-5)
    w = wave.double().clone().requires_grad_()
    (T.MelSpectrogram(16000, **MEL).double()(w) *
     ember.tensor(ref["grad_G_melspec"]).double()).sum().backward()
    assert_close_to_ref(ref.window("grad_melspec_f64", w.grad), ref["grad_melspec_f64"], 1e-5)
    w = wave.clone().requires_grad_()
    (T.MFCC(16000, 13, melkwargs=MEL)(w) * ember.tensor(ref["grad_G_mfcc"])).sum().backward()
    # torch's own float32 vs float64 spread for this gradient is 1.9e-5
    assert_close_to_ref(ref.window("grad_mfcc", w.grad), ref["grad_mfcc"], 1e-4)
    w = wave.double().clone().requires_grad_()
    (T.MFCC(16000, 13, melkwargs=MEL).double()(w) *
     ember.tensor(ref["grad_G_mfcc"]).double()).sum().backward()
    assert_close_to_ref(ref.window("grad_mfcc_f64", w.grad), ref["grad_mfcc_f64"], 1e-5)


def test_resample_kaiser_beta_and_lengths(wave):
    from ember_audio.functional.resampling import _KAISER_BETA
    assert math.isclose(_KAISER_BETA, 14.769656459379492)
    assert F.resample(wave, 16000, 22050).shape == (1, math.ceil(64000 * 22050 / 16000))
