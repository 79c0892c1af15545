"""``TCPStore``: a small key-value store over TCP, how NCCL ranks without MPI exchange the
communicator's unique id (rank 0 serves on ``MASTER_ADDR:MASTER_PORT``; the others ``get``).

The protocol is length-prefixed bytes (never pickle): a request is ``op`` (1 byte), the key and
the value; the server answers with a value (``get`` waits until the key is set).
"""

from __future__ import annotations

import socket
import struct
import threading
import time

from .errors import DistNetworkError, DistStoreError
from .work import _seconds

_SET, _GET, _ADD = b"s", b"g", b"a"


def _send_frame(sock, data: bytes) -> None:
    sock.sendall(struct.pack("!Q", len(data)) + data)


def _recv_exact(sock, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError("the store's peer closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv_frame(sock) -> bytes:
    (n,) = struct.unpack("!Q", _recv_exact(sock, 8))
    return _recv_exact(sock, n)


class _Server:
    """The master's side: one thread accepting, one per client connection."""

    def __init__(self, host: str, port: int) -> None:
        self.data: dict[bytes, bytes] = {}
        self.cond = threading.Condition()
        self.sock = socket.create_server((host, port), reuse_port=False)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn) -> None:
        with conn:
            try:
                while True:
                    op = _recv_exact(conn, 1)
                    key, value = _recv_frame(conn), _recv_frame(conn)
                    _send_frame(conn, self._handle(op, key, value))
            except (ConnectionError, OSError):
                return

    def _handle(self, op: bytes, key: bytes, value: bytes) -> bytes:
        with self.cond:
            if op == _SET:
                self.data[key] = value
                self.cond.notify_all()
                return b""
            if op == _ADD:
                total = int(self.data.get(key, b"0")) + int(value)
                self.data[key] = str(total).encode()
                self.cond.notify_all()
                return self.data[key]
            timeout = float(value)  # _GET: wait for the key
            if not self.cond.wait_for(lambda: key in self.data, timeout):
                return b"\x00timeout"
            return b"\x01" + self.data[key]

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.sock.close()


class TCPStore:
    """Key-value store shared by the ranks of a job (PyTorch's name and arguments).

    Args:
        host_name: address of the master (rank 0).
        port: its port (0 on the master: pick a free one; read it back from ``.port``).
        world_size: number of ranks (informational).
        is_master: this process serves the store.
        timeout: how long ``get`` and connecting wait (``timedelta`` or seconds).

    Examples::

        >>> store = TCPStore("127.0.0.1", 29500, 2, is_master=True)
        >>> store.set("nccl_id", b"...")       # on rank 0
        >>> store.get("nccl_id")               # on every rank: waits until it is set
    """

    def __init__(self, host_name: str, port: int, world_size: int | None = None,
                 is_master: bool = False, timeout=300, wait_for_workers: bool = True) -> None:
        self.host, self.world_size = host_name, world_size
        self.timeout = _seconds(timeout)
        self._server = _Server(host_name, port) if is_master else None
        self.port = self._server.port if is_master else port
        self._sock = self._connect()
        self._lock = threading.Lock()

    def _connect(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
                sock.settimeout(self.timeout + 30)  # the server answers a get within the timeout
                return sock
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise DistNetworkError(f"TCPStore: could not connect to {self.host}:{self.port} "
                                           f"within {self.timeout:g} s ({exc}); is rank 0 running "
                                           "and are MASTER_ADDR/MASTER_PORT right?") from exc
                time.sleep(0.1)

    def _request(self, op: bytes, key: str, value: bytes) -> bytes:
        with self._lock:
            self._sock.sendall(op)
            _send_frame(self._sock, key.encode())
            _send_frame(self._sock, value)
            return _recv_frame(self._sock)

    def set(self, key: str, value) -> None:
        self._request(_SET, key, value.encode() if isinstance(value, str) else bytes(value))

    def get(self, key: str) -> bytes:
        """The value of ``key``, waiting up to the timeout for some rank to set it."""
        answer = self._request(_GET, key, str(self.timeout).encode())
        if answer[:1] != b"\x01":
            raise DistStoreError(f"TCPStore: key {key!r} was not set within {self.timeout:g} s")
        return answer[1:]

    def add(self, key: str, amount: int) -> int:
        """Add ``amount`` to the integer at ``key`` (0 if unset); returns the new value."""
        return int(self._request(_ADD, key, str(int(amount)).encode()))

    def close(self) -> None:
        self._sock.close()
        if self._server is not None:
            self._server.close()


__all__ = ["TCPStore"]
