"""AutoAugment, RandAugment, TrivialAugmentWide and AugMix.

Each operation of the policies is checked on uint8 tensors against Pillow's implementation of
the same operation (torchvision's PIL path); the policies themselves by their published tables
and by the operations they pick."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision import transforms as T
from ember_vision.transforms import functional as F
from ember_vision.transforms.autoaugment import _apply_op

FIXTURES = Path(__file__).parent / "fixtures" / "transforms"
NEAREST = T.InterpolationMode.NEAREST


@pytest.fixture(scope="module")
def pil():
    return Image.open(FIXTURES / "test_image.png").convert("RGB")


@pytest.fixture(scope="module")
def u8(pil):
    return F.pil_to_tensor(pil)


# Tolerances against Pillow, as in torchvision's own tensor-vs-PIL tests:
# - exact: lookup-table ops and nearest warps whose sampling points never fall on a .5 tie;
# - (1, frac): ImageEnhance rounds the blend, the tensor path truncates like torchvision's;
# - (255, frac): nearest sampling where points fall exactly between two pixels (ShearY by 0.2
#   hits x * 0.2 = k + .5): Pillow and grid_sample break the tie differently, so a few pixels
#   come from the neighbour; Rotate likewise at a handful of boundary pixels.
@pytest.mark.parametrize("op, magnitude, atol, max_frac", [
    ("ShearX", 0.3, 0, 0.0), ("ShearX", -0.25, 0, 0.0), ("ShearY", -0.2, 255, 0.03),
    ("TranslateX", 20.0, 0, 0.0), ("TranslateY", -11.0, 0, 0.0), ("Rotate", 30.0, 255, 0.003),
    ("Brightness", 0.5, 0, 0.0), ("Color", -0.4, 1, 0.2), ("Contrast", 0.6, 1, 0.1),
    ("Sharpness", 0.9, 1, 0.2), ("Posterize", 3, 0, 0.0), ("Solarize", 128.0, 0, 0.0),
    ("AutoContrast", 0.0, 0, 0.0), ("Equalize", 0.0, 0, 0.0), ("Invert", 0.0, 0, 0.0),
    ("Identity", 0.0, 0, 0.0)])
def test_each_op_matches_pillow(op, magnitude, atol, max_frac, pil, u8):
    out = _apply_op(u8, op, magnitude, NEAREST, [0.0, 0.0, 0.0]).numpy().transpose(1, 2, 0)
    ref = np.asarray(_apply_op(pil, op, magnitude, NEAREST, None))
    diff = np.abs(out.astype(int) - ref.astype(int))
    assert diff.max() <= atol
    assert (diff > 0).mean() <= max_frac


def test_shear_and_translate_move_pixels_as_documented():
    x = ember.zeros(1, 9, 9, dtype=ember.uint8)
    x[0, 4, 2] = 255
    moved = _apply_op(x, "TranslateX", 3.0, NEAREST, None).numpy()[0]
    assert moved[4, 5] == 255 and moved.sum() == 255
    # ShearX by m about the top-left corner maps (x, y) -> (x - m * y, y) (torchvision's sign);
    # the bottom row's centre (y = 8.5) of column 0 (x in [0, 1)) lands on x in [4.25, 5.25)
    col = ember.zeros(1, 9, 9, dtype=ember.uint8)
    col[0, :, 0] = 255
    sheared = _apply_op(col, "ShearX", -0.5, NEAREST, None).numpy()[0]
    assert sheared[8, 0] == 0 and sheared[8, 4] == 255 and sheared[0, 0] == 255


def test_unknown_op_and_policy():
    with pytest.raises(ValueError, match="operator Blur is not recognized"):
        _apply_op(ember.zeros(3, 4, 4, dtype=ember.uint8), "Blur", 1.0, NEAREST, None)
    with pytest.raises(ValueError, match="policy"):
        T.AutoAugment("imagenet")


def test_policy_tables_match_the_paper():
    for policy in T.AutoAugmentPolicy:
        subs = T.AutoAugment(policy).policies
        assert len(subs) == 25 and all(len(s) == 2 for s in subs)
    imagenet = T.AutoAugment().policies
    assert imagenet[0] == (("Posterize", 0.4, 8), ("Rotate", 0.6, 9))
    assert imagenet[-1] == (("Equalize", 0.8, None), ("Equalize", 0.6, None))


def test_magnitude_bins():
    space = T.AutoAugment()._augmentation_space(10, [131, 97])
    np.testing.assert_allclose(space["Rotate"][0], np.linspace(0, 30, 10), rtol=1e-6)
    assert space["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    np.testing.assert_allclose(space["TranslateX"][0][-1], 150 / 331 * 131, rtol=1e-6)
    wide = T.TrivialAugmentWide()._augmentation_space(31)
    assert wide["Posterize"][0][[0, 5, 30]].tolist() == [8, 7, 2]
    assert len(wide) == 14 and "Invert" not in wide


def test_autoaugment_applies_the_drawn_subpolicy(u8):
    aug = T.AutoAugment(T.AutoAugmentPolicy.CIFAR10)
    for seed in range(10):
        ember.manual_seed(seed)
        out = aug(u8)
        ember.manual_seed(seed)
        tid, probs, signs = T.AutoAugment.get_params(25)
        ref = u8
        for i, (op, p, bin_) in enumerate(aug.policies[tid]):
            if float(probs[i]) <= p:
                mags, signed = aug._augmentation_space(10, [131, 97])[op]
                m = float(mags[bin_]) if bin_ is not None else 0.0
                ref = _apply_op(ref, op, -m if signed and int(signs[i]) == 0 else m, NEAREST,
                                None)
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_trivial_augment_picks_every_op_uniformly(u8):
    """Patch the op application to record names: 14 ops, each ~1/14 of 700 draws."""
    import ember_vision.transforms.autoaugment as aa

    seen = []
    original = aa._apply_op
    aa._apply_op = lambda img, op, m, i, f: seen.append((op, m)) or img
    try:
        ember.manual_seed(0)
        aug = T.TrivialAugmentWide()
        for _ in range(700):
            aug(u8)
    finally:
        aa._apply_op = original
    names = [n for n, _ in seen]
    assert len(set(names)) == 14
    assert all(abs(names.count(n) - 50) < 30 for n in set(names))
    rotations = [m for n, m in seen if n == "Rotate"]
    assert min(rotations) < 0 < max(rotations) and max(abs(r) for r in rotations) <= 135


def test_rand_augment_uses_fixed_magnitude(u8):
    import ember_vision.transforms.autoaugment as aa

    seen = []
    original = aa._apply_op
    aa._apply_op = lambda img, op, m, i, f: seen.append((op, m)) or img
    try:
        ember.manual_seed(0)
        aug = T.RandAugment(num_ops=3, magnitude=10, num_magnitude_bins=31)
        for _ in range(50):
            aug(u8)
    finally:
        aa._apply_op = original
    assert len(seen) == 150
    for op, m in seen:
        if op == "Rotate":
            assert abs(abs(m) - 10.0) < 1e-5  # linspace(0, 30, 31)[10]
        if op == "Posterize":
            assert m == 7  # 8 - round(10 / 7.5)


@pytest.mark.parametrize("aug", [T.AutoAugment(), T.RandAugment(), T.TrivialAugmentWide(),
                                 T.AugMix()])
def test_policies_on_pil_batches_and_fill(aug, pil, u8):
    ember.manual_seed(1)
    assert isinstance(aug(pil), Image.Image) and aug(pil).size == pil.size
    batch = ember.stack([u8, u8])
    out = aug(batch)
    assert out.shape == batch.shape and out.dtype == ember.uint8


def test_augmix_mixes_original_and_chains(u8):
    """With every chain op replaced by "make it black", AugMix returns w * image for one weight
    w in (0, 1) (the Beta-drawn share of the original); with "make it white", w * image +
    (1 - w) * 255."""
    import ember_vision.transforms.autoaugment as aa

    original = aa._apply_op
    x = u8.numpy().astype(np.float64)
    try:
        for v in (0, 255):
            aa._apply_op = lambda img, op, m, i, f, v=v: ember.full_like(img, v)
            ember.manual_seed(v)
            out = T.AugMix(mixture_width=3)(u8).numpy().astype(np.float64)
            # out = trunc(w * x + (1 - w) * v): on pixels far from v, (out - v) / (x - v) is w
            # to within 1 / |x - v| < 1 / 50
            far = np.abs(x - v) > 50
            w = (out - v)[far] / (x - v)[far]
            assert 0 < np.median(w) < 1
            assert np.ptp(w) < 2 / 50
    finally:
        aa._apply_op = original
    with pytest.raises(ValueError, match="severity must be between"):
        T.AugMix(severity=11)
