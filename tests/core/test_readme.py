"""The README's tour runs as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_tour_runs(capsys):
    if not README.exists():
        pytest.skip("README.md not found next to the tests")
    section = README.read_text().split("## A 20-line tour", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 20
    exec(compile(code, "README tour", "exec"), {})
    out = capsys.readouterr().out
    assert "tensor(" in out and "False" in out


def test_readme_training_snippet_runs(tmp_path, monkeypatch):
    if not README.exists():
        pytest.skip("README.md not found next to the tests")
    section = README.read_text().split("## Training a model", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "README training", "exec"), scope)
    assert (tmp_path / "model.pt").exists()
    assert scope["loss"].item() > 0
