"""ember_vision.utils against torchvision's own outputs (make_grid fixtures) and against NumPy
references written from the definitions (save_image rounding, box outlines, mask blending)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember_vision.utils import draw_bounding_boxes, draw_segmentation_masks, make_grid, save_image

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def grid_ref():
    """make_grid outputs of the real torchvision 0.29.1 (see /work/shared/fixtures/vision)."""
    return dict(np.load(FIXTURES / "make_grid_ref.npz"))


def test_make_grid_matches_torchvision(grid_ref):
    batch = ember.from_numpy(grid_ref["grid_batch"])
    wide = ember.from_numpy(grid_ref["grid_batch"] * np.float32(3.0) - np.float32(1.0))
    cases = {
        "make_grid_default": make_grid(batch),
        "make_grid_nrow2_pad3": make_grid(batch, nrow=2, padding=3, pad_value=0.5),
        "make_grid_normalize": make_grid(wide, nrow=3, padding=1, normalize=True),
        "make_grid_normalize_scale_each": make_grid(wide, nrow=3, normalize=True, scale_each=True),
    }
    for key, out in cases.items():
        assert out.dtype == ember.float32 and tuple(out.shape) == grid_ref[key].shape, key
        np.testing.assert_allclose(out.numpy(), grid_ref[key], rtol=0, atol=1e-6, err_msg=key)
    assert wide.numpy().min() < 0  # normalize did not touch its input
    np.testing.assert_array_equal(make_grid(list(batch)).numpy(), grid_ref["make_grid_default"])


def test_make_grid_single_and_gray_images():
    gray = np.random.default_rng(0).random((2, 1, 4, 5), dtype=np.float32)
    grid = make_grid(ember.from_numpy(gray), padding=1).numpy()
    assert grid.shape == (3, 6, 13)
    for c in range(3):  # a gray image is repeated on the three channels
        np.testing.assert_array_equal(grid[c, 1:5, 1:6], gray[0, 0])
        np.testing.assert_array_equal(grid[c, 1:5, 7:12], gray[1, 0])
    single = make_grid(ember.from_numpy(gray[0]), normalize=True, value_range=(0.2, 0.6)).numpy()
    expected = (np.clip(gray[0, 0], 0.2, 0.6) - 0.2) / np.float32(0.4)
    np.testing.assert_allclose(single[1], expected, atol=1e-6)
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(gray)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(ember.from_numpy(gray), normalize=True, value_range=[0, 1])


def test_save_image_rounds_to_nearest_level(tmp_path):
    values = np.array([0.0, 0.001, 0.5, 0.9981, 1.0, 1.7, -0.3], dtype=np.float32)
    image = np.broadcast_to(values, (3, 2, 7)).copy()
    save_image(ember.from_numpy(image), tmp_path / "x.png")
    saved = np.asarray(Image.open(tmp_path / "x.png"))
    assert saved.shape == (2, 7, 3)
    # round half up of x * 255, clamped: 0, 0 (0.255), 128 (127.5), 255 (254.5), 255, 255, 0
    assert saved[0, :, 0].tolist() == [0, 0, 128, 255, 255, 255, 0]
    save_image(ember.from_numpy(np.stack([image, image])), tmp_path / "grid.jpg", padding=0)
    assert Image.open(tmp_path / "grid.jpg").size == (14, 2)


def outline_mask(h, w, box, width):
    """The pixels of PIL's rectangle outline: both corners inclusive, ``width`` pixels inward."""
    x1, y1, x2, y2 = box
    inside = np.zeros((h, w), bool)
    inside[y1:y2 + 1, x1:x2 + 1] = True
    inner = np.zeros((h, w), bool)
    inner[y1 + width:y2 - width + 1, x1 + width:x2 - width + 1] = True
    return inside & ~inner


def test_draw_bounding_boxes_outlines(tmp_path):
    image = np.full((3, 30, 40), 7, np.uint8)
    boxes = [(2, 3, 20, 15), (10, 12, 35, 28)]
    out = draw_bounding_boxes(ember.from_numpy(image), ember.tensor(boxes, dtype=ember.float32),
                              colors=["red", (0, 200, 50)], width=2).numpy()
    expected = image.copy()
    for box, color in zip(boxes, [(255, 0, 0), (0, 200, 50)]):
        mask = outline_mask(30, 40, box, 2)
        for c in range(3):
            expected[c][mask] = color[c]
    np.testing.assert_array_equal(out, expected)


