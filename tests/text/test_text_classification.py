"""TextClassificationModel against a NumPy reference, and the example training run end to end
on held-out data."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import ember
from ember_text.models import TextClassificationModel

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "text_classification.py"


def test_forward_is_mean_of_bag_then_linear():
    ember.manual_seed(0)
    model = TextClassificationModel(vocab_size=30, embed_dim=6, num_class=3)
    emb = model.embedding.weight.detach().numpy().astype(np.float64)
    w = model.fc.weight.detach().numpy().astype(np.float64)
    assert np.all(np.abs(emb) <= 0.5) and np.all(model.fc.bias.detach().numpy() == 0)
    text = [4, 8, 15, 16, 23, 1]
    offsets = [0, 2, 5]  # bags [4, 8], [15, 16, 23], [1]
    out = model(ember.tensor(text), ember.tensor(offsets)).detach().numpy()
    bags = [text[0:2], text[2:5], text[5:]]
    expected = np.stack([emb[b].mean(0) for b in bags]) @ w.T
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_example_learns_on_held_out_texts():
    # the full example (15 epochs, < 60 s): a 4-class problem, majority baseline 0.30
    # one BLAS thread: the matrices are tiny, and threads only contend with other work
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    match = re.search(r"test accuracy: ([0-9.]+) \(majority-class baseline ([0-9.]+)\)",
                      result.stdout)
    assert match, result.stdout
    accuracy, baseline = float(match.group(1)), float(match.group(2))
    assert baseline < 0.35
    assert accuracy > 0.70, result.stdout
