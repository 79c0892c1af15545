"""``transforms.functional`` beyond the reference file: each tensor operation against an
independent reference — Pillow's own implementation of the same operation (torchvision's PIL
path), or a float64 NumPy re-derivation from the documented formula."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import ember
from ember_vision.transforms import InterpolationMode
from ember_vision.transforms import functional as F

FIXTURES = Path(__file__).parent / "fixtures" / "transforms"
NEAREST, BILINEAR = InterpolationMode.NEAREST, InterpolationMode.BILINEAR


@pytest.fixture(scope="module")
def pil():
    return Image.open(FIXTURES / "test_image.png").convert("RGB")


@pytest.fixture(scope="module")
def u8(pil):
    return F.pil_to_tensor(pil)


def _hwc(t) -> np.ndarray:
    """A (C, H, W) tensor as an (H, W, C) array, to compare with np.asarray(PIL image)."""
    return t.numpy().transpose(1, 2, 0)


# ---- uint8 colour ops: the tensor path equals Pillow exactly ---------------------------------

@pytest.mark.parametrize("name, call, pil_call", [
    ("equalize", F.equalize, ImageOps.equalize),
    ("autocontrast", F.autocontrast, ImageOps.autocontrast),
    ("posterize3", lambda x: F.posterize(x, 3), lambda p: ImageOps.posterize(p, 3)),
    ("solarize100", lambda x: F.solarize(x, 100), lambda p: ImageOps.solarize(p, 100)),
    ("invert", F.invert, ImageOps.invert),
])
def test_uint8_colour_ops_equal_pillow(name, call, pil_call, pil, u8):
    np.testing.assert_array_equal(_hwc(call(u8)), np.asarray(pil_call(pil)))
    # and the PIL path of functional is Pillow's operation itself
    np.testing.assert_array_equal(np.asarray(call(pil)), np.asarray(pil_call(pil)))


@pytest.mark.parametrize("factor", [0.3, 1.7])
def test_adjust_sharpness_tensor_equals_pil(factor, pil, u8):
    """Both blend with PIL's SMOOTH-filtered image (borders kept): equal on uint8."""
    np.testing.assert_array_equal(_hwc(F.adjust_sharpness(u8, factor)),
                                  np.asarray(F.adjust_sharpness(pil, factor)))


@pytest.mark.parametrize("gamma, gain", [(0.7, 1.0), (1.5, 0.9)])
def test_adjust_gamma(gamma, gain, pil, u8):
    out = F.adjust_gamma(u8, gamma, gain)
    np.testing.assert_array_equal(_hwc(out), np.asarray(F.adjust_gamma(pil, gamma, gain)))
    # float64 reference of the documented formula on a float image
    x = np.random.default_rng(0).random((3, 5, 7))
    ref = np.clip(gain * x ** gamma, 0, 1)
    got = F.adjust_gamma(ember.from_numpy(x), gamma, gain).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_hsv_roundtrip_on_grey_and_saturated_pixels():
    """adjust_hue(0) must not change any pixel, including greys (hue undefined) and pure
    primaries (hue sector boundaries)."""
    vals = np.array([[[0, 1, 1, 0.5, 0.2]], [[0, 0, 1, 0.5, 0.9]], [[0, 0, 0, 0.5, 0.4]]])
    out = F.adjust_hue(ember.from_numpy(vals.astype(np.float32)), 0.0).numpy()
    np.testing.assert_allclose(out, vals, atol=1e-6)


def test_adjust_hue_half_turn_of_red_is_cyan():
    red = ember.tensor([[[1.0]], [[0.0]], [[0.0]]])
    np.testing.assert_allclose(F.adjust_hue(red, 0.5).numpy().ravel(), [0, 1, 1], atol=1e-6)


# ---- geometry: nearest warps equal Pillow, bilinear warps a float64 reference ---------------

def _bilinear_warp_reference(img: np.ndarray, inv: np.ndarray, out_hw) -> np.ndarray:
    """float64 reference: output pixel centre (x + .5, y + .5) maps through the inverse matrix
    ``inv`` (3x3, pixel coordinates) to an input point, sampled bilinearly with zeros outside."""
    c, h, w = img.shape
    oh, ow = out_hw
    ys, xs = np.mgrid[0:oh, 0:ow] + 0.5
    pts = inv @ np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    sx, sy = pts[0] / pts[2] - 0.5, pts[1] / pts[2] - 0.5
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    out = np.zeros((c, xs.size))
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - np.abs(sx - xi)) * (1 - np.abs(sy - yi))
            ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            out[:, ok] += wgt[ok] * img[:, yi[ok], xi[ok]]
    return out.reshape(c, oh, ow)


