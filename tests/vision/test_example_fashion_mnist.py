"""examples/vision_fashion_mnist.py end to end on a subset of the real Fashion-MNIST files
(Debian's dataset-fashion-mnist; skipped where absent): it links the files into torchvision's
layout, loads them through FashionMNIST + transforms + a 2-worker DataLoader, and learns."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vision_fashion_mnist.py"
DEBIAN = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (DEBIAN / "train-images-idx3-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_example_learns_on_a_subset(tmp_path):
    if not EXAMPLE.exists():
        pytest.skip("examples/vision_fashion_mnist.py not found next to the tests")
    # 1,920 training images (30 steps): far from the full epoch's ~88 %, far above chance (10 %)
    done = subprocess.run([sys.executable, str(EXAMPLE), "--root", str(tmp_path),
                           "--limit-train", "1920", "--limit-test", "1000",
                           "--min-accuracy", "0.6"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "s/epoch (1920 images)" in done.stdout
    assert (tmp_path / "FashionMNIST" / "raw").resolve() == DEBIAN.resolve()
