"""ember_vision.ops against torchvision 0.29's outputs (fixtures/ops_ref.npz, see
/work/shared/fixtures/vision/README.md for the exact calls) and float64 NumPy references."""

import math
import pathlib

import numpy as np
import pytest

import ember
from ember_vision import ops

REF = np.load(pathlib.Path(__file__).parent / "fixtures" / "ops_ref.npz")


def t(key):
    return ember.from_numpy(REF[key].copy())


# --- nms ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("thr, key", [(0.5, "nms_iou0p5"), (0.3, "nms_iou0p3")])
def test_nms_matches_torchvision(thr, key):
    keep = ops.nms(t("boxes"), t("scores"), thr)
    assert keep.dtype == ember.int64
    np.testing.assert_array_equal(keep.numpy(), REF[key])


def test_batched_nms_matches_torchvision():
    keep = ops.batched_nms(t("boxes"), t("scores"), t("idxs"), 0.5)
    np.testing.assert_array_equal(keep.numpy(), REF["batched_nms_iou0p5"])


def _greedy_nms_float64(boxes, scores, thr):
    """Textbook greedy NMS in float64 NumPy, independent of ember_vision's code."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        rest = []
        for j in order:
            xx1, yy1 = max(boxes[i, 0], boxes[j, 0]), max(boxes[i, 1], boxes[j, 1])
            xx2, yy2 = min(boxes[i, 2], boxes[j, 2]), min(boxes[i, 3], boxes[j, 3])
            inter = max(xx2 - xx1, 0) * max(yy2 - yy1, 0)
            a = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
            b = (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])
            if inter / (a + b - inter) <= thr:
                rest.append(j)
        order = rest
    return np.array(keep)


@pytest.mark.parametrize("seed", [0, 1])
def test_nms_random_boxes_match_greedy_reference(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (120, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 30, (120, 2))], 1)
    scores = rng.permutation(120) / 120.0
    keep = ops.nms(ember.tensor(boxes), ember.tensor(scores), 0.4)
    np.testing.assert_array_equal(keep.numpy(), _greedy_nms_float64(boxes, scores, 0.4))


def test_nms_empty_and_bad_shapes():
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).shape == (0,)
    with pytest.raises(ValueError, match=r"\(3, 5\)"):
        ops.nms(ember.zeros(3, 5), ember.zeros(3), 0.5)
    with pytest.raises(ValueError, match="scores"):
        ops.nms(ember.zeros(3, 4), ember.zeros(2), 0.5)


# --- box geometry ------------------------------------------------------------------------------

def test_box_iou_and_area_match_torchvision():
    np.testing.assert_allclose(ops.box_iou(t("boxes_a"), t("boxes_b")).numpy(), REF["box_iou"],
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ops.box_iou(t("boxes_a"), t("boxes_a")).numpy(),
                               REF["box_iou_self"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ops.box_area(t("boxes_a")).numpy(), REF["box_area"], rtol=1e-6)


@pytest.mark.parametrize("src, a, b", [
    ("boxes", "xyxy", "cxcywh"), ("boxes", "xyxy", "xywh"), ("cxcywh_in", "cxcywh", "xyxy"),
    ("cxcywh_in", "cxcywh", "xywh"), ("xywh_in", "xywh", "xyxy"), ("xywh_in", "xywh", "cxcywh")])
def test_box_convert_matches_torchvision(src, a, b):
    out = ops.box_convert(t(src), in_fmt=a, out_fmt=b)
    np.testing.assert_allclose(out.numpy(), REF[f"box_convert_{a}_to_{b}"], rtol=1e-6, atol=1e-5)


def test_box_convert_bad_format():
    with pytest.raises(ValueError, match="xyzw"):
        ops.box_convert(t("boxes"), "xyzw", "xyxy")


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_box_iou_other_formats_equal_xyxy(fmt):
    a, b = t("boxes_a"), t("boxes_b")
    out = ops.box_iou(ops.box_convert(a, "xyxy", fmt), ops.box_convert(b, "xyxy", fmt), fmt=fmt)
    np.testing.assert_allclose(out.numpy(), REF["box_iou"], rtol=1e-5, atol=1e-6)


def _pairwise_reference(b1, b2, kind, eps=1e-7):
    """GIoU / DIoU / CIoU from their papers' definitions, float64, one pair at a time."""
    out = np.zeros((len(b1), len(b2)))
    for i, p in enumerate(b1):
        for j, g in enumerate(b2):
            iw = max(min(p[2], g[2]) - max(p[0], g[0]), 0)
            ih = max(min(p[3], g[3]) - max(p[1], g[1]), 0)
            inter = iw * ih
            union = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
            iou = inter / union
            cw = max(p[2], g[2]) - min(p[0], g[0])
            ch = max(p[3], g[3]) - min(p[1], g[1])
            if kind == "giou":
                out[i, j] = iou - (cw * ch - union) / (cw * ch)
                continue
            rho2 = ((p[0] + p[2]) / 2 - (g[0] + g[2]) / 2) ** 2 + \
                ((p[1] + p[3]) / 2 - (g[1] + g[3]) / 2) ** 2
            diou = iou - rho2 / (cw ** 2 + ch ** 2 + eps)
            if kind == "diou":
                out[i, j] = diou
                continue
            v = 4 / math.pi ** 2 * (math.atan((g[2] - g[0]) / (g[3] - g[1]))
                                    - math.atan((p[2] - p[0]) / (p[3] - p[1]))) ** 2
            out[i, j] = diou - v / (1 - iou + v + eps) * v
    return out


