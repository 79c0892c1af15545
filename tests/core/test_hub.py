"""ember.hub downloads and ember.utils.archive extraction, against a real HTTP server on
127.0.0.1 (ember.testing.http_server) — never the internet."""

import gzip
import hashlib
import io
import os
import socket
import tarfile
import zipfile

import numpy as np
import pytest

import ember
from ember.hub import DownloadError, download_url_to_file, load_state_dict_from_url
from ember.testing.http_server import serve_directory
from ember.utils.archive import extract_archive

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, not all equal bytes: a shifted resume would show


@pytest.fixture
def mirror(tmp_path):
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "data.bin").write_bytes(PAYLOAD)
    with serve_directory(folder) as server:
        yield server


def test_download_verifies_md5_and_sha256(mirror, tmp_path):
    dst = tmp_path / "out" / "data.bin"
    download_url_to_file(mirror.url + "/data.bin", dst, progress=False,
                         md5=hashlib.md5(PAYLOAD).hexdigest(),
                         sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assert dst.read_bytes() == PAYLOAD
    assert not os.path.exists(str(dst) + ".partial")


def test_wrong_checksum_deletes_the_file_and_names_it(mirror, tmp_path):
    dst = tmp_path / "data.bin"
    with pytest.raises(RuntimeError, match=r"data\.bin.*md5 is [0-9a-f]{32}, expected 0+"):
        download_url_to_file(mirror.url + "/data.bin", dst, progress=False, md5="0" * 32)
    assert not dst.exists() and not os.path.exists(str(dst) + ".partial")


def test_sha256_prefix_as_torch_hub(mirror, tmp_path):
    prefix = hashlib.sha256(PAYLOAD).hexdigest()[:8]
    download_url_to_file(mirror.url + "/data.bin", tmp_path / "a", prefix, progress=False)
    with pytest.raises(RuntimeError, match="sha256"):
        download_url_to_file(mirror.url + "/data.bin", tmp_path / "b", "deadbeef", progress=False)


def test_interrupted_download_resumes_with_a_range_request(mirror, tmp_path):
    dst = tmp_path / "data.bin"
    mirror.fail_after = 300_000  # the server drops the connection mid-body
    with pytest.raises(DownloadError):
        download_url_to_file(mirror.url + "/data.bin", dst, progress=False)
    partial = str(dst) + ".partial"
    assert os.path.getsize(partial) == 300_000 and not dst.exists()
    mirror.fail_after = None
    download_url_to_file(mirror.url + "/data.bin", dst, progress=False,
                         sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assert mirror.requests[-1].range == "bytes=300000-"
    assert dst.read_bytes() == PAYLOAD


def test_unreachable_network_says_where_to_put_the_file(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dst = tmp_path / "weights.pth"
    with pytest.raises(DownloadError, match=f"place it at {dst}"):
        download_url_to_file(f"http://127.0.0.1:{port}/weights.pth", dst, progress=False)


def test_http_404_is_a_download_error(mirror, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_url_to_file(mirror.url + "/missing.bin", tmp_path / "x", progress=False)


def test_mirror_folder_is_tried_first(tmp_path, monkeypatch):
    folder = tmp_path / "offline"
    folder.mkdir()
    (folder / "data.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv("EMBER_HUB_MIRROR", str(folder))
    dst = tmp_path / "data.bin"
    download_url_to_file("http://unreachable.invalid/models/data.bin", dst, progress=False)
    assert dst.read_bytes() == PAYLOAD


def test_load_state_dict_from_url_caches_and_checks_hash(tmp_path, monkeypatch):
    sd = {"weight": ember.arange(6.0).reshape(2, 3), "bias": ember.tensor([1.0, -1.0])}
    buf = io.BytesIO()
    ember.save(sd, buf)
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    folder = tmp_path / "mirror"
    folder.mkdir()
    good, bad = f"tiny-{digest[:8]}.pth", "tiny-00000000.pth"
    (folder / good).write_bytes(buf.getvalue())
    (folder / bad).write_bytes(buf.getvalue())
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    with serve_directory(folder) as server:
        loaded = load_state_dict_from_url(f"{server.url}/{good}", check_hash=True, progress=False)
        np.testing.assert_array_equal(loaded["weight"].numpy(), sd["weight"].numpy())
        cached = tmp_path / "home" / "hub" / "checkpoints" / good
        assert cached.exists()
        n = len(server.requests)
        load_state_dict_from_url(f"{server.url}/{good}", check_hash=True, progress=False)
        assert len(server.requests) == n  # served from the cache
        with pytest.raises(RuntimeError, match="corrupt"):
            load_state_dict_from_url(f"{server.url}/{bad}", check_hash=True, progress=False)


# --- archives ---------------------------------------------------------------------------------

def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_tar_zip_and_gz_extract(tmp_path):
    _tar(tmp_path / "a.tar.gz", [_file("d/one.txt", b"1"), _link("d/ln", "one.txt")])
    out = extract_archive(tmp_path / "a.tar.gz", tmp_path / "x")
    assert out == str(tmp_path / "x")
    assert (tmp_path / "x/d/one.txt").read_bytes() == b"1"
    assert (tmp_path / "x/d/ln").read_bytes() == b"1"
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as z:
        z.writestr("z/two.txt", "2")
    extract_archive(tmp_path / "b.zip", tmp_path / "y")
    assert (tmp_path / "y/z/two.txt").read_text() == "2"
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"a,b\n"))
    assert extract_archive(tmp_path / "c.csv.gz", tmp_path / "z") == str(tmp_path / "z/c.csv")
    assert (tmp_path / "z/c.csv").read_bytes() == b"a,b\n"


@pytest.mark.parametrize("member", [
    _file("../evil.txt"), _file("/abs/evil.txt"), _file("ok/../../evil.txt"),
    _link("ln", "../../outside"), _link("ln", "/etc/passwd"), _link("hl", "../x", tarfile.LNKTYPE),
])
def test_tar_path_traversal_is_refused_before_anything_is_written(tmp_path, member):
    _tar(tmp_path / "evil.tar.gz", [_file("first.txt"), member])
    with pytest.raises(ValueError, match=r"evil\.tar\.gz: member"):
        extract_archive(tmp_path / "evil.tar.gz", tmp_path / "out")
    assert not (tmp_path / "out" / "first.txt").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_zip_path_traversal_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as z:
        z.writestr("../evil.txt", "x")
    with pytest.raises(ValueError, match=r"evil\.zip: member '\.\./evil\.txt'"):
        extract_archive(tmp_path / "evil.zip", tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_corrupt_archive_names_the_file(tmp_path):
    (tmp_path / "bad.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ValueError, match=r"bad\.tar\.gz: corrupt"):
        extract_archive(tmp_path / "bad.tar.gz", tmp_path / "out")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b\x08\x00 truncated")
    with pytest.raises(ValueError, match=r"bad\.gz: corrupt"):
        extract_archive(tmp_path / "bad.gz", tmp_path / "out")
