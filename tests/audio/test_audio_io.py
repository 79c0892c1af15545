"""load / save / info on the fixture files (decoded values from the torchaudio reference set)
and on files written here, through every WAV/FLAC/OGG encoding path."""

import io
import wave as wavmod

import numpy as np
import pytest
import soundfile
from audio_testutils import FIXTURES

import ember
import ember_audio


def test_load_arctic_matches_reference(ref):
    waveform, sr = ember_audio.load(FIXTURES / "arctic_a0007.wav")
    assert sr == 16000 and waveform.dtype == ember.float32 and waveform.shape == (1, 64000)
    np.testing.assert_array_equal(ref.window("wave", waveform), ref["wave"])
    # the raw int16 samples, checked against Python's own wave module
    raw, _ = ember_audio.load(FIXTURES / "arctic_a0007.wav", normalize=False)
    with wavmod.open(str(FIXTURES / "arctic_a0007.wav")) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert raw.dtype == ember.int16
    np.testing.assert_array_equal(raw.numpy()[0], pcm)
    np.testing.assert_array_equal(waveform.numpy()[0], pcm / np.float32(32768))


def test_load_flac_24_bit(ref):
    waveform, sr = ember_audio.load(FIXTURES / "synth_mono_48k_pcm24.flac")
    assert sr == int(ref["synth_flac_sr"]) and waveform.shape == (1, 72000)
    np.testing.assert_array_equal(ref.window("synth_flac_int24", waveform),
                                  ref["synth_flac_int24"] / np.float32(2 ** 23))
    meta = ember_audio.info(FIXTURES / "synth_mono_48k_pcm24.flac")
    assert meta == ember_audio.AudioMetaData(48000, 72000, 1, 24, "FLAC")


def test_frame_offset_num_frames_channels_first():
    full, _ = ember_audio.load(FIXTURES / "arctic_a0007.wav")
    part, _ = ember_audio.load(FIXTURES / "arctic_a0007.wav", frame_offset=1000, num_frames=500)
    np.testing.assert_array_equal(part.numpy(), full.numpy()[:, 1000:1500])
    last, _ = ember_audio.load(FIXTURES / "arctic_a0007.wav", frame_offset=63990)
    assert last.shape == (1, 10)
    t, _ = ember_audio.load(FIXTURES / "arctic_a0007.wav", channels_first=False)
    assert t.shape == (64000, 1)


@pytest.mark.parametrize("dtype, kwargs, subtype, bits, encoding, load_dtype", [
    (ember.float32, {}, "FLOAT", 32, "PCM_F", ember.float32),
    (ember.float64, {}, "DOUBLE", 64, "PCM_F", ember.float64),
    (ember.int16, {}, "PCM_16", 16, "PCM_S", ember.int16),
    (ember.int32, {}, "PCM_32", 32, "PCM_S", ember.int32),
    (ember.float32, {"encoding": "PCM_S", "bits_per_sample": 16}, "PCM_16", 16, "PCM_S",
     ember.int16),
    (ember.float32, {"encoding": "PCM_U", "bits_per_sample": 8}, "PCM_U8", 8, "PCM_U",
     ember.uint8),
    (ember.float32, {"encoding": "ULAW"}, "ULAW", 8, "ULAW", None),
])
def test_wav_round_trip(tmp_path, dtype, kwargs, subtype, bits, encoding, load_dtype):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.9, 0.9, (2, 800))
    if dtype == ember.int16:
        src = ember.tensor((x * 32767).astype(np.int16))
    elif dtype == ember.int32:
        src = ember.tensor((x * 2 ** 31).astype(np.int32))
    else:
        src = ember.tensor(x, dtype=dtype)
    path = tmp_path / "x.wav"
    ember_audio.save(path, src, 8000, **kwargs)
    assert soundfile.info(str(path)).subtype == subtype
    assert ember_audio.info(path) == ember_audio.AudioMetaData(8000, 800, 2, bits, encoding)
    back, sr = ember_audio.load(path)
    assert sr == 8000 and back.dtype == ember.float32 and back.shape == (2, 800)
    expected = {ember.int16: src.numpy() / 2 ** 15, ember.int32: src.numpy() / 2 ** 31}.get(dtype, x)
    step = {8: 2 / 256, 16: 2 / 65536}.get(bits, 1e-6)
    tol = 0.05 if encoding == "ULAW" else step
    np.testing.assert_allclose(back.numpy(), expected, atol=tol)
    if load_dtype is not None:
        raw, _ = ember_audio.load(path, normalize=False)
        assert raw.dtype == load_dtype
    if dtype in (ember.int16, ember.int32):
        np.testing.assert_array_equal(raw.numpy(), src.numpy())


