"""transforms.v2 and tv_tensors.

References: the torchvision fixtures (v2 images go through the same kernels, so they must
reproduce the v1 tensor outputs), torchvision.ops.box_convert outputs for the box formats, and
for box geometry the mask of the same box pushed through the (fixture-checked) image kernels:
the transformed box must enclose the transformed mask."""

from __future__ import annotations

import itertools
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import ember
from ember_vision import tv_tensors as tv
from ember_vision.transforms import InterpolationMode, v2
from ember_vision.transforms.v2 import functional as F

FIXTURES = Path(__file__).parent / "fixtures" / "transforms"
REF = np.load(FIXTURES / "transforms_ref.npz")
BOXREF = np.load(FIXTURES / "box_convert_ref.npz")


@pytest.fixture(scope="module")
def pil():
    return PILImage.open(FIXTURES / "test_image.png").convert("RGB")


@pytest.fixture(scope="module")
def image(pil):
    return tv.Image(pil)


def _boxes(rows, fmt="XYXY", canvas=(97, 131)):
    return tv.BoundingBoxes(rows, format=fmt, canvas_size=canvas, dtype=ember.float32)


# ---- tv_tensors ------------------------------------------------------------------------------

def test_tv_tensor_types_and_metadata(pil):
    img = tv.Image(pil)
    assert isinstance(img, ember.Tensor) and img.shape == (3, 97, 131) and img.dtype == ember.uint8
    assert tv.Image(ember.zeros(4, 5)).shape == (1, 4, 5)
    assert type(img + 1) is ember.Tensor  # ops unwrap, as in torchvision
    boxes = _boxes([[1, 2, 3, 4]], fmt="cxcywh")
    assert boxes.format is tv.BoundingBoxFormat.CXCYWH and boxes.canvas_size == (97, 131)
    again = tv.wrap(boxes * 2, like=boxes)
    assert type(again) is tv.BoundingBoxes and again.canvas_size == (97, 131)
    assert tv.wrap(boxes, like=boxes, canvas_size=(5, 6)).canvas_size == (5, 6)
    clone = pickle.loads(pickle.dumps(boxes))
    assert clone.format == boxes.format and clone.canvas_size == boxes.canvas_size
    np.testing.assert_array_equal(clone.numpy(), boxes.numpy())
    assert "canvas_size=(97, 131)" in repr(boxes)
    assert tv.Mask(PILImage.new("L", (3, 2))).shape == (2, 3)


def test_tv_tensor_errors():
    with pytest.raises(ValueError, match="last dim 4"):
        tv.BoundingBoxes([[1, 2, 3]], format="XYXY", canvas_size=(4, 4))
    with pytest.raises(ValueError, match="Unknown bounding box format 'XXYY'"):
        tv.BoundingBoxes([[1, 2, 3, 4]], format="XXYY", canvas_size=(4, 4))
    with pytest.raises(ValueError, match="at least 4 dims"):
        tv.Video(ember.zeros(3, 4, 4))


# ---- images: v2 kernels are the fixture-checked v1 kernels ----------------------------------

@pytest.mark.parametrize("key, call", [
    ("resize_64_tensor_u8", lambda x: v2.Resize(64)(x)),
    ("resize_50x70_tensor_u8", lambda x: F.resize(x, [50, 70])),
    ("center_crop_48_tensor", lambda x: v2.CenterCrop(48)(x)),
    ("hflip_tensor", lambda x: F.horizontal_flip(x)),
    ("vflip_tensor", lambda x: v2.RandomVerticalFlip(p=1.0)(x)),
    ("rotate_30_bilinear_tensor_u8",
     lambda x: F.rotate(x, 30, interpolation=InterpolationMode.BILINEAR)),
    ("adjust_hue_0p1_tensor_u8", lambda x: F.adjust_hue(x, 0.1)),
    ("pad_1234_edge_tensor", lambda x: v2.Pad((1, 2, 3, 4), padding_mode="edge")(x)),
    ("grayscale_1_tensor_u8", lambda x: v2.Grayscale()(x)),
    ("resized_crop_tensor_u8", lambda x: F.resized_crop(x, 10, 12, 60, 80, (32, 32))),
])
def test_image_ops_reproduce_torchvision_and_keep_type(key, call, image):
    ref = REF[key]
    inp = image if ref.dtype == np.uint8 else tv.Image(F.to_dtype(image, ember.float32, True))
    out = call(inp)
    assert type(out) is tv.Image
    diff = np.abs(out.numpy().astype(np.float64) - ref.astype(np.float64))
    # uint8 results of float sums may round the other way (see test_transforms_fixtures)
    assert diff.max() <= (1 if ref.dtype == np.uint8 else 1e-5)
    assert (diff > 0).mean() <= 1e-3 or ref.dtype != np.uint8


