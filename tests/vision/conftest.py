"""Shared fixtures of the ember_vision tests: a local HTTP file server (the tests never touch the
network) that honours Range requests and can cut a response short to exercise resuming."""

from __future__ import annotations

import http.server
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class FileServer:
    """Serves the files of ``root`` at ``url``; ``requests`` records (path, Range header) pairs."""

    root: Path
    url: str
    requests: list = field(default_factory=list)
    cut_once: dict = field(default_factory=dict)  # file name -> bytes to send before hanging up


def _handler(server_state: FileServer):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest's output clean
            pass

        def do_GET(self):
            name = self.path.lstrip("/")
            range_header = self.headers.get("Range")
            server_state.requests.append((name, range_header))
            path = server_state.root / name
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            start = 0
            if range_header and range_header.startswith("bytes="):
                start = int(range_header[len("bytes="):].split("-")[0])
                if start >= len(data):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = server_state.cut_once.pop(name, None)
            self.wfile.write(body if cut is None else body[:cut])
            if cut is not None:
                self.wfile.flush()
                self.close_connection = True

    return Handler


@pytest.fixture
def file_server(tmp_path):
    """A threaded HTTP server on 127.0.0.1 serving ``tmp_path / "served"``."""
    root = tmp_path / "served"
    root.mkdir()
    state = FileServer(root=root, url="")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def unreachable_url():
    """Makes URLs on 127.0.0.1 where nothing listens: the 'network unreachable' case."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return lambda name: f"http://127.0.0.1:{port}/{name}"
