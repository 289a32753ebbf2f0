"""The wall time an API's rate limit forces on N requests, and the ceiling ratio built on it."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from sandbox.ratelimit import Window


def forced_seconds(n: int, windows: Sequence[Window], latency_s: float = 0.0) -> float:
    """Earliest time the last of ``n`` requests can be answered under every moving window.

    Request k can be admitted no earlier than ``t[k - limit] + seconds`` for each window
    (greedy: every request goes as early as the windows allow, bursts included), and its answer
    arrives one ``latency_s`` later. With no windows the limit forces nothing: 0.
    """
    if n <= 0 or not windows:
        return 0.0
    horizon = max(w.limit for w in windows)
    times: deque[float] = deque(maxlen=horizon)
    last = 0.0
    for _ in range(n):
        t = 0.0
        for w in windows:
            if len(times) >= w.limit:
                t = max(t, times[-w.limit] + w.seconds)
        times.append(t)
        last = t
    return last + latency_s


def describe(windows: Sequence[Window]) -> str:
    if not windows:
        return "none"
    return " and ".join(f"{w.limit}/{_seconds(w.seconds)}" for w in windows)


def _seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min" if seconds != 60 else "min"
    return f"{seconds:g} s"


def sustained_rate(windows: Sequence[Window]) -> float | None:
    """Requests per second the tightest window allows in the long run."""
    return min((w.limit / w.seconds for w in windows), default=None)
