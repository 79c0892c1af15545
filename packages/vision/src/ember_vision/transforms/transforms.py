"""The v1 transform classes (``torchvision.transforms``): PIL images and tensors (..., C, H, W).

Deterministic transforms hold their parameters and call ``functional``. Random ones draw their
parameters with ember's random functions in a static ``get_params`` (as torchvision does), so
``ember.manual_seed`` makes them reproducible.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import ember
from ember import nn

from . import functional as F
from ._random import coin as _coin
from ._random import randint as _randint
from ._random import uniform as _uniform
from .functional import InterpolationMode

__all__ = [
    "Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize",
    "Resize", "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
    "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "FiveCrop",
    "TenCrop", "LinearTransformation", "ColorJitter", "RandomRotation", "RandomAffine",
    "Grayscale", "RandomGrayscale", "RandomPerspective", "RandomErasing", "GaussianBlur",
    "InterpolationMode", "RandomInvert", "RandomPosterize", "RandomSolarize",
    "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize", "ElasticTransform",
]


def _setup_size(size, error_msg: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error_msg)
    return size[0], size[1]


def _setup_angle(x, name: str, req_sizes=(2,)) -> list[float]:
    """A number d as [-d, d], or a sequence of one of ``req_sizes`` lengths."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [-float(x), float(x)]
    if not isinstance(x, Sequence) or len(x) not in req_sizes:
        sizes = " or ".join(map(str, req_sizes))
        raise ValueError(f"{name} should be a sequence of length {sizes}.")
    return [float(d) for d in x]


def _tensor_fill(img, fill):
    """Tensors take one fill value per channel (a list of floats)."""
    if isinstance(img, ember.Tensor):
        channels = F.get_dimensions(img)[0]
        if isinstance(fill, (int, float)):
            return [float(fill)] * channels
        return [float(f) for f in fill]
    return fill


def _check_fill_arg(fill) -> None:
    if fill is None:
        raise TypeError("Fill should be either a sequence or a number, not None")
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Fill should be either a sequence or a number.")


def resized_crop_params(height: int, width: int, scale, ratio) -> tuple[int, int, int, int]:
    """``RandomResizedCrop``'s random box (top, left, h, w) on a ``height`` x ``width`` image:
    area fraction uniform in ``scale``, aspect ratio log-uniform in ``ratio``; after 10 failed
    draws, a central crop with the aspect ratio clamped to ``ratio``."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * _uniform(scale[0], scale[1])
        aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def crop_params(height: int, width: int, output_size) -> tuple[int, int, int, int]:
    """``RandomCrop``'s uniformly placed box (top, left, h, w) of ``output_size``."""
    th, tw = output_size
    if height < th or width < tw:
        raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                         f"{(height, width)}")
    if width == tw and height == th:
        return 0, 0, height, width
    return _randint(0, height - th + 1), _randint(0, width - tw + 1), th, tw


# ---- containers ------------------------------------------------------------------------------

