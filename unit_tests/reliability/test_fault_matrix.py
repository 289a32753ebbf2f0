"""The fault matrix: each fault × each connector's streams, through the real entry point.

A cell passes when the sync either delivers exactly the sandbox's records (every id, duplicates
counted) or fails with one clear error. Each connector × fault is one sync of a sandbox of its
own, reading a representative paged stream and a special one, each with the fault aimed at its
own requests; all selected syncs run at once (most of their time is the connectors' own
backoff), then each test asserts its cell. Faults land in the middle of paging: on the second
page of a window/partition, or on the first page of one child partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from unit_tests.helpers.connector import Connector
from unit_tests.reliability.harness import (
    BACKGROUND,
    TARGETS,
    Activity,
    Outcome,
    RequestLog,
    Target,
    TargetedFaults,
    clear_message,
    config_for,
    make_app,
    measure,
    run_read,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e


def read_timeout(connector: str) -> float | None:
    """The connector's configured read timeout (``read_timeout_in_seconds`` anywhere in the manifest)."""

    def walk(node: Any) -> list[float]:
        if isinstance(node, dict):
            found = [float(node["read_timeout_in_seconds"])] if "read_timeout_in_seconds" in node else []
            return found + [t for v in node.values() for t in walk(v)]
        if isinstance(node, list):
            return [t for v in node for t in walk(v)]
        return []

    timeouts = walk(yaml.safe_load(Connector(connector).manifest_path.read_text()))
    return max(timeouts) if timeouts else None


def hang_seconds(connector: str) -> float:
    """Longer than the connector's read timeout plus its first backoff; without one, long enough to tell."""
    timeout = read_timeout(connector)
    return timeout + 30 if timeout else 40


@dataclass(frozen=True)
class Fault:
    label: str
    kind: str
    times: int = 1
    soak_times: int | None = None
    status: int | None = None
    exhaust: bool = False  # never stops: the connector must give up with a clear error

    def timeout(self, connector: str, soak: bool) -> float:
        """How long a sync under this fault may take before it counts as hung.

        Generous for what the fault costs (a few backoffs, Conversas' budget waiting out its
        window after a 429), yet well short of the CDK's 10-minute retry ceiling: a connector
        that keeps retrying something that can't succeed shows up as "hung", not as a slow pass.
        """
        if self.exhaust:
            return 1500
        if self.kind == "hang":
            return hang_seconds(connector) + 150
        if self.kind == "status" or soak:
            return 300
        return 150

    def idle(self, connector: str) -> float | None:
        """How long the sandbox may hear nothing before the sync counts as stuck: longer than any
        backoff this fault causes (Conversas' second is 21 s, plus up to a minute of budget wait
        after a 429), so only a connector that stopped asking the server trips it."""
        if self.exhaust:
            return None
        if self.kind == "hang":
            return hang_seconds(connector) + 45
        if self.kind == "status":
            return 150
        return 45

    def rules(self, target: Target, soak: bool) -> list[dict[str, Any]]:
        times = -1 if self.exhaust else (self.soak_times or self.times) if soak else self.times
        rule: dict[str, Any] = {
            "kind": self.kind,
            "times": times,
            "path": target.path,
            "after": target.after,
            "query": target.query,
        }
        if self.status:
            rule["status"] = self.status
        if self.kind == "hang":
            rule["seconds"] = hang_seconds(target.connector)
        return [rule]


FAULTS = {
    "429": Fault("429 storm (API's own 429 shape)", "status", times=2, soak_times=4, status=429),
    "5xx": Fault("5xx burst (503)", "status", times=2, soak_times=4, status=503),
    "reset": Fault("connection reset (TCP RST)", "reset", times=1, soak_times=3),
    "hang": Fault("read timeout (server hangs)", "hang"),
    "truncate": Fault("truncated body", "truncate", times=1, soak_times=2),
    "invalid_json": Fault("invalid JSON body (200)", "invalid_json"),
    "empty_200": Fault("empty 200 where a list was expected", "empty_200"),
    "no_content": Fault("204 in the middle of paging", "no_content"),
    "429_forever": Fault("429 until retries run out", "status", status=429, exhaust=True),
    "5xx_forever": Fault("503 until retries run out", "status", status=503, exhaust=True),
}

REPRESENTATIVE = ["kommo:events", "helenacrm:contacts", "rd-station-conversas:contacts"]
SPECIAL = ["kommo:leads", "helenacrm:messages", "rd-station-conversas:messages_history"]
BASIC = ["429", "5xx", "reset", "hang", "truncate", "invalid_json", "empty_200", "no_content"]
EXHAUST = ["429_forever", "5xx_forever"]

# Known connector defects (one xfail-strict per affected cell, until the connector is fixed).
DEFECTS: dict[tuple[str, str], str] = {}  # (connector or "connector:stream", fault) -> reason


def defect_of(target_id: str, fault: str) -> str | None:
    return DEFECTS.get((target_id, fault)) or DEFECTS.get((TARGETS[target_id].connector, fault))


def _cells() -> list[Any]:
    cells = []
    for target in REPRESENTATIVE + SPECIAL:
        for fault in BASIC + EXHAUST:
            marks = [pytest.mark.soak] if fault in EXHAUST else []
            defect = defect_of(target, fault)
            if defect:
                marks.append(pytest.mark.xfail(strict=True, reason=defect))
            cells.append(pytest.param(target, fault, marks=marks, id=f"{target}-{fault}"))
    return cells


