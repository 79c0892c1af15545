"""ember_vision.models: for every builder, the parameter count against torchvision's published
number and the whole state_dict layout against the real torchvision's (fixtures made by
fixtures/make_model_refs.py); ResNet-18's exact outputs (../shared fixture); forward shapes on
small inputs. Outputs of every family: test_models_reference.py."""

import gc
import gzip
import json
import pathlib

import numpy as np
import pytest

import ember
import ember.nn.init
from ember_vision import models

FIXTURES = pathlib.Path(__file__).parent / "fixtures"

# Parameter counts published by torchvision (docs "Table of all available classification
# weights" / each weights entry's num_params), per builder; (kwargs, count).
PUBLISHED_NUM_PARAMS = {
    "alexnet": ({}, 61100840),
    "convnext_tiny": ({}, 28589128), "convnext_small": ({}, 50223688),
    "convnext_base": ({}, 88591464), "convnext_large": ({}, 197767336),
    "densenet121": ({}, 7978856), "densenet161": ({}, 28681000),
    "densenet169": ({}, 14149480), "densenet201": ({}, 20013928),
    "efficientnet_b0": ({}, 5288548), "efficientnet_b1": ({}, 7794184),
    "efficientnet_b2": ({}, 9109994), "efficientnet_b3": ({}, 12233232),
    "efficientnet_b4": ({}, 19341616), "efficientnet_b5": ({}, 30389784),
    "efficientnet_b6": ({}, 43040704), "efficientnet_b7": ({}, 66347960),
    "efficientnet_v2_s": ({}, 21458488), "efficientnet_v2_m": ({}, 54139356),
    "efficientnet_v2_l": ({}, 118515272),
    "googlenet": ({"aux_logits": False}, 6624904),
    "inception_v3": ({}, 27161264),
    "mnasnet0_5": ({}, 2218512), "mnasnet0_75": ({}, 3170208), "mnasnet1_0": ({}, 4383312),
    "mnasnet1_3": ({}, 6282256),
    "mobilenet_v2": ({}, 3504872), "mobilenet_v3_large": ({}, 5483032),
    "mobilenet_v3_small": ({}, 2542856),
    "regnet_x_400mf": ({}, 5495976), "regnet_x_800mf": ({}, 7259656),
    "regnet_x_1_6gf": ({}, 9190136), "regnet_x_3_2gf": ({}, 15296552),
    "regnet_x_8gf": ({}, 39572648), "regnet_x_16gf": ({}, 54278536),
    "regnet_x_32gf": ({}, 107811560),
    "regnet_y_400mf": ({}, 4344144), "regnet_y_800mf": ({}, 6432512),
    "regnet_y_1_6gf": ({}, 11202430), "regnet_y_3_2gf": ({}, 19436338),
    "regnet_y_8gf": ({}, 39381472), "regnet_y_16gf": ({}, 83590140),
    "regnet_y_32gf": ({}, 145046770), "regnet_y_128gf": ({}, 644812894),
    "resnet18": ({}, 11689512), "resnet34": ({}, 21797672), "resnet50": ({}, 25557032),
    "resnet101": ({}, 44549160), "resnet152": ({}, 60192808),
    "resnext50_32x4d": ({}, 25028904), "resnext101_32x8d": ({}, 88791336),
    "resnext101_64x4d": ({}, 83455272),
    "shufflenet_v2_x0_5": ({}, 1366792), "shufflenet_v2_x1_0": ({}, 2278604),
    "shufflenet_v2_x1_5": ({}, 3503624), "shufflenet_v2_x2_0": ({}, 7393996),
    "squeezenet1_0": ({}, 1248424), "squeezenet1_1": ({}, 1235496),
    "swin_t": ({}, 28288354), "swin_s": ({}, 49606258), "swin_b": ({}, 87768224),
    "swin_v2_t": ({}, 28351570), "swin_v2_s": ({}, 49737442), "swin_v2_b": ({}, 87930848),
    "vgg11": ({}, 132863336), "vgg11_bn": ({}, 132868840), "vgg13": ({}, 133047848),
    "vgg13_bn": ({}, 133053736), "vgg16": ({}, 138357544), "vgg16_bn": ({}, 138365992),
    "vgg19": ({}, 143667240), "vgg19_bn": ({}, 143678248),
    "vit_b_16": ({}, 86567656), "vit_b_32": ({}, 88224232), "vit_l_16": ({}, 304326632),
    "vit_l_32": ({}, 306535400), "vit_h_14": ({"image_size": 518}, 633470440),
    "wide_resnet50_2": ({}, 68883240), "wide_resnet101_2": ({}, 126886696),
}
# segmentation: counted with the auxiliary head, as published (COCO-with-VOC-labels weights)
_SEG = {"weights_backbone": None, "aux_loss": True}
PUBLISHED_SEGMENTATION_NUM_PARAMS = {
    "fcn_resnet50": (_SEG, 35322218), "fcn_resnet101": (_SEG, 54314346),
    "deeplabv3_resnet50": (_SEG, 42004074), "deeplabv3_resnet101": (_SEG, 60996202),
    "deeplabv3_mobilenet_v3_large": (_SEG, 11029328),
    "lraspp_mobilenet_v3_large": ({"weights_backbone": None}, 3221538),
}


