"""The examples train for real: each runs as a user would run it and must reach its target
(the scripts themselves exit non-zero when accuracy/loss is not reached)."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(script: str, *args: str, cwd) -> str:
    if not (EXAMPLES / script).exists():
        pytest.skip(f"{script} not found next to the tests")
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_mlp_example_fits_the_spiral(tmp_path):
    out = run("train_mlp.py", "--steps", "300", cwd=tmp_path)
    assert "accuracy 0.99" in out


def test_cnn_example_learns_real_mnist_digits(tmp_path):
    out = run("train_cnn.py", "--epochs", "2", "--checkpoint", str(tmp_path / "c.pt"),
              cwd=tmp_path)
    assert "saved and reloaded" in out and (tmp_path / "c.pt").exists()


def test_char_transformer_example_learns_text(tmp_path):
    out = run("train_char_transformer.py", "--steps", "150", "--target", "2.6", cwd=tmp_path)
    assert "step  150" in out
