"""The tensor path of ``transforms.functional``: images as ember tensors (..., C, H, W).

Everything here is written with ember's public ops, so it runs on every backend. Integer images
are processed in float32 and rounded back where torchvision does the same, so results match
torchvision's tensor path (not its PIL path, which Pillow computes with its own rounding).
"""

from __future__ import annotations

import math

import ember
import ember.nn.functional as nnF

_MAX_VALUE = {ember.uint8: 255, ember.int8: 127, ember.int16: 32767,
              ember.int32: 2147483647, ember.int64: 9223372036854775807}
_INT_DTYPES = tuple(_MAX_VALUE)


def _max_value(dtype) -> int:
    """The value of "white": 1 for floating images, the dtype's maximum for integer ones."""
    return _MAX_VALUE.get(dtype, 1)


def _assert_image_tensor(img) -> None:
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be a Tensor. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError(f"Tensor is not an image: expected at least 2 dims (..., H, W), "
                        f"got shape {list(img.shape)}")


def get_dimensions(img) -> list[int]:
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def _assert_3d(img) -> None:
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")


def _assert_channels(img, permitted: list[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but "
                        f"found {c}")


def _float_dtype(img):
    """The dtype computations on ``img`` run in: its own if floating, else float32."""
    return img.dtype if img.dtype.is_floating_point else ember.float32


def _to_nchw_float(img, req_dtypes=(ember.float32, ember.float64)):
    """Make ``img`` a 4-D float batch; returns it and what ``_from_nchw_float`` needs to undo."""
    out_dtype, lead = img.dtype, img.shape[:-3]
    if img.ndim == 3:
        img = img.unsqueeze(0)
    elif img.ndim > 4:
        img = img.reshape(-1, *img.shape[-3:])
    if img.dtype not in req_dtypes:
        img = img.to(req_dtypes[0])
    return img, (out_dtype, lead)


def _from_nchw_float(img, state):
    out_dtype, lead = state
    img = img.reshape(*lead, *img.shape[-3:])
    if img.dtype != out_dtype:
        if out_dtype in _INT_DTYPES:
            img = ember.round(img)  # torchvision rounds before casting back to integers
        img = img.to(out_dtype)
    return img


# ---- dtype conversion ------------------------------------------------------------------------

def convert_image_dtype(image, dtype=ember.float32):
    if image.dtype == dtype:
        return image
    if image.dtype.is_floating_point:
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
                image.dtype == ember.float64 and dtype == ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               f"safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integer range (only 1.0 maps to max)
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = _max_value(image.dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / float(input_max)
    output_max = _max_value(dtype)
    if input_max > output_max:
        factor = (input_max + 1) // (output_max + 1)
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = (output_max + 1) // (input_max + 1)
    return image.to(dtype) * factor


# ---- geometry without resampling --------------------------------------------------------------

def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top: int, left: int, height: int, width: int):
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        # a crop box outside the image is zero-padded, like PIL's Image.crop
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_pad_padding(padding) -> list[int]:
    """torchvision's padding (int, [all], [lr, tb] or [l, t, r, b]) as [l, r, t, b]."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _crop_negative_padding(img, p: list[int]):
    """Negative pads crop: returns the cropped image and the remaining non-negative pads."""
    if min(p) >= 0:
        return img, p
    cl, cr, ct, cb = [-min(x, 0) for x in p]
    img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
    return img, [max(x, 0) for x in p]


def _pad_symmetric(img, p: list[int]):
    """Symmetric padding (the edge pixel repeated) by gathering indices."""
    h, w = img.shape[-2:]
    x_idx = list(range(p[0] - 1, -1, -1)) + list(range(w)) + [w - 1 - i for i in range(p[1])]
    y_idx = list(range(p[2] - 1, -1, -1)) + list(range(h)) + [h - 1 - i for i in range(p[3])]
    img = img.index_select(-1, ember.tensor(x_idx, device=img.device))
    return img.index_select(-2, ember.tensor(y_idx, device=img.device))


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(padding)
    if padding_mode != "constant":
        img, p = _crop_negative_padding(img, p)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    if padding_mode == "constant":
        squeeze = img.ndim < 4
        out = nnF.pad(img.unsqueeze(0) if squeeze else img, p, mode="constant",
                      value=float(fill))
        return out.squeeze(0) if squeeze else out
    # edge / reflect padding works on float (N, C, H, W) batches
    lead = img.shape[:-2]
    x = img.reshape(1, -1, *img.shape[-2:])
    needs_cast = not x.dtype.is_floating_point
    x = x.to(ember.float32) if needs_cast else x
    out = nnF.pad(x, p, mode="replicate" if padding_mode == "edge" else "reflect")
    out = out.to(img.dtype) if needs_cast else out
    return out.reshape(*lead, *out.shape[-2:])


# ---- resampling ------------------------------------------------------------------------------

def resize(img, size: list[int], interpolation: str = "bilinear", antialias: bool | None = True):
    _assert_image_tensor(img)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         f"input (PIL images support it)")
    if antialias and interpolation not in ("bilinear", "bicubic"):
        antialias = False  # documented: the flag is irrelevant for the other modes
    x, state = _to_nchw_float(img)
    align_corners = False if interpolation in ("bilinear", "bicubic") else None
    x = nnF.interpolate(x, size=list(size), mode=interpolation, align_corners=align_corners,
                        antialias=bool(antialias))
    if interpolation == "bicubic" and state[0] == ember.uint8:
        x = x.clamp(min=0, max=255)  # bicubic overshoots
    return _from_nchw_float(x, state)


def _check_fill(img, fill) -> None:
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {channels})")


def _apply_grid_transform(img, grid, mode: str, fill):
    """Sample ``img`` at ``grid`` (1, H, W, 2); ``fill`` colours the area outside the input.

    Like torchvision, a channel of ones is sampled along with the image: where it comes back
    below 1 the output lies (partly) outside the input and is blended with ``fill``.
    """
    x, state = _to_nchw_float(img, (grid.dtype,))
    if x.shape[0] > 1:
        grid = grid.expand(x.shape[0], *grid.shape[1:])
    if fill is not None:
        x = ember.cat([x, ember.ones_like(x[:, :1])], dim=1)
    x = nnF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask, x = x[:, -1:], x[:, :-1]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = ember.tensor(fill_list, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        if mode == "nearest":
            x = ember.where(mask < 0.5, fill_img.expand_as(x), x)
        else:
            x = x * mask + (1.0 - mask) * fill_img
    return _from_nchw_float(x, state)


def _affine_grid(theta, w: int, h: int, ow: int, oh: int):
    """Output pixel centres (relative to the output centre) mapped by ``theta`` (1, 2, 3) and
    normalised by the input size: unlike ``F.affine_grid``, input and output sizes may differ."""
    xs = ember.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow, dtype=theta.dtype,
                        device=theta.device)
    ys = ember.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh, dtype=theta.dtype,
                        device=theta.device)
    base = ember.stack([xs.view(1, ow).expand(oh, ow), ys.view(oh, 1).expand(oh, ow),
                        ember.ones(oh, ow, dtype=theta.dtype, device=theta.device)], dim=-1)
    scale = ember.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype, device=theta.device)
    rescaled = theta[0].transpose(0, 1) / scale
    return base.view(oh * ow, 3).matmul(rescaled).view(1, oh, ow, 2)


def _check_grid_inputs(img, interpolation: str, fill) -> None:
    _assert_image_tensor(img)
    _check_fill(img, fill)
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def affine(img, matrix: list[float], interpolation: str = "nearest", fill=None):
    """Warp by the inverse affine ``matrix`` (6 values, centred coordinates)."""
    _check_grid_inputs(img, interpolation, fill)
    theta = ember.tensor(matrix, dtype=_float_dtype(img), device=img.device).reshape(1, 2, 3)
    h, w = img.shape[-2:]
    return _apply_grid_transform(img, _affine_grid(theta, w, h, w, h), interpolation, fill)


def _affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """Bounding box of the image corners under ``matrix``, as PIL's ``rotate(expand=True)``."""
    corners = [(-0.5 * w, -0.5 * h), (-0.5 * w, 0.5 * h), (0.5 * w, 0.5 * h), (0.5 * w, -0.5 * h)]
    a, b, c, d, e, f = matrix
    xs = [a * x + b * y + c + 0.5 * w for x, y in corners]
    ys = [d * x + e * y + f + 0.5 * h for x, y in corners]
    tol = 1e-4  # truncate to 1e-4 so that ceil(1e-15) does not add a pixel

    def span(vals):
        return (math.ceil(math.trunc(max(vals) / tol) * tol)
                - math.floor(math.trunc(min(vals) / tol) * tol))
    return int(span(xs)), int(span(ys))


def rotate(img, matrix: list[float], interpolation: str = "nearest", expand: bool = False,
           fill=None):
    _check_grid_inputs(img, interpolation, fill)
    h, w = img.shape[-2:]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    theta = ember.tensor(matrix, dtype=_float_dtype(img), device=img.device).reshape(1, 2, 3)
    return _apply_grid_transform(img, _affine_grid(theta, w, h, ow, oh), interpolation, fill)


def _perspective_grid(coeffs: list[float], ow: int, oh: int, dtype, device):
    """PIL's perspective map x' = (a x + b y + c) / (g x + h y + 1), y' likewise, on pixel
    centres, normalised to grid_sample's [-1, 1]."""
    a, b, c, d, e, f, g, h = coeffs
    xs = ember.linspace(0.5, ow - 0.5, steps=ow, dtype=dtype, device=device).view(1, ow)
    ys = ember.linspace(0.5, oh - 0.5, steps=oh, dtype=dtype, device=device).view(oh, 1)
    denom = g * xs + h * ys + 1.0
    gx = (a * xs + b * ys + c) / (0.5 * ow) / denom - 1.0
    gy = (d * xs + e * ys + f) / (0.5 * oh) / denom - 1.0
    return ember.stack([gx.expand(oh, ow), gy.expand(oh, ow)], dim=-1).unsqueeze(0)


def perspective(img, perspective_coeffs: list[float], interpolation: str = "bilinear", fill=None):
    _check_grid_inputs(img, interpolation, fill)
    if len(perspective_coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    oh, ow = img.shape[-2:]
    grid = _perspective_grid(perspective_coeffs, ow, oh, _float_dtype(img), img.device)
    return _apply_grid_transform(img, grid, interpolation, fill)


def elastic_transform(img, displacement, interpolation: str = "bilinear", fill=None):
    """Sample at the identity grid plus ``displacement`` (1, H, W, 2), in grid units."""
    _check_grid_inputs(img, interpolation, fill)
    h, w = img.shape[-2:]
    dtype = _float_dtype(img)
    xs = ember.linspace((-w + 1) / w, (w - 1) / w, steps=w, dtype=dtype, device=img.device)
    ys = ember.linspace((-h + 1) / h, (h - 1) / h, steps=h, dtype=dtype, device=img.device)
    identity = ember.stack([xs.view(1, w).expand(h, w), ys.view(h, 1).expand(h, w)], -1)
    grid = identity.unsqueeze(0) + displacement.to(device=img.device, dtype=dtype)
    return _apply_grid_transform(img, grid, interpolation, fill)


# ---- filtering -------------------------------------------------------------------------------

def _gaussian_kernel1d(kernel_size: int, sigma: float, dtype, device):
    half = (kernel_size - 1) * 0.5
    x = ember.linspace(-half, half, steps=kernel_size, dtype=dtype, device=device)
    pdf = ember.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def _depthwise_conv(img, kernel):
    """Convolve each channel of the float batch ``img`` (N, C, H, W) with ``kernel`` (kh, kw)."""
    c = img.shape[-3]
    weight = kernel.expand(c, 1, *kernel.shape)
    return nnF.conv2d(img, weight, groups=c)


def gaussian_blur(img, kernel_size: list[int], sigma: list[float]):
    _assert_image_tensor(img)
    dtype = _float_dtype(img)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], dtype, img.device)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], dtype, img.device)
    x, state = _to_nchw_float(img, (dtype,))
    x = nnF.pad(x, [kernel_size[0] // 2, kernel_size[0] // 2,
                    kernel_size[1] // 2, kernel_size[1] // 2], mode="reflect")
    x = _depthwise_conv(x, ky.view(-1, 1) * kx.view(1, -1))
    return _from_nchw_float(x, state)


# ---- colour ----------------------------------------------------------------------------------

def _blend(img1, img2, ratio: float):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        # ITU-R 601-2 luma like PIL's "L", but truncated (not rounded) for integer images
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    else:
        gray = img.clone()
    if num_output_channels == 3:
        return gray.expand(img.shape)
    return gray


def adjust_brightness(img, brightness_factor: float):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = _float_dtype(img)
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-3] == 1:  # like PIL: nothing to desaturate
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    """RGB in [0, 1] to HSV in [0, 1] (Pillow's formulas); grey pixels get hue and
    saturation 0 without dividing by zero."""
    r, g, b = img.unbind(dim=-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_div = ember.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    is_r = maxc == r
    is_g = (maxc == g) & ~is_r
    is_b = ~(maxc == g) & ~is_r
    h = is_r * (bc - gc) + is_g * (2.0 + rc - bc) + is_b * (4.0 + gc - rc)
    h = ember.fmod(h / 6.0 + 1.0, 1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = ember.floor(h * 6.0)
    f = h * 6.0 - i
    sector = ember.remainder(i.to(ember.int32), 6)
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    # (r, g, b) for each of the six hue sectors
    table = ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))
    out = [ember.zeros_like(v) for _ in range(3)]
    for k, rgb in enumerate(table):
        hit = sector == k
        out = [ember.where(hit, val, acc) for val, acc in zip(rgb, out)]
    return ember.stack(out, dim=-3)


def adjust_hue(img, hue_factor: float):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-3] == 1:  # like PIL: a grey image has no hue
        return img
    orig_dtype = img.dtype
    hsv = _rgb2hsv(convert_image_dtype(img, ember.float32))
    h, s, v = hsv.unbind(dim=-3)
    h = ember.remainder(h + hue_factor, 1.0)
    rgb = _hsv2rgb(ember.stack((h, s, v), dim=-3))
    return convert_image_dtype(rgb, orig_dtype)