class Compose:
    """Chain transforms: ``Compose([t1, t2])(img) == t2(t1(img))``.

    Args:
        transforms (list): the transforms to apply in order.

    Examples::

        >>> transforms.Compose([transforms.CenterCrop(10), transforms.PILToTensor(),
        ...                     transforms.ConvertImageDtype(ember.float)])
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class RandomTransforms:
    """Base of the containers that pick among ``transforms`` at random."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class RandomApply(nn.Module):
    """Apply all ``transforms`` (in order) with probability ``p``, else none.

    Args:
        transforms (sequence or nn.Module): the transforms.
        p (float): probability. Default 0.5.
    """

    def __init__(self, transforms, p: float = 0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < float(ember.rand(1).item()):
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}(\n    p={self.p}{lines}\n)"


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order."""

    def __call__(self, img):
        for i in ember.randperm(len(self.transforms)).tolist():
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with probabilities ``p`` (uniform by default).

    Args:
        transforms (sequence): the candidates.
        p (sequence of floats, optional): their relative weights.
    """

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        self.p = p

    def __call__(self, *args):
        weights = [1.0] * len(self.transforms) if self.p is None else [float(w) for w in self.p]
        idx = int(ember.multinomial(ember.tensor(weights, dtype=ember.float64), 1).item())
        return self.transforms[idx](*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


class Lambda:
    """Apply a user function as a transform.

    Args:
        lambd (callable): the function.
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


# ---- conversions -----------------------------------------------------------------------------

class ToTensor:
    """PIL image or ndarray (H, W, C) uint8 to a float tensor (C, H, W) in [0, 1]; other
    dtypes are converted without scaling.

    Examples::

        >>> transforms.ToTensor()(Image.new("RGB", (4, 2))).shape
        ember.Size([3, 2, 4])
    """

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image (H, W, C) to a tensor (C, H, W) of the same dtype, values unchanged."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ConvertImageDtype(nn.Module):
    """Convert a tensor image to ``dtype``, rescaling its values (see
    ``functional.convert_image_dtype``).

    Args:
        dtype (ember.dtype): the output dtype.
    """

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage:
    """A tensor (C, H, W) or ndarray (H, W, C) to a PIL image.

    Args:
        mode (str, optional): the PIL mode; by default inferred from channels and dtype
            (1: "L"/"I"/"F", 2: "LA", 3: "RGB", 4: "RGBA").
    """

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = "" if self.mode is None else f"mode={self.mode}"
        return f"{self.__class__.__name__}({mode})"


class Normalize(nn.Module):
    """Normalize a float tensor image per channel: ``(x - mean[c]) / std[c]``.

    Args:
        mean (sequence): per-channel means.
        std (sequence): per-channel standard deviations.
        inplace (bool): modify the input. Default False.

    Shape:
        (..., C, H, W) in and out.
    """

    def __init__(self, mean, std, inplace: bool = False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class LinearTransformation(nn.Module):
    """Flatten the image, subtract ``mean_vector`` and multiply by ``transformation_matrix``
    (e.g. ZCA whitening).

    Args:
        transformation_matrix (Tensor): (D, D) with D = C * H * W.
        mean_vector (Tensor): (D,).
    """

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        if transformation_matrix.shape[0] != transformation_matrix.shape[1]:
            raise ValueError(f"transformation_matrix should be square. Got "
                             f"{tuple(transformation_matrix.shape)} rectangular matrix.")
        if mean_vector.shape[0] != transformation_matrix.shape[0]:
            raise ValueError(f"mean_vector should have the same length {mean_vector.shape[0]} as "
                             f"any one of the dimensions of the transformation_matrix "
                             f"[{tuple(transformation_matrix.shape)}]")
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor):
        shape = tuple(tensor.shape)
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(f"Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                             f"{self.transformation_matrix.shape[0]}")
        flat = tensor.reshape(-1, n) - self.mean_vector
        return flat.matmul(self.transformation_matrix.to(flat.dtype)).reshape(shape)


# ---- size and crops --------------------------------------------------------------------------

class Resize(nn.Module):
    """Resize to ``size``: (h, w), or an int for the shorter edge (keeping the aspect ratio).

    Args:
        size (int or sequence): the output size.
        interpolation (InterpolationMode): Default BILINEAR.
        max_size (int, optional): cap for the longer edge when ``size`` is an int.
        antialias (bool): antialias tensors when downsampling (PIL always does). Default True.

    Examples::

        >>> transforms.Resize(256)(ember.rand(3, 480, 640)).shape
        ember.Size([3, 256, 341])
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)) and size is not None:
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F._check_interpolation(interpolation)
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop(nn.Module):
    """Crop the centre; a crop larger than the image pads with zeros.

    Args:
        size (int or sequence): (h, w) of the crop, or an int for a square.
    """

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(nn.Module):
    """Pad every side.

    Args:
        padding (int or sequence): all sides, (left/right, top/bottom) or (l, t, r, b).
        fill (number or tuple): constant mode value. Default 0.
        padding_mode (str): ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop(nn.Module):
    """Crop at a random location.

    Args:
        size (int or sequence): (h, w) of the crop.
        padding (int or sequence, optional): padding applied first (see ``Pad``).
        pad_if_needed (bool): pad an image smaller than ``size``. Default False.
        fill, padding_mode: as in ``Pad``.
    """

    @staticmethod
    def get_params(img, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """Random (top, left, height, width) of a crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        return crop_params(h, w, output_size)

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop(nn.Module):
    """Crop a random area (fraction ``scale`` of the image, aspect ratio in ``ratio``) and
    resize it to ``size`` (the Inception training crop).

    Args:
        size (int or sequence): output (h, w).
        scale (tuple): range of the crop's area fraction. Default (0.08, 1.0).
        ratio (tuple): range of its aspect ratio w/h (drawn log-uniformly). Default (3/4, 4/3).
        interpolation (InterpolationMode): Default BILINEAR.
        antialias (bool): Default True.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        self.interpolation = F._check_interpolation(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale: list[float], ratio: list[float]) -> tuple[int, int, int, int]:
        """Random (top, left, height, width); after 10 failed draws, a central crop with the
        aspect ratio clamped to ``ratio``."""
        _, height, width = F.get_dimensions(img)
        return resized_crop_params(height, width, scale, ratio)

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, scale={self.scale}, "
                f"ratio={self.ratio}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class FiveCrop(nn.Module):
    """The four corner crops and the centre crop, as a tuple of 5 images.

    Args:
        size (int or sequence): (h, w) of each crop.
    """

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(nn.Module):
    """``FiveCrop`` of the image and of its flip (horizontal, or vertical if asked).

    Args:
        size (int or sequence): (h, w) of each crop.
        vertical_flip (bool): flip vertically instead. Default False.
    """

    def __init__(self, size, vertical_flip: bool = False):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


# ---- flips -----------------------------------------------------------------------------------

class RandomHorizontalFlip(nn.Module):
    """Flip left-right with probability ``p`` (default 0.5)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return F.hflip(img) if _coin(self.p) else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(nn.Module):
    """Flip top-bottom with probability ``p`` (default 0.5)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return F.vflip(img) if _coin(self.p) else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


# ---- colour ----------------------------------------------------------------------------------

class ColorJitter(nn.Module):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness (float or (min, max)): factor drawn from [max(0, 1 - b), 1 + b] or [min, max].
        contrast (float or (min, max)): likewise.
        saturation (float or (min, max)): likewise.
        hue (float or (min, max)): shift drawn from [-h, h] or [min, max], within [-0.5, 0.5].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # the identity: skip it
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """A random order of the four adjustments and their factors (None = skipped)."""
        fn_idx = ember.randperm(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (fn_idx, *factors)

    def forward(self, img):
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                           self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for fn_id in fn_idx.tolist():
            if factors[fn_id] is not None:
                img = adjust[fn_id](img, factors[fn_id])
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast="
                f"{self.contrast}, saturation={self.saturation}, hue={self.hue})")


class Grayscale(nn.Module):
    """Convert to greyscale with 1 or 3 output channels.

    Args:
        num_output_channels (int): 1 or 3. Default 1.
    """

    def __init__(self, num_output_channels: int = 1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(nn.Module):
    """Convert to greyscale (keeping the channel count) with probability ``p`` (default 0.1)."""

    def __init__(self, p: float = 0.1):
        super().__init__()
        self.p = p

    def forward(self, img):
        num_output_channels = F.get_dimensions(img)[0]
        if _coin(self.p):
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class _RandomApplyFn(nn.Module):
    """Apply ``self._apply(img)`` with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return self._apply(img) if _coin(self.p) else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomInvert(_RandomApplyFn):
    """Invert colours with probability ``p``."""

    def _apply(self, img):
        return F.invert(img)