def _inverse_affine_reference(angle, translate, scale, shear, center) -> np.ndarray:
    """Inverse of torchvision's documented forward map T * C * RSS * C^-1 (float64), with
    RSS = scale * R(angle) * SHy(shear_y) * SHx(shear_x), angles clockwise in image
    coordinates (y down), SHx = [[1, -tan sx], [0, 1]] and SHy = [[1, 0], [-tan sy, 1]]."""
    rot, sx, sy = (math.radians(a) for a in (angle, *shear))
    rss = np.eye(3)
    rss[:2, :2] = (scale * np.array([[math.cos(rot), -math.sin(rot)],
                                     [math.sin(rot), math.cos(rot)]])
                   @ np.array([[1, 0], [-math.tan(sy), 1]])
                   @ np.array([[1, -math.tan(sx)], [0, 1]]))
    c_m = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]])
    t_m = np.array([[1, 0, translate[0]], [0, 1, translate[1]], [0, 0, 1]])
    return np.linalg.inv(t_m @ c_m @ rss @ np.linalg.inv(c_m))


@pytest.mark.parametrize("angle, translate, scale, shear", [
    (25.0, [3, -5], 1.2, (10.0, 5.0)), (-70.0, [0, 0], 0.8, (0.0, 0.0)), (0.0, [7, 2], 1.0,
                                                                         (0.0, -20.0))])
def test_affine_bilinear_matches_float64_reference(angle, translate, scale, shear, u8):
    img = u8.float() / 255
    h, w = img.shape[-2:]
    out = F.affine(img, angle, translate, scale, list(shear), interpolation=BILINEAR)
    inv = _inverse_affine_reference(angle, translate, scale, shear, (w / 2, h / 2))
    ref = _bilinear_warp_reference(img.numpy().astype(np.float64), inv, (h, w))
    # float32 sampling positions: ~1e-6 px error times an edge step of 1 -> a few 1e-5
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-4)


def test_affine_nearest_equals_pillow(pil, u8):
    """Same inverse matrix, same nearest rounding: identical to Pillow's AFFINE transform."""
    args = (25.0, [3, -5], 1.2, [10.0, 5.0])
    np.testing.assert_array_equal(_hwc(F.affine(u8, *args)), np.asarray(F.affine(pil, *args)))


def test_rotate_expand_size_and_center(pil, u8):
    out = F.rotate(u8, 33, expand=True)
    assert F.get_image_size(out) == list(pil.rotate(33, expand=True).size)
    # rotating about a given centre: a float64 reference of the same warp
    img = u8.float() / 255
    out = F.rotate(img, 33, interpolation=BILINEAR, center=[20, 30])
    inv = _inverse_affine_reference(-33.0, [0, 0], 1.0, (0.0, 0.0), (20, 30))
    ref = _bilinear_warp_reference(img.numpy().astype(np.float64), inv, (97, 131))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-4)


def test_rotate_fill_colours_outside_pixels(u8):
    out = F.rotate(u8, 45, fill=[10, 200, 30]).numpy()
    assert tuple(out[:, 0, 0]) == (10, 200, 30)  # the corner comes from outside the input


def test_rotate_90_is_rot90():
    x = ember.arange(2 * 4 * 4, dtype=ember.float32).reshape(2, 4, 4)
    np.testing.assert_array_equal(F.rotate(x, 90).numpy(), np.rot90(x.numpy(), 1, axes=(1, 2)))


def test_perspective_coeffs_map_endpoints_to_startpoints():
    start = [[0, 0], [130, 0], [130, 96], [0, 96]]
    end = [[5, 3], [120, 10], [125, 90], [2, 80]]
    a, b, c, d, e, f, g, h = F._get_perspective_coeffs(start, end)
    for (x, y), (u, v) in zip(end, start):
        den = g * x + h * y + 1
        assert abs((a * x + b * y + c) / den - u) < 1e-3
        assert abs((d * x + e * y + f) / den - v) < 1e-3


def test_perspective_tensor_matches_reference_and_pillow(pil, u8):
    start = [[0, 0], [130, 0], [130, 96], [0, 96]]
    end = [[5, 3], [120, 10], [125, 90], [2, 80]]
    coeffs = F._get_perspective_coeffs(start, end)
    img = u8.float() / 255
    out = F.perspective(img, start, end)
    inv = np.array(coeffs + [1.0], dtype=np.float64).reshape(3, 3)
    ref = _bilinear_warp_reference(img.numpy().astype(np.float64), inv, (97, 131))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-4)
    # nearest: Pillow agrees except where a float rounding flips a pixel choice (< 0.1%)
    near = _hwc(F.perspective(u8, start, end, interpolation=NEAREST))
    differ = (near != np.asarray(F.perspective(pil, start, end, interpolation=NEAREST))).mean()
    assert differ < 1e-3


