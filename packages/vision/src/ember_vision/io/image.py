"""Reading, decoding, encoding and writing PNG/JPEG images as uint8 (C, H, W) tensors, through Pillow.

The API is ``torchvision.io``'s: encoded data travels as 1-D uint8 tensors (``read_file``),
decoded images as uint8 tensors of shape (C, H, W). The codecs are Pillow's (libpng, libjpeg),
so decoded pixels equal ``np.asarray(PIL.Image.open(...))``; where torchvision's own libjpeg
build differs (JPEG IDCT rounding, the RGB -> gray weights of ``ImageReadMode.GRAY``), pixels
can differ by a few levels from torchvision's.
"""

from __future__ import annotations

import enum
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

import ember

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png", "decode_jpeg",
           "encode_png", "encode_jpeg", "write_png", "write_jpeg", "read_image"]


class ImageReadMode(enum.Enum):
    """How ``decode_*``/``read_image`` convert the decoded image.

    * ``UNCHANGED``: as stored (palette images are expanded to RGB, or RGBA with transparency).
    * ``GRAY``, ``GRAY_ALPHA``, ``RGB``, ``RGB_ALPHA``: converted to 1, 2, 3 or 4 channels.
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def _mode(mode: ImageReadMode | str | int) -> ImageReadMode:
    if isinstance(mode, str):
        return ImageReadMode[mode.upper()]
    return ImageReadMode(mode)


# ---- raw bytes ----------------------------------------------------------------------------------

def read_file(path: str | Path) -> ember.Tensor:
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        data = f.read()
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename: str | Path, data: ember.Tensor) -> None:
    """Write a 1-D uint8 tensor of bytes to ``filename``."""
    with open(filename, "wb") as f:
        f.write(_as_bytes(data, "write_file"))


def _as_bytes(data: ember.Tensor, fn: str) -> bytes:
    if not ember.is_tensor(data) or data.dtype != ember.uint8 or data.dim() != 1:
        what = f"{data.dtype} tensor of shape {tuple(data.shape)}" if ember.is_tensor(data) \
            else type(data).__name__
        raise RuntimeError(f"{fn}: expected a 1-D uint8 tensor of encoded bytes, got {what}")
    return data.numpy().tobytes()


# ---- decoding -----------------------------------------------------------------------------------

def _open(data: bytes, fn: str, expected_format: str | None) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise RuntimeError(f"{fn}: could not decode the {len(data)} bytes as an image "
                           f"({error})") from error
    if expected_format is not None and image.format != expected_format:
        raise RuntimeError(f"{fn}: content is not {expected_format} (it is {image.format})")
    return image


def _to_tensor(image: Image.Image, mode: ImageReadMode, apply_exif_orientation: bool) -> ember.Tensor:
    if apply_exif_orientation:
        image = ImageOps.exif_transpose(image)
    if mode is not ImageReadMode.UNCHANGED:
        image = image.convert(_PIL_MODE[mode])
    elif image.mode.startswith("I;16"):
        # 16-bit PNG: ember has no uint16, so values go to int32 (they are all in [0, 65535])
        return ember.from_numpy(np.asarray(image).astype(np.int32)[None])
    elif image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGB")  # CMYK, YCbCr, ...
    array = np.asarray(image)
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return ember.from_numpy(np.ascontiguousarray(array))


def decode_image(input: ember.Tensor | str | Path,
                 mode: ImageReadMode = ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode an encoded image (PNG, JPEG, GIF, WEBP, ... whatever Pillow reads).

    Args:
        input (Tensor or str or ``pathlib.Path``): the encoded bytes as a 1-D uint8 tensor, or
            a file path.
        mode (ImageReadMode, optional): channel conversion; default ``UNCHANGED``.
        apply_exif_orientation (bool, optional): rotate/flip as the EXIF orientation tag says.

    Returns:
        Tensor: uint8 of shape (C, H, W) (int32 for a 16-bit image read ``UNCHANGED``).

    Raises:
        RuntimeError: the data is not an image that Pillow can decode.
    """
    if isinstance(input, (str, Path)):
        input = read_file(input)
    image = _open(_as_bytes(input, "decode_image"), "decode_image", None)
    return _to_tensor(image, _mode(mode), apply_exif_orientation)


def decode_png(input: ember.Tensor, mode: ImageReadMode = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode PNG bytes (a 1-D uint8 tensor) into a uint8 (C, H, W) tensor (see ``decode_image``)."""
    image = _open(_as_bytes(input, "decode_png"), "decode_png", "PNG")
    return _to_tensor(image, _mode(mode), apply_exif_orientation)


def decode_jpeg(input: ember.Tensor | list[ember.Tensor],
                mode: ImageReadMode = ImageReadMode.UNCHANGED, device: str = "cpu",
                apply_exif_orientation: bool = False) -> ember.Tensor | list[ember.Tensor]:
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) into uint8 (C, H, W) tensors.

    ``device`` is where the result goes (the decoding itself runs on the CPU).
    """
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(one, mode, device, apply_exif_orientation) for one in input]
    image = _open(_as_bytes(input, "decode_jpeg"), "decode_jpeg", "JPEG")
    return _to_tensor(image, _mode(mode), apply_exif_orientation).to(device)


def read_image(path: str | Path, mode: ImageReadMode = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Read an image file into a uint8 (C, H, W) tensor (see ``decode_image``)."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


# ---- encoding -----------------------------------------------------------------------------------

def _to_pil(input: ember.Tensor, fn: str, channels: tuple[int, ...]) -> Image.Image:
    if not ember.is_tensor(input) or input.dtype != ember.uint8:
        what = input.dtype if ember.is_tensor(input) else type(input).__name__
        raise RuntimeError(f"{fn}: input tensor dtype should be uint8, got {what}")
    if input.dim() != 3 or input.shape[0] not in channels:
        raise RuntimeError(f"{fn}: input should be a (C, H, W) tensor with C in {channels}, got "
                           f"shape {tuple(input.shape)}")
    array = input.detach().cpu().numpy().transpose(1, 2, 0)
    return Image.fromarray(np.ascontiguousarray(array[:, :, 0] if array.shape[2] == 1 else array))


def _encoded(image: Image.Image, **save_args) -> ember.Tensor:
    buffer = io.BytesIO()
    image.save(buffer, **save_args)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_png(input: ember.Tensor, compression_level: int = 6) -> ember.Tensor:
    """Encode a uint8 (C, H, W) image (C = 1, 2, 3 or 4) as PNG bytes (a 1-D uint8 tensor).

    Args:
        input (Tensor): the image.
        compression_level (int, optional): zlib level 0 (none) to 9 (smallest); default 6.
    """
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encoded(_to_pil(input, "encode_png", (1, 2, 3, 4)), format="PNG",
                    compress_level=compression_level)


def encode_jpeg(input: ember.Tensor | list[ember.Tensor],
                quality: int = 75) -> ember.Tensor | list[ember.Tensor]:
    """Encode a uint8 (C, H, W) image (C = 1 or 3), or a list of them, as JPEG bytes.

    Args:
        input (Tensor or list[Tensor]): the image(s).
        quality (int, optional): JPEG quality 1-100; default 75.
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(one, quality) for one in input]
    return _encoded(_to_pil(input, "encode_jpeg", (1, 3)), format="JPEG", quality=quality)


def write_png(input: ember.Tensor, filename: str | Path, compression_level: int = 6) -> None:
    """Encode a uint8 (C, H, W) image as PNG and write it to ``filename``."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input: ember.Tensor, filename: str | Path, quality: int = 75) -> None:
    """Encode a uint8 (C, H, W) image as JPEG and write it to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))