def test_flac_and_ogg_round_trip(tmp_path):
    t = np.arange(16000) / 16000
    x = 0.5 * np.sin(2 * np.pi * 440 * t)[None]
    ember_audio.save(tmp_path / "a.flac", ember.tensor(x, dtype=ember.float32), 16000,
                     bits_per_sample=24)
    back, _ = ember_audio.load(tmp_path / "a.flac")
    np.testing.assert_allclose(back.numpy(), x, atol=2 ** -23)
    assert ember_audio.info(tmp_path / "a.flac").bits_per_sample == 24
    ember_audio.save(tmp_path / "a.ogg", ember.tensor(x, dtype=ember.float32), 16000)
    meta = ember_audio.info(tmp_path / "a.ogg")
    assert (meta.encoding, meta.sample_rate, meta.num_channels) == ("VORBIS", 16000, 1)
    back, _ = ember_audio.load(tmp_path / "a.ogg")
    # lossy: the tone survives (correlation), not the exact samples
    n = min(back.shape[1], x.shape[1])
    assert np.corrcoef(back.numpy()[0, :n], x[0, :n])[0, 1] > 0.99


def test_mp3_where_libsndfile_has_it(tmp_path):
    if "MP3" not in soundfile.available_formats():
        pytest.skip(f"libsndfile {soundfile.__libsndfile_version__} has no MP3")
    t = np.arange(16000) / 16000
    x = (0.5 * np.sin(2 * np.pi * 440 * t))[None].astype(np.float32)
    ember_audio.save(tmp_path / "a.mp3", ember.tensor(x), 16000)
    meta = ember_audio.info(tmp_path / "a.mp3")
    assert (meta.encoding, meta.sample_rate, meta.bits_per_sample) == ("MP3", 16000, 0)
    back, _ = ember_audio.load(tmp_path / "a.mp3")
    # MP3 adds an encoder delay: compare the spectra's peaks instead of samples
    assert abs(np.argmax(np.abs(np.fft.rfft(back.numpy()[0]))) * 16000 / back.shape[1] - 440) < 2


def test_load_from_file_object():
    data = (FIXTURES / "arctic_a0007.wav").read_bytes()
    waveform, sr = ember_audio.load(io.BytesIO(data))
    assert sr == 16000 and waveform.shape == (1, 64000)


def test_save_errors(tmp_path):
    with pytest.raises(ValueError, match="2D"):
        ember_audio.save(tmp_path / "a.wav", ember.zeros(10), 8000)
    with pytest.raises(ValueError, match="bits_per_sample"):
        ember_audio.save(tmp_path / "a.wav", ember.zeros(1, 10), 8000, bits_per_sample=12)
    with pytest.raises(ValueError, match="flac does not support bits_per_sample > 24"):
        ember_audio.save(tmp_path / "a.flac", ember.zeros(1, 10), 8000, bits_per_sample=32)
    with pytest.raises(ValueError, match="Unsupported format"):
        ember_audio.save(tmp_path / "a.xyz", ember.zeros(1, 10), 8000)


def test_corrupt_and_truncated_files_name_the_file(tmp_path):
    data = (FIXTURES / "arctic_a0007.wav").read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[:50000])
    with pytest.raises(RuntimeError, match=r"cut\.wav.*truncated"):
        ember_audio.load(cut)
    with pytest.raises(RuntimeError, match=r"cut\.wav.*truncated"):
        ember_audio.info(cut)
    # a float WAV has "fact" and "PEAK" chunks before "data": the chunk walk must skip them
    floats = tmp_path / "floats.wav"
    ember_audio.save(floats, ember.zeros(2, 4000), 16000)
    floats.write_bytes(floats.read_bytes()[:20000])
    with pytest.raises(RuntimeError, match=r"floats\.wav.*truncated"):
        ember_audio.load(floats)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF" + bytes(200))
    with pytest.raises(RuntimeError, match=r"junk\.wav"):
        ember_audio.load(junk)
    flac = (FIXTURES / "synth_mono_48k_pcm24.flac").read_bytes()
    bad_flac = tmp_path / "bad.flac"
    bad_flac.write_bytes(flac[:100000])
    with pytest.raises(RuntimeError, match=r"bad\.flac"):
        ember_audio.load(bad_flac)
    with pytest.raises(RuntimeError, match=r"missing\.wav"):
        ember_audio.load(tmp_path / "missing.wav")
    with pytest.raises(ValueError, match="frame_offset"):
        ember_audio.load(FIXTURES / "arctic_a0007.wav", frame_offset=70000)
