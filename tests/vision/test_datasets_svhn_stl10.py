"""SVHN on .mat files written with scipy.io.savemat, STL-10 on binary files written with NumPy."""

import hashlib
import sys

import numpy as np
import pytest
from PIL import Image

from ember_vision import datasets


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def svhn_root(tmp_path, monkeypatch):
    scipy_io = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (32, 32, 3, 6), dtype=np.uint8)  # the files' (H, W, C, N)
    labels = np.array([[10], [1], [2], [10], [9], [5]], dtype=np.uint8)  # 10 means digit 0
    scipy_io.savemat(tmp_path / "test_32x32.mat", {"X": images, "y": labels})
    split = datasets.SVHN.split_list["test"]
    monkeypatch.setitem(datasets.SVHN.split_list, "test",
                        [split[0], split[1], md5(tmp_path / "test_32x32.mat")])
    return tmp_path, images, labels


def test_svhn_reads_mat_and_maps_label_10_to_0(svhn_root):
    root, images, labels = svhn_root
    ds = datasets.SVHN(root, split="test")
    assert len(ds) == 6 and ds.data.shape == (6, 3, 32, 32)
    assert ds.labels.tolist() == [0, 1, 2, 0, 9, 5]
    for i in range(6):
        image, target = ds[i]
        assert isinstance(image, Image.Image) and image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), images[:, :, :, i])
        assert target == labels[i, 0] % 10


def test_svhn_without_scipy_says_what_to_install(svhn_root, monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.io", None)  # makes `import scipy.io` fail
    with pytest.raises(ImportError, match="pip install scipy"):
        datasets.SVHN(svhn_root[0], split="test")


def test_svhn_errors(svhn_root, tmp_path):
    with pytest.raises(ValueError, match="Unknown value 'valid' for argument split"):
        datasets.SVHN(svhn_root[0], split="valid")
    with pytest.raises(RuntimeError, match="train_32x32.mat"):
        datasets.SVHN(svhn_root[0], split="train")


def test_svhn_mat_without_expected_variables(tmp_path, monkeypatch):
    scipy_io = pytest.importorskip("scipy.io")
    scipy_io.savemat(tmp_path / "extra_32x32.mat", {"images": np.zeros((2, 2))})
    split = datasets.SVHN.split_list["extra"]
    monkeypatch.setitem(datasets.SVHN.split_list, "extra",
                        [split[0], split[1], md5(tmp_path / "extra_32x32.mat")])
    with pytest.raises(ValueError, match=r"extra_32x32.mat: expected variables 'X' and 'y', "
                                         r"found \['images'\]"):
        datasets.SVHN(tmp_path, split="extra")


@pytest.fixture
def stl10_root(tmp_path, monkeypatch):
    folder = tmp_path / "stl10_binary"
    folder.mkdir()
    rng = np.random.default_rng(1)
    # the binary release stores each channel column-major: write (N, C, W, H) in C order
    train_hwc = rng.integers(0, 256, (4, 96, 96, 3), dtype=np.uint8)
    test_hwc = rng.integers(0, 256, (2, 96, 96, 3), dtype=np.uint8)
    unlabeled_hwc = rng.integers(0, 256, (3, 96, 96, 3), dtype=np.uint8)
    for name, hwc in (("train_X.bin", train_hwc), ("test_X.bin", test_hwc),
                      ("unlabeled_X.bin", unlabeled_hwc)):
        (folder / name).write_bytes(hwc.transpose(0, 3, 2, 1).tobytes())
    (folder / "train_y.bin").write_bytes(bytes([1, 10, 3, 4]))  # 1-based on disk
    (folder / "test_y.bin").write_bytes(bytes([2, 7]))
    (folder / "fold_indices.txt").write_text("3 1\n0 2\n" + "0\n" * 8)
    (folder / "class_names.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    sums = {name: md5(folder / name) for name in ("train_X.bin", "train_y.bin", "unlabeled_X.bin",
                                                  "test_X.bin", "test_y.bin")}
    monkeypatch.setattr(datasets.STL10, "train_list",
                        [[n, sums[n]] for n in ("train_X.bin", "train_y.bin", "unlabeled_X.bin")])
    monkeypatch.setattr(datasets.STL10, "test_list",
                        [[n, sums[n]] for n in ("test_X.bin", "test_y.bin")])
    return tmp_path, train_hwc, test_hwc, unlabeled_hwc


def test_stl10_splits_and_folds(stl10_root):
    root, train_hwc, test_hwc, unlabeled_hwc = stl10_root
    train = datasets.STL10(root, split="train")
    assert train.labels.tolist() == [0, 9, 2, 3] and train.classes[9] == "c9"
    for i in range(4):
        np.testing.assert_array_equal(np.asarray(train[i][0]), train_hwc[i])
    test = datasets.STL10(root, split="test")
    np.testing.assert_array_equal(np.asarray(test[1][0]), test_hwc[1])
    assert test[1][1] == 6
    fold = datasets.STL10(root, split="train", folds=0)
    assert fold.labels.tolist() == [3, 9]
    np.testing.assert_array_equal(np.asarray(fold[0][0]), train_hwc[3])
    both = datasets.STL10(root, split="train+unlabeled")
    assert len(both) == 7 and both.labels.tolist()[4:] == [-1, -1, -1]
    np.testing.assert_array_equal(np.asarray(both[6][0]), unlabeled_hwc[2])
    with pytest.raises(ValueError, match="folds should be in the range"):
        datasets.STL10(root, folds=10)
