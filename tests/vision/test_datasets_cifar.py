"""CIFAR-10/100 on batch files pickled here like the originals (protocol 2, NumPy arrays), and
the restricted unpickler that reads them: no global outside NumPy's array helpers is resolved."""

import hashlib
import os
import pickle

import numpy as np
import pytest
from PIL import Image

from ember_vision import datasets
from ember_vision.datasets.restricted_pickle import restricted_load


def dump(path, obj):
    path.write_bytes(pickle.dumps(obj, protocol=2))
    return hashlib.md5(path.read_bytes()).hexdigest()


def cifar_rows(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, 3072), dtype=np.uint8)


def expected_hwc(rows):
    """CIFAR's row layout, from its documentation: 1024 red, 1024 green, 1024 blue values, each
    plane row-major 32 x 32. Built with explicit index arithmetic, not the dataset's reshape."""
    n = len(rows)
    y, x, c = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), indexing="ij")
    return np.stack([rows[i][c * 1024 + y * 32 + x] for i in range(n)])


@pytest.fixture
def cifar10_root(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches, train_list = [], []
    for i in range(1, 6):
        rows, labels = cifar_rows(3, seed=i), [int(v) for v in np.arange(3) + i]
        md5 = dump(folder / f"data_batch_{i}", {"batch_label": f"training batch {i} of 5",
                                                "labels": labels, "data": rows,
                                                "filenames": [f"img{j}.png" for j in range(3)]})
        batches.append((rows, labels))
        train_list.append([f"data_batch_{i}", md5])
    test_rows = cifar_rows(4, seed=9)
    test_md5 = dump(folder / "test_batch", {"labels": [9, 8, 7, 6], "data": test_rows})
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    meta_md5 = dump(folder / "batches.meta", {"label_names": names, "num_vis": 3072})
    # the published MD5s are for the real files: point the class at ours
    monkeypatch.setattr(datasets.CIFAR10, "train_list", train_list)
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", test_md5]])
    monkeypatch.setattr(datasets.CIFAR10, "meta", {**datasets.CIFAR10.meta, "md5": meta_md5})
    return tmp_path, batches, (test_rows, [9, 8, 7, 6]), names


def test_cifar10_train_and_test(cifar10_root):
    root, batches, (test_rows, test_labels), names = cifar10_root
    train = datasets.CIFAR10(root, train=True)
    all_rows = np.concatenate([rows for rows, _ in batches])
    assert len(train) == 15 and train.data.shape == (15, 32, 32, 3)
    np.testing.assert_array_equal(train.data, expected_hwc(all_rows))
    assert train.targets == [label for _, labels in batches for label in labels]
    assert train.classes == names and train.class_to_idx["cat"] == 3
    image, target = train[4]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(image), expected_hwc(all_rows[4:5])[0])
    assert target == batches[1][1][1]
    test = datasets.CIFAR10(root, train=False, target_transform=lambda t: t * 10)
    np.testing.assert_array_equal(test.data, expected_hwc(test_rows))
    assert [test[i][1] for i in range(4)] == [90, 80, 70, 60]


def test_cifar10_checksum_mismatch_is_not_found(cifar10_root):
    root = cifar10_root[0]
    with open(root / "cifar-10-batches-py" / "data_batch_3", "ab") as f:
        f.write(b"\x00")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted") as info:
        datasets.CIFAR10(root)
    assert "data_batch_3" in str(info.value)


def test_cifar100_fine_labels(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rows = cifar_rows(5, seed=3)
    fine, coarse = [11, 22, 33, 44, 99], [1, 2, 3, 4, 5]
    train_md5 = dump(folder / "train", {"data": rows, "fine_labels": fine, "coarse_labels": coarse})
    test_md5 = dump(folder / "test", {"data": rows[:2], "fine_labels": fine[:2],
                                      "coarse_labels": coarse[:2]})
    names = [f"class{i}" for i in range(100)]
    meta_md5 = dump(folder / "meta", {"fine_label_names": names, "coarse_label_names": ["c"] * 20})
    monkeypatch.setattr(datasets.CIFAR100, "train_list", [["train", train_md5]])
    monkeypatch.setattr(datasets.CIFAR100, "test_list", [["test", test_md5]])
    monkeypatch.setattr(datasets.CIFAR100, "meta", {**datasets.CIFAR100.meta, "md5": meta_md5})
    ds = datasets.CIFAR100(tmp_path)
    np.testing.assert_array_equal(ds.data, expected_hwc(rows))
    assert ds.targets == fine and ds.classes == names and ds[4][1] == 99


def test_cifar_rejects_batches_of_the_wrong_shape(cifar10_root, monkeypatch):
    root = cifar10_root[0]
    path = root / "cifar-10-batches-py" / "test_batch"
    md5 = dump(path, {"labels": [1, 2], "data": np.zeros((2, 100), np.uint8)})
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5]])
    with pytest.raises(ValueError, match=r"test_batch: 'data' should be a uint8 array of shape "
                                         r"\(N, 3072\), got uint8 \(2, 100\)"):
        datasets.CIFAR10(root, train=False)


# ---- the restricted unpickler ----------------------------------------------------------------

class RunsCode:
    """Unpickling this with plain pickle would call os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_load_refuses_code_and_does_not_run_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({"data": RunsCode(marker)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"data_batch_1: refusing to load global "
                                                     r"'(posix|os|nt)\.system'"):
        restricted_load(path)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    {"x": np.array([object(), 1], dtype=object)[1:]},          # an object array
    {"x": Image.new("L", (2, 2))},                              # any other class
])
def test_restricted_load_refuses_other_objects(tmp_path, payload):
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="batch: refusing"):
        restricted_load(path)


def test_restricted_load_reads_numpy_arrays_of_every_protocol(tmp_path):
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)[:, ::2]
    for protocol in (2, 3, 4, 5):
        path = tmp_path / f"p{protocol}"
        path.write_bytes(pickle.dumps({"a": array, "b": [1, "x", b"y"]}, protocol=protocol))
        loaded = restricted_load(path)
        np.testing.assert_array_equal(loaded["a"], array)
        assert loaded["b"] == [1, "x", b"y"]


def test_restricted_load_truncated_file(tmp_path):
    path = tmp_path / "cut"
    path.write_bytes(pickle.dumps({"data": np.zeros(100, np.uint8)}, protocol=2)[:-30])
    with pytest.raises(pickle.UnpicklingError, match="cut"):
        restricted_load(path)