def test_to_dtype_scales_images_only(image):
    boxes = _boxes([[1, 2, 3, 4]])
    img, b = v2.ToDtype(ember.float32, scale=True)(image, boxes)
    np.testing.assert_allclose(img.numpy(), REF["to_tensor"], atol=1e-7)
    assert type(img) is tv.Image and b is boxes  # a single dtype converts images only
    mask = tv.Mask(ember.zeros(97, 131, dtype=ember.uint8))
    img, m = v2.ToDtype({tv.Image: ember.float64, tv.Mask: ember.int64}, scale=True)(image, mask)
    assert img.dtype == ember.float64 and m.dtype == ember.int64 and type(m) is tv.Mask
    assert float(img.max().item()) == 1.0
    back = F.to_dtype(img, ember.uint8, scale=True)
    np.testing.assert_array_equal(back.numpy(), image.numpy())


def test_to_image_and_pure_tensor(pil):
    img = v2.ToImage()(pil)
    assert type(img) is tv.Image
    np.testing.assert_array_equal(img.numpy(), REF["pil_to_tensor"])
    arr = v2.ToImage()(np.asarray(pil))
    np.testing.assert_array_equal(arr.numpy(), REF["pil_to_tensor"])
    assert type(v2.ToPureTensor()(img)) is ember.Tensor
    assert isinstance(v2.ToPILImage()(img), PILImage.Image)


def test_pil_path_matches_torchvision_pil_fixture(pil):
    out = v2.Resize((50, 70))(pil)
    np.testing.assert_array_equal(np.asarray(out), REF["resize_50x70_pil"])


def test_pure_tensor_heuristic():
    """Without an Image, the first plain tensor is the image; later ones (labels) pass."""
    x, labels = ember.rand(3, 10, 12), ember.tensor([1, 2, 3])
    out_x, out_labels = v2.RandomHorizontalFlip(p=1.0)(x, labels)
    np.testing.assert_array_equal(out_x.numpy(), x.numpy()[..., ::-1])
    assert out_labels is labels
    # with an Image present, plain tensors all pass through
    img = tv.Image(ember.rand(3, 10, 12))
    out_img, out_x = v2.RandomHorizontalFlip(p=1.0)(img, x)
    assert out_x is x and type(out_img) is tv.Image
    # strings and ints pass through, structures are kept
    out = v2.RandomHorizontalFlip(p=1.0)({"image": img, "id": 7, "name": ["a", img]})
    assert out["id"] == 7 and out["name"][0] == "a"
    np.testing.assert_array_equal(out["name"][1].numpy(), img.numpy()[..., ::-1])


def test_sizes_must_agree():
    img = tv.Image(ember.rand(3, 10, 12))
    with pytest.raises(ValueError, match="multiple HxW dimensions"):
        v2.RandomCrop(5)(img, tv.Mask(ember.zeros(11, 12)))


# ---- bounding boxes --------------------------------------------------------------------------

