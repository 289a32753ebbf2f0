"""The Kommo emulation itself behaves like the real API's documented quirks (shared/api/kommo.md)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from sandbox.kommo import App
from sandbox.kommo.data import BURST_TS, Collection, Timeline
from sandbox.ratelimit import MovingWindowLimiter
from sandbox.server import SandboxServer

AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[str, App]]:
    app = App(windows=[])
    with SandboxServer([app]) as server:
        yield server.url("kommo") + "/api/v4", app


def _get(url: str, **params: str | int) -> requests.Response:
    return requests.get(url, params=params, headers=AUTH, timeout=10)


def test_given_pages_when_paged_to_the_end_then_next_link_on_last_page_and_204_after(api) -> None:
    url, app = api
    pages = []
    page = 1
    while (response := _get(f"{url}/leads", page=page, limit=250)).status_code == 200:
        pages.append(response.json())
        page += 1
    assert response.status_code == 204 and response.content == b""
    assert sum(len(p["_embedded"]["leads"]) for p in pages) == app.truth()["leads"]
    assert "next" in pages[-1]["_links"]  # present even on the last page


@pytest.mark.parametrize(
    ("path", "limit", "expected"),
    [
        pytest.param("leads", 251, 50, id="over-250-gives-50"),
        pytest.param("leads", 250, 250, id="max-250"),
        pytest.param("events", 100, 100, id="events-max-100"),
        pytest.param("events", 250, 50, id="events-over-100-gives-50"),
    ],
)
def test_limit_maximum(api, path: str, limit: int, expected: int) -> None:
    url, _ = api
    assert len(_get(f"{url}/{path}", limit=limit).json()["_embedded"][path]) == expected


def test_given_updated_at_range_when_filtered_then_only_records_inside(api) -> None:
    url, _ = api
    rows = _get(
        f"{url}/leads",
        **{"filter[updated_at][from]": BURST_TS, "filter[updated_at][to]": BURST_TS, "limit": 250},
    )
    leads = rows.json()["_embedded"]["leads"]
    assert len(leads) == 250 and {lead["updated_at"] for lead in leads} == {BURST_TS}  # the CSV-import burst


def test_given_empty_range_when_filtered_then_204(api) -> None:
    url, _ = api
    assert (
        _get(f"{url}/contacts", **{"filter[updated_at][from]": 1, "filter[updated_at][to]": 2}).status_code
        == 204
    )


def test_with_parameter_adds_linked_contacts_only_when_asked(api) -> None:
    url, _ = api
    plain = _get(f"{url}/leads", limit=250).json()["_embedded"]["leads"]
    linked = _get(f"{url}/leads", limit=250, **{"with": "contacts,source_id"}).json()["_embedded"]["leads"]
    assert all("contacts" not in lead["_embedded"] and "source_id" not in lead for lead in plain)
    assert all("contacts" in lead["_embedded"] and "source_id" in lead for lead in linked)


def test_tasks_refuse_order_by_updated_at(api) -> None:
    url, _ = api
    response = _get(f"{url}/tasks", **{"order[updated_at]": "asc"})
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"


def test_pipelines_embed_statuses_with_won_and_lost_in_each(api) -> None:
    url, _ = api
    for pipeline in _get(f"{url}/leads/pipelines").json()["_embedded"]["pipelines"]:
        assert {142, 143} <= {s["id"] for s in pipeline["_embedded"]["statuses"]}


def test_wrong_token_is_401_problem_json(api) -> None:
    url, _ = api
    response = requests.get(f"{url}/leads", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert response.status_code == 401 and response.json()["status"] == 401


def test_rate_limit_answers_429_html_without_retry_after() -> None:
    app = App()  # the real 7 requests/second
    app.limiter = MovingWindowLimiter(app.windows, clock=lambda: 0.0)  # all requests in one instant
    with SandboxServer([app]) as server:
        statuses = [_get(server.url("kommo") + "/api/v4/account").status_code for _ in range(9)]
        last = _get(server.url("kommo") + "/api/v4/account")
    assert statuses == [200] * 7 + [429] * 2
    assert last.status_code == 429 and last.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" not in last.headers


def test_same_seed_same_records_and_a_million_leads_cost_nothing_up_front() -> None:
    assert App(seed=7).data.collections["leads"].select(None, None, True, 0, 5) == App(
        seed=7
    ).data.collections["leads"].select(None, None, True, 0, 5)
    tracemalloc.start()  # memory, not time: a busy machine can't make it fail
    try:
        big = App(scale=1500)
        page = big.data.collections["leads"].select(None, None, True, 1_000_000, 250)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert big.truth()["leads"] >= 1_000_000 and len(page) == 250
    assert peak < 20_000_000  # a million materialised leads would take gigabytes


def test_mutate_moves_changed_records_to_now_and_logs_events() -> None:
    app = App()
    before = app.truth()
    changed = app.mutate(leads=3, contacts=1, companies=1, tasks=1, notes=1)
    leads = app.data.collections["leads"].select(int(time.time()) - 60, None, True, 0, 250)
    assert sorted(lead["id"] for lead in leads) == sorted(changed["leads"])
    assert app.truth()["events"] == before["events"] + 3 and app.truth()["leads"] == before["leads"]


@pytest.mark.parametrize(
    "overlaid",
    [set(), {0}, {3, 7, 8}, {49}, set(range(0, 50, 2))],
    ids=["none", "first", "middle", "last", "half"],
)
def test_collection_pages_skip_overlaid_records_and_append_them_once(overlaid: set[int]) -> None:
    collection = Collection("x", Timeline(50, burst=10), lambda i, ts: {"i": i, "ts": ts})
    collection.overlay.update({i: 2_000_000_000 + i for i in overlaid})
    expected = [i for i in range(50) if i not in overlaid] + sorted(overlaid)
    for limit in (1, 7, 50):
        got = [
            r["i"]
            for offset in range(0, 50, limit)
            for r in collection.select(None, None, True, offset, limit)
        ]
        assert got == expected


def test_given_documented_filters_when_listed_then_honoured(api) -> None:
    url, app = api
    events = _get(f"{url}/events", limit=100, **{"filter[type]": "lead_deleted,contact_deleted"}).json()
    assert {e["type"] for e in events["_embedded"]["events"]} == {"lead_deleted", "contact_deleted"}
    by_id = _get(f"{url}/leads", limit=5, **{"order[id]": "desc"}).json()["_embedded"]["leads"]
    assert [lead["id"] for lead in by_id] == sorted((lead["id"] for lead in by_id), reverse=True)
    assert by_id[0]["id"] == 3000000 + app.truth()["leads"]
    two = _get(f"{url}/leads", **{"filter[id]": "3000003,3000005"}).json()["_embedded"]["leads"]
    assert [lead["id"] for lead in two] == [3000003, 3000005]
    burst = _get(f"{url}/leads", limit=250, **{"filter[updated_at]": BURST_TS}).json()["_embedded"]["leads"]
    assert burst and {lead["updated_at"] for lead in burst} == {BURST_TS}


def test_given_default_switches_when_listed_then_pessimistic_where_evidence_is_open(api) -> None:
    url, app = api
    assert app.page_depth == 19 and _get(f"{url}/events", page=20, limit=1).status_code == 204
    tasks = _get(f"{url}/tasks", limit=250).json()["_embedded"]["tasks"]
    assert [] in [t["result"] for t in tasks]  # PHP's empty object
    notes = _get(f"{url}/leads/notes", limit=250).json()["_embedded"]["notes"]
    assert [] in [n["params"] for n in notes]


def test_given_deleted_leads_when_listed_with_only_deleted_then_only_the_trash_and_never_without(api) -> None:
    # Kommo's leads-list reference: with=only_deleted returns "only the deleted leads that are still
    # restorable": id, modification date and is_deleted=true (the rest null, amocrm-api-php #254).
    url, app = api
    trash = _get(f"{url}/leads", limit=250, **{"with": "only_deleted", "order[updated_at]": "asc"})
    rows = trash.json()["_embedded"]["leads"]
    live = set()
    page = 1
    while (response := _get(f"{url}/leads", page=page, limit=250)).status_code == 200:
        live |= {lead["id"] for lead in response.json()["_embedded"]["leads"]}
        page += 1

    assert len(rows) == app.truth()["deleted_leads"] > 0
    assert all(row["is_deleted"] is True and row["name"] is None and row["updated_at"] for row in rows)
    assert not live & {row["id"] for row in rows}
    assert [row["updated_at"] for row in rows] == sorted(row["updated_at"] for row in rows)
    middle = rows[len(rows) // 2]["updated_at"]
    since = _get(f"{url}/leads", limit=250, **{"with": "only_deleted", "filter[updated_at][from]": middle})
    assert {row["id"] for row in since.json()["_embedded"]["leads"]} == {
        row["id"] for row in rows if row["updated_at"] >= middle
    }
    assert _get(f"{url}/contacts", **{"with": "only_deleted"}).status_code == 204
