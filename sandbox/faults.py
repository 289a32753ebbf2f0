"""Switchable faults, so tests can prove what a connector does when the API misbehaves.

A fault plan is a list of rules; each request is matched against them in order and the first
rule that fires decides what goes wrong. Rules are plain dicts so they can be set in-process
(``app.faults.set([...])``) or over HTTP (``POST /_admin/<api>/faults`` with a JSON list).

Rule keys:
  kind         "status" | "reset" | "hang" | "truncate" | "invalid_json" | "empty_200" | "no_content" | "expire_token"
               | "reshape" (the API answers, but in a shape the connector may not expect: see sandbox/reshape.py)
  path         optional substring the request path must contain; a trailing "$" anchors it at the path's end
  after        fire only after this many matching requests have passed untouched (default 0)
  times        how many requests it hits, then it is spent (default 1; -1 = forever)
  status       for kind "status": the HTTP status to answer (body in the API's own error shape)
  seconds      for kind "hang": how long the server sleeps before answering normally
  shape        for kind "reshape": "extra_field" | "empty_array" | "fraction_digits" | "short_page"
  field        for kind "reshape": the row field it changes (dotted for nested objects; "*" with
               fraction_digits: every top-level timestamp of the row)
  digits       for kind "reshape", shape "fraction_digits": fractional digits of the timestamp (default 7)

Reshape rules don't take a request's fault slot: every matching one post-processes the JSON body
of a successful answer, after any other fault has been decided.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any

KINDS = {
    "status",
    "reset",
    "hang",
    "truncate",
    "invalid_json",
    "empty_200",
    "no_content",
    "expire_token",
    "reshape",
}
SHAPES = {"extra_field", "empty_array", "fraction_digits", "short_page"}


@dataclass
class FaultRule:
    kind: str
    path: str | None = None
    after: int = 0
    times: int = 1
    status: int = 500
    seconds: float = 30.0
    shape: str | None = None
    field: str | None = None
    digits: int = 7
    seen: int = dataclasses.field(default=0, repr=False)
    fired: int = dataclasses.field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if self.kind == "reshape" and self.shape not in SHAPES:
            raise ValueError(f"unknown reshape {self.shape!r}; expected one of {sorted(SHAPES)}")

    def matches(self, path: str) -> bool:
        if self.path and not (
            path.endswith(self.path[:-1]) if self.path.endswith("$") else self.path in path
        ):
            return False
        if self.times != -1 and self.fired >= self.times:
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        self.fired += 1
        return True


class FaultPlan:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.token_expired = False

    def set(self, rules: list[dict[str, Any]]) -> None:
        parsed = [FaultRule(**rule) for rule in rules]
        with self._lock:
            self._rules = parsed
            self.token_expired = False

    def clear(self) -> None:
        self.set([])

    def pick(self, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.kind != "reshape" and rule.matches(path):
                    if rule.kind == "expire_token":
                        self.token_expired = True
                        return None
                    return rule
            return None

    def reshapes(self, path: str) -> list[FaultRule]:
        """Every reshape rule that fires on this request (each counts it against its ``times``)."""
        with self._lock:
            return [rule for rule in self._rules if rule.kind == "reshape" and rule.matches(path)]

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"kind": r.kind, "path": r.path, "fired": r.fired, "times": r.times} for r in self._rules]