@pytest.fixture
def no_random_init(monkeypatch):
    """Skip the random initialisation (the slow part of building a 600M-parameter model): the
    parameter shapes, which is all a count needs, do not depend on it."""
    def keep(self, *args, **kwargs):
        return self

    monkeypatch.setattr(ember.Tensor, "normal_", keep)
    monkeypatch.setattr(ember.Tensor, "uniform_", keep)
    monkeypatch.setattr(ember.nn.init, "trunc_normal_", lambda t, *a, **k: t)


def test_every_registered_builder_has_a_published_count():
    assert sorted(PUBLISHED_NUM_PARAMS) == models.list_models(models)
    assert sorted(PUBLISHED_SEGMENTATION_NUM_PARAMS) == models.list_models(models.segmentation)
    assert models.list_models() == sorted({**PUBLISHED_NUM_PARAMS,
                                           **PUBLISHED_SEGMENTATION_NUM_PARAMS})


ALL_COUNTS = {**PUBLISHED_NUM_PARAMS, **PUBLISHED_SEGMENTATION_NUM_PARAMS}


# every builder's state_dict as [key, shape, dtype], from the real torchvision 0.28 (made by
# fixtures/make_model_refs.py)
with gzip.open(FIXTURES / "model_layouts.json.gz", "rt") as _f:
    TORCHVISION_LAYOUTS = json.load(_f)["models"]


@pytest.mark.parametrize("name", sorted(ALL_COUNTS))
def test_num_params_and_state_dict_match_torchvision(name, no_random_init):
    kwargs, expected = ALL_COUNTS[name]
    model = models.get_model(name, **kwargs)
    assert sum(p.numel() for p in model.parameters()) == expected
    # the weights registry publishes the same number for the default checkpoint
    assert models.get_model_weights(name).DEFAULT.meta["num_params"] == expected
    # names, order, shapes and dtypes of torchvision's state_dict, built with the same kwargs
    reference = TORCHVISION_LAYOUTS[name]
    assert reference["kwargs"] == kwargs and reference["num_params"] == expected
    layout = [[k, list(v.shape), str(v.dtype).replace("ember.", "")]
              for k, v in model.state_dict().items()]
    assert layout == reference["state_dict"]
    del model
    gc.collect()


def test_vit_swag_checkpoint_sizes(no_random_init):
    # SWAG checkpoints are at 384 / 512 px: longer position embeddings, more parameters
    for name, weights in [("vit_b_16", "IMAGENET1K_SWAG_E2E_V1"),
                          ("vit_l_16", "IMAGENET1K_SWAG_E2E_V1")]:
        w = models.get_model_weights(name)[weights]
        model = models.get_model(name, image_size=w.meta["min_size"][0])
        assert sum(p.numel() for p in model.parameters()) == w.meta["num_params"]
    assert models.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1.meta["num_params"] == 86859496


def _manifest():
    return json.loads((FIXTURES / "resnet18_state_dict_keys.json").read_text())


def test_resnet18_state_dict_layout_equals_torchvision():
    expected = _manifest()
    sd = models.resnet18().state_dict()
    got = [[k, list(v.shape), str(v.dtype).replace("ember.", "")] for k, v in sd.items()]
    assert got == expected["state_dict"]  # names, order, shapes and dtypes
    assert sum(v.numel() for v in sd.values()) == expected["num_state_dict_elements"]


def test_resnet18_saved_checkpoint_has_torchvision_layout(tmp_path):
    path = tmp_path / "resnet18.pth"
    ember.save(models.resnet18().state_dict(), path)
    loaded = ember.load(path, weights_only=True)
    assert [[k, list(v.shape)] for k, v in loaded.items()] == \
        [[k, shape] for k, shape, _ in _manifest()["state_dict"]]
    assert loaded["bn1.num_batches_tracked"].dtype == ember.int64