@pytest.mark.parametrize("kind, fn", [("giou", ops.generalized_box_iou),
                                      ("diou", ops.distance_box_iou),
                                      ("ciou", ops.complete_box_iou)])
def test_iou_variants_match_float64_definitions(kind, fn):
    a, b = REF["boxes_a"].astype(np.float64), REF["boxes_b"].astype(np.float64)
    out = fn(ember.from_numpy(a), ember.from_numpy(b))
    np.testing.assert_allclose(out.numpy(), _pairwise_reference(a, b, kind), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("kind, fn", [("giou", ops.generalized_box_iou_loss),
                                      ("diou", ops.distance_box_iou_loss),
                                      ("ciou", ops.complete_box_iou_loss)])
def test_iou_losses_are_one_minus_the_paired_iou_variant(kind, fn):
    a, b = REF["boxes_a"][:5].astype(np.float64), REF["boxes_b"].astype(np.float64)
    ref = 1 - np.diag(_pairwise_reference(a, b, kind))  # box i with box i
    out = fn(ember.from_numpy(a), ember.from_numpy(b))
    # torchvision adds eps=1e-7 to the union / enclosing area denominators of the losses
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fn(ember.from_numpy(a), ember.from_numpy(b), "mean").item(),
                               ref.mean(), rtol=1e-6)
    np.testing.assert_allclose(fn(ember.from_numpy(a), ember.from_numpy(b), "sum").item(),
                               ref.sum(), rtol=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        fn(ember.from_numpy(a), ember.from_numpy(b), "max")


def test_iou_loss_gradient_gradcheck():
    a = ember.tensor([[1.0, 2.0, 6.0, 7.5], [0.0, 0.0, 3.0, 2.0]], dtype=ember.float64,
                     requires_grad=True)
    b = ember.tensor([[2.0, 1.0, 5.0, 8.0], [1.0, 0.5, 4.0, 4.0]], dtype=ember.float64)
    for fn in (ops.generalized_box_iou_loss, ops.distance_box_iou_loss):
        assert ember.autograd.gradcheck(lambda x, fn=fn: fn(x, b, "sum"), (a,))


def test_clip_and_remove_small_boxes():
    boxes = ember.tensor([[-5.0, 2.0, 30.0, 50.0], [10.0, 10.0, 12.0, 40.0],
                          [1.0, 1.0, 9.0, 9.0]])
    clipped = ops.clip_boxes_to_image(boxes, (40, 20))  # (height, width)
    np.testing.assert_array_equal(clipped.numpy(), [[0, 2, 20, 40], [10, 10, 12, 40],
                                                    [1, 1, 9, 9]])
    np.testing.assert_array_equal(ops.remove_small_boxes(boxes, 3.0).numpy(), [0, 2])


def test_masks_to_boxes():
    masks = np.zeros((3, 10, 12), dtype=bool)
    masks[0, 2:5, 3:9] = True
    masks[1, 7, 1] = True
    boxes = ops.masks_to_boxes(ember.from_numpy(masks))
    np.testing.assert_array_equal(boxes.numpy(), [[3, 2, 8, 4], [1, 7, 1, 7], [0, 0, 0, 0]])


# --- roi_align / roi_pool ---------------------------------------------------------------------

ROI_ALIGN_CASES = [
    ("roi_align_aligned_false", "rois", 1.0, 2, False),
    ("roi_align_aligned_true", "rois", 1.0, 2, True),
    ("roi_align_scale0p5_aligned_false", "rois_x2", 0.5, 2, False),
    ("roi_align_scale0p5_aligned_true", "rois_x2", 0.5, 2, True),
    ("roi_align_adaptive_sampling", "rois", 1.0, -1, False),
]


@pytest.mark.parametrize("key, rois, scale, ratio, aligned", ROI_ALIGN_CASES)
def test_roi_align_matches_torchvision(key, rois, scale, ratio, aligned):
    out = ops.roi_align(t("feat"), t(rois), output_size=(3, 4), spatial_scale=scale,
                        sampling_ratio=ratio, aligned=aligned)
    np.testing.assert_allclose(out.numpy(), REF[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("aligned", [True, False])
def test_roi_align_gradient_matches_torchvision(aligned):
    x = t("feat").requires_grad_(True)
    out = ops.roi_align(x, t("rois"), (3, 4), 1.0, 2, aligned)
    out.backward(t("roi_align_grad_out"))
    np.testing.assert_allclose(x.grad.numpy(), REF[f"roi_align_aligned_{str(aligned).lower()}"
                                                   "_grad_feat"], rtol=1e-5, atol=1e-6)


def test_roi_align_list_of_boxes_and_module_agree_with_tensor_form():
    rois = REF["rois"]
    per_image = [ember.from_numpy(rois[rois[:, 0] == i, 1:].copy()) for i in (0, 1)]
    order = np.argsort(rois[:, 0], kind="stable")  # the list form is ordered by image
    out = ops.RoIAlign((3, 4), 1.0, 2, aligned=True)(t("feat"), per_image)
    np.testing.assert_allclose(out.numpy(), REF["roi_align_aligned_true"][order], rtol=1e-6)


def test_roi_align_empty_roi_gives_zeros():
    # aligned=True keeps a zero-size box as is: adaptive sampling then takes no sample (count 1)
    rois = ember.tensor([[0, 3.5, 2.5, 3.5, 2.5], [1, 1.0, 1.0, 9.0, 7.0]])
    out = ops.roi_align(t("feat"), rois, (2, 2), 1.0, -1, aligned=True)
    assert np.isfinite(out.numpy()).all()
    assert np.abs(out[0].numpy()).max() == 0 and np.abs(out[1].numpy()).max() > 0


def test_roi_align_gradcheck_float64():
    rng = np.random.default_rng(0)
    feat = ember.tensor(rng.standard_normal((1, 2, 6, 7)), requires_grad=True)
    rois = ember.tensor([[0, 0.5, 1.2, 4.4, 5.1], [0, 2.0, 0.3, 6.5, 3.3]], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda x: ops.roi_align(x, rois, 2, 1.0, 2, True), (feat,))


@pytest.mark.parametrize("key, rois, scale", [("roi_pool", "rois", 1.0),
                                              ("roi_pool_scale0p5", "rois_x2", 0.5)])
def test_roi_pool_matches_torchvision(key, rois, scale):
    out = ops.RoIPool((3, 3), scale)(t("feat"), t(rois))
    np.testing.assert_allclose(out.numpy(), REF[key], rtol=1e-6)


def test_roi_ops_reject_bad_boxes():
    with pytest.raises(ValueError, match=r"\(K, 5\).*\(6, 4\)"):
        ops.roi_align(t("feat"), t("rois")[:, 1:], 3)
    with pytest.raises(ValueError, match=r"4-D"):
        ops.roi_pool(t("feat")[0], t("rois"), 3)


# --- losses, stochastic depth ------------------------------------------------------------------

@pytest.mark.parametrize("key, alpha, gamma, reduction", [
    ("sigmoid_focal_loss_none", 0.25, 2.0, "none"), ("sigmoid_focal_loss_mean", 0.25, 2.0, "mean"),
    ("sigmoid_focal_loss_sum", 0.25, 2.0, "sum"),
    ("sigmoid_focal_loss_noalpha_gamma0_none", -1, 0.0, "none")])
def test_sigmoid_focal_loss_matches_torchvision(key, alpha, gamma, reduction):
    out = ops.sigmoid_focal_loss(t("logits"), t("targets"), alpha, gamma, reduction)
    np.testing.assert_allclose(out.numpy(), REF[key], rtol=1e-5, atol=1e-7)


def test_sigmoid_focal_loss_gradient_matches_torchvision():
    x = t("logits").requires_grad_(True)
    ops.sigmoid_focal_loss(x, t("targets"), 0.25, 2.0, "mean").backward()
    np.testing.assert_allclose(x.grad.numpy(), REF["sigmoid_focal_loss_mean_grad_logits"],
                               rtol=1e-5, atol=1e-8)


def test_sigmoid_focal_loss_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        ops.sigmoid_focal_loss(t("logits"), t("targets"), reduction="avg")


def test_stochastic_depth_modes():
    x = ember.ones(4000, 3)
    assert ops.stochastic_depth(x, 0.3, "row", training=False) is x
    ember.manual_seed(0)
    out = ops.stochastic_depth(x, 0.3, "row").numpy()
    rows = out[:, 0]
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.7)}
    assert (out == out[:, :1]).all()  # a row is dropped or kept whole
    assert abs((rows == 0).mean() - 0.3) < 0.03  # binomial: 4000 draws, sd 0.007
    batch = ops.StochasticDepth(0.5, "batch")(x).numpy()
    assert len(np.unique(batch)) == 1  # the whole batch shares one draw
    with pytest.raises(ValueError, match="mode"):
        ops.stochastic_depth(x, 0.1, "col")
    with pytest.raises(ValueError, match="probability"):
        ops.stochastic_depth(x, 1.5, "row")


# --- FPN, multi-scale RoI Align, building blocks ---------------------------------------------

def _identity_fpn(channels, levels):
    """An FPN whose 1x1 and 3x3 convolutions are identities, so its output is the top-down sum
    P_i = C_i + upsample_nearest(P_{i+1})."""
    from collections import OrderedDict  # noqa: F401  (kept local: only these tests use it)
    fpn = ops.FeaturePyramidNetwork([channels] * levels, channels)
    with ember.no_grad():
        for inner, layer in zip(fpn.inner_blocks, fpn.layer_blocks):
            inner[0].weight.copy_(ember.eye(channels).reshape(channels, channels, 1, 1))
            k = np.zeros((channels, channels, 3, 3), dtype=np.float32)
            k[np.arange(channels), np.arange(channels), 1, 1] = 1.0
            layer[0].weight.copy_(ember.from_numpy(k))
    return fpn


def test_fpn_top_down_sum_with_identity_convolutions():
    from collections import OrderedDict
    rng = np.random.default_rng(0)
    c = [rng.standard_normal((1, 3, s, s)).astype(np.float32) for s in (16, 8, 4)]
    fpn = _identity_fpn(3, 3)
    out = fpn(OrderedDict((f"c{i}", ember.from_numpy(v)) for i, v in enumerate(c)))
    assert list(out) == ["c0", "c1", "c2"]
    p2 = c[2]
    p1 = c[1] + p2.repeat(2, axis=2).repeat(2, axis=3)
    p0 = c[0] + p1.repeat(2, axis=2).repeat(2, axis=3)
    for key, ref in zip(("c0", "c1", "c2"), (p0, p1, p2)):
        np.testing.assert_allclose(out[key].detach().numpy(), ref, rtol=1e-5, atol=1e-5)


def test_fpn_extra_blocks():
    from collections import OrderedDict

    from ember_vision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7
    feats = OrderedDict(a=ember.randn(1, 4, 16, 16), b=ember.randn(1, 8, 8, 8))
    out = ops.FeaturePyramidNetwork([4, 8], 6, extra_blocks=LastLevelMaxPool())(feats)
    assert list(out) == ["a", "b", "pool"] and out["pool"].shape == (1, 6, 4, 4)
    np.testing.assert_array_equal(out["pool"].detach().numpy(),
                                  out["b"].detach().numpy()[:, :, ::2, ::2])
    out = ops.FeaturePyramidNetwork([4, 8], 6, extra_blocks=LastLevelP6P7(6, 6))(feats)
    assert [tuple(v.shape) for v in out.values()][2:] == [(1, 6, 4, 4), (1, 6, 2, 2)]
    with pytest.raises(TypeError, match="ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([4], 6, extra_blocks=ember.nn.ReLU())


def test_multiscale_roi_align_picks_the_fpn_level():
    from collections import OrderedDict
    rng = np.random.default_rng(1)
    f1 = ember.from_numpy(rng.standard_normal((1, 2, 64, 64)).astype(np.float32))  # 1/8
    f2 = ember.from_numpy(rng.standard_normal((1, 2, 32, 32)).astype(np.float32))  # 1/16
    # eq. 1: floor(4 + log2(sqrt(area) / 224)) clamped to [3, 4]: 500 px → 5 → 4 (f2),
    # 40 px → 1 → 3 (f1), 300 px → 4 (f2)
    boxes = ember.tensor([[0.0, 0.0, 500.0, 500.0], [10.0, 20.0, 50.0, 60.0],
                          [5.0, 5.0, 305.0, 305.0]])
    pooler = ops.MultiScaleRoIAlign(["f1", "f2"], 3, 2)
    out = pooler(OrderedDict(f1=f1, f2=f2, f3=ember.zeros(1, 2, 16, 16)), [boxes], [(512, 512)])
    assert pooler.scales == [0.125, 0.0625] and out.shape == (3, 2, 3, 3)
    rois = ember.cat([ember.zeros(3, 1), boxes], 1)
    for i, (feat, scale) in enumerate([(f2, 0.0625), (f1, 0.125), (f2, 0.0625)]):
        expected = ops.roi_align(feat, rois[i:i + 1], 3, scale, 2)[0]
        np.testing.assert_allclose(out[i].numpy(), expected.numpy(), rtol=1e-6, err_msg=str(i))
    # maps 1/8 and 1/32 give levels 3..5 but only two maps: like torchvision, level index i
    # reads the i-th map and a box of level index 2 (the 500 px one) is left zero
    skip = ops.MultiScaleRoIAlign(["f1", "f3"], 3, 2)
    out = skip(OrderedDict(f1=f1, f3=ember.ones(1, 2, 16, 16)), [boxes], [(512, 512)])
    assert np.abs(out[0].numpy()).max() == 0 and np.abs(out[2].numpy() - 1).max() < 1e-6


def test_frozen_batchnorm_equals_batchnorm_in_eval():
    rng = np.random.default_rng(2)
    bn = ember.nn.BatchNorm2d(3)
    with ember.no_grad():
        for name in ("weight", "bias", "running_mean"):
            getattr(bn, name).copy_(ember.from_numpy(rng.standard_normal(3).astype(np.float32)))
        bn.running_var.copy_(ember.from_numpy(rng.uniform(0.5, 2, 3).astype(np.float32)))
    frozen = ops.FrozenBatchNorm2d(3)
    frozen.load_state_dict(bn.state_dict())  # num_batches_tracked is dropped
    x = ember.randn(2, 3, 4, 5)
    np.testing.assert_allclose(frozen(x).numpy(), bn.eval()(x).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert list(frozen.parameters()) == []


def test_squeeze_excitation_and_conv_norm_activation():
    block = ops.Conv2dNormActivation(3, 8, kernel_size=3, stride=2)
    assert [type(m).__name__ for m in block] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert block[0].padding == (1, 1) and block[0].bias is None
    assert ops.Conv2dNormActivation(3, 8, 5, dilation=2)[0].padding == (4, 4)
    se = ops.SqueezeExcitation(4, 2)
    x = ember.randn(2, 4, 3, 3)
    with ember.no_grad():
        gate = ember.sigmoid(se.fc2(ember.relu(se.fc1(x.mean((2, 3), keepdim=True)))))
        np.testing.assert_allclose(se(x).numpy(), (x * gate).numpy(), rtol=1e-6)


def test_ops_run_on_a_backend_with_only_the_primitive_kernels():
    try:
        ember.zeros(1, device="fake")
    except Exception:
        pytest.skip("the test backend 'fake' (tests/core/fake_backend_pkg) is not installed")
    feat, rois = t("feat").to("fake"), t("rois").to("fake")
    out = ops.roi_align(feat, rois, (3, 4), 1.0, 2, True)
    assert out.device.type == "fake"
    np.testing.assert_allclose(out.cpu().numpy(), REF["roi_align_aligned_true"], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ops.roi_pool(feat, rois, (3, 3), 1.0).cpu().numpy(),
                               REF["roi_pool"], rtol=1e-6)
    keep = ops.batched_nms(t("boxes").to("fake"), t("scores").to("fake"), t("idxs").to("fake"),
                           0.5)
    np.testing.assert_array_equal(keep.cpu().numpy(), REF["batched_nms_iou0p5"])
