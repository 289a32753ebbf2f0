"""portfolios: GET /core/v1/portfolio with its departments and contact counts; incremental on updatedAt."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "portfolios"


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_window_from_start_date_and_state_is_latest_updated_at(
        self, http_mocker: HttpMocker
    ) -> None:
        records = [
            record(STREAM, id="r-1", updatedAt="2026-01-05T10:00:00.000Z"),
            record(STREAM, id="r-2", updatedAt="2026-01-09T17:45:30.250Z"),
        ]
        http_mocker.get(
            HelenaRequestBuilder.portfolios().with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(STREAM, records),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert [r.record.data["id"] for r in output.records] == ["r-1", "r-2"]
        assert last_state(output) == {"updatedAt": "2026-01-09T17:45:30.250000+0000"}
        assert not error_logs(output)

    @HttpMocker()
    def test_given_state_when_read_then_request_starts_one_millisecond_before_the_state(
        self, http_mocker: HttpMocker
    ) -> None:
        state = StateBuilder().with_stream_state(STREAM, {"updatedAt": "2026-01-09T17:45:30.250000Z"}).build()
        http_mocker.get(
            HelenaRequestBuilder.portfolios()
            .with_updated_window("2026-01-09T17:45:30.249000Z", WINDOW_END)
            .build(),
            page(STREAM, [record(STREAM, id="r-3", updatedAt="2026-01-14T08:00:00.000Z")]),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state=state)

        assert [r.record.data["id"] for r in output.records] == ["r-3"]
        assert last_state(output) == {"updatedAt": "2026-01-14T08:00:00.000000+0000"}
