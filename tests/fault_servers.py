"""Loopback fault makers for the worker and load tests: a TCP proxy that flips or delays, a black hole.

`TcpProxy` forwards each connection to the target it had when the connection was accepted;
`flip(port)` sends only new connections elsewhere, as a DNS change does (open connections
stay where they were). `delay_seconds` holds each answer of a connection chosen by `slow`
that long before passing it on (the request has already gone through, so it lands).
`black_hole()` accepts connections and never answers. Everything binds 127.0.0.1, runs on
daemon threads and stops when its context ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LOOPBACK = "127.0.0.1"
CHUNK_BYTES = 65_536
ACCEPT_POLL_SECONDS = 0.05


class TcpProxy:
    """Forwards 127.0.0.1:port to a target port; `flip` moves new connections only."""

    def __init__(self, target_port: int, delay_seconds: float = 0.0, slow: Callable[[int], bool] | None = None):
        self.target_port = target_port
        self.delay_seconds = delay_seconds
        self.slow = slow or (lambda index: False)
        self.accepted = 0
        self.delayed = 0
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flip(self, target_port: int) -> None:
        self.target_port = target_port

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(2)
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                try:
                    s.close()
                except OSError:
                    pass

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            index = self.accepted
            self.accepted += 1
            try:
                upstream = socket.create_connection((LOOPBACK, self.target_port), 2)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            delay = self.delay_seconds if self.slow(index) else 0.0
            threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, delay), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, delay_seconds: float) -> None:
        try:
            while not self._stopped.is_set():
                data = source.recv(CHUNK_BYTES)
                if not data:
                    break
                if delay_seconds:
                    self.delayed += 1
                    time.sleep(delay_seconds)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class BlackHole:
    """Accepts TCP connections and never answers (nor reads)."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0), backlog=128)
        self._listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="black-hole", daemon=True)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(2)
        self._listener.close()
        for connection in self._held:
            connection.close()


@contextmanager
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    hole._thread.start()
    try:
        yield hole
    finally:
        hole.close()
