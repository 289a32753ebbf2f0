"""scheduled_messages: GET /chat/v1/scheduled-message, one partition per Status (the API takes one
value and states no default), every detail asked; incremental on updatedAt."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import SCHEDULED_STATUSES, HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "scheduled_messages"


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_every_status_asked_when_read_then_sent_and_failed_messages_come_with_their_details(
        self, http_mocker: HttpMocker
    ) -> None:
        for status in SCHEDULED_STATUSES:
            records = (
                [record(STREAM, id=f"m-{status}", status=status)] if status in ("SENT", "FAILED") else []
            )
            http_mocker.get(
                HelenaRequestBuilder.scheduled_messages(status)
                .with_updated_window(WINDOW_START, WINDOW_END)
                .build(),
                page(STREAM, records),
            )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert sorted(r.record.data["status"] for r in output.records) == ["FAILED", "SENT"]
        data = output.records[0].record.data
        assert data["contact"]["name"] and data["user"]["name"] and data["department"]["name"]
        assert {s["partition"]["status"] for s in last_state(output)["states"]} >= {"SENT", "FAILED"}
        assert not error_logs(output)
