"""deleted_entities: the lead/contact/company deletion events, for Append + Deduped users."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import EVENTS_PAGE_SIZE, KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, last_state, read

STREAM = "deleted_entities"


class TestDeletedEntities(TestCase):
    @HttpMocker()
    def test_given_deletion_events_when_read_then_asked_by_type_and_state_on_created_at(
        self, http_mocker: HttpMocker
    ) -> None:
        request = (
            KommoRequestBuilder.events_endpoint()
            .with_window("created_at", START_TS, NOW_TS)
            .with_page(1, EVENTS_PAGE_SIZE)
        )
        request._params["filter[type]"] = "lead_deleted,contact_deleted,company_deleted"
        deleted = (
            record("events", cursor="created_at")
            .with_id("01deleted0000000000000000a")
            .with_cursor(START_TS + DAY)
        )
        deleted._record.update({"type": "lead_deleted", "entity_id": 3637385, "entity_type": "lead"})
        http_mocker.get(request.build(), response("events").with_record(deleted).build())

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert [(r.record.data["type"], r.record.data["entity_id"]) for r in output.records] == [
            ("lead_deleted", 3637385)
        ]
        assert last_state(output) == {"created_at": str(START_TS + DAY)}