def test_load_state_dict_names_the_wrong_key():
    sd = models.resnet18().state_dict()
    sd["fc.weight"] = ember.zeros(10, 512)
    with pytest.raises(RuntimeError, match="fc.weight"):
        models.resnet18().load_state_dict(sd)


# --- exact outputs of a real torchvision ResNet-18 ---------------------------------------------

SHARED = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "vision"
needs_shared = pytest.mark.skipif(
    not (SHARED / "resnet18_state_dict.pt").exists() or not (SHARED / "resnet18_io.npz").exists(),
    reason="the 45 MB torchvision ResNet-18 fixture lives only in ../shared/fixtures/vision")


@pytest.fixture(scope="module")
def torchvision_resnet18():
    model = models.resnet18()
    # a real torch.save file, read by ember's PyTorch-checkpoint reader (no PyTorch)
    model.load_state_dict(ember.load(SHARED / "resnet18_state_dict.pt", weights_only=True))
    return model.eval(), np.load(SHARED / "resnet18_io.npz")


@needs_shared
def test_resnet18_reproduces_torchvision_outputs(torchvision_resnet18):
    model, io = torchvision_resnet18
    taps = {}
    for name in ("maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"):
        getattr(model, name).register_forward_hook(
            lambda mod, inp, out, name=name: taps.__setitem__(name, out.numpy().copy()))
    with ember.no_grad():
        logits = model(ember.from_numpy(io["input"])).numpy()
    for name, out in taps.items():
        np.testing.assert_allclose(out, io[name], atol=1e-4, rtol=1e-4, err_msg=name)
    # the README's expectation for a float32 reimplementation: ~1e-5 absolute (measured 2e-6)
    assert np.abs(logits - io["logits"]).max() < 1e-5


@needs_shared
def test_resnet18_float64_reproduces_torchvision_float64(torchvision_resnet18):
    model, io = torchvision_resnet18
    model64 = models.resnet18()
    model64.load_state_dict(model.state_dict())
    model64.double().eval()
    with ember.no_grad():
        logits = model64(ember.from_numpy(io["input"].astype(np.float64))).numpy()
    assert np.abs(logits - io["logits_float64"]).max() < 1e-12  # measured 5e-15


# --- forward shapes on small inputs (a representative subset) ---------------------------------

SMALL_FORWARD = [
    ("resnet50", {}, 64), ("resnext50_32x4d", {"num_classes": 7}, 64), ("mobilenet_v2", {}, 32), ("mobilenet_v3_large", {}, 32),
    ("mobilenet_v3_small", {"num_classes": 5}, 32), ("efficientnet_b0", {}, 32),
    ("efficientnet_v2_s", {}, 32), ("squeezenet1_1", {}, 64), ("densenet121", {}, 32),
    ("shufflenet_v2_x0_5", {}, 32), ("regnet_y_400mf", {}, 32), ("regnet_x_400mf", {}, 32),
    ("mnasnet0_5", {}, 32), ("googlenet", {}, 64), ("inception_v3", {}, 75),
]


@pytest.mark.parametrize("name", ["fcn_resnet50", "deeplabv3_mobilenet_v3_large",
                                  "lraspp_mobilenet_v3_large"])
def test_segmentation_forward_shapes(name, no_random_init):
    kwargs = dict(PUBLISHED_SEGMENTATION_NUM_PARAMS[name][0], num_classes=4)
    model = models.get_model(name, **kwargs).eval()
    with ember.no_grad():
        out = model(ember.randn(1, 3, 40, 48))
    expected = {"out"} if name.startswith("lraspp") else {"out", "aux"}
    assert set(out) == expected
    assert all(v.shape == (1, 4, 40, 48) for v in out.values())


@pytest.mark.parametrize("name, kwargs, size", SMALL_FORWARD)
def test_forward_shape_eval(name, kwargs, size):
    ember.manual_seed(0)
    model = models.get_model(name, **kwargs).eval()
    with ember.no_grad():
        out = model(ember.randn(2, 3, size, size))
    assert out.shape == (2, kwargs.get("num_classes", 1000))
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("name, size", [("vgg11_bn", 32), ("alexnet", 63)])
def test_forward_shape_big_classifiers(name, size, no_random_init):
    # 100M+ parameters in the classifier: skip their random init, only the shapes matter here
    model = models.get_model(name, num_classes=10).eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, size, size)).shape == (1, 10)


