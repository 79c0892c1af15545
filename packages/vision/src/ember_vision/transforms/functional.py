"""``transforms.functional``: every image operation, on PIL images and on ember tensors.

Each function checks its arguments, turns user-facing parameters (angles, centres, corner points)
into the low-level form, and dispatches: a PIL image goes to ``_functional_pil`` (Pillow's own
operations, as torchvision does), a tensor (..., C, H, W) to ``_functional_tensor`` (ember ops).
Names, signatures and defaults are torchvision's.
"""

from __future__ import annotations

import math
import numbers
import warnings
from enum import Enum

import numpy as np
from PIL import Image

import ember

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    """Interpolation modes. Tensors support ``NEAREST``, ``NEAREST_EXACT``, ``BILINEAR`` and
    ``BICUBIC``; PIL images support all but ``NEAREST_EXACT``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"  # PIL only
    HAMMING = "hamming"  # PIL only
    LANCZOS = "lanczos"  # PIL only


pil_modes_mapping = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}

_PIL_INT_MODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                  3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                  5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    return _PIL_INT_MODES[i]


def _check_interpolation(interpolation) -> InterpolationMode:
    """Accept an ``InterpolationMode`` or the matching Pillow integer constant."""
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    return interpolation


def _is_pil_image(img) -> bool:
    return isinstance(img, Image.Image)


def _is_tensor(img) -> bool:
    return isinstance(img, ember.Tensor)


def _check_image(img) -> None:
    if not (_is_tensor(img) or _is_pil_image(img)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


# ---- size queries ----------------------------------------------------------------------------

def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image or a tensor (..., C, H, W)."""
    if _is_tensor(img):
        return F_t.get_dimensions(img)
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# ---- conversions -----------------------------------------------------------------------------

_PIL_NP_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def to_tensor(pic):
    """PIL image or ndarray (H, W, C) to a (C, H, W) tensor; uint8 data is scaled to [0, 1]."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = ember.from_numpy(np.ascontiguousarray(pic.transpose((2, 0, 1))))
    else:
        arr = np.array(pic, _PIL_NP_DTYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        img = ember.from_numpy(np.ascontiguousarray(arr.transpose((2, 0, 1))))
    if img.dtype == ember.uint8:
        return img.to(ember.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic):
    """PIL image to a (C, H, W) tensor of the same dtype, values unchanged."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    if arr.dtype == np.uint16:  # "I;16": ember has no uint16; int32 holds every value
        arr = arr.astype(np.int32)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return ember.from_numpy(arr).permute(2, 0, 1)


def convert_image_dtype(image, dtype=ember.float32):
    """Convert a tensor image to ``dtype``, rescaling values (e.g. uint8 255 -> float 1.0).

    Raises:
        RuntimeError: for float32 -> int32/int64 and float64 -> int64, which can overflow.
    """
    if not _is_tensor(image):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


def to_pil_image(pic, mode=None):
    """A tensor (C, H, W) or ndarray (H, W, C) to a PIL image; floats are scaled by 255."""
    if _is_tensor(pic):
        if pic.ndim == 3:
            pic = pic.permute(1, 2, 0)
        pic = pic.detach().cpu().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    mode = _pil_mode(npimg, mode)
    if npimg.shape[2] == 1:
        npimg = npimg[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(npimg), mode=mode)


_SINGLE_BAND_MODES = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                      np.dtype(np.int32): "I", np.dtype(np.float32): "F"}
_MULTI_BAND_MODES = {2: (["LA"], "LA"), 3: (["RGB", "YCbCr", "HSV"], "RGB"),
                     4: (["RGBA", "CMYK", "RGBX"], "RGBA")}


