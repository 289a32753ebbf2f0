"""Records that change while the sync pages through them, and many records sharing one timestamp.

Sync 1 runs while the sandbox updates records that sit on a page already read (at the moment
the next page of the same window is requested); sync 2 starts from sync 1's state. A destination
that keeps the latest version of each record (sync 2 over sync 1) must then hold every record at
its current version. Kommo's seeded data has an import burst (hundreds of leads on one second)
at the end of a 30-day window; HelenaCRM gets 250 contacts stamped with one instant before
sync 2; Conversas gets new messages for contacts whose history was already read.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.app import ApiApp
from sandbox.http import Request, Response
from unit_tests.reliability.harness import (
    BACKGROUND,
    TARGETS,
    config_for,
    make_app,
    run_read,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e


def on_page(app: ApiApp, path: str, page_param: str, page: str, change: Callable[[Request], Any]) -> dict:
    """Before answering the first request for ``page`` of ``path``, run ``change`` once."""
    done: dict[str, Any] = {}
    lock = threading.Lock()
    original = app._dispatch

    def dispatch(request: Request) -> Response:
        if path in request.path and request.arg(page_param) == page:
            with lock:
                if "changed" not in done:
                    done["changed"] = change(request)
        return original(request)

    app._dispatch = dispatch  # type: ignore[method-assign]
    return done


def _first_ids_of_page_one(app: ApiApp, request: Request, page_param: str, count: int) -> list[Any]:
    """The first records of page 1 of the same query: rows the sync has already read."""
    first = Request(request.method, request.path, {**request.query, page_param: ["1"]}, request.headers)
    response = type(app)._dispatch(app, first)  # the class's own routing, outside any hook
    payload = json.loads(response.body)
    rows = payload["_embedded"]["leads"] if "_embedded" in payload else payload["items"]
    return [row["id"] for row in rows[:count]]


def _latest(first: list[dict[str, Any]], second: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    destination: dict[Any, dict[str, Any]] = {}
    for record in first + second:  # append + dedupe: the later sync's version wins
        destination[record[key]] = record
    return destination


def kommo_leads() -> dict[str, Any]:
    target = TARGETS["kommo:leads"]
    app = make_app("kommo")
    leads = app.data.collections["leads"]  # type: ignore[attr-defined]
    index_of = {leads.build(i, leads.timeline[i])["id"]: i for i in range(len(leads.timeline))}

    def change(request: Request) -> list[Any]:
        ids = _first_ids_of_page_one(app, request, "page", 3)
        now = int(time.time())
        with app._lock:  # type: ignore[attr-defined]
            for lead_id in ids:
                leads.overlay[index_of[lead_id]] = now
        return ids

    changed = on_page(app, target.path, "page", "2", change)
    with serve(app) as server:
        config = config_for(server, "kommo", window_days=30, num_workers=1)
        first = run_read("kommo", config, ["leads"])
        second = run_read("kommo", config, ["leads"], state=first.output.last_state_per_stream())
    truth = target.truth(app)
    return _compare(
        "kommo",
        "leads",
        "updated_at",
        first,
        second,
        truth,
        changed.get("changed", []),
        "3 leads of an already-read page updated while page 2 of the burst window was requested",
    )


def helena_contacts() -> dict[str, Any]:
    target = TARGETS["helenacrm:contacts"]
    app = make_app("helenacrm")
    d = app.data  # type: ignore[attr-defined]
    index_of = {d.id("contact", i): i for i in range(d.contacts.count)}

    def change(request: Request) -> list[Any]:
        ids = _first_ids_of_page_one(app, request, "PageNumber", 3)
        now = time.time()
        for contact_id in ids:
            d.contacts.touched[index_of[contact_id]] = now
        return ids

    changed = on_page(app, target.path, "PageNumber", "2", change)
    with serve(app) as server:
        config = config_for(server, "helenacrm", window_in_days=3650, num_workers=1)
        first = run_read("helenacrm", config, ["contacts"])
        second = run_read("helenacrm", config, ["contacts"], state=first.output.last_state_per_stream())
    truth = target.truth(app)
    return _compare(
        "helenacrm",
        "contacts",
        "updatedAt",
        first,
        second,
        truth,
        changed.get("changed", []),
        "3 contacts of an already-read page updated while page 2 was requested",
    )


def helena_sessions() -> dict[str, Any]:
    """Sessions: paged by position in UpdatedAt windows (no status partitions), 3 pages at test size."""
    app = make_app("helenacrm")
    d = app.data  # type: ignore[attr-defined]
    index_of = {d.id("session", i): i for i in range(d.sessions.count)}

    def change(request: Request) -> list[Any]:
        ids = _first_ids_of_page_one(app, request, "PageNumber", 3)
        now = time.time()
        for session_id in ids:
            d.sessions.touched[index_of[session_id]] = now
        return ids

    changed = on_page(app, "/chat/v2/session", "PageNumber", "2", change)
    with serve(app) as server:
        config = config_for(server, "helenacrm", window_in_days=3650, num_workers=1)
        first = run_read("helenacrm", config, ["sessions"])
        second = run_read("helenacrm", config, ["sessions"], state=first.output.last_state_per_stream())
    truth = {d.id("session", i): d.session(i, set())["updatedAt"] for i in range(d.sessions.count)}
    return _compare(
        "helenacrm",
        "sessions",
        "updatedAt",
        first,
        second,
        truth,
        changed.get("changed", []),
        "3 sessions of an already-read page updated while page 2 was requested",
    )


def helena_same_instant() -> dict[str, Any]:
    target = TARGETS["helenacrm:contacts"]
    app = make_app("helenacrm")
    d = app.data  # type: ignore[attr-defined]
    with serve(app) as server:
        config = config_for(server, "helenacrm", window_in_days=3650, num_workers=1)
        first = run_read("helenacrm", config, ["contacts"])
        # 250 active contacts stamped with one instant: sync 2 pages through them (100 a page).
        same = time.time()
        stamped = [i for i in range(d.contacts.count) if d.contact_status(i) == "ACTIVE"][-250:]
        for i in stamped:
            d.contacts.touched[i] = same
        second = run_read("helenacrm", config, ["contacts"], state=first.output.last_state_per_stream())
    return _compare(
        "helenacrm",
        "contacts",
        "updatedAt",
        first,
        second,
        target.truth(app),
        stamped,
        f"{len(stamped)} active contacts stamped with one instant between the syncs (pages of one timestamp)",
    )


def _compare(
    connector: str,
    stream: str,
    cursor: str,
    first: Any,
    second: Any,
    truth: dict[Any, Any],
    changed: list[Any],
    scenario: str,
) -> dict[str, Any]:
    destination = _latest(first.output.records_of(stream), second.output.records_of(stream), "id")
    stale = [k for k, record in destination.items() if k in truth and record.get(cursor) != truth[k]]
    return {
        "connector": connector,
        "stream": stream,
        "scenario": scenario,
        "changed_mid_sync": len(changed),
        "expected": len(truth),
        "first_sync_records": len(first.output.records_of(stream)),
        "second_sync_records": len(second.output.records_of(stream)),
        "missing": len(set(truth) - set(destination)),
        "stale": len(stale),
        "ok_runs": first.output.returncode == 0 and second.output.returncode == 0,
    }


def conversas_history() -> dict[str, Any]:
    app = make_app("rd-station-conversas")
    counter = {"n": 0}
    lock = threading.Lock()
    added: dict[str, Any] = {}
    original = app._dispatch

    def dispatch(request: Request) -> Response:
        if "/v2/messages/history" in request.path:
            with lock:
                counter["n"] += 1
                if counter["n"] == 80:  # most contacts' history already read: add to theirs
                    added.update(app.mutate(contacts=3, messages=2))  # type: ignore[attr-defined]
        return original(request)

    app._dispatch = dispatch  # type: ignore[method-assign]
    with serve(app) as server:
        config = config_for(server, "rd-station-conversas")
        first = run_read("rd-station-conversas", config, ["messages_history"])
        second = run_read(
            "rd-station-conversas", config, ["messages_history"], state=first.output.last_state_per_stream()
        )
    held: dict[str, set[tuple[str, str]]] = {}
    for run in (first, second):
        for row in run.output.records_of("messages_history"):
            for m in row.get("messages") or []:
                held.setdefault(row["customer_id"], set()).add((m.get("created_at"), m.get("content")))
    expected = {
        customer: {(m["created_at"], m["content"]) for m in messages}
        for customer, messages in app.history_plaintext().items()  # type: ignore[attr-defined]
    }
    missing = sum(len(msgs - held.get(customer, set())) for customer, msgs in expected.items())
    return {
        "connector": "rd-station-conversas",
        "stream": "messages_history",
        "scenario": "2 new messages for 3 contacts whose history was already read, mid-sync",
        "changed_mid_sync": sum(len(v) for v in added.get("messages_history", {}).values()),
        "expected": sum(len(v) for v in expected.values()),
        "first_sync_records": len(first.output.records_of("messages_history")),
        "second_sync_records": len(second.output.records_of("messages_history")),
        "missing": missing,
        "stale": 0,
        "ok_runs": first.output.returncode == 0 and second.output.returncode == 0,
    }


SCENARIOS = {
    "kommo:leads-changed-mid-page": kommo_leads,
    "helenacrm:contacts-changed-mid-page": helena_contacts,
    "helenacrm:contacts-one-instant": helena_same_instant,
    "helenacrm:sessions-changed-mid-page": helena_sessions,
    "conversas:history-new-messages": conversas_history,
}
SHIFT = (
    "{name} pages {how}: when a record on an already-read page is updated it leaves the window and "
    "every later row moves up one place, so the row at the page boundary is never read, not even by "
    "the next sync, whose state is already past it"
)
DEFECTS: dict[str, str] = {}  # scenario -> reason (SHIFT.format(...)), for a connector that still loses a row


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    return [(n, SCENARIOS[n]) for (n,) in selected_params(items, __name__, "name")]


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest, soak: bool) -> dict[str, dict[str, Any]]:
    return BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=DEFECTS[n])) if n in DEFECTS else n
        for n in SCENARIOS
    ],
)
def test_given_changes_while_paging_when_next_sync_then_latest_version_of_every_record(
    name: str, results, record
) -> None:
    result = results[name]
    record("consistency", {**result, "defect": DEFECTS.get(name)})

    assert result["ok_runs"]
    assert result["changed_mid_sync"] > 0, "the change never happened: the scenario proves nothing"
    assert result["missing"] == 0, result
    assert result["stale"] == 0, result
