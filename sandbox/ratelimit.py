"""Server-side rate limits: one or more moving windows per account, like the real APIs enforce."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


class MovingWindowLimiter:
    """Admits a request only if every window has room; rejected requests do not count.

    ``clock`` (seconds) is the request's arrival time; tests pass their own to stay off the wall clock.
    """

    def __init__(self, windows: list[Window], clock: Callable[[], float] = time.monotonic) -> None:
        self.windows = list(windows)
        self._clock = clock
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()
        self._horizon = max((w.seconds for w in self.windows), default=0.0)

    def admit(self, now: float | None = None) -> bool:
        if not self.windows:
            return True
        now = self._clock() if now is None else now
        with self._lock:
            while self._hits and self._hits[0] <= now - self._horizon:
                self._hits.popleft()
            for window in self.windows:
                cutoff = now - window.seconds
                in_window = 0
                for t in reversed(self._hits):
                    if t <= cutoff:
                        break
                    in_window += 1
                if in_window >= window.limit:
                    return False
            self._hits.append(now)
            return True