def _pil_mode(npimg: np.ndarray, mode):
    """Check a requested PIL mode against the array's channels and dtype, or pick the default."""
    channels = npimg.shape[2]
    if channels == 1:
        expected = _SINGLE_BAND_MODES.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted, default = _MULTI_BAND_MODES[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = default
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return mode


def normalize(tensor, mean: list[float], std: list[float], inplace: bool = False):
    """(x - mean) / std per channel of a float tensor image (..., C, H, W)."""
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# ---- resize and crops ------------------------------------------------------------------------

def _compute_resized_output_size(image_size: tuple[int, int], size, max_size=None) -> list[int]:
    """[h, w] after resizing: ``size`` [h, w] as is, or [s] for the shorter edge (keeping the
    aspect ratio, the longer edge capped at ``max_size``), or None with ``max_size``."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if max_size is None:
            raise ValueError("max_size must be an integer when size is None")
        new_short, new_long = int(max_size * short / long), max_size
    elif len(size) == 1:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    else:
        return [size[0], size[1]]
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` ([h, w], or an int / [int] for the shorter edge).

    Args:
        interpolation: an ``InterpolationMode``; PIL images are resized by Pillow, which always
            antialiases.
        max_size: cap for the longer edge when ``size`` gives the shorter one.
        antialias: low-pass filter tensors when downsampling (bilinear/bicubic), like PIL.
    """
    _check_image(img)
    interpolation = _check_interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1")
    elif size is not None and not isinstance(size, int):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == output_size:
        return img
    if _is_pil_image(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, output_size, pil_modes_mapping[interpolation])
    return F_t.resize(img, output_size, interpolation.value, antialias)


def crop(img, top: int, left: int, height: int, width: int):
    """Crop the box at (top, left) of size (height, width); outside the image is zero-padded."""
    if _is_pil_image(img):
        return F_pil.crop(img, top, left, height, width)
    return F_t.crop(img, top, left, height, width)


def _pair(size, name: str = "size") -> tuple[int, int]:
    """An int or a 1/2-sequence as (h, w)."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return size[0], size[1]
    raise ValueError(f"Please provide only two dimensions (h, w) for {name}, got {size}")


def center_crop(img, output_size):
    """Crop the centre (h, w) box; a box larger than the image pads with zeros first."""
    crop_h, crop_w = _pair(output_size, "output_size")
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        padding_ltrb = [(crop_w - w) // 2 if crop_w > w else 0,
                        (crop_h - h) // 2 if crop_h > h else 0,
                        (crop_w - w + 1) // 2 if crop_w > w else 0,
                        (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def five_crop(img, size):
    """The four corner crops and the centre crop, as a tuple (tl, tr, bl, br, center)."""
    crop_h, crop_w = _pair(size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size "
                         f"{(h, w)}")
    tl = crop(img, 0, 0, crop_h, crop_w)
    tr = crop(img, 0, w - crop_w, crop_h, crop_w)
    bl = crop(img, h - crop_h, 0, crop_h, crop_w)
    br = crop(img, h - crop_h, w - crop_w, crop_h, crop_w)
    return tl, tr, bl, br, center_crop(img, [crop_h, crop_w])


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image and of its horizontal (or vertical) flip."""
    size = _pair(size)
    first = five_crop(img, size)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return first + five_crop(flipped, size)


# ---- padding and flips -----------------------------------------------------------------------

def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad by ``padding`` (int, [lr, tb] or [l, t, r, b]; negative values crop).

    Args:
        fill: value for ``constant`` mode (a tuple per channel for PIL images).
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """
    if _is_pil_image(img):
        return F_pil.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)
    return F_t.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def hflip(img):
    """Flip left-right."""
    if _is_pil_image(img):
        return F_pil.hflip(img)
    return F_t.hflip(img)


def vflip(img):
    """Flip top-bottom."""
    if _is_pil_image(img):
        return F_pil.vflip(img)
    return F_t.vflip(img)


# ---- geometric warps -------------------------------------------------------------------------

def _get_inverse_affine_matrix(center: list[float], angle: float, translate: list[float],
                               scale: float, shear: list[float], inverted: bool = True
                               ) -> list[float]:
    """The 2x3 matrix (row-major, 6 values) of rotation ``angle`` (degrees, clockwise in image
    coordinates) and ``shear`` around ``center``, scaled and translated; ``inverted`` maps
    output pixels to input pixels, as PIL's ``Image.transform`` and grid sampling need.

    The forward map is T * C * R * S * Sh * C^-1 with R the rotation, Sh the shear
    [[1, -tan(sx)], [-tan(sy), 1]] combined as in torchvision.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # RSS without scaling
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
        m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
        m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
        return m
    m = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
    m[2] = m[0] * -cx + m[1] * -cy + cx + tx
    m[5] = m[3] * -cx + m[4] * -cy + cy + ty
    return m


def _tensor_center(img, center) -> list[float]:
    """A pixel centre as an offset from the image centre (the tensor path's origin)."""
    if center is None:
        return [0.0, 0.0]
    _, h, w = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees around ``center`` (default: the centre).

    Args:
        expand: enlarge the output to hold the whole rotated image.
        fill: colour of the area outside the input (default 0).
    """
    _check_image(img)
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if _is_pil_image(img):
        return F_pil.rotate(img, angle=angle, interpolation=pil_modes_mapping[interpolation],
                            expand=expand, center=center, fill=fill)
    matrix = _get_inverse_affine_matrix(_tensor_center(img, center), -angle, [0.0, 0.0], 1.0,
                                        [0.0, 0.0])
    return F_t.rotate(img, matrix=matrix, interpolation=interpolation.value, expand=expand,
                      fill=fill)


def _parse_shear(shear) -> list[float]:
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    if not isinstance(shear, (list, tuple)) or len(shear) not in (1, 2):
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return [float(shear[0])] * 2 if len(shear) == 1 else [float(s) for s in shear]


def affine(img, angle: float, translate: list[int], scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate by ``angle`` (degrees), ``translate`` ([dx, dy] pixels), ``scale`` and ``shear``
    (degrees, [x, y] or one value for x) around ``center``, keeping the image size."""
    _check_image(img)
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"Argument translate should be a sequence of length 2, got {translate}")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    shear = _parse_shear(shear)
    _, h, w = get_dimensions(img)
    if _is_pil_image(img):
        # PIL's origin is the top-left corner: rotate about the (unshifted) image centre
        center = [w * 0.5, h * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix=matrix, interpolation=pil_modes_mapping[interpolation],
                            fill=fill)
    matrix = _get_inverse_affine_matrix(_tensor_center(img, center), angle,
                                        [1.0 * t for t in translate], scale, shear)
    return F_t.affine(img, matrix=matrix, interpolation=interpolation.value, fill=fill)