def adjust_gamma(img, gamma: float, gain: float = 1):
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if dtype.is_floating_point else convert_image_dtype(img, ember.float32)
    result = (gain * result ** gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def invert(img):
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def posterize(img, bits: int):
    _assert_image_tensor(img)
    _assert_3d(img)
    if img.dtype != ember.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return img & (256 - 2 ** (8 - bits))  # keep the top ``bits`` bits


def solarize(img, threshold: float):
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return ember.where(img >= threshold, invert(img), img)


def _blurred_degenerate_image(img):
    """PIL's SMOOTH filter (3x3, centre weight 5) inside a one-pixel border kept as is."""
    dtype = _float_dtype(img)
    kernel = ember.ones(3, 3, dtype=dtype, device=img.device)
    kernel[1, 1] = 5.0
    x, state = _to_nchw_float(img, (dtype,))
    blurred = _from_nchw_float(_depthwise_conv(x, kernel / kernel.sum()), state)
    result = img.clone()
    result[..., 1:-1, 1:-1] = blurred
    return result


def adjust_sharpness(img, sharpness_factor: float):
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    return _blend(img, _blurred_degenerate_image(img), sharpness_factor)


def autocontrast(img):
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    bound = _max_value(img.dtype)
    dtype = _float_dtype(img)
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    flat = maximum == minimum  # a constant channel is left unchanged
    scale = bound / ember.where(flat, ember.ones_like(maximum), maximum - minimum)
    minimum = ember.where(flat, ember.zeros_like(minimum), minimum)
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def _equalize_channel(chan):
    """PIL's ImageOps.equalize lookup table for one uint8 channel (H, W)."""
    hist = ember.bincount(chan.reshape(-1).to(ember.int64), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum().item()) // 255
    if step == 0:
        return chan
    lut = ember.div(ember.cumsum(hist, 0) + step // 2, step, rounding_mode="floor")
    lut = nnF.pad(lut, [1, 0])[:-1].clamp(0, 255)
    return lut[chan.to(ember.int64)].to(ember.uint8)


def equalize(img):
    _assert_image_tensor(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    if img.ndim == 4:
        return ember.stack([equalize(x) for x in img.unbind(0)])
    return ember.stack([_equalize_channel(c) for c in img.unbind(0)])


# ---- tensor-only -----------------------------------------------------------------------------

def normalize(tensor, mean: list[float], std: list[float], inplace: bool = False):
    _assert_image_tensor(tensor)
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         f"division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
