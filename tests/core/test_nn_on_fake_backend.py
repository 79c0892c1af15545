"""nn + optim run unchanged on a backend that implements only the primitives (the fake,
NumPy-in-disguise backend of tests/core/fake_backend_pkg): same losses as the CPU."""

import numpy as np
import pytest

import ember
import ember.nn as nn

pytest.importorskip("ember_fake", reason="the fake backend package is installed by nox -s tests")


def build():
    ember.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.GELU(),
                         nn.LayerNorm(16), nn.Linear(16, 3))


def train(device: str) -> list:
    model = build().to(device)
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
    ember.manual_seed(1)
    x, y = ember.randn(5, 1, 8, 8), ember.tensor([0, 1, 2, 0, 1])
    losses = []
    for _ in range(5):
        loss = nn.functional.cross_entropy(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_cnn_trains_identically_on_primitives_only_backend():
    cpu, fake = train("cpu"), train("fake")
    assert cpu[-1] < cpu[0] * 0.5  # it does learn
    np.testing.assert_allclose(fake, cpu, rtol=1e-5, atol=1e-6)


def test_state_dict_moves_between_devices():
    model = build().to("fake")
    assert all(p.device.type == "fake" for p in model.parameters())
    cpu_state = {k: v.cpu() for k, v in model.state_dict().items()}
    fresh = build()
    fresh.load_state_dict(cpu_state)
    x = ember.randn(2, 1, 8, 8)
    with ember.no_grad():
        np.testing.assert_allclose(model.eval()(x.to("fake")).cpu().numpy(),
                                   fresh.eval()(x).numpy(), rtol=1e-5, atol=1e-6)
