"""ember_vision.io: PNG/JPEG decoding and encoding as uint8 (C, H, W) tensors.

References: the PNG fixture made for torchvision's tests (decoded independently with NumPy's
view of Pillow's pixels), ITU-R 601-2 luma computed in float64, exact round trips for lossless
PNG, and error bounds for lossy JPEG."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision import io as vio

FIXTURE = Path(__file__).parent / "fixtures" / "test_image.png"


@pytest.fixture(scope="module")
def rgb():
    """The fixture image (97 x 131 RGB), (H, W, C) uint8."""
    return np.asarray(Image.open(FIXTURE).convert("RGB"))


def png_bytes(array, mode=None, **info):
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG", **info)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), np.uint8).copy())


def test_read_image_is_chw_uint8(rgb):
    image = vio.read_image(FIXTURE)
    assert image.dtype == ember.uint8 and tuple(image.shape) == (3, 97, 131)
    np.testing.assert_array_equal(image.numpy(), rgb.transpose(2, 0, 1))
    assert vio.read_image(str(FIXTURE), vio.ImageReadMode.RGB_ALPHA).numpy()[3].min() == 255


def test_gray_mode_is_itu_601_luma(rgb):
    gray = vio.read_image(FIXTURE, mode=vio.ImageReadMode.GRAY).numpy()
    assert gray.shape == (1, 97, 131)
    luma = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    # rounded to the nearest level (Pillow computes in 16-bit fixed point: up to 0.501 off)
    assert np.abs(gray[0] - luma).max() <= 0.51
    gray_alpha = vio.decode_image(vio.read_file(FIXTURE), vio.ImageReadMode.GRAY_ALPHA).numpy()
    np.testing.assert_array_equal(gray_alpha[0], gray[0])
    assert (gray_alpha[1] == 255).all()


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png_round_trip_is_exact(channels, tmp_path):
    array = np.random.default_rng(channels).integers(0, 256, (channels, 9, 13), dtype=np.uint8)
    tensor = ember.from_numpy(array)
    for level in (0, 9):
        encoded = vio.encode_png(tensor, compression_level=level)
        assert encoded.dtype == ember.uint8 and encoded.dim() == 1
        assert bytes(encoded.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
        np.testing.assert_array_equal(vio.decode_png(encoded).numpy(), array)
    vio.write_png(tensor, tmp_path / "x.png")
    np.testing.assert_array_equal(vio.read_image(tmp_path / "x.png").numpy(), array)
    # Pillow reads what we wrote as the same pixels
    pil = np.asarray(Image.open(tmp_path / "x.png"))
    np.testing.assert_array_equal(pil if channels == 1 else pil.transpose(2, 0, 1),
                                  array[0] if channels == 1 else array)


def test_palette_png_expands_to_rgb_or_rgba():
    indices = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    decoded = vio.decode_png(ember.from_numpy(np.frombuffer(buffer.getvalue(), np.uint8).copy()))
    np.testing.assert_array_equal(decoded.numpy()[:, 0, 0], [255, 0, 0])
    np.testing.assert_array_equal(decoded.numpy()[:, 1, 0], [0, 0, 255])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=1)
    decoded = vio.decode_png(ember.from_numpy(np.frombuffer(buffer.getvalue(), np.uint8).copy()))
    assert decoded.shape[0] == 4 and decoded.numpy()[3].tolist() == [[255, 0], [255, 0]]


def test_16_bit_png_keeps_its_values():
    values = np.array([[0, 1, 40000, 65535]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    decoded = vio.decode_png(ember.from_numpy(np.frombuffer(buffer.getvalue(), np.uint8).copy()))
    assert decoded.dtype == ember.int32
    assert decoded.numpy().tolist() == [[[0, 1, 40000, 65535]]]


def test_jpeg_quality_and_decode(rgb, tmp_path):
    tensor = ember.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    high, low = vio.encode_jpeg(tensor, quality=95), vio.encode_jpeg(tensor, quality=10)
    assert bytes(high.numpy()[:2]) == b"\xff\xd8" and high.shape[0] > low.shape[0]
    errors = [np.abs(vio.decode_jpeg(e).numpy().astype(int) - rgb.transpose(2, 0, 1)).mean()
              for e in (high, low)]
    # this image is hard for JPEG (checkerboard, 1-pixel lines, 4:2:0 chroma): ~7 vs ~19 levels
    assert errors[0] < 10 and errors[1] > 2 * errors[0]
    # the decoded pixels are Pillow's own decoding of those bytes
    pil = np.asarray(Image.open(io.BytesIO(bytes(high.numpy()))))
    np.testing.assert_array_equal(vio.decode_jpeg(high).numpy(), pil.transpose(2, 0, 1))
    both = vio.decode_jpeg([high, low], mode=vio.ImageReadMode.GRAY)
    assert [tuple(t.shape) for t in both] == [(1, 97, 131)] * 2
    vio.write_jpeg(tensor, tmp_path / "x.jpg", quality=95)
    np.testing.assert_array_equal(vio.read_file(tmp_path / "x.jpg").numpy(), high.numpy())
    gray = ember.from_numpy(np.ascontiguousarray(rgb[None, :, :, 0]))
    assert vio.decode_image(vio.encode_jpeg(gray)).shape[0] == 1


def test_exif_orientation_is_applied_on_request(tmp_path):
    array = np.zeros((4, 6, 3), np.uint8)
    array[0, 0] = 255  # a white top-left corner
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "o.jpg"
    image.save(path, quality=100, exif=exif)
    raw = vio.read_image(path).numpy()
    turned = vio.read_image(path, apply_exif_orientation=True).numpy()
    assert raw.shape == (3, 4, 6) and turned.shape == (3, 6, 4)
    np.testing.assert_array_equal(turned, np.rot90(raw, k=-1, axes=(1, 2)))


def test_read_and_write_file(tmp_path):
    data = ember.from_numpy(np.arange(256, dtype=np.uint8))
    vio.write_file(tmp_path / "b", data)
    assert (tmp_path / "b").read_bytes() == bytes(range(256))
    np.testing.assert_array_equal(vio.read_file(tmp_path / "b").numpy(), np.arange(256))


def test_errors(rgb):
    jpeg = vio.encode_jpeg(ember.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))))
    with pytest.raises(RuntimeError, match="content is not PNG"):
        vio.decode_png(jpeg)
    with pytest.raises(RuntimeError, match="could not decode the 5 bytes"):
        vio.decode_image(ember.from_numpy(np.frombuffer(b"hello", np.uint8).copy()))
    with pytest.raises(RuntimeError, match="1-D uint8 tensor of encoded bytes, got ember.float32"):
        vio.decode_image(ember.zeros(10))
    with pytest.raises(RuntimeError, match=r"C in \(1, 3\), got shape \(4, 2, 2\)"):
        vio.encode_jpeg(ember.zeros(4, 2, 2, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        vio.encode_png(ember.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="between 1 and 100"):
        vio.encode_jpeg(ember.zeros(3, 2, 2, dtype=ember.uint8), quality=0)
    with pytest.raises(ValueError, match="between 0 and 9"):
        vio.encode_png(ember.zeros(3, 2, 2, dtype=ember.uint8), compression_level=10)
