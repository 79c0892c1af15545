"""The weights registry (torchvision's models._api) and the pretrained-weights download path,
exercised offline: checkpoints are served from 127.0.0.1 or a file:// mirror."""

import hashlib
import pathlib

import numpy as np
import pytest

import ember
from ember.testing.http_server import serve_directory
from ember_vision import models
from ember_vision.models import (
    MobileNet_V3_Small_Weights,
    ResNet18_Weights,
    ResNet50_Weights,
    Weights,
    WeightsEnum,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


# --- registry -----------------------------------------------------------------------------------

def test_list_models_and_get_model():
    names = models.list_models()
    for name in ("resnet18", "resnet50", "vgg16_bn", "alexnet", "mobilenet_v2",
                 "mobilenet_v3_large", "efficientnet_b7", "efficientnet_v2_l", "vit_b_16",
                 "swin_v2_b", "convnext_large", "regnet_y_128gf", "densenet201"):
        assert name in names
    assert names == sorted(names)
    model = models.get_model("ResNet18", num_classes=3)  # names are case-insensitive
    assert isinstance(model, models.ResNet) and model.fc.out_features == 3
    with pytest.raises(ValueError, match="Unknown model resnet19"):
        models.get_model("resnet19")
    assert models.get_model_builder("VGG16") is models.vgg16
    assert models.list_models(include="resnet1*") == ["resnet101", "resnet152", "resnet18"]
    assert models.list_models(include=["vgg1?", "alex*"], exclude="vgg13") == \
        ["alexnet", "vgg11", "vgg16", "vgg19"]


def test_get_model_weights_and_get_weight():
    assert models.get_model_weights("resnet50") is ResNet50_Weights
    assert models.get_model_weights(models.resnet50) is ResNet50_Weights
    w = models.get_weight("ResNet50_Weights.IMAGENET1K_V2")
    assert w is ResNet50_Weights.IMAGENET1K_V2 is ResNet50_Weights.DEFAULT
    with pytest.raises(ValueError, match="Invalid weight name"):
        models.get_weight("ResNet50_Weights")
    with pytest.raises(ValueError, match="couldn't be retrieved"):
        models.get_weight("ResNet51_Weights.IMAGENET1K_V1")


def test_every_builder_has_a_default_with_published_metadata():
    for name in models.list_models(models.segmentation):
        meta = models.get_model_weights(name).DEFAULT.meta
        assert meta["categories"][:2] == ["__background__", "aeroplane"]
        assert set(meta["_metrics"]["COCO-val2017-VOC-labels"]) == {"miou", "pixel_acc"}
    for name in models.list_models(models):
        enum_cls = models.get_model_weights(name)
        assert issubclass(enum_cls, WeightsEnum)
        default = enum_cls.DEFAULT
        assert default.url.startswith("https://download.pytorch.org/models/")
        assert len(default.meta["categories"]) == 1000
        assert set(default.meta["_metrics"]["ImageNet-1K"]) == {"acc@1", "acc@5"}


def test_published_metadata():
    # torchvision's published numbers (docs' weights table)
    meta = ResNet18_Weights.IMAGENET1K_V1.meta
    assert ResNet18_Weights.IMAGENET1K_V1.url == \
        "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert meta["num_params"] == 11689512
    assert meta["_metrics"]["ImageNet-1K"] == {"acc@1": 69.758, "acc@5": 89.078}
    assert meta["min_size"] == (1, 1)
    cats = meta["categories"]
    assert len(cats) == len(set(cats)) == 1000
    assert (cats[0], cats[1], cats[207], cats[999]) == \
        ("tench", "goldfish", "golden retriever", "toilet tissue")
    assert ResNet50_Weights.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 80.858
    assert models.ViT_H_14_Weights.DEFAULT.meta["min_size"] == (518, 518)
    assert models.VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    seg = models.segmentation.DeepLabV3_ResNet50_Weights.DEFAULT
    assert seg.meta["_metrics"]["COCO-val2017-VOC-labels"] == {"miou": 66.4, "pixel_acc": 92.4}
    assert seg.transforms().resize_size == [520]


def test_verify_accepts_members_names_and_default():
    W = ResNet18_Weights
    assert W.verify(None) is None
    assert W.verify("IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert W.verify("DEFAULT") is W.IMAGENET1K_V1
    assert W.verify("ResNet18_Weights.IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert repr(W.DEFAULT) == "ResNet18_Weights.IMAGENET1K_V1"
    assert isinstance(W.DEFAULT.value, Weights)
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received "
                                        "ResNet50_Weights"):
        models.resnet18(weights=ResNet50_Weights.DEFAULT)
    with pytest.raises(KeyError, match="IMAGENET2K"):
        models.resnet18(weights="IMAGENET2K")


def test_weights_fix_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(weights="DEFAULT", num_classes=10)


# --- the evaluation preset (weights.transforms()) ----------------------------------------------

def test_transforms_preset_parameters():
    preset = ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert (preset.crop_size, preset.resize_size) == ([224], [232])
    v2s = models.EfficientNet_V2_S_Weights.DEFAULT.transforms()
    assert (v2s.crop_size, v2s.resize_size, str(v2s.interpolation)) == \
        ([384], [384], "InterpolationMode.BILINEAR")
    assert str(models.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1.transforms().interpolation) == \
        "InterpolationMode.BICUBIC"


def test_transforms_preset_matches_torchvision():
    PIL = pytest.importorskip("PIL.Image")
    ref = np.load(FIXTURES / "imagenet_preset_ref.npz")
    img = PIL.open(FIXTURES / "test_image.png").convert("RGB")
    preset = ResNet18_Weights.IMAGENET1K_V1.transforms()
    out = preset(img)
    assert out.dtype == ember.float32 and out.shape == (3, 224, 224)
    np.testing.assert_allclose(out.numpy(), ref["imagenet_eval_preset_pil"], atol=1e-6)
    # a uint8 tensor goes through the tensor resize: torchvision's uint8 kernel rounds a few
    # pixels of this upscale differently (measured: 2 of 150528 values, by one uint8 level)
    u8 = ember.from_numpy(np.ascontiguousarray(np.asarray(img).transpose(2, 0, 1)))
    diff = np.abs(preset(u8).numpy() - ref["imagenet_eval_preset_tensor_u8"])
    assert diff.max() <= 1 / 255 / 0.224 + 1e-6 and (diff > 1e-5).mean() < 1e-4


# --- downloading and loading checkpoints -------------------------------------------------------

@pytest.fixture
def published_checkpoint(tmp_path):
    """A mobilenet_v3_small state dict saved by ember.save under torch.hub's naming rule
    ``<name>-<first 8 hex digits of its sha256>.pth``; returns (folder, file name, state dict)."""
    ember.manual_seed(0)
    state = models.mobilenet_v3_small().state_dict()
    folder = tmp_path / "models"
    folder.mkdir()
    raw = folder / "raw.pth"
    ember.save(state, raw)
    name = f"mobilenet_v3_small-{hashlib.sha256(raw.read_bytes()).hexdigest()[:8]}.pth"
    raw.rename(folder / name)
    return folder, name, state


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember_home"))
    monkeypatch.delenv("EMBER_HUB_MIRROR", raising=False)
    return tmp_path / "ember_home" / "hub" / "checkpoints"


def _point_weights_at(monkeypatch, url):
    monkeypatch.setattr(MobileNet_V3_Small_Weights.IMAGENET1K_V1.value, "url", url)


def _assert_same_state(model, state):
    got = model.state_dict()
    assert list(got) == list(state)
    for k, v in state.items():
        np.testing.assert_array_equal(got[k].numpy(), v.numpy(), err_msg=k)


def test_download_from_local_server_checks_hash_and_caches(published_checkpoint, cache,
                                                           monkeypatch):
    folder, name, state = published_checkpoint
    with serve_directory(folder) as server:
        _point_weights_at(monkeypatch, f"{server.url}/{name}")
        model = models.mobilenet_v3_small(weights="DEFAULT", progress=False)
        _assert_same_state(model, state)
        assert (cache / name).exists()
        served = len(server.requests)
        models.mobilenet_v3_small(weights=MobileNet_V3_Small_Weights.IMAGENET1K_V1,
                                  progress=False)
        assert len(server.requests) == served  # second time: read from the cache


def test_download_refuses_a_corrupt_checkpoint(published_checkpoint, cache, monkeypatch):
    folder, name, _ = published_checkpoint
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / name).write_bytes(bytes(data))
    with serve_directory(folder) as server:
        _point_weights_at(monkeypatch, f"{server.url}/{name}")
        with pytest.raises(RuntimeError, match=name.split("-")[1][:8]):
            models.mobilenet_v3_small(weights="DEFAULT", progress=False)
    assert not (cache / name).exists()  # nothing corrupt is left to be loaded later


def test_mirror_folder_is_used_before_the_published_url(published_checkpoint, cache,
                                                        monkeypatch):
    folder, name, state = published_checkpoint
    # the published address is never contacted: the mirror (a folder) has the file
    monkeypatch.setenv("EMBER_HUB_MIRROR", str(folder))
    _point_weights_at(monkeypatch, f"https://download.pytorch.org/models/{name}")
    _assert_same_state(models.mobilenet_v3_small(weights="DEFAULT", progress=False), state)


def test_mirror_with_a_wrong_file_under_the_published_name_is_refused(published_checkpoint,
                                                                      cache, monkeypatch):
    folder, name, _ = published_checkpoint
    published = pathlib.PurePosixPath(MobileNet_V3_Small_Weights.DEFAULT.url).name
    (folder / name).rename(folder / published)  # our bytes do not hash to torchvision's prefix
    monkeypatch.setenv("EMBER_HUB_MIRROR", str(folder))
    with pytest.raises(RuntimeError, match="corrupt"):
        models.mobilenet_v3_small(weights="DEFAULT", progress=False)
    assert not (cache / published).exists()


def test_loaded_checkpoint_is_read_without_running_code(published_checkpoint, cache,
                                                        monkeypatch, tmp_path, capsys):
    # a pickle that would run code when unpickled must be refused, not executed
    import pickle
    import zipfile

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "evil.pth"
    ember.save({"x": ember.zeros(1)}, evil)  # start from a valid zip checkpoint
    with zipfile.ZipFile(evil) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    pkl = next(n for n in members if n.endswith("data.pkl"))
    members[pkl] = pickle.dumps({"x": Evil()}, protocol=2)
    with zipfile.ZipFile(evil, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    name = f"mobilenet_v3_small-{hashlib.sha256(evil.read_bytes()).hexdigest()[:8]}.pth"
    evil.rename(tmp_path / "models" / name)
    monkeypatch.setenv("EMBER_HUB_MIRROR", str(tmp_path / "models"))
    _point_weights_at(monkeypatch, f"https://download.pytorch.org/models/{name}")
    with pytest.raises(Exception, match="unsupported global builtins.print"):
        models.mobilenet_v3_small(weights="DEFAULT", progress=False)
    assert "pwned" not in capsys.readouterr().out


def test_densenet_checkpoint_with_legacy_key_names_loads(tmp_path, cache, monkeypatch):
    # torchvision's published DenseNet files use the old names "denselayer1.norm.1.weight",
    # and (saved before PyTorch 0.4.1) have no num_batches_tracked for those layers
    ember.manual_seed(0)
    state = models.densenet121().state_dict()
    legacy = {k.replace("norm1.", "norm.1.").replace("norm2.", "norm.2.")
              .replace("conv1.", "conv.1.").replace("conv2.", "conv.2.")
              if "denselayer" in k else k: v for k, v in state.items()
              if not ("denselayer" in k and k.endswith("num_batches_tracked"))}
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    raw = tmp_path / "raw.pth"
    ember.save(legacy, raw)
    name = f"densenet121-{hashlib.sha256(raw.read_bytes()).hexdigest()[:8]}.pth"
    raw.rename(tmp_path / name)
    monkeypatch.setenv("EMBER_HUB_MIRROR", str(tmp_path))
    monkeypatch.setattr(models.DenseNet121_Weights.DEFAULT.value, "url",
                        f"https://download.pytorch.org/models/{name}")
    _assert_same_state(models.densenet121(weights="DEFAULT", progress=False), state)


def test_vit_mlp_block_accepts_legacy_key_names():
    vit = models.VisionTransformer(32, 16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16)
    state = vit.state_dict()
    prefix = "encoder.layers.encoder_layer_0.mlp."
    legacy = {k.replace(prefix + "0.", prefix + "linear_1.").replace(prefix + "3.",
                                                                      prefix + "linear_2."): v
              for k, v in state.items()}
    assert prefix + "linear_1.weight" in legacy
    fresh = models.VisionTransformer(32, 16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16)
    fresh.load_state_dict(legacy)
    _assert_same_state(fresh, state)


SHARED = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "vision"


@pytest.mark.skipif(not (SHARED / "resnet18_state_dict.pt").exists(),
                    reason="the 45 MB torchvision ResNet-18 fixture lives only in ../shared")
def test_a_real_torch_save_checkpoint_through_the_weights_api(tmp_path, cache, monkeypatch):
    # the torchvision ResNet-18 state dict written by torch.save, published under a torch.hub
    # file name, goes through resnet18(weights=...) exactly like a downloaded checkpoint
    src = SHARED / "resnet18_state_dict.pt"
    name = f"resnet18-{hashlib.sha256(src.read_bytes()).hexdigest()[:8]}.pth"
    (tmp_path / name).symlink_to(src.resolve())
    monkeypatch.setenv("EMBER_HUB_MIRROR", str(tmp_path))
    monkeypatch.setattr(ResNet18_Weights.IMAGENET1K_V1.value, "url",
                        f"https://download.pytorch.org/models/{name}")
    model = models.resnet18(weights=ResNet18_Weights.IMAGENET1K_V1, progress=False).eval()
    io = np.load(SHARED / "resnet18_io.npz")
    with ember.no_grad():
        logits = model(ember.from_numpy(io["input"])).numpy()
    assert np.abs(logits - io["logits"]).max() < 1e-5