@pytest.mark.parametrize("src, dst, inp", [
    ("XYXY", "CXCYWH", "boxes"), ("XYXY", "XYWH", "boxes"), ("CXCYWH", "XYXY", "cxcywh_in"),
    ("CXCYWH", "XYWH", "cxcywh_in"), ("XYWH", "XYXY", "xywh_in"), ("XYWH", "CXCYWH", "xywh_in")])
def test_box_format_conversion_matches_torchvision_ops(src, dst, inp):
    boxes = tv.BoundingBoxes(BOXREF[inp], format=src, canvas_size=(100, 100))
    out = v2.ConvertBoundingBoxFormat(dst)(boxes)
    assert out.format.value == dst and type(out) is tv.BoundingBoxes
    ref = BOXREF[f"box_convert_{src.lower()}_to_{dst.lower()}"]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-5)
    plain = F.convert_bounding_box_format(ember.from_numpy(BOXREF[inp]), src, dst)
    np.testing.assert_allclose(plain.numpy(), ref, rtol=1e-6, atol=1e-5)


def test_clamp_bounding_boxes():
    boxes = _boxes([[-5, 3, 140, 90], [10, -2, 20, 120]])
    out = v2.ClampBoundingBoxes()(boxes)
    np.testing.assert_array_equal(out.numpy(), [[0, 3, 131, 90], [10, 0, 20, 97]])
    plain = F.clamp_bounding_boxes(ember.tensor([[-1.0, -1.0, 5.0, 5.0]]), format="XYXY",
                                   canvas_size=(4, 3))
    np.testing.assert_array_equal(plain.numpy(), [[0, 0, 3, 4]])
    with pytest.raises(ValueError, match="canvas_size` has to be passed"):
        F.clamp_bounding_boxes(ember.zeros(1, 4), format="XYXY")


def _box_mask(box, canvas):
    """A Mask that is 1 on the pixels whose centres lie inside the XYXY box."""
    h, w = canvas
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    x1, y1, x2, y2 = box
    m = ((xs > x1) & (xs < x2) & (ys > y1) & (ys < y2)).astype(np.uint8)
    return tv.Mask(ember.from_numpy(m))


def _mask_extent(mask):
    ys, xs = np.nonzero(mask.numpy())
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


# (transform, whether the box is exactly the mask extent or within a pixel of it)
GEOMETRY = [
    ("hflip", lambda s: F.horizontal_flip(s), True),
    ("vflip", lambda s: F.vertical_flip(s), True),
    ("crop", lambda s: F.crop(s, 5, 7, 50, 60), True),
    ("pad", lambda s: F.pad(s, [3, 4, 5, 6]), True),
    ("center_crop_large", lambda s: F.center_crop(s, [110, 150]), True),
    ("resize", lambda s: F.resize(s, [194, 262], InterpolationMode.NEAREST), True),
    ("rotate", lambda s: F.rotate(s, 30), False),
    ("rotate_expand", lambda s: F.rotate(s, 30, expand=True), False),
    ("rotate_center", lambda s: F.rotate(s, -20, center=[30, 40]), False),
    ("affine", lambda s: F.affine(s, 15, [4, -3], 1.1, [8, 3]), False),
    ("perspective", lambda s: F.perspective(s, [[0, 0], [130, 0], [130, 96], [0, 96]],
                                            [[5, 3], [120, 10], [125, 90], [2, 80]]), False),
    ("elastic_shift", lambda s: F.elastic(s, ember.full((1, 97, 131, 2), 0.1)), False),
]


@pytest.mark.parametrize("name, fn, exact", GEOMETRY, ids=[g[0] for g in GEOMETRY])
def test_boxes_follow_their_mask(name, fn, exact):
    canvas = (97, 131)
    box = [30.0, 20.0, 70.0, 50.0]
    boxes = fn(_boxes([box]))
    mask = fn(_box_mask(box, canvas))
    assert type(boxes) is tv.BoundingBoxes and type(mask) is tv.Mask
    assert tuple(boxes.canvas_size) == tuple(mask.shape[-2:])
    got, ext = boxes.numpy()[0].astype(np.float64), _mask_extent(mask)
    if exact:
        np.testing.assert_allclose(got, ext, atol=1e-4)
    else:
        # a warped rectangle's extreme points are its warped corners, so the enclosing box is
        # the warped mask's extent, up to the mask being sampled at pixel centres (< 1 px)
        assert np.abs(got - ext).max() < 1.0


