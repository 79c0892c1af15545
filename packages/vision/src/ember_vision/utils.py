"""torchvision.utils: image grids, saving tensors as images, drawing boxes and masks."""

from __future__ import annotations

import math
import pathlib
import warnings
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks"]

Color = str | tuple[int, int, int]


@ember.no_grad()
def make_grid(tensor: ember.Tensor | list[ember.Tensor], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: tuple[float, float] | None = None,
              scale_each: bool = False, pad_value: float = 0.0) -> ember.Tensor:
    """Lay a batch of images out as one image, ``nrow`` images per row.

    Args:
        tensor (Tensor or list[Tensor]): (B, C, H, W) images, a list of (C, H, W) images of one
            size, or a single (C, H, W) / (H, W) image.
        nrow (int, optional): images per row. Default: 8.
        padding (int, optional): pixels between (and around) the images. Default: 2.
        normalize (bool, optional): shift and scale to [0, 1] by ``value_range`` (default: the
            tensor's min and max). Default: False.
        value_range (tuple, optional): (min, max) used by ``normalize``; values are clamped to it.
        scale_each (bool, optional): normalize each image by its own min/max. Default: False.
        pad_value (float, optional): the value of the padding pixels. Default: 0.

    Shape:
        - Output: (C, (H + padding) * rows + padding, (W + padding) * cols + padding), with
          single-channel images repeated to 3 channels.

    Examples::

        >>> grid = make_grid(ember.rand(16, 3, 32, 32), nrow=4)   # (3, 138, 138)
    """
    if not (ember.is_tensor(tensor) or
            (isinstance(tensor, list) and all(ember.is_tensor(t) for t in tensor))):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = ember.stack(tensor, dim=0)
    if tensor.dim() == 2:  # a single (H, W) image
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # a single image
        if tensor.shape[0] == 1:
            tensor = ember.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4:
        raise ValueError(f"make_grid expects (B, C, H, W) images, got shape {tuple(tensor.shape)}")
    if tensor.shape[1] == 1:  # single-channel images shown as gray RGB
        tensor = ember.cat((tensor, tensor, tensor), 1)

    if normalize:
        tensor = tensor.clone()  # normalized in place below
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        for image in (tensor if scale_each else [tensor]):
            _normalize_(image, value_range)

    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps = tensor.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = int(tensor.shape[2] + padding), int(tensor.shape[3] + padding)
    grid = tensor.new_full((tensor.shape[1], height * ymaps + padding, width * xmaps + padding),
                           pad_value)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid.narrow(1, y * height + padding, height - padding).narrow(
            2, x * width + padding, width - padding).copy_(tensor[k])
    return grid


def _normalize_(image: ember.Tensor, value_range: tuple[float, float] | None) -> None:
    """Clamp ``image`` to ``value_range`` (default its min, max) and map it to [0, 1], in place."""
    low, high = value_range if value_range is not None else (float(image.min()), float(image.max()))
    image.clamp_(min=low, max=high)
    image.sub_(low).div_(max(high - low, 1e-5))


@ember.no_grad()
def save_image(tensor: ember.Tensor | list[ember.Tensor], fp: str | pathlib.Path | BinaryIO,
               format: str | None = None, **kwargs) -> None:
    """Save images with values in [0, 1] to an image file (a batch becomes a ``make_grid``).

    Args:
        tensor (Tensor or list[Tensor]): the image(s).
        fp (str or ``pathlib.Path`` or file object): where to write.
        format (str, optional): the image format; default from the file name's extension
            (required for a file object).
        **kwargs: passed to :func:`make_grid`.

    Pixels are rounded to the nearest of 0..255: ``(x * 255 + 0.5)`` clamped, then truncated.
    """
    grid = make_grid(tensor, **kwargs)
    array = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", ember.uint8).numpy()
    Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(fp, format=format)


def _generate_color_palette(num_objects: int) -> list[tuple[int, int, int]]:
    """torchvision's default colors: object i gets (i * (2**25-1, 2**15-1, 2**21-1)) % 255."""
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1], dtype=np.int64)
    return [tuple(int(c) for c in (i * palette) % 255) for i in range(num_objects)]