def test_elastic_zero_displacement_is_identity(u8):
    out = F.elastic_transform(u8, ember.zeros(1, 97, 131, 2))
    np.testing.assert_array_equal(out.numpy(), u8.numpy())


# ---- padding, cropping -----------------------------------------------------------------------

@pytest.mark.parametrize("padding, mode", [([2, 3], "symmetric"), ([1, 2, 3, 4], "edge"),
                                           (3, "reflect"), ([-2, 3, 4, -5], "reflect"),
                                           ([2, -1, 0, 3], "symmetric")])
def test_pad_modes_match_numpy(padding, mode, u8):
    out = F.pad(u8, padding, padding_mode=mode)
    p = padding if isinstance(padding, list) else [padding]
    l_, t, r, b = p * 4 if len(p) == 1 else (p * 2 if len(p) == 2 else p)
    x = u8.numpy()
    x = x[:, max(-t, 0):x.shape[1] - max(-b, 0), max(-l_, 0):x.shape[2] - max(-r, 0)]
    ref = np.pad(x, ((0, 0), (max(t, 0), max(b, 0)), (max(l_, 0), max(r, 0))), mode)
    np.testing.assert_array_equal(out.numpy(), ref)
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(np.asarray(F.pad(F.to_pil_image(u8), padding,
                                                   padding_mode=mode)), ref.transpose(1, 2, 0))


def test_pad_constant_fill_pil_and_tensor(pil, u8):
    out = F.pad(u8, [2, 3, 4, 5], fill=77)
    np.testing.assert_array_equal(_hwc(out), np.asarray(F.pad(pil, [2, 3, 4, 5], fill=77)))
    assert (out.numpy()[:, :3] == 77).all()


def test_crop_outside_image_is_zero_padded_like_pil(pil, u8):
    out = F.crop(u8, -5, -7, 40, 150)
    np.testing.assert_array_equal(_hwc(out), np.asarray(F.crop(pil, -5, -7, 40, 150)))


def test_five_and_ten_crop(u8):
    x = u8.numpy()
    tl, tr, bl, br, center = F.five_crop(u8, [20, 30])
    np.testing.assert_array_equal(tl.numpy(), x[:, :20, :30])
    np.testing.assert_array_equal(tr.numpy(), x[:, :20, -30:])
    np.testing.assert_array_equal(bl.numpy(), x[:, -20:, :30])
    np.testing.assert_array_equal(br.numpy(), x[:, -20:, -30:])
    np.testing.assert_array_equal(center.numpy(), x[:, 38:58, 50:80])  # round((97-20)/2)=38
    ten = F.ten_crop(u8, 20, vertical_flip=True)
    assert len(ten) == 10
    np.testing.assert_array_equal(ten[5].numpy(), x[:, ::-1][:, :20, :20])
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(u8, 100)


# ---- filtering -------------------------------------------------------------------------------

