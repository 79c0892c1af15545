"""Every transform case of the torchvision reference file, reproduced by ember_vision.

``fixtures/transforms/transforms_ref.npz`` holds the outputs of the real torchvision 0.29
(Pillow 13) on ``test_image.png``; the exact call behind each key is in the fixture README
(``/work/shared/fixtures/vision/README.md``) and repeated in ``CASES`` below.

Tolerances (absolute):
- PIL cases: exact, because ember_vision calls the same Pillow operations.
- uint8 tensor cases: exact, except where torchvision rounds a float32 result computed in a
  different summation order (rotate / resized_crop): a value can land on the other side of .5,
  so up to 1 with at most 0.1% of the values differing.
- float32 tensor cases: exact for elementwise ops; resize sums several products whose float32
  rounding depends on the order of operations, so 1e-5 (the README's expectation); rotate 3e-5
  (see GRID_SAMPLE).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision import transforms as T
from ember_vision.transforms import InterpolationMode
from ember_vision.transforms import functional as F

FIXTURES = Path(__file__).parent / "fixtures" / "transforms"
REF = np.load(FIXTURES / "transforms_ref.npz")
BILINEAR, NEAREST, BICUBIC = (InterpolationMode.BILINEAR, InterpolationMode.NEAREST,
                              InterpolationMode.BICUBIC)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
EXACT = dict(atol=0, max_frac=0.0)
ROUNDING = dict(atol=1, max_frac=1e-3)  # uint8 from a rounded float32 sum (see module doc)
FLOAT_SUMS = dict(atol=1e-5, max_frac=1.0)  # float32 sums in another order
# rotate: the float32 sampling positions may differ by ~1e-6 px; at a sharp edge (a step of 1.0
# per pixel) that moves the bilinear value by ~1e-5, so 3e-5
GRID_SAMPLE = dict(atol=3e-5, max_frac=1.0)


@pytest.fixture(scope="module")
def inputs():
    img = Image.open(FIXTURES / "test_image.png").convert("RGB")
    return {"pil": img, "f32": F.to_tensor(img), "u8": F.pil_to_tensor(img),
            "conv_f32": ember.from_numpy(REF["convert_in_f32"]),
            "conv_i32": ember.from_numpy(REF["convert_in_i32"])}


def _imagenet_eval(img):
    """``ResNet18_Weights.IMAGENET1K_V1.transforms()``, spelled out as the README gives it."""
    img = F.resize(img, [256], interpolation=BILINEAR, antialias=True)
    img = F.center_crop(img, [224])
    if not isinstance(img, ember.Tensor):
        img = F.pil_to_tensor(img)
    return F.normalize(F.convert_image_dtype(img, ember.float32), MEAN, STD)


# key -> (input name, call, tolerance)
CASES = {
    "to_tensor": ("pil", lambda x: T.ToTensor()(x), EXACT),
    "pil_to_tensor": ("pil", lambda x: T.PILToTensor()(x), EXACT),
    "normalize": ("pil", lambda x: T.Normalize(mean=MEAN, std=STD)(T.ToTensor()(x)), EXACT),
    "compose_resize_crop_totensor_normalize": ("pil", lambda x: T.Compose([
        T.Resize(256, interpolation=BILINEAR), T.CenterCrop(224), T.ToTensor(),
        T.Normalize(mean=MEAN, std=STD)])(x), EXACT),
    "center_crop_48_pil": ("pil", lambda x: T.CenterCrop(48)(x), EXACT),
    "center_crop_48_tensor": ("f32", lambda x: T.CenterCrop(48)(x), EXACT),
    "center_crop_120x150_tensor": ("f32", lambda x: T.CenterCrop((120, 150))(x), EXACT),
    "pad_3_constant0_pil": ("pil", lambda x: T.Pad(3, fill=0)(x), EXACT),
    "pad_3_constant0_tensor": ("f32", lambda x: T.Pad(3, fill=0)(x), EXACT),
    "pad_3_reflect_pil": ("pil", lambda x: T.Pad(3, padding_mode="reflect")(x), EXACT),
    "pad_3_reflect_tensor": ("f32", lambda x: T.Pad(3, padding_mode="reflect")(x), EXACT),
    "pad_1234_edge_tensor": ("f32", lambda x: T.Pad((1, 2, 3, 4), padding_mode="edge")(x), EXACT),
    "grayscale_1_pil": ("pil", lambda x: T.Grayscale(num_output_channels=1)(x), EXACT),
    "grayscale_3_pil": ("pil", lambda x: T.Grayscale(num_output_channels=3)(x), EXACT),
    "grayscale_1_tensor_f32": ("f32", lambda x: T.Grayscale(num_output_channels=1)(x), EXACT),
    "grayscale_3_tensor_f32": ("f32", lambda x: T.Grayscale(num_output_channels=3)(x), EXACT),
    "grayscale_1_tensor_u8": ("u8", lambda x: T.Grayscale(num_output_channels=1)(x), EXACT),
    "hflip_pil": ("pil", F.hflip, EXACT),
    "hflip_tensor": ("f32", F.hflip, EXACT),
    "vflip_tensor": ("f32", F.vflip, EXACT),
    "rotate_30_bilinear_pil": ("pil", lambda x: F.rotate(x, 30, interpolation=BILINEAR), EXACT),
    "rotate_30_bilinear_tensor_f32": ("f32", lambda x: F.rotate(x, 30, interpolation=BILINEAR),
                                      GRID_SAMPLE),
    "rotate_30_bilinear_tensor_u8": ("u8", lambda x: F.rotate(x, 30, interpolation=BILINEAR),
                                     ROUNDING),
    # nearest picks input pixels: no arithmetic on values, so exact
    "rotate_30_nearest_tensor_f32": ("f32", lambda x: F.rotate(x, 30, interpolation=NEAREST),
                                     EXACT),
    "adjust_hue_m0p25_tensor_f32": ("f32", lambda x: F.adjust_hue(x, -0.25), EXACT),
    "resized_crop_pil": ("pil", lambda x: F.resized_crop(x, 10, 12, 60, 80, (32, 32)), EXACT),
    "resized_crop_tensor_f32": ("f32", lambda x: F.resized_crop(x, 10, 12, 60, 80, (32, 32)),
                                FLOAT_SUMS),
    "resized_crop_tensor_u8": ("u8", lambda x: F.resized_crop(x, 10, 12, 60, 80, (32, 32)),
                               ROUNDING),
    "resize_64_tensor_f32_noantialias": ("f32", lambda x: T.Resize(
        64, interpolation=BILINEAR, antialias=False)(x), FLOAT_SUMS),
    "resize_200_tensor_f32": ("f32", lambda x: T.Resize(200, interpolation=BILINEAR,
                                                        antialias=True)(x), FLOAT_SUMS),
    "resize_200_pil": ("pil", lambda x: T.Resize(200, interpolation=BILINEAR,
                                                 antialias=True)(x), EXACT),
    "resize_64_nearest_pil": ("pil", lambda x: T.Resize(64, interpolation=NEAREST)(x), EXACT),
    "resize_64_nearest_tensor_u8": ("u8", lambda x: T.Resize(64, interpolation=NEAREST)(x),
                                    EXACT),
    "resize_64_bicubic_pil": ("pil", lambda x: T.Resize(64, interpolation=BICUBIC,
                                                        antialias=True)(x), EXACT),
    "resize_64_bicubic_tensor_f32": ("f32", lambda x: T.Resize(64, interpolation=BICUBIC,
                                                               antialias=True)(x), FLOAT_SUMS),
    "convert_u8_to_f32": ("u8", lambda x: T.ConvertImageDtype(ember.float32)(x), EXACT),
    "convert_u8_to_f64": ("u8", lambda x: T.ConvertImageDtype(ember.float64)(x), EXACT),
    "convert_u8_to_i32": ("u8", lambda x: T.ConvertImageDtype(ember.int32)(x), EXACT),
    "convert_f32_to_u8": ("conv_f32", lambda x: T.ConvertImageDtype(ember.uint8)(x), EXACT),
    "convert_f32_to_i16": ("conv_f32", lambda x: T.ConvertImageDtype(ember.int16)(x), EXACT),
    "convert_f32_to_f64": ("conv_f32", lambda x: T.ConvertImageDtype(ember.float64)(x), EXACT),
    "convert_i32_to_u8": ("conv_i32", lambda x: T.ConvertImageDtype(ember.uint8)(x), EXACT),
    "convert_i32_to_f32": ("conv_i32", lambda x: T.ConvertImageDtype(ember.float32)(x), EXACT),
    # the ImageNet eval preset's documented call chain (README), on the functional API
    "imagenet_eval_preset_pil": ("pil", lambda x: _imagenet_eval(x), EXACT),
    # uint8 resize: 2 of 150528 values sit on a .5 tie and round the other way; one uint8 level
    # is 1 / 255 / 0.224 = 0.0175 after normalisation
    "imagenet_eval_preset_tensor_u8": ("u8", lambda x: _imagenet_eval(x),
                                       dict(atol=0.018, max_frac=1e-4)),
}

# the resize and colour cases come in PIL / float32 tensor / uint8 tensor triples
_SUFFIX_INPUT = {"pil": "pil", "tensor_f32": "f32", "tensor_u8": "u8"}
for _suffix, _inp in _SUFFIX_INPUT.items():
    _tol = EXACT if _inp != "f32" else FLOAT_SUMS
    CASES[f"resize_64_{_suffix}"] = (_inp, lambda x: T.Resize(
        64, interpolation=BILINEAR, antialias=True)(x), _tol)
    CASES[f"resize_50x70_{_suffix}"] = (_inp, lambda x: T.Resize(
        (50, 70), interpolation=BILINEAR, antialias=True)(x), _tol)
    # elementwise colour ops: same float32 formulas as torchvision, so exact
    CASES[f"adjust_brightness_1p5_{_suffix}"] = (_inp, lambda x: F.adjust_brightness(x, 1.5),
                                                 EXACT)
    CASES[f"adjust_contrast_0p7_{_suffix}"] = (_inp, lambda x: F.adjust_contrast(x, 0.7), EXACT)
    CASES[f"adjust_saturation_1p3_{_suffix}"] = (_inp, lambda x: F.adjust_saturation(x, 1.3),
                                                 EXACT)
    CASES[f"adjust_hue_0p1_{_suffix}"] = (_inp, lambda x: F.adjust_hue(x, 0.1), EXACT)

INPUT_KEYS = {"input_hwc_u8", "convert_in_f32", "convert_in_i32"}


def _as_array(out) -> np.ndarray:
    """A PIL result as np.asarray (H, W[, C]); a tensor as is (C, H, W), like the fixture."""
    return np.asarray(out) if isinstance(out, Image.Image) else out.numpy()


def test_every_fixture_key_is_covered():
    assert set(REF.files) - INPUT_KEYS == set(CASES)


def test_input_image_matches_fixture(inputs):
    np.testing.assert_array_equal(np.asarray(inputs["pil"]), REF["input_hwc_u8"])


@pytest.mark.parametrize("key", sorted(CASES))
def test_matches_torchvision(key, inputs):
    name, call, tol = CASES[key]
    out = _as_array(call(inputs[name]))
    ref = REF[key]
    assert out.dtype == ref.dtype, (key, out.dtype, ref.dtype)
    assert out.shape == ref.shape, (key, out.shape, ref.shape)
    diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
    assert diff.max() <= tol["atol"], f"{key}: max abs diff {diff.max()}"
    assert (diff > 0).mean() <= tol["max_frac"], f"{key}: {(diff > 0).mean():.4%} differ"


@pytest.mark.parametrize("key", ["adjust_brightness_1p5_tensor_f32", "grayscale_1_tensor_u8",
                                 "adjust_hue_0p1_tensor_u8", "resize_64_tensor_f32",
                                 "rotate_30_bilinear_tensor_f32"])
def test_batched_tensor_equals_per_image(key, inputs):
    """A (N, C, H, W) or (B, N, C, H, W) batch gives each image's own result."""
    name, call, tol = CASES[key]
    img = inputs[name]
    batch = ember.stack([img, img.flip(-1)]).unsqueeze(0)
    out = call(batch).numpy()
    assert out.shape[:2] == (1, 2)
    np.testing.assert_allclose(out[0, 0], REF[key], atol=tol["atol"])
    np.testing.assert_array_equal(out[0, 1], call(img.flip(-1)).numpy())
