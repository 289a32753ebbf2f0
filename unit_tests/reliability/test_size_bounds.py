"""Endless responses: a server that never lets paging end must be detected, not followed forever.

Each API gets its own way of never ending: HelenaCRM keeps answering ``hasMorePages: true``
(with empty pages past the end), Kommo and Conversas answer every page number with the same full
first page. A guard in the sandbox stops answering normally after ``GUARD`` requests to the
stream, so a connector without a bound fails there instead of running forever; the connector
must stop by itself well before (delivering exactly the records, or failing clearly).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.app import ApiApp
from sandbox.http import Request, Response
from unit_tests.reliability.harness import (
    BACKGROUND,
    TARGETS,
    clear_message,
    config_for,
    make_app,
    measure,
    run_read,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e

GUARD = 150  # requests to the stream's path before the sandbox gives up on the connector


def _helena_more_pages_forever(request: Request, response: Response) -> Response:
    body = json.loads(response.body)
    body["hasMorePages"] = True  # past the end: empty items, still "more pages"
    return Response.json(body)


def _first_page_again(page_param: str) -> Callable[[Request], None]:
    def rewind(request: Request) -> None:
        request.query[page_param] = ["1"]  # whatever page is asked for, the first one comes back

    return rewind


CASES: dict[str, dict[str, Any]] = {
    "kommo:events": {
        "behaviour": "every page number answers the same full first page",
        "before": _first_page_again("page"),
        "config": {"window_days": 365, "num_workers": 1},
    },
    "helenacrm:contacts": {
        "behaviour": "hasMorePages: true forever (empty pages past the end)",
        "after": _helena_more_pages_forever,
        "config": {"window_in_days": 3650, "num_workers": 1},
    },
    "rd-station-conversas:contacts": {
        "behaviour": "every page number answers the same full first page",
        "before": _first_page_again("page"),
        "config": {},
    },
}
DEFECTS: dict[str, str] = {}  # target -> reason, for a connector that can still be read forever


def endless(app: ApiApp, path: str, case: dict[str, Any]) -> dict[str, int]:
    """Installs the endless behaviour on ``path`` plus the guard; returns the live request counter."""
    counter = {"requests": 0}
    lock = threading.Lock()
    original = app._dispatch

    def dispatch(request: Request) -> Response:
        if path not in request.path:
            return original(request)
        with lock:
            counter["requests"] += 1
            n = counter["requests"]
        if n > GUARD:
            return app.error(400, "reliability guard: the connector kept paging past any sensible end")
        if "before" in case:
            case["before"](request)
        response = original(request)
        return case["after"](request, response) if "after" in case and response.status == 200 else response

    app._dispatch = dispatch  # type: ignore[method-assign]
    return counter


def run_case(target_id: str) -> dict[str, Any]:
    target, case = TARGETS[target_id], CASES[target_id]
    app = make_app(target.connector)
    counter = endless(app, target.path, case)
    with serve(app) as server:
        run = run_read(
            target.connector,
            config_for(server, target.connector, **case["config"]),
            [target.stream],
            target.mode,
        )
    outcome = measure(run, target, target.truth(app))
    return {
        "connector": target.connector,
        "stream": target.stream,
        "behaviour": case["behaviour"],
        "requests": counter["requests"],
        "guard_tripped": counter["requests"] > GUARD,
        **outcome.as_dict(),
    }


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    return [(n, lambda n=n: run_case(n)) for (n,) in selected_params(items, __name__, "target_id")]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, soak: bool) -> dict[str, dict[str, Any]]:
    return BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))


@pytest.mark.parametrize(
    "target_id",
    [
        pytest.param(t, marks=pytest.mark.xfail(strict=True, reason=DEFECTS[t]), id=t) if t in DEFECTS else t
        for t in CASES
    ],
)
def test_given_endless_pages_when_read_then_detected_before_the_guard(
    target_id: str, outcomes, record
) -> None:
    result = outcomes[target_id]
    record("size_bounds", {**result, "guard": GUARD, "defect": DEFECTS.get(target_id)})

    assert not result["guard_tripped"], (
        f"paged {result['requests']} times: no bound before the sandbox's guard"
    )
    if result["outcome"] == "failed":
        assert clear_message(result["error"]), result["error"]
    else:
        assert result["outcome"] == "complete" and result["duplicates"] == 0, result
