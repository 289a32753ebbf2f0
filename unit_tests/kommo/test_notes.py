"""notes: /api/v4/{leads,contacts,companies}/notes in one stream, incremental per entity type."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, page_of, record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, error_logs, read

STREAM = "notes"
ENTITIES = ("leads", "contacts", "companies")


def _request(entity: str, start: int = START_TS, page: int = 1):
    return (
        KommoRequestBuilder.notes_endpoint(entity)
        .with_window("updated_at", start, NOW_TS)
        .with_page(page)
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
    def test_given_full_page_then_204_when_read_then_all_pages_of_one_entity(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(_request("leads", page=1), page_of(STREAM, 250, cursor_value=START_TS + DAY))
        # A 204 after a full page is asked for once more before it counts as the end.
        http_mocker.get(_request("leads", page=2), [no_content(), no_content()])
        http_mocker.get(_request("contacts"), no_content())
        http_mocker.get(_request("companies"), no_content())

        output = read(ConfigBuilder().build(), STREAM)

        assert len(output.records) == 250 and error_logs(output) == []


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
