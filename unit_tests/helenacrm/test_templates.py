"""templates: GET /chat/v1/template, archived and active asked for explicitly (one partition per
`Archived` value, whose default is undocumented), params included; incremental on updatedAt."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "templates"
ARCHIVED = ["false", "true"]


def cursors(output) -> dict[str, str]:
    return {s["partition"]["archived"]: s["cursor"]["updatedAt"] for s in last_state(output)["states"]}


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_archived_and_active_are_asked_and_each_keeps_its_latest_updated_at(
        self, http_mocker: HttpMocker
    ) -> None:
        updated = {"false": "2026-01-05T10:00:00.000Z", "true": "2026-01-09T17:45:30.250Z"}
        for archived, instant in updated.items():
            http_mocker.get(
                HelenaRequestBuilder.templates(archived)
                .with_updated_window(WINDOW_START, WINDOW_END)
                .build(),
                page(
                    STREAM,
                    [record(STREAM, id=f"t-{archived}", archived=archived == "true", updatedAt=instant)],
                ),
            )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert sorted(r.record.data["id"] for r in output.records) == ["t-false", "t-true"]
        assert cursors(output) == {
            "false": "2026-01-05T10:00:00.000000+0000",
            "true": "2026-01-09T17:45:30.250000+0000",
        }
        assert not error_logs(output)

    @HttpMocker()
    def test_given_state_of_0_2_without_partitions_when_read_then_both_partitions_start_one_millisecond_before_it(
        self, http_mocker: HttpMocker
    ) -> None:
        state = StateBuilder().with_stream_state(STREAM, {"updatedAt": "2026-01-09T17:45:30.250000Z"}).build()
        for archived in ARCHIVED:
            records = (
                [record(STREAM, id="r-3", updatedAt="2026-01-14T08:00:00.000Z")]
                if archived == "false"
                else []
            )
            http_mocker.get(
                HelenaRequestBuilder.templates(archived)
                .with_updated_window("2026-01-09T17:45:30.249000Z", WINDOW_END)
                .build(),
                page(STREAM, records),
            )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state=state)

        assert [r.record.data["id"] for r in output.records] == ["r-3"]
        assert cursors(output)["false"] == "2026-01-14T08:00:00.000000+0000"


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_archived_and_active_templates_when_read_then_both_come_with_params(
        self, http_mocker: HttpMocker
    ) -> None:
        for archived in ARCHIVED:
            http_mocker.get(
                HelenaRequestBuilder.templates(archived)
                .with_updated_window(WINDOW_START, WINDOW_END)
                .build(),
                page(STREAM, [record(STREAM, id=f"t-{archived}", archived=archived == "true")]),
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r.record.data["archived"] for r in output.records) == [False, True]
        assert output.records[0].record.data["params"][0]["name"] == "1"
        assert isinstance(output.records[0].record.data["type"], list)
