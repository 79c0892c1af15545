"""Datasets on small archives with the real layouts (real WAV/FLAC files written by soundfile),
downloaded from a server on 127.0.0.1 through the real download path (checksum, extraction)."""

import hashlib
import io
import tarfile

import numpy as np
import pytest
import soundfile

import ember
from ember.testing.http_server import serve_directory
from ember_audio import datasets
from ember_audio.datasets import librispeech, ljspeech, speechcommands, yesno

RNG = np.random.default_rng(11)


def audio_bytes(n_samples: int, sample_rate: int, fmt: str = "WAV", subtype: str = "PCM_16"):
    """A real encoded file of noise; returns (bytes, the int16 samples written)."""
    samples = (RNG.standard_normal(n_samples) * 3000).astype(np.int16)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue(), samples


def make_tar(path, members: dict, mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    folder = tmp_path / "mirror"
    folder.mkdir()
    with serve_directory(folder) as server:
        server.folder = folder
        yield server


def assert_waveform(waveform, samples):
    assert waveform.dtype == ember.float32 and waveform.shape == (1, len(samples))
    np.testing.assert_array_equal(waveform.numpy()[0], samples / np.float32(32768))


def test_yesno(mirror, tmp_path, monkeypatch):
    files = {name: audio_bytes(800, 8000) for name in ("0_1_0_0_1_0_1_1", "1_1_1_1_0_0_0_0")}
    digest = make_tar(mirror.folder / "waves_yesno.tar.gz",
                      {f"waves_yesno/{k}.wav": v[0] for k, v in files.items()} |
                      {"waves_yesno/README": b"yes/no"})
    monkeypatch.setitem(yesno._RELEASE_CONFIGS["release1"], "checksum", digest)
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.YESNO(root)
    ds = datasets.YESNO(root, url=mirror.url + "/waves_yesno.tar.gz", download=True)
    assert len(ds) == 2
    waveform, sample_rate, labels = ds[0]
    assert sample_rate == 8000 and labels == [0, 1, 0, 0, 1, 0, 1, 1]
    assert_waveform(waveform, files["0_1_0_0_1_0_1_1"][1])
    assert ds[1][2] == [1, 1, 1, 1, 0, 0, 0, 0]


def test_checksum_mismatch_is_refused(mirror, tmp_path, monkeypatch):
    make_tar(mirror.folder / "waves_yesno.tar.gz", {"waves_yesno/1_1_1_1_1_1_1_1.wav": b"x"})
    monkeypatch.setitem(yesno._RELEASE_CONFIGS["release1"], "checksum", "0" * 64)
    with pytest.raises(RuntimeError, match="waves_yesno.tar.gz"):
        datasets.YESNO(tmp_path, url=mirror.url + "/waves_yesno.tar.gz", download=True)
    assert not (tmp_path / "waves_yesno.tar.gz").exists()


def test_archive_escaping_its_folder_is_refused(mirror, tmp_path, monkeypatch):
    digest = make_tar(mirror.folder / "waves_yesno.tar.gz", {"../evil.wav": b"x"})
    monkeypatch.setitem(yesno._RELEASE_CONFIGS["release1"], "checksum", digest)
    with pytest.raises(ValueError, match="evil"):
        datasets.YESNO(tmp_path / "r", url=mirror.url + "/waves_yesno.tar.gz", download=True)
    assert not (tmp_path / "evil.wav").exists()


def test_speechcommands_subsets(mirror, tmp_path, monkeypatch):
    names = ["yes/aaaa1111_nohash_0.wav", "yes/bbbb2222_nohash_1.wav", "no/aaaa1111_nohash_0.wav",
             "no/cccc3333_nohash_2.wav", "up/dddd4444_nohash_0.wav"]
    files = {name: audio_bytes(1600, 16000) for name in names}
    members = {f"./{k}": v[0] for k, v in files.items()}
    members["./_background_noise_/white_noise.wav"] = audio_bytes(4000, 16000)[0]
    members["./validation_list.txt"] = b"yes/bbbb2222_nohash_1.wav\n"
    members["./testing_list.txt"] = b"no/cccc3333_nohash_2.wav\nup/dddd4444_nohash_0.wav\n"
    url = mirror.url + "/speech_commands_v0.02.tar.gz"
    digest = make_tar(mirror.folder / "speech_commands_v0.02.tar.gz", members)
    monkeypatch.setitem(speechcommands._CHECKSUMS, url, digest)
    full = datasets.SPEECHCOMMANDS(tmp_path, url=url, download=True)
    assert len(full) == 5                                   # no background noise
    train = datasets.SPEECHCOMMANDS(tmp_path, url=url, subset="training")
    valid = datasets.SPEECHCOMMANDS(tmp_path, url=url, subset="validation")
    test = datasets.SPEECHCOMMANDS(tmp_path, url=url, subset="testing")
    assert (len(train), len(valid), len(test)) == (2, 1, 2)
    waveform, sr, label, speaker, utterance = valid[0]
    assert (sr, label, speaker, utterance) == (16000, "yes", "bbbb2222", 1)
    assert_waveform(waveform, files["yes/bbbb2222_nohash_1.wav"][1])
    assert {item[2] for item in train} == {"yes", "no"}
    assert test.get_metadata(1)[2:] == ("up", "dddd4444", 0)
    with pytest.raises(ValueError, match="subset"):
        datasets.SPEECHCOMMANDS(tmp_path, url=url, subset="train")


def test_librispeech_from_the_hub_mirror(mirror, tmp_path, monkeypatch):
    chapter = "LibriSpeech/dev-clean/84/121123"
    flac = {f"84-121123-{i:04d}": audio_bytes(1200, 16000, "FLAC") for i in range(2)}
    members = {f"{chapter}/{k}.flac": v[0] for k, v in flac.items()}
    members[f"{chapter}/84-121123.trans.txt"] = (b"84-121123-0000 GO DO YOU HEAR\n"
                                                 b"84-121123-0001 BUT IN LESS THAN FIVE MINUTES\n")
    digest = make_tar(mirror.folder / "dev-clean.tar.gz", members)
    monkeypatch.setitem(librispeech._CHECKSUMS, librispeech._BASE_URL + "dev-clean.tar.gz",
                        digest)
    monkeypatch.setenv("EMBER_HUB_MIRROR", mirror.url)   # the published URL is never reached
    ds = datasets.LIBRISPEECH(tmp_path, url="dev-clean", download=True)
    assert len(ds) == 2
    waveform, sr, transcript, speaker, chapter_id, utterance = ds[1]
    assert (sr, transcript, speaker, chapter_id, utterance) == (
        16000, "BUT IN LESS THAN FIVE MINUTES", 84, 121123, 1)
    assert_waveform(waveform, flac["84-121123-0001"][1])
    assert ds.get_metadata(0)[0].endswith("84-121123-0000.flac")
    with pytest.raises(ValueError, match="Invalid url"):
        datasets.LIBRISPEECH(tmp_path, url="dev-dirty")


def test_ljspeech(mirror, tmp_path, monkeypatch):
    wavs = {f"LJ001-000{i}": audio_bytes(2205, 22050) for i in (1, 2)}
    members = {f"LJSpeech-1.1/wavs/{k}.wav": v[0] for k, v in wavs.items()}
    members["LJSpeech-1.1/metadata.csv"] = (
        b"LJ001-0001|Printing, in the only sense|Printing, in the only sense\n"
        b"LJ001-0002|in 1450 \"quotes\"|in fourteen fifty \"quotes\"\n")
    digest = make_tar(mirror.folder / "LJSpeech-1.1.tar.bz2", members, mode="w:bz2")
    monkeypatch.setitem(ljspeech._RELEASE_CONFIGS["release1"], "checksum", digest)
    ds = datasets.LJSPEECH(tmp_path, url=mirror.url + "/LJSpeech-1.1.tar.bz2", download=True)
    assert len(ds) == 2
    waveform, sr, transcript, normalized = ds[1]
    assert (sr, transcript, normalized) == (22050, 'in 1450 "quotes"',
                                            'in fourteen fifty "quotes"')
    assert_waveform(waveform, wavs["LJ001-0002"][1])
