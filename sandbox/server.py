"""The HTTP server that mounts each emulated API under its own prefix on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sandbox.app import ApiApp
from sandbox.http import Request, Response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        segments = parts.path.split("/", 2)
        mount = segments[1] if len(segments) > 1 else ""
        rest = "/" + segments[2] if len(segments) > 2 else "/"
        if mount == "_admin":
            self._send(self.server.sandbox.admin(method, rest, body))
            return
        app = self.server.sandbox.apps.get(mount)
        if app is None:
            self._send(Response.json({"error": f"no API mounted at /{mount}"}, 404))
            return
        response, transport = app.handle(Request.build(method, rest, parts.query, headers, body))
        if transport == "reset":
            self._reset()
        elif transport == "truncate":
            self._send(response, truncate=True)
        else:
            self._send(response)

    def _send(self, response: Response, truncate: bool = False) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if truncate:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
            self._reset()
            return
        if response.body:
            self.wfile.write(response.body)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, like a dropped load balancer connection."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: SandboxServer
    verbose: bool = False


class SandboxServer:
    """Serves the given apps on http://127.0.0.1:<port>/<app.name>/...; port 0 picks a free one.

    Use as a context manager or call start()/stop(). ``url(name)`` is the API's base URL to put
    in a connector's ``api_base_url``; ``config(name)`` is a complete connector config for it.
    """

    def __init__(
        self, apps: list[ApiApp], host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ) -> None:
        self.apps = {app.name: app for app in apps}
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sandbox = self
        self._httpd.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.root_url}/{name}"

    def app(self, name: str) -> ApiApp:
        return self.apps[name]

    def config(self, name: str) -> dict[str, Any]:
        return self.apps[name].connector_config(self.url(name))

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- admin API, for a sandbox running in another process ---------------------------------
    def admin(self, method: str, path: str, body: bytes) -> Response:
        """GET /_admin/stats | GET /_admin/<api>/truth | GET /_admin/<api>/config |
        POST /_admin/<api>/faults (JSON list of rules) | POST /_admin/<api>/stats/reset |
        POST /_admin/<api>/mutate (JSON object, passed to the app's mutate())."""
        parts = [p for p in path.split("/") if p]
        if parts == ["stats"]:
            return Response.json({name: app.stats.as_dict() for name, app in self.apps.items()})
        if not parts or parts[0] not in self.apps:
            return Response.json({"error": "unknown admin path"}, 404)
        app, action = self.apps[parts[0]], "/".join(parts[1:])
        payload = json.loads(body or b"null")
        if method == "GET" and action == "truth":
            return Response.json(app.truth())
        if method == "GET" and action == "config":
            return Response.json(self.config(app.name))
        if method == "GET" and action == "stats":
            return Response.json(app.stats.as_dict())
        if method == "POST" and action == "faults":
            app.faults.set(payload or [])
            return Response.json(app.faults.describe())
        if method == "POST" and action == "stats/reset":
            app.stats.reset()
            return Response.json({"ok": True})
        if method == "POST" and action == "mutate" and hasattr(app, "mutate"):
            return Response.json(app.mutate(**(payload or {})))
        return Response.json({"error": f"unknown admin action {method} {action}"}, 404)