def test_draw_bounding_boxes_default_palette_fill_and_labels():
    image = ember.zeros(1, 20, 20, dtype=ember.uint8)  # gray in, RGB out
    boxes = ember.tensor([[0, 0, 5, 5], [8, 8, 18, 18]])
    out = draw_bounding_boxes(image, boxes).numpy()
    assert out.shape == (3, 20, 20)
    # torchvision's palette: box i gets (i * (2**25-1, 2**15-1, 2**21-1)) % 255
    assert out[:, 0, 0].tolist() == [0, 0, 0] and out[:, 8, 8].tolist() == [1, 127, 31]
    filled = draw_bounding_boxes(image, boxes[1:], colors="white", fill=True).numpy()
    # fill with alpha 100/255 over black: 255 * 100 / 255 = 100
    assert abs(int(filled[0, 12, 12]) - 100) <= 1 and filled[0, 8, 8] == 255
    labelled = draw_bounding_boxes(image, boxes[1:], labels=["A"], colors="white").numpy()
    changed = np.argwhere((labelled != draw_bounding_boxes(image, boxes[1:], colors="white")
                           .numpy()).any(0))
    assert len(changed) and changed.min() >= 10  # text inside the box, past the margin
    as_float = draw_bounding_boxes(image.float() / 255, boxes, colors="white").numpy()
    np.testing.assert_allclose(as_float * 255, draw_bounding_boxes(image, boxes, colors="white")
                               .numpy(), atol=1e-4)


def test_draw_bounding_boxes_errors():
    image = ember.zeros(3, 10, 10, dtype=ember.uint8)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\) format"):
        draw_bounding_boxes(image, ember.tensor([[5, 5, 2, 8]]))
    with pytest.raises(ValueError, match="Number of boxes \\(1\\) and labels \\(2\\)"):
        draw_bounding_boxes(image, ember.tensor([[1, 1, 2, 2]]), labels=["a", "b"])
    with pytest.raises(ValueError, match="not batches"):
        draw_bounding_boxes(ember.zeros(1, 3, 10, 10, dtype=ember.uint8), ember.tensor([[1, 1, 2, 2]]))
    with pytest.raises(ValueError, match="equal or larger than the number of objects"):
        draw_bounding_boxes(image, ember.tensor([[1, 1, 2, 2]] * 2), colors=["red"])


def test_draw_segmentation_masks_blend():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (3, 6, 7), dtype=np.uint8)
    masks = np.zeros((2, 6, 7), bool)
    masks[0, :3] = True
    masks[1, 2:5, 2:] = True  # overlaps mask 0 on row 2
    colors = [(255, 0, 0), "#00FF80"]
    out = draw_segmentation_masks(ember.from_numpy(image), ember.from_numpy(masks), alpha=0.3,
                                  colors=colors).numpy()
    # the definition, in float64: covered pixels move 30 % toward the mask color, pixels under
    # two masks toward black, the rest stay; then truncation to uint8
    target = image.astype(np.float64)
    target[:, masks[0]] = np.array([255, 0, 0])[:, None]
    target[:, masks[1]] = np.array([0, 255, 128])[:, None]
    target[:, masks.sum(0) > 1] = 0
    expected = image * 0.7 + target * 0.3
    assert out.dtype == np.uint8
    assert np.abs(out - np.floor(expected)).max() <= 1  # float32 vs float64 at the truncation
    assert (out[:, 5] == image[:, 5]).all()  # uncovered row unchanged
    single = draw_segmentation_masks(ember.from_numpy(image), ember.from_numpy(masks[0]),
                                     alpha=1.0, colors="blue").numpy()
    assert single[:, 0, 0].tolist() == [0, 0, 255]


def test_draw_segmentation_masks_errors():
    image = ember.zeros(3, 4, 4, dtype=ember.uint8)
    with pytest.raises(ValueError, match="dtype bool"):
        draw_segmentation_masks(image, ember.zeros(1, 4, 4))
    with pytest.raises(ValueError, match=r"same height and width, got \(4, 4\) and \(4, 5\)"):
        draw_segmentation_masks(image, ember.zeros(1, 4, 5, dtype=ember.bool))
    with pytest.raises(ValueError, match="3 channels"):
        draw_segmentation_masks(ember.zeros(1, 4, 4, dtype=ember.uint8),
                                ember.zeros(1, 4, 4, dtype=ember.bool))
