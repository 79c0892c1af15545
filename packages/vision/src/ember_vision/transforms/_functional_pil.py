"""The PIL path of ``transforms.functional``: Pillow's own operations, as torchvision calls them,
so that results equal torchvision's PIL results pixel for pixel."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def _is_pil_image(img) -> bool:
    return isinstance(img, Image.Image)


def _assert_pil(img) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    _assert_pil(img)
    channels = len(img.getbands())
    width, height = img.size
    return [channels, height, width]


def _parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """Pillow's fill argument: one value per band, ints unless the image is float ("F")."""
    num_channels = get_dimensions(img)[0]
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError(f"The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def hflip(img):
    _assert_pil(img)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    _assert_pil(img)
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img, top: int, left: int, height: int, width: int):
    _assert_pil(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size: list[int], interpolation=Image.Resampling.BILINEAR):
    """Resize to ``size`` = [h, w] (Pillow always antialiases when downsampling)."""
    _assert_pil(img)
    if not (isinstance(size, (list, tuple)) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    _assert_pil(img)
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (int, float, tuple, list, str)):
        raise TypeError("Got inappropriate fill arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(padding, int):
        padding = [padding]
    if len(padding) == 1:
        p = [padding[0]] * 4
    elif len(padding) == 2:
        p = [padding[0], padding[1], padding[0], padding[1]]
    else:
        p = list(padding)  # left, top, right, bottom
    if min(p) < 0:  # negative padding crops
        cl, ct, cr, cb = [-min(x, 0) for x in p]
        img = img.crop((cl, ct, img.width - cr, img.height - cb))
        p = [max(x, 0) for x in p]
    left, top, right, bottom = p
    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        if img.mode == "P":
            palette = img.getpalette()
            out = ImageOps.expand(img, border=tuple(p), **opts)
            out.putpalette(palette)
            return out
        return ImageOps.expand(img, border=tuple(p), **opts)
    palette = img.getpalette() if img.mode == "P" else None
    arr = np.asarray(img)
    widths = ((top, bottom), (left, right)) + (((0, 0),) if arr.ndim == 3 else ())
    out = Image.fromarray(np.pad(arr, widths, padding_mode))
    if palette is not None:
        out.putpalette(palette)  # the padded index array becomes a "P" image again
    return out


def to_grayscale(img, num_output_channels: int):
    _assert_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.asarray(img.convert("L"), dtype=np.uint8)
        return Image.fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def adjust_brightness(img, brightness_factor: float):
    _assert_pil(img)
    return ImageEnhance.Brightness(img).enhance(brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    _assert_pil(img)
    return ImageEnhance.Contrast(img).enhance(contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    _assert_pil(img)
    return ImageEnhance.Color(img).enhance(saturation_factor)


def adjust_sharpness(img, sharpness_factor: float):
    _assert_pil(img)
    return ImageEnhance.Sharpness(img).enhance(sharpness_factor)


def adjust_hue(img, hue_factor: float):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_pil(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    hue = np.array(h, dtype=np.uint8)
    # the hue channel wraps around: uint8 arithmetic overflows exactly as wanted
    hue += np.array(np.int32(hue_factor * 255)).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(hue, "L"), s, v)).convert(mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    _assert_pil(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def rotate(img, angle: float, interpolation=Image.Resampling.NEAREST, expand: bool = False,
           center=None, fill=None):
    _assert_pil(img)
    return img.rotate(angle, interpolation, expand, center, **_parse_fill(fill, img))


def affine(img, matrix: list[float], interpolation=Image.Resampling.NEAREST, fill=None):
    _assert_pil(img)
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation,
                         **_parse_fill(fill, img))


def perspective(img, perspective_coeffs: list[float], interpolation=Image.Resampling.BICUBIC,
                fill=None):
    _assert_pil(img)
    return img.transform(img.size, Image.Transform.PERSPECTIVE, perspective_coeffs,
                         interpolation, **_parse_fill(fill, img))


def invert(img):
    _assert_pil(img)
    return ImageOps.invert(img)


def posterize(img, bits: int):
    _assert_pil(img)
    return ImageOps.posterize(img, bits)


def solarize(img, threshold: int):
    _assert_pil(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    _assert_pil(img)
    return ImageOps.autocontrast(img)


def equalize(img):
    _assert_pil(img)
    return ImageOps.equalize(img)
