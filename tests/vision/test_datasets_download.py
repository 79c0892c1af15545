"""Downloads from a local HTTP server on 127.0.0.1 (never the internet): checksums, resuming an
interrupted download with a Range request, corrupt files, unreachable mirrors, archive extraction
that refuses path traversal, and the datasets' download=True paths."""

import gzip
import hashlib
import io
import struct
import tarfile
import zipfile

import numpy as np
import pytest

import ember.hub
from ember_vision import datasets
from ember_vision.datasets.utils import (
    calculate_md5,
    check_integrity,
    download_and_extract_archive,
    download_url,
    verify_str_arg,
)


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def payload(n=300_000, seed=0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_md5_helpers(tmp_path):
    data = payload(5000)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert calculate_md5(path, chunk_size=999) == md5_of(data)
    assert check_integrity(path) and check_integrity(path, md5_of(data))
    assert not check_integrity(path, md5_of(b"other"))
    assert not check_integrity(tmp_path / "missing")
    assert verify_str_arg("b", "arg", ("a", "b")) == "b"
    with pytest.raises(ValueError, match=r"Unknown value 'c' for argument arg. Valid values are "
                                         r"\{'a', 'b'\}."):
        verify_str_arg("c", "arg", ("a", "b"))


def test_download_url_checks_md5_and_skips_verified_files(file_server, tmp_path):
    data = payload()
    (file_server.root / "blob.bin").write_bytes(data)
    target = tmp_path / "dl"
    download_url(file_server.url + "/blob.bin", target, md5=md5_of(data))
    assert (target / "blob.bin").read_bytes() == data
    download_url(file_server.url + "/blob.bin", target, md5=md5_of(data))
    # the second call found a verified file: one request only
    assert [(r.path, r.range) for r in file_server.requests] == [("/blob.bin", None)]


def test_interrupted_download_resumes_with_a_range_request(file_server, tmp_path):
    data = payload()
    (file_server.root / "blob.bin").write_bytes(data)
    file_server.fail_after = 100_000  # the server hangs up after 100 kB
    target = tmp_path / "dl"
    with pytest.raises(ember.hub.DownloadError):
        download_url(file_server.url + "/blob.bin", target, md5=md5_of(data))
    partial = target / "blob.bin.partial"
    assert partial.read_bytes() == data[:100_000] and not (target / "blob.bin").exists()
    file_server.fail_after = None
    download_url(file_server.url + "/blob.bin", target, md5=md5_of(data))
    assert (target / "blob.bin").read_bytes() == data and not partial.exists()
    assert [(r.path, r.range) for r in file_server.requests] == [
        ("/blob.bin", None), ("/blob.bin", "bytes=100000-")]


def test_corrupt_download_is_deleted_and_reported(file_server, tmp_path):
    (file_server.root / "blob.bin").write_bytes(payload())
    wrong = md5_of(b"the published file")
    with pytest.raises(RuntimeError, match=f"blob.bin.*md5 is .*expected {wrong}"):
        download_url(file_server.url + "/blob.bin", tmp_path, md5=wrong)
    assert list(tmp_path.iterdir()) == [file_server.root]  # neither the file nor a .partial


def test_file_urls_work(tmp_path):
    data = payload(1000)
    (tmp_path / "src.bin").write_bytes(data)
    download_url((tmp_path / "src.bin").as_uri(), tmp_path / "out", md5=md5_of(data))
    assert (tmp_path / "out" / "src.bin").read_bytes() == data


def test_unreachable_network_says_where_to_put_the_file(tmp_path, unreachable_url):
    with pytest.raises(ember.hub.DownloadError) as info:
        download_url(unreachable_url("train_32x32.mat"), tmp_path / "svhn")
    assert str(tmp_path / "svhn" / "train_32x32.mat") in str(info.value)


def tar_gz(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name, pack", [("evil.tar.gz", tar_gz), ("evil.zip", zip_bytes)])
def test_archive_with_path_traversal_is_refused(file_server, tmp_path, name, pack):
    archive = pack({"ok.txt": b"fine", "../../escaped.txt": b"evil"})
    (file_server.root / name).write_bytes(archive)
    root = tmp_path / "data"
    with pytest.raises(ValueError, match=rf"{name}.*\.\./\.\./escaped.txt"):
        download_and_extract_archive(f"{file_server.url}/{name}", root, md5=md5_of(archive))
    assert not list(tmp_path.rglob("escaped.txt"))


# ---- download=True of the datasets -----------------------------------------------------------

def idx_gz(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes())


def serve_fashion_mnist(file_server, monkeypatch, mirrors):
    rng = np.random.default_rng(1)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, 6, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, 2, dtype=np.uint8)}
    resources = []
    for stem, array in arrays.items():
        data = idx_gz(array)
        (file_server.root / f"{stem}.gz").write_bytes(data)
        resources.append((f"{stem}.gz", md5_of(data)))
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", mirrors)
    monkeypatch.setattr(datasets.FashionMNIST, "resources", resources)
    return arrays


