"""A misbehaving HTTP server on 127.0.0.1: plain sockets in threads, scripted per request.

Each request is parsed (request line, headers, ``Content-Length`` body), recorded, then answered
by the next :class:`Action` of the first rule whose path fragment it matches. Actions do what a
hostile or broken server does: answer normally, close before answering, reset in the middle of a
body, stall, drip one byte at a time, stream a huge body. Every action is bounded in time on the
server side too, so a client that never gives up cannot hang the test suite.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

STALL_LIMIT = 2.0
"""Longest a stalling answer keeps the connection, whatever the client does."""
DRIP_LIMIT = 1.2
"""Longest a dripping answer goes on (then the connection closes): past any client's bound."""


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Action:
    """What the server does with one request; ``run`` returns whether to keep the connection."""

    def run(self, conn: socket.socket) -> bool:
        raise NotImplementedError


def head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    if length is not None and not any(k.lower() == "content-length" for k in headers):
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Reply(Action):
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def run(self, conn: socket.socket) -> bool:
        conn.sendall(head(self.status, self.headers, len(self.body)) + self.body)
        return True


@dataclass
class Close(Action):
    """Close the connection without a byte of answer."""

    def run(self, conn: socket.socket) -> bool:
        return False


@dataclass
class Reset(Action):
    """Headers and part of the body, then a TCP reset (SO_LINGER 0)."""

    body: bytes = b'{"_id": "' + b"x" * 2000 + b'"}'

    def run(self, conn: socket.socket) -> bool:
        conn.sendall(head(200, {"Content-Type": "application/json"}, len(self.body)))
        conn.sendall(self.body[: len(self.body) // 2])
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False


@dataclass
class Stall(Action):
    """Say nothing until the client goes away (at most ``STALL_LIMIT`` s); ``held`` lists how
    long each client waited (``inf``: it was still waiting at the limit)."""

    held: list[float] = field(default_factory=list)

    def run(self, conn: socket.socket) -> bool:
        started = time.monotonic()
        hung_up = _wait_for_hangup(conn, STALL_LIMIT)
        self.held.append(time.monotonic() - started if hung_up else math.inf)
        return False


@dataclass
class Drip(Action):
    """A whole answer, one byte every ``interval`` s (at most ``DRIP_LIMIT`` s, then close);
    ``held`` lists how long each client listened (``inf``: still listening at the limit)."""

    interval: float = 0.2
    body: bytes = b'{"_id": "' + b"x" * 500 + b'"}'
    head_at_once: bool = False  # True: the headers at once, then the body drips
    held: list[float] = field(default_factory=list)

    def run(self, conn: socket.socket) -> bool:
        data = head(200, {"Content-Type": "application/json"}, len(self.body))
        if self.head_at_once:
            conn.sendall(data)
            data = self.body
        else:
            data += self.body
        started = time.monotonic()
        stop = started + DRIP_LIMIT
        held = math.inf  # the client was still there when the drip ended
        for index in range(len(data)):
            if time.monotonic() > stop:
                break
            try:
                conn.sendall(data[index : index + 1])
            except OSError:
                held = time.monotonic() - started
                break
            if _wait_for_hangup(conn, self.interval):
                held = time.monotonic() - started
                break
        self.held.append(held)
        return False


@dataclass
class Huge(Action):
    """A ``size``-byte JSON object ``{"_id": "xxx..."}``, streamed in 1 MiB pieces."""

    size: int
    chunked: bool = False

    def run(self, conn: socket.socket) -> bool:
        prefix, suffix = b'{"_id": "', b'"}'
        filler = self.size - len(prefix) - len(suffix)
        headers = {"Content-Type": "application/json"}
        if self.chunked:
            headers["Transfer-Encoding"] = "chunked"
        conn.sendall(head(200, headers, None if self.chunked else self.size))
        piece = b"x" * (1 << 20)
        try:
            self._send(conn, prefix)
            while filler > 0:
                part = piece[: min(filler, len(piece))]
                self._send(conn, part)
                filler -= len(part)
            self._send(conn, suffix)
            if self.chunked:
                conn.sendall(b"0\r\n\r\n")
        except OSError:
            return False
        return True

    def _send(self, conn: socket.socket, data: bytes) -> None:
        if self.chunked:
            conn.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        else:
            conn.sendall(data)


def _wait_for_hangup(conn: socket.socket, seconds: float) -> bool:
    """Wait up to ``seconds``; True once the client closed its side."""
    conn.settimeout(seconds)
    try:
        return conn.recv(65536) == b""
    except TimeoutError:
        return False
    except OSError:
        return True
    finally:
        conn.settimeout(10)


class HostileServer:
    """``server.on("/tokens", Reply(...))``; the last action of a rule repeats."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """``tls``: serve HTTPS with this server-side context."""
        self.requests: list[Seen] = []
        self._rules: list[tuple[str, deque[Action]]] = []
        self._lock = threading.Lock()
        sock = socket.create_server(("127.0.0.1", 0))
        sock.settimeout(0.2)
        self._sock = sock if tls is None else tls.wrap_socket(sock, server_side=True)
        self.port = self._sock.getsockname()[1]
        self.url = f"{'http' if tls is None else 'https'}://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._sock.close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._rules.clear()

    def on(self, fragment: str, *actions: Action) -> HostileServer:
        """Answer requests whose path contains ``fragment`` with ``actions`` in turn."""
        with self._lock:
            self._rules.append((fragment, deque(actions)))
        return self

    def count(self, fragment: str = "") -> int:
        return sum(1 for r in self.requests if fragment in r.path)

    def _choose(self, seen: Seen) -> Action:
        with self._lock:
            self.requests.append(seen)
            for fragment, actions in self._rules:
                if fragment in seen.path and actions:
                    return actions.popleft() if len(actions) > 1 else actions[0]
        return Reply(404, b'{"message": "no rule"}')

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, ssl.SSLError):  # an SSLError: a client refused the handshake
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        buffer = b""
        try:
            while not self._stopping.is_set():
                seen, buffer = _read_request(conn, buffer)
                if seen is None:
                    return
                if not self._choose(seen).run(conn):
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[Seen | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
        if len(buffer) > 1 << 20:
            return None, b""
    raw, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(buffer) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    body, buffer = buffer[:length], buffer[length:]
    return Seen(method, target, headers, body), buffer


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


@dataclass
class Tunnel(Action):
    """A CONNECT proxy's answer: 200, then bytes piped both ways to ``port`` on 127.0.0.1."""

    port: int

    def run(self, conn: socket.socket) -> bool:
        upstream = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pipe, args=(upstream, conn), daemon=True)
        back.start()
        pipe(conn, upstream)
        back.join(5)
        upstream.close()
        return False


def tls_server() -> tuple[HostileServer, ssl.SSLContext]:
    """A started HTTPS server with a certificate from a CA of its own, and a client context
    trusting that CA (a certificate the system's store does not know)."""
    import trustme

    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    return HostileServer(tls=served).start(), trusting