def test_boxes_in_other_formats_and_integer_boxes():
    b = tv.BoundingBoxes([[50.0, 35.0, 40.0, 30.0]], format="CXCYWH", canvas_size=(97, 131))
    out = F.horizontal_flip(b)
    assert out.format is tv.BoundingBoxFormat.CXCYWH
    np.testing.assert_allclose(out.numpy(), [[81.0, 35.0, 40.0, 30.0]])
    ints = tv.BoundingBoxes([[10, 20, 30, 40]], format="XYXY", canvas_size=(50, 50))
    out = F.resize(ints, [25, 25])
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(out.numpy(), [[5, 10, 15, 20]])


def test_random_transforms_move_image_and_boxes_together():
    """One draw of parameters per sample: the box still frames the (transformed) marker."""
    canvas = (60, 80)
    box = [20.0, 15.0, 44.0, 35.0]
    img = tv.Image(_box_mask(box, canvas).as_subclass(ember.Tensor).unsqueeze(0) * 255)
    boxes = _boxes([box], canvas=canvas)
    t = v2.Compose([v2.RandomZoomOut(p=1.0, side_range=(1.0, 1.5)),
                    v2.RandomResizedCrop((64, 64), scale=(0.6, 1.0)),
                    v2.RandomHorizontalFlip(), v2.RandomVerticalFlip(),
                    v2.RandomCrop(56), v2.RandomAffine(0, translate=(0.05, 0.05))])
    ember.manual_seed(0)
    checked = 0
    for _ in range(25):
        out_img, out_boxes = t(img, boxes)
        assert out_boxes.canvas_size == tuple(out_img.shape[-2:])
        if not (out_img.numpy() > 127).any():
            continue  # the marker was cropped away
        ext = _mask_extent(tv.Mask(out_img[0] > 127))
        got = out_boxes.numpy()[0]
        # bilinear resizes blur the marker's edge by up to ~2 px
        assert np.abs(got - ext).max() <= 2.5, (got, ext)
        checked += 1
    assert checked >= 15


def test_sanitize_bounding_boxes_drops_boxes_labels_and_masks():
    boxes = _boxes([[0, 0, 10, 10], [5, 5, 5.5, 20], [3, 3, 1, 8], [0, 0, 50, 1]])
    masks = tv.Mask(ember.arange(4).view(4, 1, 1).expand(4, 97, 131).contiguous())
    labels = ember.tensor([1, 2, 3, 4])
    out = v2.SanitizeBoundingBoxes()({"boxes": boxes, "masks": masks, "labels": labels})
    np.testing.assert_array_equal(out["labels"].numpy(), [1, 4])
    np.testing.assert_array_equal(out["masks"].numpy()[:, 0, 0], [0, 3])
    assert type(out["boxes"]) is tv.BoundingBoxes and out["boxes"].shape == (2, 4)
    img = tv.Image(ember.zeros(3, 97, 131))
    out_img, (out_b, out_l) = v2.SanitizeBoundingBoxes(labels_getter=lambda s: s[1][1])(
        img, (boxes, labels))
    np.testing.assert_array_equal(out_l.numpy(), [1, 4])
    with pytest.raises(ValueError, match="Could not infer where the labels are"):
        v2.SanitizeBoundingBoxes()({"boxes": boxes})


# ---- MixUp / CutMix --------------------------------------------------------------------------

