"""What the emulated API saw, request by request: path, query, status and time.

The sandbox's own ``Stats`` counts per route *pattern* (Kommo's leads, contacts and companies
share one), so the harness wraps the app's ``handle`` to keep every request's concrete path and
query; a connector profile then maps each request to the stream that made it. Times are
``time.monotonic()`` when the request reached the app (``t_in``, before the emulated latency)
and when its answer was ready (``t_out``; the rate limiter admits at ``t_in + latency``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sandbox.app import ApiApp
from sandbox.http import Request
from sandbox.ratelimit import MovingWindowLimiter


@dataclass(frozen=True)
class Hit:
    t_in: float
    t_out: float
    path: str
    query: dict[str, list[str]]
    status: int


class Traffic:
    """Installs itself on ``app``; ``reset()`` between runs (it also empties the rate windows)."""

    def __init__(self, app: ApiApp) -> None:
        self.app = app
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._handle = app.handle
        app.handle = self._record  # type: ignore[method-assign]

    def _record(self, request: Request) -> tuple[Any, str | None]:
        t_in = time.monotonic()
        response, transport = self._handle(request)
        hit = Hit(t_in, time.monotonic(), request.path, request.query, response.status)
        with self._lock:
            self.hits.append(hit)
        return response, transport

    def reset(self) -> None:
        """Forget the requests seen and start with empty rate windows, as after a quiet hour."""
        with self._lock:
            self.hits = []
        self.app.stats.reset()
        self.app.limiter = MovingWindowLimiter(self.app.windows)

    def snapshot(self) -> list[Hit]:
        with self._lock:
            return list(self.hits)
