"""The HelenaCRM emulation itself: the quirks the connector is tested against must be there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import requests

NAME = "helenacrm"
SESSION_STATUSES = ["UNDEFINED", "STARTED", "PENDING", "IN_PROGRESS", "COMPLETED", "HIDDEN"]


def instant(value: str) -> datetime:
    """Timestamps carry 3 or 7 fractional digits: compare instants, not strings."""
    return datetime.fromisoformat(value)


def get(sandbox, path: str, token: str = "sandbox-token", **params: Any) -> requests.Response:
    return requests.get(
        sandbox.url(NAME) + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_given_no_status_when_listing_contacts_then_only_active_ones(sandbox) -> None:
    body = get(sandbox, "/core/v1/contact", PageSize=100).json()

    assert {c["status"] for c in body["items"]} == {"ACTIVE"}
    assert set(body) == {
        "pageNumber", "pageSize", "orderBy", "orderDirection", "items", "totalItems", "totalPages", "hasMorePages"
    }  # fmt: skip


def test_given_include_details_when_listing_contacts_then_details_are_filled_only_when_asked(sandbox) -> None:
    plain = get(sandbox, "/core/v1/contact", PageSize=5).json()["items"]
    detailed = get(sandbox, "/core/v1/contact", PageSize=5, IncludeDetails=["Tags", "CustomFields"]).json()[
        "items"
    ]

    assert not any(c["tagIds"] or c["customFields"] for c in plain)
    assert all(c["customFields"] for c in detailed) and any(c["tagIds"] for c in detailed)
    assert not any(c["portfolioIds"] for c in detailed)  # Portfolios was not asked for


def test_given_updated_after_when_listing_then_strictly_later_records_only(sandbox) -> None:
    everything = get(sandbox, "/chat/v2/session", PageSize=100, Status=SESSION_STATUSES).json()["items"]
    pivot = everything[10]["updatedAt"]

    later = get(
        sandbox, "/chat/v2/session", PageSize=100, Status=SESSION_STATUSES, **{"UpdatedAt.After": pivot}
    ).json()

    assert later["items"] and all(instant(s["updatedAt"]) > instant(pivot) for s in later["items"])
    not_later = sum(
        1 for s in everything if instant(s["updatedAt"]) <= instant(pivot)
    )  # oldest first: page 1
    assert later["totalItems"] == sandbox.app(NAME).truth()["sessions"] - not_later


def test_given_no_status_when_listing_sessions_then_only_open_ones(sandbox) -> None:
    """Pessimistic default: the OpenAPI states none for sessions (contacts default to ACTIVE)."""
    default = get(sandbox, "/chat/v2/session", PageSize=100).json()
    every = get(sandbox, "/chat/v2/session", PageSize=100, Status=SESSION_STATUSES).json()

    assert {s["status"] for s in default["items"]} == {"STARTED", "PENDING", "IN_PROGRESS"}
    assert {"COMPLETED", "HIDDEN"} <= {s["status"] for s in every["items"]}
    assert every["totalItems"] == sandbox.app(NAME).truth()["sessions"] > default["totalItems"]


def test_given_no_archived_when_listing_templates_then_only_active_ones(sandbox) -> None:
    """Pessimistic default: `Archived` has none in the OpenAPI."""
    default = get(sandbox, "/chat/v1/template", PageSize=100).json()
    archived = get(sandbox, "/chat/v1/template", PageSize=100, Archived="true").json()
    active = get(sandbox, "/chat/v1/template", PageSize=100, Archived="false").json()

    assert default["items"] and not any(t["archived"] for t in default["items"])
    assert archived["items"] and all(t["archived"] for t in archived["items"])
    assert default["totalItems"] == active["totalItems"]
    assert active["totalItems"] + archived["totalItems"] == sandbox.app(NAME).truth()["templates"]


def test_given_order_direction_descending_when_listing_then_ignored_oldest_first(sandbox) -> None:
    """A live client notes "OrderDirection é ignorado pela Helena: page1=mais antigo"."""
    asked = get(sandbox, "/core/v1/contact", PageSize=20, OrderDirection="DESCENDING").json()["items"]

    stamps = [instant(c["updatedAt"]) for c in asked]
    assert stamps == sorted(stamps)


def test_given_any_list_when_read_then_some_timestamps_carry_seven_fractional_digits(sandbox) -> None:
    """The vendor's webhook example prints .NET ticks: "2023-08-23T16:15:35.3814324Z"."""
    sessions = get(sandbox, "/chat/v2/session", PageSize=10, Status=SESSION_STATUSES).json()["items"]

    fractions = {len(s["updatedAt"].split(".")[1].rstrip("Z")) for s in sessions}
    assert fractions == {3, 7}


