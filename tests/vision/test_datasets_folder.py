"""ImageFolder / DatasetFolder on a folder tree made here, and FakeData."""

import numpy as np
import pytest
from PIL import Image

from ember_vision import datasets
from ember_vision.datasets.folder import find_classes, make_dataset


@pytest.fixture
def tree(tmp_path):
    """root/{cat,dog,empty_not}/...: PNGs, a JPEG in a nested folder, and non-image files."""
    rng = np.random.default_rng(0)
    pixels = {}
    layout = {"dog/b.png": "png", "dog/a.PNG": "png", "cat/x.jpg": "jpeg",
              "cat/nested/deep.png": "png", "cat/notes.txt": None, "dog/data.npy": None}
    for rel, fmt in layout.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt is None:
            path.write_bytes(b"not an image")
            continue
        array = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
        Image.fromarray(array).save(path, format=fmt)
        pixels[rel] = np.asarray(Image.open(path).convert("RGB"))
    return tmp_path, pixels


def test_image_folder_samples_classes_and_pixels(tree):
    root, pixels = tree
    ds = datasets.ImageFolder(root)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    # torchvision's order: class, then folder (a parent before its sub-folders), then file name;
    # extensions are matched case-insensitively
    expected = [("cat/x.jpg", 0), ("cat/nested/deep.png", 0), ("dog/a.PNG", 1), ("dog/b.png", 1)]
    assert [(p[len(str(root)) + 1:], t) for p, t in ds.samples] == expected
    assert ds.imgs is ds.samples and ds.targets == [0, 0, 1, 1]
    for i, (rel, target) in enumerate(expected):
        image, label = ds[i]
        assert image.mode == "RGB" and label == target
        np.testing.assert_array_equal(np.asarray(image), pixels[rel])


def test_dataset_folder_any_extension_and_is_valid_file(tree):
    root, _ = tree
    ds = datasets.DatasetFolder(root, loader=lambda p: open(p, "rb").read(), extensions=(".npy",),
                                allow_empty=True)
    assert [(s[-8:], t) for s, t in ds.samples] == [("data.npy", 1)]
    assert ds[0] == (b"not an image", 1)
    only_png = datasets.ImageFolder(root, is_valid_file=lambda p: p.endswith("b.png") or
                                    p.endswith("deep.png"))
    assert [s.rsplit("/", 1)[1] for s, _ in only_png.samples] == ["deep.png", "b.png"]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(root, loader=open, extensions=(".png",), is_valid_file=bool)


def test_empty_class_is_an_error_unless_allowed(tree):
    root, _ = tree
    (root / "zebra").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes zebra. "
                                                "Supported extensions are: .jpg"):
        datasets.ImageFolder(root)
    ds = datasets.ImageFolder(root, allow_empty=True)
    assert ds.classes == ["cat", "dog", "zebra"] and len(ds) == 4


def test_find_classes_can_be_overridden(tree):
    root, _ = tree

    class OnlyDogs(datasets.ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 7}

    ds = OnlyDogs(root)
    assert ds.targets == [7, 7] and ds.classes == ["dog"]
    assert find_classes(root) == (["cat", "dog"], {"cat": 0, "dog": 1})
    assert len(make_dataset(root, extensions=".png")) == 3


def test_no_class_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path)


def test_fake_data_is_deterministic_per_index():
    ds = datasets.FakeData(size=5, image_size=(3, 6, 8), num_classes=4, random_offset=2)
    image, target = ds[3]
    assert image.mode == "RGB" and image.size == (8, 6) and 0 <= target < 4
    again, target_again = datasets.FakeData(size=5, image_size=(3, 6, 8), num_classes=4,
                                            random_offset=2)[3]
    np.testing.assert_array_equal(np.asarray(image), np.asarray(again))
    assert target == target_again
    assert not np.array_equal(np.asarray(image), np.asarray(ds[4][0]))
    assert datasets.FakeData(size=2, image_size=(1, 4, 4))[1][0].mode == "L"
    with pytest.raises(IndexError, match="index 5 out of range"):
        ds[5]
    with pytest.raises(ValueError, match="image_size"):
        datasets.FakeData(image_size=(2, 4, 4))
