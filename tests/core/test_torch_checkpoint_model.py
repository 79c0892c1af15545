"""A PyTorch-trained model's checkpoint loads into the same ember model and gives its outputs."""

from pathlib import Path

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

FIX = Path(__file__).parent / "fixtures" / "torch_checkpoints"


class SmallCNN(nn.Module):
    """The fixture's model, line for line (see fixtures/torch_checkpoints/README.md)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        return self.fc(ember.flatten(x, 1))


@pytest.fixture(scope="module")
def io():
    return np.load(FIX / "small_cnn_io.npz")


def _model():
    model = SmallCNN()
    result = model.load_state_dict(ember.load(FIX / "small_cnn_state_dict.pt"))
    assert result.missing_keys == [] and result.unexpected_keys == []
    return model.eval()


def test_state_dict_keys_match_pytorch():
    sd = ember.load(FIX / "small_cnn_state_dict.pt")
    assert list(SmallCNN().state_dict()) == list(sd)


def test_checkpoint_reproduces_pytorch_outputs(io):
    model = _model()
    x = ember.from_numpy(io["input"])
    with ember.no_grad():
        conv1 = model.conv1(x)
        np.testing.assert_allclose(conv1.numpy(), io["conv1"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(F.relu(model.bn1(conv1)).numpy(), io["bn1_relu"],
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(model(x).numpy(), io["output"], rtol=1e-5, atol=1e-5)


def test_checkpoint_in_float64_matches_pytorch_float64(io):
    model = _model().double()
    with ember.no_grad():
        out = model(ember.from_numpy(io["input"]).double())
    np.testing.assert_allclose(out.numpy(), io["output_float64"], rtol=1e-10, atol=1e-12)


def test_round_trip_through_ember_save_keeps_outputs(io, tmp_path):
    model = _model()
    ember.save(model.state_dict(), tmp_path / "cnn.pt")
    again = SmallCNN()
    again.load_state_dict(ember.load(tmp_path / "cnn.pt"))
    x = ember.from_numpy(io["input"])
    with ember.no_grad():
        np.testing.assert_array_equal(again.eval()(x).numpy(), model(x).numpy())
