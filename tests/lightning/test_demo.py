"""The README's demo (examples/lightning_cnn.py) trains for real and reports a test accuracy."""

import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "lightning_cnn.py"


def test_demo_trains_and_tests_a_cnn(tmp_path):
    if not DEMO.exists():
        pytest.skip("examples/lightning_cnn.py not found next to the tests")
    done = subprocess.run([sys.executable, str(DEMO), "--max-epochs", "1", "--min-accuracy",
                           "0.8", "--root", str(tmp_path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test accuracy" in done.stdout
    assert list(tmp_path.glob("lightning_logs/version_0/checkpoints/*.ckpt"))
    assert (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").exists()