def _parse_colors(colors: Color | list[Color] | None, num_objects: int) -> list[tuple[int, ...]]:
    """One RGB tuple per object from None (the palette), one color, or a list of colors."""
    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError("Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"`colors` must be a tuple or a string, or a list thereof, but got {colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:  # one color for every object
        colors = [colors] * num_objects
    return [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]


def _check_image(image: ember.Tensor, fn: str, channels: tuple[int, ...]) -> None:
    if not ember.is_tensor(image):
        raise TypeError(f"{fn}: Tensor expected, got {type(image)}")
    if image.dtype != ember.uint8 and not image.dtype.is_floating_point:
        raise ValueError(f"{fn}: the image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError(f"{fn}: pass individual (C, H, W) images, not batches (got shape "
                         f"{tuple(image.shape)})")
    if image.shape[0] not in channels:
        raise ValueError(f"{fn}: only images with {' or '.join(map(str, channels))} channels are "
                         f"supported, got {image.shape[0]}")


def _to_uint8_hwc(image: ember.Tensor) -> np.ndarray:
    """A (C, H, W) uint8 or float-in-[0, 1] image as a uint8 (H, W, C) array."""
    array = image.detach().cpu().numpy()
    if image.dtype.is_floating_point:  # like convert_image_dtype: scale by 255, truncate
        array = (np.clip(array, 0, 1) * 255.0).astype(np.uint8)
    return np.ascontiguousarray(array.transpose(1, 2, 0))


def _from_uint8_hwc(array: np.ndarray, dtype: ember.dtype) -> ember.Tensor:
    out = ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    return out if dtype == ember.uint8 else out.to(dtype).div_(255)


@ember.no_grad()
def draw_bounding_boxes(image: ember.Tensor, boxes: ember.Tensor, labels: list[str] | None = None,
                        colors: Color | list[Color] | None = None, fill: bool = False,
                        width: int = 1, font: str | None = None,
                        font_size: int | None = None) -> ember.Tensor:
    """Draw boxes (and labels) on an image, with Pillow's ``ImageDraw``.

    Args:
        image (Tensor): (C, H, W) with C = 1 or 3, uint8 or float in [0, 1].
        boxes (Tensor): (N, 4) boxes ``(xmin, ymin, xmax, ymax)`` in pixels (truncated to int).
        labels (list[str], optional): one label per box, drawn inside its top-left corner.
        colors (color or list of colors, optional): PIL color names / ``"#RRGGBB"`` / RGB
            tuples; default: torchvision's palette.
        fill (bool, optional): also fill the boxes (alpha 100/255). Default: False.
        width (int, optional): outline width. Default: 1.
        font (str, optional): a TrueType font file for the labels (default: Pillow's font).
        font_size (int, optional): the TrueType font size (default 10).

    Returns:
        Tensor: (3, H, W), the dtype of ``image``.

    Examples::

        >>> image = ember.zeros(3, 64, 64, dtype=ember.uint8)
        >>> out = draw_bounding_boxes(image, ember.tensor([[4, 4, 30, 40]]), colors="red")
    """
    _check_image(image, "draw_bounding_boxes", (1, 3))
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes should be of shape (N, 4), got {tuple(boxes.shape)}")
    box_list = boxes.detach().cpu().to(ember.int64).tolist()
    if any(x1 > x2 or y1 > y2 for x1, y1, x2, y2 in box_list):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "ember_vision.ops.box_convert to convert them")
    if not box_list:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is not None and len(labels) != len(box_list):
        raise ValueError(f"Number of boxes ({len(box_list)}) and labels ({len(labels)}) mismatch. "
                         "Please specify one label per box.")
    colors_ = _parse_colors(colors, len(box_list))
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.", stacklevel=2)
        text_font = ImageFont.load_default()
    else:
        text_font = ImageFont.truetype(font=font, size=font_size or 10)

    array = _to_uint8_hwc(image)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    canvas = Image.fromarray(array)
    draw = ImageDraw.Draw(canvas, "RGBA" if fill else None)
    for i, (box, color) in enumerate(zip(box_list, colors_)):
        fill_color = color + (100,) if fill else None
        draw.rectangle(box, width=width, outline=color, fill=fill_color)
        if labels is not None and labels[i] is not None:
            margin = width + 1
            draw.text((box[0] + margin, box[1] + margin), labels[i], fill=color, font=text_font)
    return _from_uint8_hwc(np.asarray(canvas), image.dtype)


@ember.no_grad()
def draw_segmentation_masks(image: ember.Tensor, masks: ember.Tensor, alpha: float = 0.8,
                            colors: Color | list[Color] | None = None) -> ember.Tensor:
    """Blend boolean masks onto an RGB image: ``image * (1 - alpha) + colored * alpha``.

    Args:
        image (Tensor): (3, H, W), uint8 or float in [0, 1].
        masks (Tensor): bool, (N, H, W) or (H, W).
        alpha (float, optional): the masks' opacity, 0 (invisible) to 1. Default: 0.8.
        colors (color or list of colors, optional): one per mask; default: torchvision's palette.

    Pixels covered by more than one mask are painted black in the colored layer (torchvision's
    rule). The result has the dtype of ``image`` (uint8 results are truncated, not rounded).

    Returns:
        Tensor: (3, H, W).
    """
    _check_image(image, "draw_segmentation_masks", (3,))
    if masks.dim() == 2:
        masks = masks.unsqueeze(0)
    if masks.dim() != 3:
        raise ValueError(f"masks must be of shape (H, W) or (num_masks, H, W), got {tuple(masks.shape)}")
    if masks.dtype != ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError(f"The image and the masks must have the same height and width, got "
                         f"{tuple(image.shape[-2:])} and {tuple(masks.shape[-2:])}")
    if masks.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    scale = 1.0 if image.dtype == ember.uint8 else 1 / 255
    colors_ = np.array(_parse_colors(colors, masks.shape[0]), dtype=np.float64) * scale

    pixels = image.detach().cpu().numpy()
    mask_array = masks.detach().cpu().numpy()
    colored = pixels.copy()
    for mask, color in zip(mask_array, colors_):
        colored[:, mask] = color.astype(pixels.dtype)[:, None]
    colored[:, mask_array.sum(axis=0) > 1] = 0
    # in float32 (float64 for float64 images), like torchvision's tensor arithmetic
    work = np.float64 if pixels.dtype == np.float64 else np.float32
    out = pixels.astype(work) * work(1 - alpha) + colored.astype(work) * work(alpha)
    return ember.from_numpy(out.astype(pixels.dtype)).to(image.device)