def _get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    """The 8 coefficients of the homography mapping ``endpoints`` onto ``startpoints`` (what
    PIL's PERSPECTIVE transform takes), solved in float64 and rounded to float32 like
    torchvision."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} "
                         f"startpoints and {len(endpoints)} endpoints.")
    a = np.zeros((8, 8))
    for i, ((x, y), (u, v)) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    res = np.linalg.lstsq(a, b, rcond=None)[0]
    return res.astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Warp so that the four ``startpoints`` [[x, y], ...] (tl, tr, br, bl) land on
    ``endpoints``."""
    _check_image(img)
    interpolation = _check_interpolation(interpolation)
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    if _is_pil_image(img):
        return F_pil.perspective(img, coeffs, interpolation=pil_modes_mapping[interpolation],
                                 fill=fill)
    return F_t.perspective(img, coeffs, interpolation=interpolation.value, fill=fill)


def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move every pixel by ``displacement`` (1, H, W, 2) in normalised [-1, 1] coordinates."""
    _check_image(img)
    interpolation = _check_interpolation(interpolation)
    if not _is_tensor(displacement):
        raise TypeError("Argument displacement should be a Tensor")
    t_img = pil_to_tensor(img) if _is_pil_image(img) else img
    shape = list(t_img.shape)
    shape = (1, *shape[-2:], 2)
    if tuple(displacement.shape) != shape:
        raise ValueError(f"Argument displacement shape should be {shape}, but given "
                         f"{tuple(displacement.shape)}")
    out = F_t.elastic_transform(t_img, displacement, interpolation.value, fill)
    return to_pil_image(out, mode=img.mode) if _is_pil_image(img) else out


# ---- colour ----------------------------------------------------------------------------------

def _dispatch(name: str, img, *args):
    """Call the PIL or tensor implementation ``name``."""
    _check_image(img)
    impl = F_pil if _is_pil_image(img) else F_t
    return getattr(impl, name)(img, *args)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma (ITU-R 601-2) of an RGB image, as 1 or 3 identical channels."""
    if _is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def to_grayscale(img, num_output_channels: int = 1):
    """PIL-only spelling of ``rgb_to_grayscale``."""
    if not _is_pil_image(img):
        raise TypeError("Input should be PIL Image")
    return F_pil.to_grayscale(img, num_output_channels)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: 0 gives black, 1 the original, 2 twice as bright."""
    return _dispatch("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level: 0 gives solid grey, 1 the original."""
    return _dispatch("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 gives grey, 1 the original."""
    return _dispatch("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Shift the hue by ``hue_factor`` turns, in [-0.5, 0.5]."""
    return _dispatch("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """out = 255 * gain * (in / 255) ** gamma."""
    return _dispatch("adjust_gamma", img, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy: 0 blurs, 1 is the original, 2 sharpens."""
    return _dispatch("adjust_sharpness", img, sharpness_factor)


def invert(img):
    """max - img per channel."""
    return _dispatch("invert", img)


def posterize(img, bits: int):
    """Keep the top ``bits`` bits of each uint8 channel."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _dispatch("posterize", img, bits)


def solarize(img, threshold: float):
    """Invert the pixels at or above ``threshold``."""
    return _dispatch("solarize", img, threshold)


def autocontrast(img):
    """Stretch each channel to the full range."""
    return _dispatch("autocontrast", img)


def equalize(img):
    """Equalise the histogram of each uint8 channel (PIL's algorithm)."""
    return _dispatch("equalize", img)


# ---- filtering and erasing -------------------------------------------------------------------

def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel (reflect padding).

    Args:
        kernel_size: odd positive ints [kx, ky] (or one int).
        sigma: [sx, sy] (or one float); default ``0.15 * k + 0.35``.
    """
    _check_image(img)
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) == 1:
        kernel_size = [kernel_size[0], kernel_size[0]]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _is_pil_image(img):
        # torchvision blurs PIL images on the tensor path too
        out = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
        return to_pil_image(out, mode=img.mode)
    return F_t.gaussian_blur(img, kernel_size, sigma)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the (h, w) box at (i, j) of a tensor image to ``v``."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)