class RandomPosterize(_RandomApplyFn):
    """Keep the top ``bits`` bits of each channel with probability ``p``."""

    def __init__(self, bits: int, p: float = 0.5):
        super().__init__(p)
        self.bits = bits

    def _apply(self, img):
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomApplyFn):
    """Invert pixels at or above ``threshold`` with probability ``p``."""

    def __init__(self, threshold: float, p: float = 0.5):
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img):
        return F.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomApplyFn):
    """Adjust sharpness by ``sharpness_factor`` with probability ``p``."""

    def __init__(self, sharpness_factor: float, p: float = 0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(_RandomApplyFn):
    """Autocontrast with probability ``p``."""

    def _apply(self, img):
        return F.autocontrast(img)


class RandomEqualize(_RandomApplyFn):
    """Equalise the histogram with probability ``p``."""

    def _apply(self, img):
        return F.equalize(img)


# ---- geometric -------------------------------------------------------------------------------

class RandomRotation(nn.Module):
    """Rotate by an angle drawn from ``degrees``.

    Args:
        degrees (number or (min, max)): range [-d, d] or [min, max], in degrees.
        interpolation (InterpolationMode): Default NEAREST.
        expand (bool): enlarge the output to hold the whole image. Default False.
        center (sequence, optional): rotation centre (x, y); default the image centre.
        fill (number or sequence): colour outside the input. Default 0.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        super().__init__()
        self.interpolation = F._check_interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError("center should be a sequence of length 2.")
        self.center = center
        self.expand = expand
        _check_fill_arg(fill)
        self.fill = fill

    @staticmethod
    def get_params(degrees: list[float]) -> float:
        return _uniform(degrees[0], degrees[1])

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(degrees={self.degrees}, interpolation="
                f"{self.interpolation.value}, expand={self.expand}, center={self.center}, "
                f"fill={self.fill})")


class RandomAffine(nn.Module):
    """Random rotation, translation, scale and shear, keeping the image centre fixed.

    Args:
        degrees (number or (min, max)): rotation range; 0 disables rotation.
        translate (tuple, optional): (a, b): |dx| < a * width, |dy| < b * height.
        scale (tuple, optional): scale range.
        shear (number or sequence, optional): x shear range [-s, s] or (min, max); 4 values
            also give a y shear range.
        interpolation (InterpolationMode): Default NEAREST.
        fill (number or sequence): colour outside the input. Default 0.
        center (sequence, optional): centre (x, y); default the image centre.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        super().__init__()
        self.interpolation = F._check_interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            if not isinstance(translate, Sequence) or len(translate) != 2:
                raise ValueError("translate should be a sequence of length 2.")
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            if not isinstance(scale, Sequence) or len(scale) != 2:
                raise ValueError("scale should be a sequence of length 2.")
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, name="shear",
                                                             req_sizes=(2, 4))
        _check_fill_arg(fill)
        self.fill = fill
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError("center should be a sequence of length 2.")
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """Random (angle, (tx, ty), scale, (shear_x, shear_y)); ``img_size`` is [w, h]."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))),
                            int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        img_size = F.get_image_size(img)
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear, img_size)
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill,
                        center=self.center)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear}, interpolation="
                f"{self.interpolation.value}, fill={self.fill}, center={self.center})")


class RandomPerspective(nn.Module):
    """With probability ``p``, move each corner inwards by up to ``distortion_scale`` of half
    the image size and warp accordingly.

    Args:
        distortion_scale (float): in [0, 1]. Default 0.5.
        p (float): probability. Default 0.5.
        interpolation (InterpolationMode): Default BILINEAR.
        fill (number or sequence): colour outside the input. Default 0.
    """

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.p = p
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.interpolation = F._check_interpolation(interpolation)
        self.distortion_scale = distortion_scale
        _check_fill_arg(fill)
        self.fill = fill

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        """Start points (the corners tl, tr, br, bl) and random end points."""
        dx = int(distortion_scale * (width // 2))
        dy = int(distortion_scale * (height // 2))
        topleft = [_randint(0, dx + 1), _randint(0, dy + 1)]
        topright = [_randint(width - dx - 1, width), _randint(0, dy + 1)]
        botright = [_randint(width - dx - 1, width), _randint(height - dy - 1, height)]
        botleft = [_randint(0, dx + 1), _randint(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        if _coin(self.p):
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class ElasticTransform(nn.Module):
    """Displace pixels by a smooth random field (like elastic deformations of MNIST digits).

    Args:
        alpha (float or sequence): displacement magnitude (x, y). Default 50.
        sigma (float or sequence): smoothness (Gaussian sigma) of the field. Default 5.
        interpolation (InterpolationMode): Default BILINEAR.
        fill (number or sequence): colour outside the input. Default 0.
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.alpha = self._pair_of_floats(alpha, "alpha")
        self.sigma = self._pair_of_floats(sigma, "sigma")
        self.interpolation = F._check_interpolation(interpolation)
        _check_fill_arg(fill)
        self.fill = fill

    @staticmethod
    def _pair_of_floats(v, name):
        if not isinstance(v, (numbers.Number, Sequence)):
            raise TypeError(f"{name} should be float or a sequence of floats. Got {type(v)}")
        v = [float(v)] if isinstance(v, numbers.Number) else [float(x) for x in v]
        if len(v) == 1:
            v = [v[0], v[0]]
        if len(v) != 2:
            raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(v)}")
        return v

    @staticmethod
    def get_params(alpha: list[float], sigma: list[float], size: list[int]):
        """A random (1, H, W, 2) displacement field for an image of ``size`` [h, w]."""
        fields = []
        # torchvision scales both fields by size[0] and size[1] in this order (h, then w)
        for a, s, extent in ((alpha[0], sigma[0], size[0]), (alpha[1], sigma[1], size[1])):
            d = ember.rand(1, 1, *size) * 2 - 1
            if s > 0.0:
                k = int(8 * s + 1)
                k += 1 - k % 2  # odd kernel, as gaussian_blur requires
                d = F.gaussian_blur(d, [k, k], list(sigma))
            fields.append(d * a / extent)
        return ember.cat(fields, dim=1).permute(0, 2, 3, 1)

    def forward(self, img):
        _, height, width = F.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(img, displacement, self.interpolation,
                                   _tensor_fill(img, self.fill))