def test_mixup_mixes_images_and_labels_with_one_lambda():
    ember.manual_seed(0)
    x = ember.rand(4, 3, 8, 8)
    y = ember.tensor([0, 1, 2, 3])
    lams = []
    for _ in range(200):
        xm, ym = v2.MixUp(alpha=1.0, num_classes=5)(x, y)
        lam = float(ym[0, 0].item())  # image 0 is lam * class 0 + (1 - lam) * class 3
        lams.append(lam)
        ref = lam * x.numpy() + (1 - lam) * np.roll(x.numpy(), 1, axis=0)
        np.testing.assert_allclose(xm.numpy(), ref, atol=1e-6)
        np.testing.assert_allclose(ym.numpy().sum(1), 1.0, atol=1e-6)
        assert abs(float(ym[0, 3].item()) - (1 - lam)) < 1e-6
    # Beta(1, 1) is uniform: mean 1/2, variance 1/12
    assert abs(np.mean(lams) - 0.5) < 0.07 and abs(np.var(lams) - 1 / 12) < 0.03


def test_cutmix_label_weight_is_the_kept_area():
    ember.manual_seed(1)
    x = ember.arange(4, dtype=ember.float32).view(4, 1, 1, 1).expand(4, 3, 16, 20).contiguous()
    y = ember.tensor([0, 1, 2, 3])
    seen_partial = False
    for _ in range(50):
        xm, ym = v2.CutMix(num_classes=4)(tv.Image(x), y)
        assert type(xm) is tv.Image
        kept = float((xm.numpy()[0] == 0).mean())  # image 0 keeps its own value 0
        pasted = xm.numpy()[0] == 3  # the box comes from image 3 (rolled by one)
        assert np.isclose(kept + pasted.mean(), 1.0)
        np.testing.assert_allclose(ym.numpy()[0], [kept, 0, 0, 1 - kept], atol=1e-6)
        seen_partial |= 0 < kept < 1
        if pasted.any():  # the pasted region is one rectangle
            ys, xs = np.nonzero(pasted[0])
            assert pasted[0].sum() == (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    assert seen_partial


def test_mixup_cutmix_errors():
    x, y = ember.rand(4, 3, 8, 8), ember.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match="num_classes must be passed"):
        v2.MixUp()(x, y)
    with pytest.raises(ValueError, match="batched input with 4 dims"):
        v2.CutMix(num_classes=4)(ember.rand(3, 8, 8), y)
    with pytest.raises(ValueError, match="do not match"):
        v2.MixUp(num_classes=4)(x, ember.tensor([0, 1]))
    with pytest.raises(ValueError, match="alpha must be positive"):
        v2.MixUp(alpha=0)
    one_hot = ember.nn.functional.one_hot(y, num_classes=4).float()
    _, ym = v2.MixUp()(x, one_hot)  # one-hot labels need no num_classes
    assert ym.shape == (4, 4)


# ---- other v2 transforms ---------------------------------------------------------------------

def test_colour_transforms_leave_boxes_and_masks(image):
    boxes = _boxes([[1, 2, 30, 40]])
    mask = tv.Mask(ember.ones(97, 131, dtype=ember.uint8))
    ember.manual_seed(0)
    t = v2.Compose([v2.ColorJitter(0.5, 0.5, 0.5, 0.2), v2.GaussianBlur(3),
                    v2.RandomInvert(p=1.0), v2.RandomPosterize(4, p=1.0),
                    v2.RandomSolarize(100, p=1.0), v2.RandomAutocontrast(p=1.0),
                    v2.RandomEqualize(p=1.0), v2.RandomAdjustSharpness(2.0, p=1.0),
                    v2.RandomGrayscale(p=1.0)])
    out_img, out_boxes, out_mask = t(image, boxes, mask)
    assert out_boxes is boxes and out_mask is mask
    assert type(out_img) is tv.Image and out_img.dtype == ember.uint8
    # greyscale came last: three equal channels
    np.testing.assert_array_equal(out_img.numpy()[0], out_img.numpy()[2])