# The transformers and ConvNeXt at full size take seconds just to initialise: run their classes
# at a small size instead (the full-size builders are covered by the parameter counts).
SMALL_CONFIGS = {
    "convnext": lambda: models.ConvNeXt([models.CNBlockConfig(8, 16, 1),
                                         models.CNBlockConfig(16, None, 2)], num_classes=5),
    "swin": lambda: models.SwinTransformer([4, 4], 8, [2, 2], [1, 2], [4, 4], num_classes=5),
    "swin_v2": lambda: models.SwinTransformer(
        [4, 4], 8, [2, 2], [1, 2], [4, 4], num_classes=5,
        block=models.swin_transformer.SwinTransformerBlockV2,
        downsample_layer=models.swin_transformer.PatchMergingV2),
    "vit": lambda: models.VisionTransformer(32, 8, num_layers=2, num_heads=2, hidden_dim=16,
                                           mlp_dim=32, num_classes=5),
}


@pytest.mark.parametrize("kind", sorted(SMALL_CONFIGS))
def test_forward_shape_small_configs(kind):
    ember.manual_seed(0)
    model = SMALL_CONFIGS[kind]().eval()
    with ember.no_grad():
        out = model(ember.randn(2, 3, 32, 32))  # swin: 8x8 tokens, windows shifted and padded
    assert out.shape == (2, 5) and np.isfinite(out.numpy()).all()


def test_eval_mode_is_deterministic_and_batch_independent():
    # eval mode: no dropout / stochastic depth, BatchNorm uses running stats, so each sample's
    # output does not depend on the rest of the batch
    ember.manual_seed(0)
    model = models.efficientnet_b0().eval()
    x = ember.randn(3, 3, 32, 32)
    with ember.no_grad():
        both = model(x).numpy()
        single = model(x[1:2]).numpy()
    np.testing.assert_allclose(both[1:2], single, rtol=1e-4, atol=1e-5)


def test_aux_outputs_in_training_mode(no_random_init):
    g = models.googlenet().train()
    out = g(ember.randn(2, 3, 64, 64))
    assert type(out).__name__ == "GoogLeNetOutputs"
    assert [o.shape for o in out] == [(2, 1000)] * 3
    # Inception v3's aux head reads the 17x17 grid of a 299x299 input; run it on its own
    inc = models.inception_v3(aux_logits=True, num_classes=6).train()
    assert inc.AuxLogits(ember.randn(2, 768, 17, 17)).shape == (2, 6)
    assert models.inception_v3(aux_logits=False).AuxLogits is None


def test_training_step_reaches_every_parameter():
    ember.manual_seed(0)
    model = models.resnet18(num_classes=4)
    loss = ember.nn.functional.cross_entropy(model(ember.randn(2, 3, 32, 32)),
                                             ember.tensor([1, 3]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_vit_rejects_wrong_image_size():
    model = models.VisionTransformer(64, 32, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=8)
    with pytest.raises(AssertionError, match="64x64.*32x32"):
        model(ember.randn(1, 3, 32, 32))


def test_resnet_dilation_keeps_resolution(no_random_init):
    model = models.resnet50(replace_stride_with_dilation=[False, True, True]).eval()
    feats = {}
    model.layer4.register_forward_hook(lambda m, i, o: feats.update(c5=o.shape))
    with ember.no_grad():
        model(ember.randn(1, 3, 64, 64))
    assert feats["c5"] == (1, 2048, 8, 8)  # output stride 8 instead of 32


def _fake_device_or_skip():
    try:
        ember.zeros(1, device="fake")
    except Exception:
        pytest.skip("the test backend 'fake' (tests/core/fake_backend_pkg) is not installed")


def test_runs_on_a_backend_with_only_the_primitive_kernels():
    # the 'fake' backend registers exactly ember's primitive kernels (no convolution, no
    # pooling, no fast paths): a model written in ember ops must still run there, through the
    # decompositions, and agree with the CPU backend
    _fake_device_or_skip()
    ember.manual_seed(0)
    model = models.mobilenet_v3_small(num_classes=5).eval()
    x = ember.randn(1, 3, 32, 32)
    with ember.no_grad():
        expected = model(x).numpy()
        got = model.to("fake")(x.to("fake"))
    assert got.device.type == "fake"
    np.testing.assert_allclose(got.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
