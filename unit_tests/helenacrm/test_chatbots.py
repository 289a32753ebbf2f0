"""chatbots: GET /chat/v1/chatbot, incremental on updatedAt in bounded windows."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "chatbots"


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_window_from_start_date_and_state_is_latest_updated_at(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.chatbots().with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(STREAM, [record(STREAM, id="b-1", updatedAt="2026-01-08T10:00:00.1234567Z")]),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert [r.record.data["name"] for r in output.records] == ["Boas-vindas"]
        assert last_state(output) == {"updatedAt": "2026-01-08T10:00:00.123456+0000"}
        assert not error_logs(output)