def test_random_erasing_erases_images_only(image):
    mask = tv.Mask(ember.ones(97, 131, dtype=ember.uint8))
    ember.manual_seed(0)
    out, out_mask = v2.RandomErasing(p=1.0, value=0)(tv.Image(image.float() + 1), mask)
    assert out_mask is mask
    erased = (out.numpy() == 0).all(0)
    ys, xs = np.nonzero(erased)
    assert erased.sum() == (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1) > 0


def test_containers_and_misc(image):
    add = v2.Lambda(lambda t: t + 1, tv.Image)
    out = v2.Compose([add, v2.Identity()])(image, "text")
    assert out[1] == "text" and float((out[0] - image).float().mean().item()) == 1.0
    ember.manual_seed(0)
    hits = sum(v2.RandomApply([add], p=0.3)(image) is not image for _ in range(300))
    assert abs(hits - 90) < 40
    assert v2.RandomChoice([v2.Identity(), add], p=[0, 1])(image) is not image
    assert v2.RandomOrder([v2.Identity()])(image) is image
    norm = v2.Normalize([0.5] * 3, [0.25] * 3)(F.to_dtype(image, ember.float32, True))
    np.testing.assert_allclose(norm.numpy(), (REF["to_tensor"] - 0.5) / 0.25, atol=1e-6)
    with pytest.raises(TypeError, match="does not support PIL"):
        F.normalize(PILImage.new("RGB", (2, 2)), [0.5], [0.5])


# ---- detection-style resizing and cropping ---------------------------------------------------

def test_random_iou_crop_keeps_a_box_with_enough_overlap():
    canvas = (60, 80)
    rows = [[10.0, 10.0, 30.0, 40.0], [40.0, 20.0, 70.0, 55.0], [2.0, 45.0, 12.0, 58.0]]
    img = tv.Image(ember.zeros(3, *canvas))
    ember.manual_seed(0)
    t = v2.RandomIoUCrop(sampler_options=[0.5])
    for _ in range(20):
        out_img, out_boxes = t(img, _boxes(rows, canvas=canvas))
        h, w = out_img.shape[-2:]
        assert out_boxes.canvas_size == (h, w)
        # recover the crop offset from a kept box (kept boxes are shifted, then clipped)
        kept = [(r, b) for r, b in zip(rows, out_boxes.tolist()) if any(b)]
        assert kept
        best = 0.0
        for r, b in kept:
            # a kept box is the original shifted into the crop and clipped to it: its area is
            # the intersection of the original box with the crop window (w x h)
            inter = (b[2] - b[0]) * (b[3] - b[1])
            union = (r[2] - r[0]) * (r[3] - r[1]) + w * h - inter
            best = max(best, inter / union)
        assert best >= 0.5 - 1e-6
    out = v2.SanitizeBoundingBoxes(labels_getter=None)(out_img, out_boxes)
    assert all(any(b) for b in out[1].tolist())


def test_random_shortest_size_resize_and_scale_jitter():
    img = tv.Image(ember.zeros(3, 60, 80))
    ember.manual_seed(0)
    sizes = set()
    for _ in range(40):
        sizes.add(tuple(v2.RandomShortestSize([30, 45, 60], max_size=70)(img).shape[-2:]))
    # 60x80 -> shorter edge 30 or 45; 60 would make the longer edge 80 > 70, capped to 52x70
    assert sizes == {(30, 40), (45, 60), (52, 70)}
    for _ in range(20):
        s = v2.RandomResize(20, 40)(img).shape[-2]
        assert 20 <= s < 40
        out = v2.ScaleJitter((30, 30), scale_range=(0.5, 1.5))(img)
        r = out.shape[-1] / 80
        assert 0.5 * 0.375 - 0.02 <= r <= 1.5 * 0.375 + 0.02  # fit into 30x30: r = 30 / 80


