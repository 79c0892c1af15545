"""The real Fashion-MNIST files of Debian's ``dataset-fashion-mnist`` (skipped where absent).

Debian normalised the gzip headers of the published files (strip-nondeterminism: the stored
file name is dropped and the timestamp set to the package date), so the ``.gz`` files are not
byte-identical to the published ones and their MD5 differs from torchvision's. The compressed
stream, CRC and size are untouched, though: putting back the original header (flag FNAME, the
original timestamp, the file name) rebuilds the published files exactly, which the first test
checks against torchvision's published MD5s.
"""

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from ember_vision import datasets

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
# name -> (torchvision's published MD5, the gzip MTIME of the published file)
PUBLISHED = {
    "train-images-idx3-ubyte": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", 1504176606),
    "train-labels-idx1-ubyte": ("25c81989df183df01b3e8a0aad5dffbe", 1504176606),
    "t10k-images-idx3-ubyte": ("bef4ecab320f06d8554ea6380940ec79", 1504176627),
    "t10k-labels-idx1-ubyte": ("bb300cfdad3c16e7a12a480ee83cd310", 1504176627),
}

pytestmark = pytest.mark.skipif(not (DEBIAN / "t10k-labels-idx1-ubyte.gz").exists(),
                                reason="Debian's dataset-fashion-mnist is not installed")


def test_debian_files_are_the_published_ones():
    for stem, (md5, mtime) in PUBLISHED.items():
        data = (DEBIAN / f"{stem}.gz").read_bytes()
        assert data[:4] == b"\x1f\x8b\x08\x00"  # deflate, no flags: the name was dropped
        original = (b"\x1f\x8b\x08\x08" + struct.pack("<I", mtime) + data[8:10]
                    + stem.encode() + b"\x00" + data[10:])
        assert hashlib.md5(original).hexdigest() == md5, stem
    assert [md5 for _, md5 in datasets.FashionMNIST.resources] == [
        PUBLISHED[name.removesuffix(".gz")][0] for name, _ in datasets.FashionMNIST.resources]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fmnist")
    (root / "FashionMNIST").mkdir()
    (root / "FashionMNIST" / "raw").symlink_to(DEBIAN)
    return root


def test_fashion_mnist_reads_the_debian_files(root):
    train = datasets.FashionMNIST(root, train=True)
    test = datasets.FashionMNIST(root, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert tuple(train.data.shape) == (60000, 28, 28)
    # published facts: the classes are balanced, 6,000 / 1,000 images each
    assert np.bincount(train.targets.numpy()).tolist() == [6000] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [1000] * 10
    # the first test image is an ankle boot (class 9), as in Zalando's README figure
    image, label = test[0]
    assert image.mode == "L" and image.size == (28, 28)
    assert test.classes[label] == "Ankle boot"
    assert np.asarray(image).dtype == np.uint8 and np.asarray(image).max() > 200
