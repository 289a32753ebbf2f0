"""The base every emulated API builds on: auth, rate limit, latency, faults, routing, stats."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import reshape
from sandbox.faults import FaultPlan
from sandbox.http import BadRequest, Request, Response
from sandbox.ratelimit import MovingWindowLimiter, Window

Handler = Callable[[Request, re.Match[str]], Response]


@dataclass
class Stats:
    """What the API saw: the ground truth for request counts, 429s and the rate-over-time plot."""

    requests: int = 0
    http_429: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, status)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self.requests += 1
            if status == 429:
                self.http_429 += 1
            self.by_route[route] = self.by_route.get(route, 0) + 1
            self.timeline.append((time.monotonic(), status))

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.http_429 = 0
            self.by_route = {}
            self.timeline = []

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": self.requests, "http_429": self.http_429, "by_route": dict(self.by_route)}


class ApiApp:
    """One emulated API account. Subclasses declare routes and render errors in the API's own shape.

    Subclasses set ``name`` (the mount prefix without slash), ``default_windows`` (the real rate
    limit) and implement ``routes()``, ``unauthorized()``, ``too_many_requests()``, ``error()``,
    ``truth()`` (stream -> number of records that exist) and ``connector_config(base_url)``.
    """

    name: str = ""
    default_windows: tuple[Window, ...] = ()
    # The connector's rate and concurrency settings for a sandbox without rate limits: fast.
    unlimited_client_settings: dict[str, Any] = {}

    def __init__(
        self,
        *,
        seed: int = 42,
        scale: float = 1.0,
        token: str = "sandbox-token",
        windows: list[Window] | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        self.seed = seed
        self.scale = scale
        self.token = token
        self.windows = list(self.default_windows) if windows is None else list(windows)
        self.limiter = MovingWindowLimiter(self.windows)
        self.latency_ms = latency_ms
        self.faults = FaultPlan()
        self.stats = Stats()
        self._routes = [
            (method, re.compile(pattern + r"/?$"), handler) for method, pattern, handler in self.routes()
        ]

    # --- what subclasses provide -------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def unauthorized(self) -> Response:
        raise NotImplementedError

    def too_many_requests(self) -> Response:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Response:
        raise NotImplementedError

    def truth(self) -> dict[str, int]:
        raise NotImplementedError

    def connector_config(self, base_url: str) -> dict[str, Any]:
        raise NotImplementedError

    def client_rate_settings(self) -> dict[str, Any]:
        """The rate and concurrency settings a connector config for this sandbox carries.

        With the rate limits off (``windows=[]``, ``--no-rate-limit``), ones that never hold the
        connector back. With them on, none: the connector's own defaults apply, and they are made
        for the API's real limits, which are what the sandbox enforces unless told otherwise.
        """
        return {} if self.windows else dict(self.unlimited_client_settings)

    def demo_queries(self) -> list[tuple[str, str]]:
        """(title, SQL) pairs the demo runs on the DuckDB cache after reading this API."""
        return []

    # --- the request pipeline ----------------------------------------------------------------
    def set_rate_limit(self, windows: list[Window]) -> None:
        self.windows = list(windows)
        self.limiter = MovingWindowLimiter(self.windows)

    def handle(self, request: Request) -> tuple[Response, str | None]:
        """Answer a request; the second item names a transport fault the server must apply."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        route_key = self._route_key(request.path)
        response, transport = self._answer(request)
        self.stats.record(route_key, response.status)
        return response, transport

    def _answer(self, request: Request) -> tuple[Response, str | None]:
        fault = self.faults.pick(request.path)
        if fault is not None:
            if fault.kind == "hang":
                time.sleep(fault.seconds)
            elif fault.kind == "status":
                return (
                    self.too_many_requests()
                    if fault.status == 429
                    else self.error(fault.status, "injected fault")
                ), None
            elif fault.kind == "reset":
                return Response(status=0), "reset"
            elif fault.kind == "empty_200":
                return Response(200, b"", {"Content-Type": "application/json"}), None
            elif fault.kind == "no_content":
                return Response.empty(204), None
        if not self.limiter.admit():
            return self.too_many_requests(), None
        if self.faults.token_expired or request.bearer_token != self.token:
            return self.unauthorized(), None
        response = self._dispatch(request)
        if fault is not None and fault.kind == "truncate":
            return response, "truncate"
        if fault is not None and fault.kind == "invalid_json":
            return Response(
                200, response.body[: max(1, len(response.body) // 2)] + b"<html>", response.headers
            ), None
        for rule in self.faults.reshapes(request.path):
            response = reshape.apply(response, rule)
        return response, None

    def _dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                try:
                    return handler(request, match)
                except BadRequest as exc:
                    return self.error(400, str(exc))
        return self.error(404, f"no route for {request.method} {request.path}")

    def _route_key(self, path: str) -> str:
        for _, pattern, _ in self._routes:
            if pattern.match(path):
                return pattern.pattern[:-3]
        return path
