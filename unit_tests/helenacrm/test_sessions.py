"""sessions: GET /chat/v2/session (conversations), incremental on updatedAt in bounded windows."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "sessions"


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_start_date_older_than_one_window_when_read_then_each_window_is_read_and_checkpointed(
        self, http_mocker: HttpMocker
    ) -> None:
        # 2025-12-20 .. NOW with 10-day windows: [12-20, 12-30), [12-30, 01-09), [01-09, NOW]
        config = ConfigBuilder().with_start_date("2025-12-20").build()
        config["window_in_days"] = 10
        windows = [
            ("2025-12-19T23:59:59.999000Z", "2025-12-30T00:00:00.000000Z"),
            ("2025-12-29T23:59:59.999000Z", "2026-01-09T00:00:00.000000Z"),
            ("2026-01-08T23:59:59.999000Z", WINDOW_END),
        ]
        updated = ["2025-12-24T10:00:00.000Z", "2026-01-02T10:00:00.000Z", "2026-01-12T10:00:00.000Z"]
        for (after, before), instant in zip(windows, updated, strict=True):
            http_mocker.get(
                HelenaRequestBuilder.sessions().with_updated_window(after, before).build(),
                page(STREAM, [record(STREAM, id=f"s-{instant[:10]}", updatedAt=instant)]),
            )

        output = read(config, STREAM, SyncMode.incremental)

        assert len(output.records) == 3
        assert len(output.state_messages) >= 3  # one checkpoint per window, not one at the end
        assert last_state(output) == {"updatedAt": "2026-01-12T10:00:00.000000+0000"}
        assert not error_logs(output)

    @HttpMocker()
    def test_given_every_status_and_detail_asked_when_read_then_completed_sessions_carry_every_detail(
        self, http_mocker: HttpMocker
    ) -> None:
        # the request names all six statuses (the API's default is undocumented) and all six details
        http_mocker.get(
            HelenaRequestBuilder.sessions().with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(
                STREAM,
                [
                    record(STREAM, id="s-done", status="COMPLETED"),
                    record(STREAM, id="s-hidden", status="HIDDEN"),
                ],
            ),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert [r.record.data["status"] for r in output.records] == ["COMPLETED", "HIDDEN"]
        data = output.records[0].record.data
        assert data["agentDetails"]["name"] and data["contactDetails"]["phonenumber"]
        assert (
            data["departmentDetails"]["name"] and data["channelDetails"]["platform"] and data["channelType"]
        )

    @HttpMocker()
    def test_given_classification_requested_when_read_then_session_carries_it_and_utm_as_json(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.sessions().with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(STREAM, [record(STREAM, updatedAt="2026-01-10T10:00:00.000Z")]),
        )

        data = read(ConfigBuilder().build(), STREAM, SyncMode.incremental).records[0].record.data

        assert data["classification"]["category"]
        assert isinstance(data["utm"], dict)
        assert data["timeService"].count(":") == 2
