"""Shared fixtures of the ember_vision tests: downloads go to a local HTTP server (the tests never
touch the network), ember.testing's Range-capable file server."""

from __future__ import annotations

import socket

import pytest

from ember.testing.http_server import serve_directory


@pytest.fixture
def file_server(tmp_path):
    """A server on 127.0.0.1 for the files put in ``file_server.root`` (a pathlib.Path);
    ``file_server.url`` has no trailing slash, ``file_server.requests`` records each
    request's path and Range header, ``file_server.fail_after`` cuts bodies short."""
    root = tmp_path / "served"
    root.mkdir()
    with serve_directory(root) as server:
        server.root = root
        yield server


@pytest.fixture
def unreachable_url():
    """Makes URLs on 127.0.0.1 where nothing listens: the 'network unreachable' case."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return lambda name: f"http://127.0.0.1:{port}/{name}"