def test_fashion_mnist_download_from_second_mirror(file_server, tmp_path, monkeypatch,
                                                   unreachable_url):
    arrays = serve_fashion_mnist(file_server, monkeypatch, [unreachable_url(""), file_server.url + "/"])
    ds = datasets.FashionMNIST(tmp_path, train=True, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(ds.targets.numpy(), arrays["train-labels-idx1-ubyte"])
    raw = tmp_path / "FashionMNIST" / "raw"
    # torchvision's layout: the archives and their decompressed files side by side
    assert sorted(p.name for p in raw.iterdir()) == sorted(
        [s for s in arrays] + [s + ".gz" for s in arrays])
    assert len(file_server.requests) == 4
    datasets.FashionMNIST(tmp_path, train=False, download=True)  # already there: no request
    assert len(file_server.requests) == 4


def test_fashion_mnist_download_without_network(tmp_path, monkeypatch, unreachable_url):
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [unreachable_url("")])
    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz") as info:
        datasets.FashionMNIST(tmp_path, download=True)
    message = str(info.value)
    assert str(tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz") in message
    assert "8d4fb7e6c68d591d4c3dfef9ec88bf0d" in message  # torchvision's published MD5


def test_cifar10_download_and_extract(file_server, tmp_path, monkeypatch):
    import pickle

    rows = np.random.default_rng(2).integers(0, 256, (2, 3072), dtype=np.uint8)
    members = {f"cifar-10-batches-py/{name}": pickle.dumps(obj, protocol=2) for name, obj in [
        ("data_batch_1", {"data": rows, "labels": [3, 4]}),
        ("test_batch", {"data": rows[:1], "labels": [5]}),
        ("batches.meta", {"label_names": [f"c{i}" for i in range(10)]})]}
    archive = tar_gz(members)
    (file_server.root / "cifar-10-python.tar.gz").write_bytes(archive)
    sums = {name.split("/")[1]: md5_of(data) for name, data in members.items()}
    monkeypatch.setattr(datasets.CIFAR10, "url", file_server.url + "/cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5_of(archive))
    monkeypatch.setattr(datasets.CIFAR10, "train_list", [["data_batch_1", sums["data_batch_1"]]])
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", sums["test_batch"]]])
    monkeypatch.setattr(datasets.CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                                   "md5": sums["batches.meta"]})
    ds = datasets.CIFAR10(tmp_path, train=True, download=True)
    assert ds.targets == [3, 4] and ds.data.shape == (2, 32, 32, 3)
    assert ds.classes[9] == "c9"


def test_emnist_download_unpacks_the_zip_of_gz_files(file_server, tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 5, dtype=np.uint8)
    archive = zip_bytes({"gzip/emnist-digits-train-images-idx3-ubyte.gz": idx_gz(images),
                         "gzip/emnist-digits-train-labels-idx1-ubyte.gz": idx_gz(labels),
                         "gzip/README.txt": b"not an IDX file"})
    (file_server.root / "gzip.zip").write_bytes(archive)
    monkeypatch.setattr(datasets.EMNIST, "url", file_server.url + "/gzip.zip")
    monkeypatch.setattr(datasets.EMNIST, "md5", md5_of(archive))
    ds = datasets.EMNIST(tmp_path, split="digits", download=True)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    raw = tmp_path / "EMNIST" / "raw"
    assert not (raw / "gzip").exists()  # the unpacked folder is removed, like torchvision
    assert (raw / "emnist-digits-train-images-idx3-ubyte").is_file()
