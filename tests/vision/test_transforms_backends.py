"""The tensor transforms use only ember's public ops, so they run on any backend: here on the
fake backend of tests/core/fake_backend_pkg, which implements nothing but the primitives.
Results stay on that device and reproduce the torchvision fixtures (or, for operations without
a fixture, the CPU results that the other test files check against references)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision import transforms as v1
from ember_vision import tv_tensors as tv
from ember_vision.transforms import InterpolationMode, v2
from ember_vision.transforms import functional as F

pytest.importorskip("ember_fake", reason="the fake backend package is installed by nox -s tests")

FIXTURES = Path(__file__).parent / "fixtures" / "transforms"
REF = np.load(FIXTURES / "transforms_ref.npz")
BILINEAR = InterpolationMode.BILINEAR


@pytest.fixture(scope="module")
def u8():
    img = Image.open(FIXTURES / "test_image.png").convert("RGB")
    return F.pil_to_tensor(img).contiguous()


def _on_fake(t):
    out = t.to("fake")
    assert out.device.type == "fake"
    return out


# (fixture key, call, tolerance): the tolerances of test_transforms_fixtures.py
FIXTURE_CASES = [
    ("resize_50x70_tensor_u8", lambda x: F.resize(x, [50, 70]), 0),
    ("rotate_30_bilinear_tensor_u8", lambda x: F.rotate(x, 30, interpolation=BILINEAR), 1),
    ("adjust_hue_0p1_tensor_u8", lambda x: F.adjust_hue(x, 0.1), 0),
    ("adjust_contrast_0p7_tensor_u8", lambda x: F.adjust_contrast(x, 0.7), 0),
    ("grayscale_1_tensor_u8", F.rgb_to_grayscale, 0),
    ("convert_u8_to_f32", lambda x: F.convert_image_dtype(x, ember.float32), 0),
]


@pytest.mark.parametrize("key, call, atol", FIXTURE_CASES, ids=[c[0] for c in FIXTURE_CASES])
def test_primitives_only_backend_reproduces_fixtures(key, call, atol, u8):
    out = call(_on_fake(u8))
    assert out.device.type == "fake"
    np.testing.assert_allclose(out.cpu().numpy().astype(np.float64),
                               REF[key].astype(np.float64), atol=atol)


CPU_CASES = [
    ("affine", lambda x: F.affine(x, 20, [3, 4], 1.1, [5, 2])),
    ("perspective", lambda x: F.perspective(x, [[0, 0], [130, 0], [130, 96], [0, 96]],
                                            [[5, 3], [120, 10], [125, 90], [2, 80]])),
    ("rotate_fill", lambda x: F.rotate(x, 30, fill=[1.0, 2.0, 3.0])),
    ("gaussian_blur", lambda x: F.gaussian_blur(x, 5, 1.2)),
    ("sharpness", lambda x: F.adjust_sharpness(x, 1.6)),
    ("equalize", F.equalize),
    ("autocontrast", F.autocontrast),
    ("posterize", lambda x: F.posterize(x, 3)),
    ("pad_symmetric", lambda x: F.pad(x, [2, 3], padding_mode="symmetric")),
]


@pytest.mark.parametrize("name, call", CPU_CASES, ids=[c[0] for c in CPU_CASES])
def test_primitives_only_backend_matches_cpu(name, call, u8):
    out = call(_on_fake(u8))
    assert out.device.type == "fake"
    np.testing.assert_array_equal(out.cpu().numpy(), call(u8).numpy())


def test_v2_sample_on_fake_device(u8):
    img = tv.Image(_on_fake(u8))
    boxes = tv.BoundingBoxes(_on_fake(ember.tensor([[30.0, 20.0, 70.0, 50.0]])), format="XYXY",
                             canvas_size=(97, 131))
    out_img, out_boxes = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.Resize(50)])(img, boxes)
    assert out_img.device.type == "fake" and out_boxes.device.type == "fake"
    # flip: x -> 131 - x; resize 97x131 -> 50x67: x * 67 / 131, y * 50 / 97
    sx, sy = 67 / 131, 50 / 97
    np.testing.assert_allclose(out_boxes.cpu().numpy(),
                               [[61 * sx, 20 * sy, 101 * sx, 50 * sy]], rtol=1e-6)
    assert out_boxes.canvas_size == (50, 67) and out_img.shape == (3, 50, 67)


@pytest.mark.parametrize("make", [
    lambda: v1.RandomErasing(p=1.0, value="random"),
    lambda: v1.RandomErasing(p=1.0, value=(1, 2, 3)), lambda: v1.AugMix(),
    lambda: v1.AutoAugment(), lambda: v1.TrivialAugmentWide(), lambda: v1.RandAugment(),
    lambda: v1.ElasticTransform(), lambda: v1.ColorJitter(0.3, 0.3, 0.3, 0.1),
    lambda: v1.RandomResizedCrop(16), lambda: v1.RandomPerspective(p=1.0),
    lambda: v1.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5), lambda: v1.GaussianBlur(3),
    lambda: v2.RandomErasing(p=1.0)])
def test_random_transforms_stay_on_the_device(make, u8):
    """Parameters drawn on the host (fills, noise, mixing weights) follow the image."""
    ember.manual_seed(0)
    x = _on_fake(u8)
    out = make()(x)
    assert out.device.type == "fake" and out.shape[-3] == 3


def test_mixup_cutmix_on_device():
    x, y = _on_fake(ember.rand(4, 3, 8, 8)), _on_fake(ember.tensor([0, 1, 2, 0]))
    for t in (v2.MixUp(num_classes=3), v2.CutMix(num_classes=3)):
        xm, ym = t(tv.Image(x), y)
        assert xm.device.type == "fake" and ym.device.type == "fake"
