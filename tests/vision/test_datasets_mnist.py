"""IDX parsing and the MNIST family, on real-format files written here byte by byte with struct."""

import gzip
import lzma
import struct

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision import datasets
from ember_vision.datasets.idx_format import read_idx

TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
              np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written from the format's definition (independently of
    the parser): magic 0x00 0x00 <type> <ndim>, big-endian uint32 dims, big-endian data."""
    code = TYPE_CODES[array.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress=None):
    data = idx_bytes(array)
    if compress == "gz":
        data, path = gzip.compress(data), path.with_name(path.name + ".gz")
    elif compress == "xz":
        data, path = lzma.compress(data), path.with_name(path.name + ".xz")
    path.write_bytes(data)
    return path


def make_split(raw, prefix, n, seed, compress=None, height=28, width=28):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, height, width), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    write_idx(raw / f"{prefix}-images-idx3-ubyte", images, compress)
    write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, compress)
    return images, labels


# ---- the IDX parser -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(TYPE_CODES))
@pytest.mark.parametrize("compress", [None, "gz", "xz"])
def test_read_idx_round_trips_every_type(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = write_idx(tmp_path / "a-idx3", array, compress)
    parsed = read_idx(path)
    assert parsed.dtype == np.dtype(dtype) and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, array)


def test_read_idx_multibyte_values_are_big_endian_on_disk(tmp_path):
    path = tmp_path / "x"
    # 0x01020304 written big-endian by hand: a little-endian reader would see 0x04030201
    path.write_bytes(b"\x00\x00\x0c\x01" + struct.pack(">I", 1) + b"\x01\x02\x03\x04")
    assert read_idx(path).tolist() == [0x01020304]


@pytest.mark.parametrize("data, message", [
    (b"\x00\x00", "shorter than the 4-byte magic"),
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "magic number starts with bytes 0x01"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX type code 0x07 at byte 2"),
    (b"\x00\x00\x08\x00", "declares 0 dimensions"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated IDX header"),
    (b"\x00\x00\x08\x02" + struct.pack(">2I", 2, 3) + b"\x00" * 5, r"shape \(2, 3\).*has 5"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x00" * 3, r"shape \(2,\).*has 3"),
])
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, data, message):
    path = tmp_path / "bad-idx-file"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert "bad-idx-file" in str(info.value)


def test_read_idx_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(10, np.uint8)))[:-12])
    with pytest.raises(ValueError, match="broken.gz: corrupt compressed IDX"):
        read_idx(path)


# ---- MNIST and relatives --------------------------------------------------------------------

@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
@pytest.mark.parametrize("compress", [None, "gz"])
def test_mnist_family_reads_its_layout(tmp_path, cls, compress):
    raw = tmp_path / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    train = make_split(raw, "train", 7, seed=1, compress=compress)
    test = make_split(raw, "t10k", 3, seed=2, compress=compress)
    for is_train, (images, labels) in ((True, train), (False, test)):
        ds = cls(tmp_path, train=is_train)
        assert len(ds) == len(images)
        assert ds.data.dtype == ember.uint8 and ds.targets.dtype == ember.int64
        np.testing.assert_array_equal(ds.data.numpy(), images)
        np.testing.assert_array_equal(ds.targets.numpy(), labels)
        image, target = ds[2]
        assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(image), images[2])
        assert type(target) is int and target == labels[2]
    assert ds.raw_folder == str(raw)
    assert ds.class_to_idx[ds.classes[3]] == 3 and len(ds.classes) == 10


def test_mnist_transforms_are_applied(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = make_split(raw, "t10k", 4, seed=3)
    ds = datasets.MNIST(tmp_path, train=False, transform=lambda im: np.asarray(im).sum(),
                        target_transform=lambda t: t + 100)
    assert ds[1] == (int(images[1].sum()), int(labels[1]) + 100)


def test_vision_dataset_joint_transforms_exclude_separate_ones():
    class Pairs(datasets.VisionDataset):
        def __getitem__(self, i):
            return self._apply_transforms(i, -i)

    assert Pairs(None, transforms=lambda x, t: (x * 2, t * 3))[2] == (4, -6)
    assert Pairs(None, target_transform=abs)[2] == (2, 2)
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        Pairs(None, transform=str, transforms=lambda a, b: (a, b))


def test_mnist_missing_files_error_says_where_to_put_them(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found") as info:
        datasets.FashionMNIST(tmp_path, train=True)
    assert str(tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte") in str(info.value)


def test_mnist_mismatched_image_and_label_counts(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    make_split(raw, "train", 5, seed=4)
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        datasets.MNIST(tmp_path)


def test_mnist_rejects_labels_file_with_images(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    make_split(raw, "train", 5, seed=4)
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros((5, 2), np.uint8))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: labels should have 1 dimension"):
        datasets.MNIST(tmp_path)


def test_emnist_split_files_and_classes(tmp_path):
    raw = tmp_path / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = make_split(raw, "emnist-letters-test", 6, seed=5)
    ds = datasets.EMNIST(tmp_path, split="letters", train=False)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.classes == ["N/A"] + list("abcdefghijklmnopqrstuvwxyz")
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(tmp_path, split="nope")


def test_qmnist_compat_targets_and_test_subsets(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, (12, 8)).astype(np.int32)
    write_idx(raw / "qmnist-test-images-idx3-ubyte", images, "gz")
    write_idx(raw / "qmnist-test-labels-idx2-int", labels, "gz")
    ds = datasets.QMNIST(tmp_path, what="test")
    assert len(ds) == 12 and ds[5][1] == labels[5, 0]
    full = datasets.QMNIST(tmp_path, what="test", compat=False)
    np.testing.assert_array_equal(full[5][1].numpy(), labels[5])
    assert full.targets.dtype == ember.int64
    # test10k / test50k slice the 60k test file at 10,000: here all 12 are in test10k
    assert len(datasets.QMNIST(tmp_path, what="test10k")) == 12
    assert len(datasets.QMNIST(tmp_path, what="test50k")) == 0