# ---- filtering and erasing -------------------------------------------------------------------

class GaussianBlur(nn.Module):
    """Blur with a Gaussian of random sigma.

    Args:
        kernel_size (int or sequence): odd kernel size(s).
        sigma (float or (min, max)): sigma, or the range it is drawn from. Default (0.1, 2.0).
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two "
                                                    "integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return _uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing(nn.Module):
    """With probability ``p``, erase a random rectangle of a tensor image (Zhong et al. 2017).

    Args:
        p (float): probability. Default 0.5.
        scale (tuple): range of the erased area fraction. Default (0.02, 0.33).
        ratio (tuple): range of its aspect ratio h/w. Default (0.3, 3.3).
        value (number, sequence or "random"): fill value(s); "random" fills with N(0, 1) noise.
        inplace (bool): modify the input. Default False.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """Random (top, left, h, w, fill); after 10 failed draws, the whole image unchanged."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = ember.empty(img_c, h, w, dtype=ember.float32).normal_()
            else:
                v = ember.tensor(value)[:, None, None]
            return _randint(0, img_h - h + 1), _randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if not _coin(self.p):
            return img
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{img.shape[-3]} (number of input channels)")
        x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
        return F.erase(img, x, y, h, w, v.to(device=img.device, dtype=img.dtype), self.inplace)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")