def test_given_session_details_when_listing_then_each_detail_is_filled_only_when_asked(sandbox) -> None:
    plain = get(sandbox, "/chat/v2/session", PageSize=5, Status=SESSION_STATUSES).json()["items"]
    detailed = get(
        sandbox,
        "/chat/v2/session",
        PageSize=5,
        Status=SESSION_STATUSES,
        IncludeDetails=[
            "AgentDetails",
            "DepartmentsDetails",
            "ContactDetails",
            "ChannelTypeDetails",
            "ChannelDetails",
        ],
    ).json()["items"]

    fields = ("agentDetails", "departmentDetails", "contactDetails", "channelType", "channelDetails")
    assert not any(s[f] for s in plain for f in fields)
    assert all(s[f] for s in detailed for f in fields)


def test_given_last_page_when_listing_then_has_more_pages_is_false(sandbox) -> None:
    first = get(sandbox, "/core/v1/contact", PageSize=100).json()
    last = get(sandbox, "/core/v1/contact", PageSize=100, PageNumber=first["totalPages"]).json()

    assert first["hasMorePages"] is True and last["hasMorePages"] is False
    assert (first["totalPages"] - 1) * 100 + len(last["items"]) == first["totalItems"]


@pytest.mark.parametrize(
    ("path", "params", "status", "key"),
    [
        pytest.param(
            "/core/v1/contact", {"PageSize": 101}, 400, "ERROR_BAD_REQUEST", id="page-size-over-100"
        ),
        pytest.param("/v1/channel", {}, 400, "ERROR_BAD_REQUEST", id="missing-service-prefix"),
        pytest.param("/chat/v1/message", {}, 400, "ERROR_BAD_REQUEST", id="message-without-session"),
    ],
)
def test_given_bad_request_when_called_then_documented_error_body(sandbox, path, params, status, key) -> None:
    response = get(sandbox, path, **params)

    assert response.status_code == status
    body = response.json()
    assert body["key"] == key and body["error"] is True and set(body["id"]) == {"value", "shortValue"}


def test_given_wrong_token_when_called_then_401_error_unauthorized(sandbox) -> None:
    response = get(sandbox, "/core/v1/tag", token="nope")

    assert response.status_code == 401
    assert response.json()["key"] == "ERROR_UNAUTHORIZED"


def test_given_scale_when_building_then_volume_grows_without_materialising_records() -> None:
    from sandbox.helenacrm import App

    app = App(scale=1000, windows=[])

    assert app.truth()["contacts"] == 330_000
    assert app.data.contact(329_999, {"Tags"})["status"] in ("ACTIVE", "ARCHIVED", "BLOCKED")


def test_given_no_status_when_listing_scheduled_messages_then_only_pending_ones(sandbox) -> None:
    """Pessimistic default: the OpenAPI's `Status` (one value) states none."""
    default = get(sandbox, "/chat/v1/scheduled-message", PageSize=100).json()
    sent = get(sandbox, "/chat/v1/scheduled-message", PageSize=100, Status="SENT").json()

    assert default["items"] and {m["status"] for m in default["items"]} == {"SCHEDULED"}
    assert sent["items"] and {m["status"] for m in sent["items"]} == {"SENT"}


def test_given_a_management_panel_when_listing_lost_reasons_then_bad_request(sandbox) -> None:
    """The path takes "ID do painel do tipo Vendas": a MANAGEMENT panel is refused."""
    panels = get(sandbox, "/crm/v2/panel", PageSize=100).json()["items"]
    by_type = {p["type"]: p["id"] for p in panels}

    sales = get(sandbox, f"/crm/v1/panel/{by_type['SALES']}/lost-reason", PageSize=100)
    management = get(sandbox, f"/crm/v1/panel/{by_type['MANAGEMENT']}/lost-reason", PageSize=100)

    assert sales.status_code == 200 and sales.json()["items"]
    assert management.status_code == 400