def test_channel_permutation_and_photometric_distort():
    img = tv.Image(ember.arange(3, dtype=ember.float32).view(3, 1, 1).expand(3, 4, 5) / 4)
    ember.manual_seed(0)
    perms = set()
    for _ in range(40):
        out = v2.RandomChannelPermutation()(img)
        perms.add(tuple(out.numpy()[:, 0, 0] * 4))
    assert perms == set(itertools.permutations((0.0, 1.0, 2.0)))
    assert v2.RandomPhotometricDistort(p=0.0)(img).numpy().tolist() == img.numpy().tolist()
    out = v2.RandomPhotometricDistort(p=1.0)(img)
    assert type(out) is tv.Image and out.shape == img.shape


def test_v2_policies_apply_v1_policy_to_the_image(image):
    from ember_vision import transforms as T

    for v2_cls, v1_cls in [(v2.AutoAugment, T.AutoAugment), (v2.RandAugment, T.RandAugment),
                           (v2.TrivialAugmentWide, T.TrivialAugmentWide),
                           (v2.AugMix, T.AugMix)]:
        ember.manual_seed(3)
        out, label = v2_cls()(image, 5)
        ember.manual_seed(3)
        ref = v1_cls()(image.as_subclass(ember.Tensor))
        assert type(out) is tv.Image and label == 5
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
    with pytest.raises(TypeError, match="does not support bounding boxes"):
        v2.AutoAugment()(image, _boxes([[1, 2, 3, 4]]))


def test_gaussian_noise_and_convert_image_dtype(image):
    x = tv.Image(ember.full((3, 64, 64), 0.5))
    ember.manual_seed(0)
    noise = (v2.GaussianNoise(mean=0.1, sigma=0.05, clip=False)(x) - 0.5).numpy()
    assert abs(noise.mean() - 0.1) < 0.005 and abs(noise.std() - 0.05) < 0.005
    assert float(v2.GaussianNoise(sigma=2.0)(x).max().item()) <= 1.0
    with pytest.raises(ValueError, match="float dtype"):
        v2.GaussianNoise()(image)
    out = v2.ConvertImageDtype(ember.float32)(image)
    np.testing.assert_allclose(out.numpy(), REF["to_tensor"], atol=1e-7)


def test_elastic_transform_moves_boxes_with_their_mask():
    """A smooth random field: the box from the approximate inverse field stays within ~1 px
    of where the mask's pixels went (torchvision uses the same approximation)."""
    box = [30.0, 20.0, 70.0, 50.0]
    ember.manual_seed(0)
    for _ in range(5):
        b, m = v2.ElasticTransform(alpha=20.0, sigma=5.0)(_boxes([box]),
                                                          _box_mask(box, (97, 131)))
        assert type(b) is tv.BoundingBoxes and type(m) is tv.Mask
        assert np.abs(b.numpy()[0] - _mask_extent(m)).max() < 1.5


def test_video_frames_share_the_sample_parameters(image):
    frames = ember.stack([image.as_subclass(ember.Tensor), F.horizontal_flip(image)])
    video = tv.Video(frames.unsqueeze(0))  # (1, T=2, C, H, W)
    t = v2.Compose([v2.Pad(3, padding_mode="reflect"), v2.RandomResizedCrop(40),
                    v2.RandomRotation(15), v2.ColorJitter(0.3, 0.3, 0.3, 0.05)])
    ember.manual_seed(7)
    out = t(video)
    assert type(out) is tv.Video and out.shape == (1, 2, 3, 40, 40)
    ember.manual_seed(7)
    ref = t(tv.Image(frames))  # the same draws applied to the frames as a batch of images
    np.testing.assert_array_equal(out.numpy()[0], ref.numpy())
    # a 5-D video pads like its frames: frame 1 is the flipped image, and padding commutes
    # with the flip, so it is the flipped torchvision result (in uint8)
    flipped_ref = np.round(REF["pad_3_reflect_tensor"][:, :, ::-1] * 255).astype(np.uint8)
    np.testing.assert_array_equal(F.pad(video, 3, padding_mode="reflect").numpy()[0, 1],
                                  flipped_ref)
    assert F.get_num_channels(video) == 3
