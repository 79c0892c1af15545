"""The examples' CNN and Transformer train on ``opencl`` with the CPU backend's losses (float32
tolerance): same seeds, same host random numbers, different kernels."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_lenet(device, steps=4):
    ember.manual_seed(0)
    model = _example("train_cnn").LeNet().to(device)
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.random((16, 1, 28, 28), dtype=np.float32))
    y = ember.from_numpy(rng.integers(0, 10, 16))
    losses = []
    for _ in range(steps):
        loss = nn.CrossEntropyLoss()(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model


def train_transformer(device, steps=4):
    """The example's CharTransformer (smaller), with dropout on: masks come from the host RNG."""
    ember.manual_seed(0)
    model = _example("train_char_transformer").CharTransformer(40, d_model=32, heads=4,
                                                               layers=2, context=16).to(device)
    optimizer = ember.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.integers(0, 40, (4, 16)))
    y = ember.from_numpy(rng.integers(0, 40, (4, 16)))
    losses = []
    for _ in range(steps):
        logits = model(x.to(device))
        loss = F.cross_entropy(logits.flatten(0, 1), y.to(device).flatten())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return losses, model


@pytest.mark.parametrize("train", [train_lenet, train_transformer], ids=["cnn", "transformer"])
def test_example_models_train_like_on_cpu(train):
    cpu, _ = train("cpu")
    ocl, model = train("opencl")
    assert cpu[-1] < cpu[0]  # it learns
    np.testing.assert_allclose(ocl, cpu, rtol=2e-4, atol=1e-5)
    assert all(p.device.type == "opencl" for p in model.parameters())


def test_conv_bn_layernorm_model_matches_cpu():
    """The core's primitives-only training check, on opencl (BatchNorm, GELU, LayerNorm)."""
    def build():
        ember.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.GELU(),
                             nn.LayerNorm(16), nn.Linear(16, 3))

    def run(device):
        model = build().to(device)
        optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
        ember.manual_seed(1)
        x, y = ember.randn(5, 1, 8, 8), ember.tensor([0, 1, 2, 0, 1])
        losses = []
        for _ in range(5):
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model

    cpu, _ = run("cpu")
    ocl, model = run("opencl")
    # (parameters are not compared: the conv bias before BatchNorm has a gradient that is zero
    # up to rounding, which Adam normalises into rounding-dependent steps on either backend)
    np.testing.assert_allclose(ocl, cpu, rtol=2e-4, atol=1e-5)
    assert model[1].running_mean.device.type == "opencl"


def test_state_dict_round_trip(tmp_path):
    _, model = train_lenet("opencl", steps=1)
    ember.save(model.state_dict(), tmp_path / "m.pt")
    fresh = _example("train_cnn").LeNet()
    fresh.load_state_dict(ember.load(tmp_path / "m.pt"))
    x = ember.randn(2, 1, 28, 28)
    with ember.no_grad():
        np.testing.assert_allclose(model(x.to("opencl")).cpu().numpy(), fresh(x).numpy(),
                                   rtol=1e-4, atol=1e-5)
