"""A small web store on 127.0.0.1 for tests and demos of "Add from any store": product pages, pictures,
redirects, and hostile answers (huge bodies, slow drips, wrong types), each served by a real HTTP server.

Only 127.0.0.1, never another address; the fetcher reaches it only with GRATITUDE_FETCH_ALLOW_LOOPBACK.
"""

from __future__ import annotations

import io
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

# Servers started by tests on this machine use this port range (see the repository's working rules).
PORTS = range(18400, 18500)


def free_store_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18400-18499")


@dataclass
class Route:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Yields the body piece by piece (a slow drip, or more bytes than anyone should hold).
    stream: Callable[[], Iterator[bytes]] | None = None


def picture_bytes(width: int = 800, height: int = 600, fmt: str = "JPEG", **save: object) -> bytes:
    """A real picture: a colour gradient, so resizing and re-encoding have work to do."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


class Store:
    """A threaded HTTP server on 127.0.0.1 serving `routes` (path -> Route)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        # The Host header of each request, and the TLS server name (SNI) each client asked for.
        self.hosts: list[str] = []
        self.server_names: list[str | None] = []
        self.port = free_store_port()
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                store.requests.append(self.path)
                store.hosts.append(self.headers.get("Host", ""))
                route = store.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.stream is None:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    if route.stream is None:
                        self.wfile.write(route.body)
                    else:
                        for piece in route.stream():
                            self.wfile.write(piece)
                            self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher hung up, as it should on a hostile answer

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._tls = tls is not None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def start(self) -> Store:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def drip(total_seconds: float, pieces: int = 100) -> Callable[[], Iterator[bytes]]:
    """A body that arrives one byte at a time, each well inside any per-read timeout."""

    def body() -> Iterator[bytes]:
        yield b"<html><head><title>slow</title>"
        for _ in range(pieces):
            time.sleep(total_seconds / pieces)
            yield b" "

    return body


def endless(megabytes: int) -> Callable[[], Iterator[bytes]]:
    """`megabytes` of HTML sent without a Content-Length, so only counting the body can stop it."""

    def body() -> Iterator[bytes]:
        chunk = b"<p>" + b"x" * (1024 * 1024 - 3)
        for _ in range(megabytes):
            yield chunk

    return body