@dataclass
class CellResult:
    outcome: Outcome
    fired: int
    retried_during_hang: bool | None
    missing_after_resume: int | None  # a failed sync resumed from its last state, without faults


def run_group(connector: str, fault_name: str, target_ids: list[str], soak: bool) -> dict[str, CellResult]:
    """One sync of a connector's matrix streams under one fault, aimed at each stream separately.

    The streams' faults hit different paths and every stream is measured on its own, so one run
    yields one independent cell per stream (and costs one connector start-up, not two).
    """
    targets, fault = [TARGETS[t] for t in target_ids], FAULTS[fault_name]
    app = make_app(connector)
    log = RequestLog(app)
    activity = Activity(app)
    faults = {
        t.id: TargetedFaults(app, [{**rule, "query": t.query_for(app)} for rule in fault.rules(t, soak)])
        for t in targets
    }
    config: dict[str, Any] = {}
    for t in targets:
        config.update(t.config)
    modes = {t.mode for t in targets}
    with serve(app) as server:
        run = run_read(
            connector,
            config_for(server, connector, **config),
            [t.stream for t in targets],
            "incremental" if "incremental" in modes else "full_refresh",
            timeout=fault.timeout(connector, soak),
            activity=activity,
            idle=fault.idle(connector),
        )
    results = {}
    resumed: dict[str, int] | None = None
    measured = {t.id: measure(run, t, t.truth(app)) for t in targets}
    fired = {t.id: sum(faults[t.id].fired()) for t in targets}
    if any(m.outcome == "failed" for m in measured.values()):
        # A failure must leave a state to resume from: resume without faults, count what's lost.
        app.faults.clear()
        for f in faults.values():
            f.rules = []
        with serve(app) as server:
            again = run_read(
                connector,
                config_for(server, connector, **config),
                [t.stream for t in targets],
                "incremental" if "incremental" in modes else "full_refresh",
                state=run.output.last_state_per_stream() or None,
                timeout=300,
            )
        resumed = {}
        for t in targets:
            keys = {t.key(r) for r in run.output.records_of(t.stream)} | {
                t.key(r) for r in again.output.records_of(t.stream)
            }
            resumed[t.id] = len(set(t.truth(app)) - keys)
    for t in targets:
        retried = None
        if fault.kind == "hang":
            calls = log.to(t.path)
            # a hung request is one the server was still sleeping on, or slept on for the whole hang
            seconds = hang_seconds(connector)
            hung = [c for c in calls if c["end"] is None or c["end"] - c["start"] >= seconds - 1]
            retried = any(
                c is not h and c["query"] == h["query"] and h["start"] < c["start"] < h["start"] + seconds
                for h in hung
                for c in calls
            )
        results[t.id] = CellResult(
            measured[t.id], fired[t.id], retried, None if resumed is None else resumed[t.id]
        )
    return results


def _groups(items: list[Any]) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for target, fault in selected_params(items, __name__, "target_id", "fault_name"):
        # A hang is read alone: a second request for the hung page can then only be a retry.
        group = target if fault == "hang" else f"{TARGETS[target].connector}/{TARGETS[target].group}"
        groups.setdefault((group, fault), []).append(target)
    return groups


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    """One job per connector (group) and fault, slowest faults first."""
    groups = _groups(items)
    slow_first = sorted(
        groups, key=lambda k: (k[1] not in ("429", "5xx", "hang") and not FAULTS[k[1]].exhaust, k)
    )
    return [
        (key, lambda key=key: run_group(TARGETS[groups[key][0]].connector, key[1], groups[key], soak))
        for key in slow_first
    ]


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, soak: bool) -> dict[tuple[str, str], CellResult]:
    runs = BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))
    return {(target, key[1]): cell for key, run in runs.items() for target, cell in run.items()}


@pytest.mark.parametrize(("target_id", "fault_name"), _cells())
def test_fault_cell(target_id: str, fault_name: str, matrix, record) -> None:
    cell = matrix[(target_id, fault_name)]
    target, fault, result = TARGETS[target_id], FAULTS[fault_name], cell.outcome
    record(
        "matrix",
        {
            "connector": target.connector,
            "stream": target.stream,
            "fault": fault_name,
            "fault_label": fault.label,
            "fired": cell.fired,
            "retried_during_hang": cell.retried_during_hang,
            "missing_after_resume": cell.missing_after_resume,
            "defect": defect_of(target_id, fault_name),
            **result.as_dict(),
        },
    )

    assert cell.fired > 0, "the fault never fired: this cell proves nothing"
    if fault.exhaust:
        # Retries must run out: a clear failure, not an endless wait or a silent partial sync.
        assert result.outcome == "failed", result
        assert clear_message(result.error), result.error
        return
    if fault.kind == "hang":
        assert cell.retried_during_hang, "the hung request was never abandoned and retried"
    assert result.ok, result
    if result.outcome == "failed":
        # Failing is fine when the state it left lets the next sync pick up everything.
        assert cell.missing_after_resume == 0, "resuming from the last state loses records"
    else:
        assert result.missing == 0 and result.unexpected == 0, result
