"""The HelenaCRM emulation itself: the quirks the connector is tested against must be there."""

from __future__ import annotations

from typing import Any

import pytest
import requests

NAME = "helenacrm"


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
    everything = get(sandbox, "/chat/v2/session", PageSize=100).json()["items"]
    pivot = everything[10]["updatedAt"]

    later = get(sandbox, "/chat/v2/session", PageSize=100, **{"UpdatedAt.After": pivot}).json()

    assert later["items"] and all(s["updatedAt"] > pivot for s in later["items"])
    not_later = sum(1 for s in everything if s["updatedAt"] <= pivot)  # oldest first: all on page 1
    assert later["totalItems"] == sandbox.app(NAME).truth()["sessions"] - not_later


def test_given_last_page_when_listing_then_has_more_pages_is_false(sandbox) -> None:
    first = get(sandbox, "/chat/v1/template", PageSize=100).json()
    second = get(sandbox, "/chat/v1/template", PageSize=100, PageNumber=2).json()

    assert first["hasMorePages"] is True and second["hasMorePages"] is False
    assert len(first["items"]) + len(second["items"]) == sandbox.app(NAME).truth()["templates"]


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
