"""The v1 transform classes: random ones by their distributions and invariants (torch's random
stream cannot be reproduced, so no fixture can hold their outputs), all of them through the
functional calls the fixtures and references check, and reproducibility under
``ember.manual_seed``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision import transforms as T
from ember_vision.transforms import InterpolationMode
from ember_vision.transforms import functional as F

FIXTURES = Path(__file__).parent / "fixtures" / "transforms"


@pytest.fixture(scope="module")
def pil():
    return Image.open(FIXTURES / "test_image.png").convert("RGB")


@pytest.fixture(scope="module")
def u8(pil):
    return F.pil_to_tensor(pil)


def _binomial_ok(hits: int, n: int, p: float) -> bool:
    """Within 5 standard deviations of the binomial mean (fails by chance ~1e-6)."""
    return abs(hits - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1


def _same(a, b) -> bool:
    a = np.asarray(a) if isinstance(a, Image.Image) else a.numpy()
    b = np.asarray(b) if isinstance(b, Image.Image) else b.numpy()
    return a.shape == b.shape and bool((a == b).all())


@pytest.mark.parametrize("make", [
    lambda: T.RandomCrop(40, padding=4),
    lambda: T.RandomResizedCrop(32),
    lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    lambda: T.RandomRotation(30),
    lambda: T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3)),
    lambda: T.RandomPerspective(p=1.0),
    lambda: T.GaussianBlur(5),
    lambda: T.RandomErasing(p=1.0, value="random"),
    lambda: T.ElasticTransform(),
    lambda: T.AutoAugment(),
    lambda: T.RandAugment(),
    lambda: T.TrivialAugmentWide(),
    lambda: T.AugMix(),
])
def test_manual_seed_makes_random_transforms_reproducible(make, u8):
    t = make()
    ember.manual_seed(123)
    first = t(u8)
    ember.manual_seed(123)
    assert _same(t(u8), first)
    outs = [t(u8) for _ in range(4)]  # and the stream moves on: not always the same output
    assert not all(_same(o, first) for o in outs)


# ---- crops -----------------------------------------------------------------------------------

def test_random_crop_positions_cover_every_offset(u8):
    ember.manual_seed(0)
    seen = set()
    for _ in range(400):
        i, j, h, w = T.RandomCrop.get_params(u8, (90, 128))
        assert (h, w) == (90, 128)
        seen.add((i, j))
    assert seen == {(i, j) for i in range(8) for j in range(4)}  # uniform over 8 x 4 offsets


def test_random_crop_output_is_the_crop_at_drawn_params(u8, pil):
    t = T.RandomCrop((30, 40), padding=[2, 3], padding_mode="reflect")
    for img in (u8, pil):
        ember.manual_seed(5)
        out = t(img)
        ember.manual_seed(5)
        padded = F.pad(img, [2, 3], padding_mode="reflect")
        i, j, h, w = T.RandomCrop.get_params(padded, (30, 40))
        assert _same(out, F.crop(padded, i, j, h, w))


def test_random_crop_pad_if_needed_and_error(u8):
    out = T.RandomCrop((100, 140), pad_if_needed=True)(u8)
    assert out.shape == (3, 100, 140)
    with pytest.raises(ValueError, match=r"Required crop size \(100, 140\) is larger"):
        T.RandomCrop((100, 140))(u8)


def test_random_resized_crop_params_follow_scale_and_ratio(u8):
    ember.manual_seed(0)
    area = 97 * 131
    fracs, log_ratios = [], []
    for _ in range(300):
        i, j, h, w = T.RandomResizedCrop.get_params(u8, [0.2, 0.6], [0.5, 2.0])
        assert 0 <= i <= 97 - h and 0 <= j <= 131 - w
        fracs.append(h * w / area)
        log_ratios.append(math.log(w / h))
    # rounding h and w to ints moves area and ratio slightly past the bounds
    assert 0.18 < min(fracs) and max(fracs) < 0.63
    assert math.log(0.5) - 0.1 < min(log_ratios) and max(log_ratios) < math.log(2.0) + 0.1
    assert abs(np.mean(fracs) - 0.4) < 0.03  # uniform in scale: mean 0.4


def test_random_resized_crop_falls_back_to_centre_crop(u8):
    # no draw can succeed (area fraction > 1): centre crop with the ratio clamped to 2.5
    assert T.RandomResizedCrop.get_params(u8, [2.0, 3.0], [2.5, 3.0]) == (22, 0, 52, 131)
    assert T.RandomResizedCrop.get_params(u8, [2.0, 3.0], [0.5, 1.0]) == (0, 17, 97, 97)
    out = T.RandomResizedCrop((24, 32), antialias=True)(u8)
    assert out.shape == (3, 24, 32) and out.dtype == ember.uint8


# ---- flips and probabilities -----------------------------------------------------------------

@pytest.mark.parametrize("cls, flip", [(T.RandomHorizontalFlip, F.hflip),
                                       (T.RandomVerticalFlip, F.vflip)])
def test_random_flips(cls, flip, u8, pil):
    assert _same(cls(p=1.0)(pil), flip(pil))
    assert _same(cls(p=0.0)(u8), u8)
    ember.manual_seed(1)
    hits = sum(_same(cls(p=0.3)(u8), flip(u8)) for _ in range(300))
    assert _binomial_ok(hits, 300, 0.3)


def test_random_grayscale(u8):
    out = T.RandomGrayscale(p=1.0)(u8)
    assert out.shape == (3, 97, 131)
    np.testing.assert_array_equal(out.numpy(), F.rgb_to_grayscale(u8, 3).numpy())
    assert _same(T.RandomGrayscale(p=0.0)(u8), u8)


@pytest.mark.parametrize("cls, args, fn", [
    (T.RandomInvert, (), F.invert), (T.RandomPosterize, (3,), lambda x: F.posterize(x, 3)),
    (T.RandomSolarize, (90,), lambda x: F.solarize(x, 90)),
    (T.RandomAdjustSharpness, (2.0,), lambda x: F.adjust_sharpness(x, 2.0)),
    (T.RandomAutocontrast, (), F.autocontrast), (T.RandomEqualize, (), F.equalize)])
def test_random_colour_ops(cls, args, fn, u8):
    assert _same(cls(*args, p=1.0)(u8), fn(u8))
    assert _same(cls(*args, p=0.0)(u8), u8)


def test_random_apply_choice_order():
    add1, times2 = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    ember.manual_seed(0)
    applied = sum(T.RandomApply([add1, times2], p=0.25)(1) == 4 for _ in range(400))
    assert _binomial_ok(applied, 400, 0.25)
    assert T.RandomChoice([add1, times2], p=[0.0, 1.0])(5) == 10
    picks = [T.RandomChoice([add1, times2], p=[1, 3])(5) for _ in range(400)]
    assert _binomial_ok(picks.count(10), 400, 0.75)
    orders = [T.RandomOrder([add1, times2])(1) for _ in range(400)]  # 4 or 3
    assert set(orders) == {3, 4} and _binomial_ok(orders.count(4), 400, 0.5)
    with pytest.raises(ValueError, match="Length of p"):
        T.RandomChoice([add1, times2], p=[1.0])
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)


# ---- colour jitter ---------------------------------------------------------------------------

def test_color_jitter_params_and_order(u8):
    cj = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.4), saturation=0, hue=0.1)
    assert cj.brightness == (0.5, 1.5) and cj.contrast == (0.2, 0.4)
    assert cj.saturation is None and cj.hue == (-0.1, 0.1)
    ember.manual_seed(3)
    for _ in range(50):
        idx, b, c, s, h = T.ColorJitter.get_params(cj.brightness, cj.contrast, None, cj.hue)
        assert sorted(idx.tolist()) == [0, 1, 2, 3]
        assert 0.5 <= b <= 1.5 and 0.2 <= c <= 0.4 and s is None and -0.1 <= h <= 0.1
    # the transform applies the drawn factors in the drawn order
    ember.manual_seed(9)
    out = cj(u8)
    ember.manual_seed(9)
    idx, *factors = T.ColorJitter.get_params(cj.brightness, cj.contrast, None, cj.hue)
    ref = u8
    fns = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
    for k in idx.tolist():
        if factors[k] is not None:
            ref = fns[k](ref, factors[k])
    assert _same(out, ref)
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="must be non negative"):
        T.ColorJitter(brightness=-1)


# ---- geometric -------------------------------------------------------------------------------

def test_random_rotation_applies_drawn_angle(u8, pil):
    t = T.RandomRotation((10, 20), interpolation=InterpolationMode.BILINEAR, fill=3)
    for img in (u8, pil):
        ember.manual_seed(4)
        out = t(img)
        ember.manual_seed(4)
        angle = T.RandomRotation.get_params([10.0, 20.0])
        assert 10 <= angle <= 20
        assert _same(out, F.rotate(img, angle, InterpolationMode.BILINEAR,
                                   fill=[3.0] * 3 if img is u8 else 3))
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-5)


def test_random_affine_params_ranges():
    ember.manual_seed(0)
    for _ in range(100):
        angle, (tx, ty), scale, (shx, shy) = T.RandomAffine.get_params(
            [-20.0, 20.0], (0.1, 0.2), (0.8, 1.2), [-5.0, 5.0, -3.0, 3.0], [131, 97])
        assert -20 <= angle <= 20 and abs(tx) <= 13.1 + 0.5 and abs(ty) <= 19.4 + 0.5
        assert 0.8 <= scale <= 1.2 and -5 <= shx <= 5 and -3 <= shy <= 3
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.1, 1.5))
    with pytest.raises(ValueError, match="shear should be a sequence of length 2 or 4"):
        T.RandomAffine(0, shear=(1, 2, 3))


def test_random_affine_identity_params_keep_image(u8):
    assert _same(T.RandomAffine(0)(u8), u8)


def test_random_perspective_endpoints(u8):
    ember.manual_seed(0)
    for _ in range(50):
        start, end = T.RandomPerspective.get_params(131, 97, 0.5)
        assert start == [[0, 0], [130, 0], [130, 96], [0, 96]]
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = end
        assert 0 <= x0 <= 32 and 0 <= y0 <= 24 and 98 <= x1 <= 130 and 0 <= y1 <= 24
        assert 98 <= x2 <= 130 and 72 <= y2 <= 96 and 0 <= x3 <= 32 and 72 <= y3 <= 96
    assert _same(T.RandomPerspective(p=0.0)(u8), u8)


def test_gaussian_blur_draws_sigma_in_range(u8):
    t = T.GaussianBlur(5, sigma=(0.5, 1.5))
    ember.manual_seed(2)
    out = t(u8)
    ember.manual_seed(2)
    sigma = T.GaussianBlur.get_params(0.5, 1.5)
    assert 0.5 <= sigma <= 1.5
    assert _same(out, F.gaussian_blur(u8, [5, 5], [sigma, sigma]))
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)


def test_elastic_transform_field_is_smooth_and_scaled():
    ember.manual_seed(0)
    d = T.ElasticTransform.get_params([50.0, 50.0], [5.0, 5.0], [64, 80])
    assert d.shape == (1, 64, 80, 2)
    arr = d.numpy()[0]
    assert np.abs(arr).max() < 50.0 / 64  # |blurred uniform| <= 1, times alpha / size
    # smooth: neighbouring displacements differ far less than the field's spread
    assert np.abs(np.diff(arr, axis=1)).mean() < 0.2 * arr.std()


# ---- erasing ---------------------------------------------------------------------------------

def test_random_erasing_box_and_value():
    img = ember.rand(3, 60, 80) + 2.0  # no pixel can equal the fill
    ember.manual_seed(0)
    erase = T.RandomErasing(p=1.0, scale=(0.05, 0.2), ratio=(0.5, 2.0), value=(0.1, 0.2, 0.3))
    for _ in range(30):
        out = erase(img)
        erased = (out.numpy() < 1.0).all(0)
        ys, xs = np.nonzero(erased)
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        assert erased.sum() == h * w  # one filled rectangle
        assert 0.04 < h * w / (60 * 80) < 0.22
        box = out.numpy()[:, ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        np.testing.assert_allclose(box[:, 0, 0], [0.1, 0.2, 0.3], rtol=1e-6)
    assert _same(T.RandomErasing(p=0.0)(img), img)
    with pytest.raises(ValueError, match="should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="either a single value or 3"):
        T.RandomErasing(p=1.0, value=(1, 2))(img)


# ---- deterministic classes and containers ----------------------------------------------------

def test_deterministic_classes_call_functional(u8, pil):
    assert _same(T.FiveCrop(20)(u8)[4], F.center_crop(u8, 20))
    assert len(T.TenCrop(20)(pil)) == 10
    assert _same(T.ToPILImage()(u8), pil)
    assert _same(T.Resize(40, antialias=True)(u8), F.resize(u8, 40))
    with pytest.raises(ValueError, match="1 or 2 values"):
        T.Resize((1, 2, 3))


def test_linear_transformation_whitening():
    x = ember.rand(2, 2, 3)
    d = 12
    m = ember.eye(d) * 2.0
    mean = ember.full((d,), 0.5)
    out = T.LinearTransformation(m, mean)(x)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - 0.5) * 2.0, rtol=1e-6)
    with pytest.raises(ValueError, match="should be square"):
        T.LinearTransformation(ember.zeros(3, 4), ember.zeros(3))


def test_compose_and_reprs():
    c = T.Compose([T.CenterCrop(10), T.PILToTensor(), T.ConvertImageDtype(ember.float)])
    assert repr(c).startswith("Compose(\n    CenterCrop(size=(10, 10))")
    assert "Resize(size=5, interpolation=bilinear" in repr(T.Resize(5))
