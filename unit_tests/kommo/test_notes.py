"""notes: /api/v4/{leads,contacts,companies}/notes in one stream, incremental per entity type."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.mock_http.response_builder import FieldPath

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, error_logs, read

STREAM = "notes"
ENTITIES = ("leads", "contacts", "companies")


def _request(entity: str, start: int = START_TS, page: int = 1):
    return (
        KommoRequestBuilder.notes_endpoint(entity)
        .with_window("updated_at", start, NOW_TS)
        .with_page(page)
        .with_order_by_updated_at()
        .build()
    )


class TestNotesFullRefresh(TestCase):
    @HttpMocker()
    def test_given_notes_of_each_entity_when_read_then_entity_type_column_set(
        self, http_mocker: HttpMocker
    ) -> None:
        for n, entity in enumerate(ENTITIES):
            http_mocker.get(
                _request(entity),
                response(STREAM)
                .with_record(record(STREAM).with_id(100 + n).with_cursor(START_TS + DAY))
                .build(),
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted((r.record.data["entity_type"], r.record.data["id"]) for r in output.records) == [
            ("companies", 102),
            ("contacts", 101),
            ("leads", 100),
        ]
        assert output.records[0].record.data["params"]["source"] == "telephony"

    @HttpMocker()
    def test_given_full_page_when_read_then_next_request_starts_at_the_last_rows_second(
        self, http_mocker: HttpMocker
    ) -> None:
        # Notes can be ordered by updated_at, so they page by value like leads: a note updated
        # mid-sync can't shift an unread one onto an already-read page.
        first = response(STREAM).with_pagination()
        for n in range(250):
            first = first.with_record(record(STREAM).with_id(n + 1).with_cursor(START_TS + n))
        http_mocker.get(_request("leads", page=1), first.build())
        http_mocker.get(
            _request("leads", start=START_TS + 249),
            response(STREAM)
            .with_record(record(STREAM).with_id(250).with_cursor(START_TS + 249))
            .with_record(record(STREAM).with_id(251).with_cursor(START_TS + 300))
            .build(),
        )
        http_mocker.get(_request("contacts"), no_content())
        http_mocker.get(_request("companies"), no_content())

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r.record.data["id"] for r in output.records) == list(range(1, 252))
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_mail_note_with_php_empty_params_when_read_then_params_is_an_empty_object(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            _request("leads"),
            response(STREAM)
            .with_record(record(STREAM).with_cursor(START_TS + DAY).with_field(FieldPath("params"), []))
            .build(),
        )
        http_mocker.get(_request("contacts"), no_content())
        http_mocker.get(_request("companies"), no_content())

        output = read(ConfigBuilder().build(), STREAM)

        assert output.records[0].record.data["params"] == {}
        assert output.records[0].record.data["entity_type"] == "leads"


class TestNotesIncremental(TestCase):
    @HttpMocker()
    def test_given_notes_when_read_then_state_per_entity_type(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            _request("leads"),
            response(STREAM).with_record(record(STREAM).with_cursor(START_TS + 5 * DAY)).build(),
        )
        http_mocker.get(
            _request("contacts"),
            response(STREAM).with_record(record(STREAM).with_cursor(START_TS + 9 * DAY)).build(),
        )
        http_mocker.get(_request("companies"), no_content())

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        state = output.most_recent_state.stream_state.__dict__
        cursors = {s["partition"]["entity_type"]: s["cursor"]["updated_at"] for s in state["states"]}
        assert cursors["leads"] == str(START_TS + 5 * DAY)
        assert cursors["contacts"] == str(START_TS + 9 * DAY)