def _gaussian_reference(x: np.ndarray, k, sigma) -> np.ndarray:
    """float64: separable Gaussian (normalised over the taps) with reflect padding."""
    def kern(n, s):
        t = np.arange(n) - (n - 1) / 2
        w = np.exp(-0.5 * (t / s) ** 2)
        return w / w.sum()
    kx, ky = kern(k[0], sigma[0]), kern(k[1], sigma[1])
    pad = np.pad(x, ((0, 0), (k[1] // 2,) * 2, (k[0] // 2,) * 2), mode="reflect")
    h, w = x.shape[-2:]
    rows = sum(ky[i] * pad[:, i:i + h, :] for i in range(k[1]))
    return sum(kx[j] * rows[:, :, j:j + w] for j in range(k[0]))


@pytest.mark.parametrize("k, sigma", [([5, 5], [1.3, 1.3]), ([3, 7], [0.8, 2.5])])
def test_gaussian_blur_float_matches_reference(k, sigma, u8):
    x = u8.numpy().astype(np.float64) / 255
    out = F.gaussian_blur(ember.from_numpy(x), k, sigma).numpy()
    np.testing.assert_allclose(out, _gaussian_reference(x, k, sigma), atol=1e-12)


def test_gaussian_blur_uint8_and_pil(pil, u8):
    ref = np.round(_gaussian_reference(u8.numpy().astype(np.float64), [5, 5], [1.3, 1.3]))
    out = F.gaussian_blur(u8, 5, 1.3)
    assert out.dtype == ember.uint8
    assert np.abs(out.numpy() - ref).max() <= 1  # float32 vs float64 at the .5 boundary
    np.testing.assert_array_equal(np.asarray(F.gaussian_blur(pil, 5, 1.3)), _hwc(out))
    with pytest.raises(ValueError, match="odd and positive"):
        F.gaussian_blur(u8, 4)


# ---- conversions and errors ------------------------------------------------------------------

def test_to_pil_image_modes_and_roundtrip(u8):
    img = F.to_pil_image(u8)
    assert img.mode == "RGB"
    np.testing.assert_array_equal(F.pil_to_tensor(img).numpy(), u8.numpy())
    gray = F.to_pil_image(u8[:1])
    assert gray.mode == "L"
    assert F.to_pil_image(ember.rand(2, 4, 5)).mode == "LA"
    assert F.to_pil_image(ember.zeros(4, 4, 5, dtype=ember.uint8)).mode == "RGBA"
    f = F.to_pil_image(ember.full((1, 3, 4), 0.25), mode="F")
    assert f.mode == "F" and f.getpixel((0, 0)) == 0.25
    assert F.to_pil_image(ember.full((3, 2, 2), 0.5)).getpixel((0, 0)) == (127, 127, 127)
    with pytest.raises(ValueError, match="> 4 channels"):
        F.to_pil_image(ember.zeros(5, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="Incorrect mode"):
        F.to_pil_image(ember.zeros(1, 2, 2, dtype=ember.uint8), mode="F")
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        F.to_pil_image([1, 2])


def test_to_tensor_modes():
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    t = F.to_tensor(Image.fromarray(arr, mode="I"))
    assert t.dtype == ember.int32 and t.shape == (1, 3, 4)
    np.testing.assert_array_equal(t.numpy()[0], arr)
    t = F.to_tensor(Image.new("1", (3, 2), 1))
    np.testing.assert_array_equal(t.numpy(), np.ones((1, 2, 3), np.float32))
    t = F.to_tensor(np.full((2, 3), 51, np.uint8))
    np.testing.assert_allclose(t.numpy(), 0.2)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor(ember.zeros(3, 2, 2))


def test_convert_image_dtype_unsafe_casts_raise():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.rand(1, 2, 2), ember.int32)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.rand(1, 2, 2, dtype=ember.float64), ember.int64)


def test_normalize_inplace_and_errors():
    x = ember.ones(3, 2, 2)
    out = F.normalize(x, [0.5, 0.5, 0.5], [0.25, 0.5, 1.0])
    np.testing.assert_allclose(out.numpy()[:, 0, 0], [2.0, 1.0, 0.5])
    assert float(x.sum().item()) == 12.0  # not in place by default
    F.normalize(x, [1.0] * 3, [1.0] * 3, inplace=True)
    assert float(x.sum().item()) == 0.0
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(x, [0.0] * 3, [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="should be a float tensor"):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), [0.0] * 3, [1.0] * 3)
    with pytest.raises(ValueError, match=r"\(..., C, H, W\)"):
        F.normalize(ember.zeros(2, 2), [0.0], [1.0])


def test_resize_sizes_and_errors(u8):
    assert F.resize(u8, 50).shape == (3, 50, 67)  # shorter edge 97 -> 50, 131*50/97 = 67.5
    assert F.resize(u8, [50]).shape == (3, 50, 67)
    assert F.resize(u8, 64, max_size=80).shape == (3, 59, 80)  # long edge capped
    assert F.resize(u8, None, max_size=80).shape == (3, 59, 80)
    assert F.resize(u8, [97, 131]) is u8  # nothing to do
    with pytest.raises(ValueError, match="max_size = 60 must be strictly greater"):
        F.resize(u8, 64, max_size=60)
    with pytest.raises(ValueError, match="max_size should only be passed"):
        F.resize(u8, [30, 40], max_size=60)
    with pytest.raises(TypeError, match="InterpolationMode"):
        F.resize(u8, 30, interpolation="bilinear")
    with pytest.raises(ValueError, match="'lanczos' is unsupported with Tensor input"):
        F.resize(u8, 30, interpolation=InterpolationMode.LANCZOS)
    # Pillow integer constants are accepted for the interpolation
    np.testing.assert_array_equal(F.resize(u8, 30, interpolation=0).numpy(),
                                  F.resize(u8, 30, interpolation=NEAREST).numpy())


def test_erase(u8):
    out = F.erase(u8, 2, 3, 4, 5, ember.tensor(7, dtype=ember.uint8))
    ref = u8.numpy().copy()
    ref[:, 2:6, 3:8] = 7
    np.testing.assert_array_equal(out.numpy(), ref)
    assert (u8.numpy()[:, 2:6, 3:8] != 7).any()  # the input is untouched


def test_dimension_queries(pil, u8):
    assert F.get_dimensions(pil) == [3, 97, 131] == F.get_dimensions(u8)
    assert F.get_image_size(pil) == [131, 97]
    assert F.get_image_num_channels(F.rgb_to_grayscale(u8)) == 1
    with pytest.raises(TypeError, match="Tensor is not an image"):
        F.get_dimensions(ember.zeros(3))
