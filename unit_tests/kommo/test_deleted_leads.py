"""deleted_leads: /leads?with=only_deleted, the deleted leads still in Kommo's trash (tombstones).

The row shape is the one amocrm-api-php #254 quotes from the API: id, updated_at (when the lead
was deleted), updated_by, is_deleted=true and account_id, every other field null.
"""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import CONNECTOR, DAY, NOW_TS, START_TS, error_logs, last_state, read

STREAM = "deleted_leads"


def _request(start: int = START_TS) -> KommoRequestBuilder:
    return (
        KommoRequestBuilder.leads_endpoint()
        .with_window("updated_at", start, NOW_TS)
        .with_page(1)
        .with_order_by_updated_at()
        .with_embedded("only_deleted")
    )


def _trash(*rows: tuple[int, int]):
    builder = response(STREAM, records_key="leads")
    for lead_id, deleted_at in rows:
        builder = builder.with_record(
            record(STREAM, records_key="leads").with_id(lead_id).with_cursor(deleted_at)
        )
    return builder.build()


class TestDeletedLeads(TestCase):
    @HttpMocker()
    def test_given_leads_in_the_trash_when_read_then_asked_with_only_deleted_and_state_on_updated_at(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(_request().build(), _trash((2602691, START_TS + DAY), (2602692, START_TS + 2 * DAY)))

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert [(r.record.data["id"], r.record.data["is_deleted"]) for r in output.records] == [
            (2602691, True),
            (2602692, True),
        ]
        assert "_links" not in output.records[0].record.data
        assert last_state(output) == {"updated_at": str(START_TS + 2 * DAY)}
        assert error_logs(output) == []

    def test_given_discover_when_listed_then_incremental_on_updated_at_keyed_by_id(self) -> None:
        streams = CONNECTOR.discover(ConfigBuilder().build()).catalog.catalog.streams
        stream = next(s for s in streams if s.name == STREAM)

        assert stream.source_defined_primary_key == [["id"]]
        assert stream.default_cursor_field == ["updated_at"]
        assert SyncMode.incremental in stream.supported_sync_modes
