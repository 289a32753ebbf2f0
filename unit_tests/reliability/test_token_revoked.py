"""The token revoked in the middle of a sync (every request from then on answers 401).

The sync must stop with a config error (trace ``failure_type: config_error``, one sentence),
having emitted the state of what it finished before, and without retrying the 401s. How many
requests still went out after the revocation (each remaining partition's first request, not
retries) is recorded for the report.
"""

from __future__ import annotations

from typing import Any

import pytest

from unit_tests.reliability.harness import (
    BACKGROUND,
    TARGETS,
    RequestLog,
    clear_message,
    config_for,
    make_app,
    measure,
    run_read,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e

# (target, settings that give many small checkpoints, requests to let through before revoking)
CASES = {
    "kommo:leads": ({"window_days": 30, "num_workers": 1}, 8),
    "helenacrm:contacts": ({"window_in_days": 60, "num_workers": 1}, 8),
    "rd-station-conversas:messages_history": ({"num_workers": 2}, 40),
}


def run_revoked(target_id: str) -> dict[str, Any]:
    target = TARGETS[target_id]
    settings, after = CASES[target_id]
    app = make_app(target.connector)
    log = RequestLog(app)
    app.faults.set([{"kind": "expire_token", "path": target.path, "after": after}])
    with serve(app) as server:
        run = run_read(target.connector, config_for(server, target.connector, **settings), [target.stream])
    outcome = measure(run, target, target.truth(app))
    unauthorized = [e for e in log.entries if e["status"] == 401]
    # A retry: the same request (path and query) sent again after it was answered 401.
    retried = sum(
        1
        for e in unauthorized
        if any(
            later["path"] == e["path"] and later["query"] == e["query"]
            for later in log.entries
            if later["start"] > e["end"]
        )
    )
    return {
        "connector": target.connector,
        "stream": target.stream,
        "revoked_after_requests": after,
        "returncode": outcome.returncode,
        "failure_type": outcome.failure_type,
        "error": outcome.error,
        "states_before_error": outcome.states_before_error,
        "records_before_error": outcome.delivered,
        "requests_answered_401": len(unauthorized),
        "retried_401": retried,
        "seconds": outcome.seconds,
        "timed_out": run.timed_out,
    }


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    return [(n, lambda n=n: run_revoked(n)) for (n,) in selected_params(items, __name__, "target_id")]


@pytest.fixture(scope="module")
def revoked(request: pytest.FixtureRequest, soak: bool) -> dict[str, dict[str, Any]]:
    return BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))


@pytest.mark.parametrize("target_id", list(CASES))
def test_given_token_revoked_mid_sync_when_read_then_config_error_after_last_state(
    target_id: str, revoked, record
) -> None:
    result = revoked[target_id]
    record("revoked", result)

    assert not result["timed_out"]
    assert result["returncode"] != 0
    assert result["failure_type"] == "config_error", result
    assert clear_message(result["error"]), result["error"]
    assert result["states_before_error"] >= 1, "no state emitted before the failure: progress is lost"
    assert result["retried_401"] == 0, "a request answered 401 was sent again"
