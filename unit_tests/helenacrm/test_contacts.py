"""contacts: GET /core/v1/contact, one partition per Status, IncludeDetails, incremental on updatedAt."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STATUSES = ["ACTIVE", "ARCHIVED", "BLOCKED"]


def contacts_request(status: str, after: str = WINDOW_START, page_number: int = 1):
    builder = HelenaRequestBuilder.contacts(status).with_updated_window(after, WINDOW_END)
    return builder.with_page(page_number).build()


def contact(number: int, status: str, updated_at: str = "2026-01-10T08:00:00.000Z") -> dict:
    return record("contacts", id=f"c-{status}-{number}", status=status, updatedAt=updated_at)


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_contacts_in_every_status_when_read_then_all_three_statuses_are_requested_and_returned(
        self, http_mocker: HttpMocker
    ) -> None:
        for status in STATUSES:
            http_mocker.get(contacts_request(status), page("contacts", [contact(1, status)]))

        output = read(ConfigBuilder().build(), "contacts")

        assert sorted(r.record.data["status"] for r in output.records) == sorted(STATUSES)
        assert not error_logs(output)

    @HttpMocker()
    def test_given_details_requested_when_read_then_tags_custom_fields_and_portfolios_are_native_json(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(contacts_request("ACTIVE"), page("contacts", [contact(1, "ACTIVE")]))
        for status in ("ARCHIVED", "BLOCKED"):
            http_mocker.get(contacts_request(status), page("contacts", []))

        data = read(ConfigBuilder().build(), "contacts").records[0].record.data

        assert data["tagNames"] and data["portfolioIds"]
        assert isinstance(data["customFields"], dict) and isinstance(data["customFields"]["interesses"], list)
        assert isinstance(data["utm"], dict)
        assert data["phoneNumberFormatted"].startswith("+55 (")

    @HttpMocker()
    def test_given_more_pages_when_read_then_follow_page_number_until_has_more_pages_is_false(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(contacts_request("ACTIVE"), page("contacts", [contact(1, "ACTIVE")], has_more=True))
        http_mocker.get(
            contacts_request("ACTIVE", page_number=2), page("contacts", [contact(2, "ACTIVE")], page_number=2)
        )
        for status in ("ARCHIVED", "BLOCKED"):
            http_mocker.get(contacts_request(status), page("contacts", []))

        output = read(ConfigBuilder().build(), "contacts")

        assert [r.record.data["id"] for r in output.records] == ["c-ACTIVE-1", "c-ACTIVE-2"]

    @HttpMocker()
    def test_given_full_page_and_no_more_pages_when_read_then_stop_without_asking_for_an_empty_page(
        self, http_mocker: HttpMocker
    ) -> None:
        full = [contact(n, "ACTIVE") for n in range(100)]
        http_mocker.get(contacts_request("ACTIVE"), page("contacts", full, has_more=False))
        for status in ("ARCHIVED", "BLOCKED"):
            http_mocker.get(contacts_request(status), page("contacts", []))

        output = read(ConfigBuilder().build(), "contacts")

        assert len(output.records) == 100  # HttpMocker fails the test on any unmocked page-2 request


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_window_is_widened_by_one_millisecond_and_state_is_per_status(
        self, http_mocker: HttpMocker
    ) -> None:
        updated = {
            "ACTIVE": "2026-01-10T08:00:00.000Z",
            "ARCHIVED": "2026-01-11T09:30:00.000Z",
            "BLOCKED": None,
        }
        for status, instant in updated.items():
            records = [contact(1, status, instant)] if instant else []
            http_mocker.get(contacts_request(status), page("contacts", records))

        output = read(ConfigBuilder().build(), "contacts", SyncMode.incremental)

        cursors = {s["partition"]["status"]: s["cursor"]["updatedAt"] for s in last_state(output)["states"]}
        assert cursors["ACTIVE"] == "2026-01-10T08:00:00.000000+0000"
        assert cursors["ARCHIVED"] == "2026-01-11T09:30:00.000000+0000"
        assert not error_logs(output)

    @HttpMocker()
    def test_given_state_when_read_then_next_request_rereads_the_boundary_instant(
        self, http_mocker: HttpMocker
    ) -> None:
        state = StateBuilder().with_stream_state(
            "contacts",
            {
                "use_global_cursor": False,
                "states": [
                    {"partition": {"status": s}, "cursor": {"updatedAt": "2026-01-12T10:00:00.000000Z"}}
                    for s in STATUSES
                ],
                "state": {"updatedAt": "2026-01-12T10:00:00.000000Z"},
            },
        )
        boundary = "2026-01-12T09:59:59.999000Z"  # state minus 1 ms: a record AT the state instant comes back
        for status in STATUSES:
            records = [contact(9, status, "2026-01-12T10:00:00.000Z")] if status == "BLOCKED" else []
            http_mocker.get(contacts_request(status, after=boundary), page("contacts", records))

        output = read(ConfigBuilder().build(), "contacts", SyncMode.incremental, state=state.build())

        assert [r.record.data["id"] for r in output.records] == ["c-BLOCKED-9"]


class TestRowsLeavingTheWindowMidSync(TestCase):
    """A contact of an already-read page is updated: it leaves the window and later rows move up."""

    @HttpMocker()
    def test_given_total_items_shrinks_between_pages_when_read_then_the_previous_page_is_read_again(
        self, http_mocker: HttpMocker
    ) -> None:
        first = [
            contact(1, "ACTIVE", "2026-01-10T08:00:00.000Z"),
            contact(2, "ACTIVE", "2026-01-10T09:00:00.000Z"),
        ]
        skipped = contact(3, "ACTIVE", "2026-01-10T10:00:00.000Z")
        last = contact(4, "ACTIVE", "2026-01-10T11:00:00.000Z")
        # c-1 was updated before page 2 was asked for (4 -> 3 rows): c-3 moved onto page 1, page 2
        # starts at c-4, so page 1 is asked again (pages in miniature: the envelope says 100 a page)
        page_one = contacts_request("ACTIVE")
        http_mocker.get(
            page_one,
            [
                page("contacts", first, has_more=True, total_items=4),
                page("contacts", [first[1], skipped], has_more=True, total_items=3),
            ],
        )
        http_mocker.get(
            contacts_request("ACTIVE", page_number=2), page("contacts", [last], page_number=2, total_items=3)
        )
        for status in ("ARCHIVED", "BLOCKED"):
            http_mocker.get(contacts_request(status), page("contacts", []))

        output = read(ConfigBuilder().build(), "contacts", SyncMode.incremental)

        ids = [r.record.data["id"] for r in output.records]
        assert set(ids) == {"c-ACTIVE-1", "c-ACTIVE-2", "c-ACTIVE-3", "c-ACTIVE-4"}  # c-2 twice: no gap
        http_mocker.assert_number_of_calls(page_one, 2)
        assert not error_logs(output)

    @HttpMocker()
    def test_given_total_items_unchanged_when_read_then_pages_follow_by_number_without_restart(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            contacts_request("ACTIVE"), page("contacts", [contact(1, "ACTIVE")], has_more=True, total_items=2)
        )
        http_mocker.get(
            contacts_request("ACTIVE", page_number=2),
            page(
                "contacts", [contact(2, "ACTIVE", "2026-01-11T08:00:00.000Z")], page_number=2, total_items=2
            ),
        )
        for status in ("ARCHIVED", "BLOCKED"):
            http_mocker.get(contacts_request(status), page("contacts", []))

        output = read(ConfigBuilder().build(), "contacts", SyncMode.incremental)

        assert [r.record.data["id"] for r in output.records] == ["c-ACTIVE-1", "c-ACTIVE-2"]
