"""A file server on 127.0.0.1 for testing downloads without the internet.

``serve_directory(folder)`` serves ``folder`` over HTTP from a background thread and honours
``Range`` requests, so a test can exercise the whole download path of a dataset or of pretrained
weights — checksum, resume, corrupt file — exactly as against the published mirror::

    with serve_directory(tmp_path / "mirror") as server:
        download_url_to_file(server.url + "/train.tar.gz", dst, md5=...)
        assert server.requests[-1].range == "bytes=1024-"   # it resumed

``server.fail_after`` makes the server drop the connection after that many bytes of a body, to
simulate an interrupted download.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import os
import threading


@dataclasses.dataclass
class Request:
    path: str
    range: str | None


class FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: str):
        self.directory = directory
        self.requests: list[Request] = []
        self.fail_after: int | None = None  # bytes of a body to send before dropping the link
        super().__init__(("127.0.0.1", 0), _RangeHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    server: FileServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        self.server.requests.append(Request(self.path, rng))
        path = os.path.join(self.server.directory, self.path.lstrip("/").split("?")[0])
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        if start >= len(data) and rng:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.end_headers()
            return
        body = data[start:]
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.fail_after is not None:
            body = body[: self.server.fail_after]  # then close: the client sees a short read
        self.wfile.write(body)


@contextlib.contextmanager
def serve_directory(directory: str | os.PathLike):
    """Serve ``directory`` on 127.0.0.1 (a free port) for the duration of the ``with`` block."""
    server = FileServer(os.fspath(directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


__all__ = ["FileServer", "Request", "serve_directory"]
