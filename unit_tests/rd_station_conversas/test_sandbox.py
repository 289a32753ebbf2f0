"""The Conversas emulation itself: the rules the connector is tested against must hold."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from jwcrypto import jwe, jwk

from sandbox.conversas import App
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
        pytest.param({"start_date": "2025-01-01", "end_date": "2025-04-01"}, 400, id="over-three-months"),
        pytest.param({"start_date": "2025-01-01", "end_date": "2025-03-31"}, 200, id="three-months"),
    ],
)
def test_reports_window_rule(server: SandboxServer, params: dict[str, str], status: int) -> None:
    assert get(server, "/v4/reports", **params).status_code == status


def test_history_is_a_real_jwe_text_only_unless_asked(server: SandboxServer) -> None:
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

    everything = messages(type="audio,contact,document,image,interactive,location,text,video")
    assert {m["type"] for m in messages()} == {"text"}
    assert len(everything) > len(messages())


def test_plan_flags_answer_403_and_truth_follows(server: SandboxServer) -> None:
    app = server.app(App.name)
    app.history_enabled = app.custom_fields_enabled = False
    try:
        assert get(server, "/v2/custom-fields").status_code == 403
        assert (
            get(server, "/v2/messages/history", customer_id="x", start_date="2025-01-01").status_code == 403
        )
        assert app.truth()["messages_history"] == 0 and app.truth()["custom_fields"] == 0
    finally:
        app.history_enabled = app.custom_fields_enabled = True


def test_bad_token_answers_auth_false(server: SandboxServer) -> None:
    response = requests.get(
        f"{server.url(App.name)}/v2/customers", headers={"Authorization": "Bearer x"}, timeout=10
    )
    assert response.status_code == 401 and response.json()["auth"] is False
