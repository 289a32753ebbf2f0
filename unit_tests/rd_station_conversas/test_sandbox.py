"""The Conversas emulation itself: the rules the connector is tested against must hold."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from jwcrypto import jwe, jwk

from sandbox import datagen
from sandbox.conversas import App
from sandbox.conversas.data import LONG_OPEN_EVERY
from sandbox.server import SandboxServer

AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer([App(windows=[], scale=0.2)]) as running:
        yield running


def get(server: SandboxServer, path: str, **params: str) -> requests.Response:
    return requests.get(f"{server.url(App.name)}{path}", params=params, headers=AUTH, timeout=10)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({}, 400, id="dates-missing"),
        pytest.param({"start_date": "2025-01-01"}, 400, id="end-missing"),
        pytest.param({"start_date": "2025-01-01", "end_date": "2025-04-01"}, 400, id="91-days"),
        pytest.param(
            {"start_date": "2025-07-01", "end_date": "2025-09-30"}, 400, id="calendar-quarter-92-days"
        ),
        pytest.param({"start_date": "2025-01-01", "end_date": "2025-03-31"}, 200, id="90-days"),
    ],
)
def test_reports_window_rule(server: SandboxServer, params: dict[str, str], status: int) -> None:
    assert get(server, "/v4/reports", **params).status_code == status


def test_history_is_a_real_jwe_with_the_node_defaults_unless_asked(server: SandboxServer) -> None:
    app = server.app(App.name)
    customer = app.data.contact_ids()[0]  # every 10th contact has a long history
    key = jwk.JWK.from_json(app.private_jwk())

    def messages(**params: str) -> list[dict]:
        body = get(
            server,
            "/v2/messages/history",
            customer_id=customer,
            start_date="2025-01-01",
            limit="100",
            **params,
        ).json()
        token = jwe.JWE()
        token.deserialize(body["messages"], key=key)
        assert token.jose_header["alg"] == "RSA-OAEP-256" and token.jose_header["enc"] == "A256GCM"
        return json.loads(token.payload)

    everything = messages(
        type="audio,contact,document,image,interactive,location,text,video",
        channel="email,instagram,megasac,messenger,telegram,whatsapp",
        sent_by="bot,customer,operator",
    )
    defaults = messages()
    assert {m["type"] for m in defaults} == {"text"} and {m["channel"] for m in defaults} == {"whatsapp"}
    assert {m["sent_by"] for m in defaults} == {"customer", "operator"}
    assert {m["sent_by"] for m in everything} == {"bot", "customer", "operator"}
    assert len({m["channel"] for m in everything}) > 1 and len(everything) > len(defaults)


def test_history_envelope_has_no_page_fields_by_default(server: SandboxServer) -> None:
    app = server.app(App.name)
    body = get(
        server, "/v2/messages/history", customer_id=app.data.contact_ids()[0], start_date="2025-01-01"
    ).json()
    assert set(body) == {"messages"}


def test_employees_are_keyed_by_underscore_id(server: SandboxServer) -> None:
    employees = get(server, "/v2/employees").json()["employees"]
    assert employees and all("_id" in e and "id" not in e for e in employees)


def test_attendances_close_after_the_day_they_are_listed_by(server: SandboxServer) -> None:
    app = server.app(App.name)
    i = LONG_OPEN_EVERY * 3 + 2  # a long-open attendance (i % 4 == 2)
    opened = datagen.spread(i, app.data.report_count)
    day = datagen.iso(opened)[:10]
    saved = app.now
    try:
        app.now = opened + 86400
        [before] = [r for r in reports_on(server, day) if r["protocol"] == f"{2024_000_000 + i}"]
        app.now = opened + 46 * 86400
        [after] = [r for r in reports_on(server, day) if r["protocol"] == f"{2024_000_000 + i}"]
    finally:
        app.now = saved
    assert (before["closed"], before["closed_at"], before["tma"]) == (False, None, None)
    assert after["closed"] and after["closed_at"] and after["tma"] is not None
    assert after["opened_at"] == before["opened_at"]


def reports_on(server: SandboxServer, day: str) -> list[dict]:
    return get(server, "/v4/reports", start_date=day, end_date=day, limit="49").json()["docs"]
