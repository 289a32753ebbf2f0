"""SIGKILL a long incremental sync at several points, resume from its last emitted state.

The connector runs with sandbox latency so the sync takes a few seconds; its stdout is read as
it arrives and the process is killed (SIGKILL: no cleanup, no final state) once it has emitted
a given number of STATE messages, or of records for streams that checkpoint rarely. A second
run starts from the last state the first one emitted, as a platform would. The union of both
runs must hold every record the sandbox has; re-reads (records both runs delivered) are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from unit_tests.reliability.harness import (
    BACKGROUND,
    TARGETS,
    StreamingRun,
    catalog_for,
    config_for,
    make_app,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Resume:
    target: str
    config: dict[str, Any]
    latency_ms: float
    kill_after: str  # "states" | "records"


RESUMES = {
    # One state per 30-day window: the state advances window by window.
    "kommo:leads": Resume("kommo:leads", {"window_days": 30, "num_workers": 2}, 60, "states"),
    # Per-status partitions of 60-day windows.
    "helenacrm:contacts": Resume(
        "helenacrm:contacts", {"window_in_days": 60, "num_workers": 2}, 40, "records"
    ),
    # One partition per contact: the parent's pages and each contact's history.
    "rd-station-conversas:messages_history": Resume(
        "rd-station-conversas:messages_history", {"num_workers": 2}, 25, "records"
    ),
}

# (target, where to kill): states count, or a fraction of the records the sandbox has.
POINTS = {
    "kommo:leads": [("states", 3), ("states", 12), ("states", 5), ("states", 20)],
    "helenacrm:contacts": [("records", 0.3), ("records", 0.9), ("records", 0.6), ("records", 0.1)],
    "rd-station-conversas:messages_history": [
        ("records", 0.3),
        ("records", 0.9),
        ("records", 0.6),
        ("records", 0.1),
    ],
}


def _cases() -> list[Any]:
    cases = []
    for target, points in POINTS.items():
        for i, (unit, at) in enumerate(points):
            marks = [pytest.mark.soak] if i >= 2 else []
            cases.append(pytest.param(target, unit, at, marks=marks, id=f"{target}-after-{at}-{unit}"))
    return cases


def run_resume(target_id: str, unit: str, at: float) -> dict[str, Any]:
    resume, target = RESUMES[target_id], TARGETS[target_id]
    app = make_app(target.connector, latency_ms=resume.latency_ms)
    truth = target.truth(app)
    limit = int(at) if unit == "states" else max(1, int(len(truth) * at))
    counts = {"states": 0, "records": 0}

    def reached(message: dict[str, Any]) -> bool:
        kind = message.get("type")
        if kind == "STATE":
            counts["states"] += 1
        elif kind == "RECORD" and message["record"]["stream"] == target.stream:
            counts["records"] += 1
        return counts[unit] >= limit

    with serve(app) as server:
        config = config_for(server, target.connector, **{**target.config, **resume.config})
        catalog = catalog_for(target.connector, [target.stream], "incremental")
        first = StreamingRun(target.connector, config, catalog)
        killed = first.read_until(reached, timeout=300)
        if killed:
            first.kill()
            first_output = first.output()
        else:
            first_output = first.finish()
        state = first_output.last_state_per_stream()
        second = StreamingRun(target.connector, config, catalog, state=state or None).finish()

    first_ids = [target.key(r) for r in first_output.records_of(target.stream)]
    second_ids = [target.key(r) for r in second.records_of(target.stream)]
    union = set(first_ids) | set(second_ids)
    return {
        "connector": target.connector,
        "stream": target.stream,
        "kill_point": f"after {at if unit == 'records' else limit} {unit}"
        + (f" ({limit} records)" if unit == "records" else ""),
        "killed": killed,
        "expected": len(truth),
        "first_run_records": len(first_ids),
        "first_run_states": len(first_output.states),
        "resumed_from_state": bool(state),
        "second_run_records": len(second_ids),
        "second_run_ok": second.returncode == 0 and not second.errors,
        "missing": len(set(truth) - union),
        "unexpected": len(union - set(truth)),
        "re_read": len(set(first_ids) & set(second_ids)),
        "second_run_error": (second.errors[0].get("message") if second.errors else None),
    }


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    return [
        (c, lambda c=c: run_resume(*c)) for c in selected_params(items, __name__, "target_id", "unit", "at")
    ]


@pytest.fixture(scope="module")
def resumes(request: pytest.FixtureRequest, soak: bool) -> dict[tuple[str, str, float], dict[str, Any]]:
    return BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))


@pytest.mark.parametrize(("target_id", "unit", "at"), _cases())
def test_given_sigkill_mid_sync_when_resumed_from_last_state_then_union_holds_every_record(
    target_id: str, unit: str, at: float, resumes, record
) -> None:
    result = resumes[(target_id, unit, at)]
    record("resume", result)

    assert result["killed"], "the sync finished before the kill point: make it longer"
    assert result["second_run_ok"], result["second_run_error"]
    assert result["missing"] == 0, result
    assert result["unexpected"] == 0, result
