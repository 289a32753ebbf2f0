"""custom_field_values: one row per (entity, field, value) of leads, contacts and companies."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.mock_http.response_builder import FieldPath

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, error_logs, read

STREAM = "custom_field_values"
PHONES = [
    {
        "field_id": 922001,
        "field_name": "Phone",
        "field_code": "PHONE",
        "field_type": "multitext",
        "values": [
            {"value": "+5511999990000", "enum_id": 1, "enum_code": "WORK"},
            {"value": "+5511888880000", "enum_id": 2, "enum_code": "MOB"},
        ],
    },
    {
        "field_id": 922002,
        "field_name": "Budget",
        "field_code": None,
        "field_type": "numeric",
        "values": [{"value": 1500}],
    },
]


def _request(entity: str, start: int = START_TS):
    return (
        KommoRequestBuilder(entity)
        .with_window("updated_at", start, NOW_TS)
        .with_page(1)
        .with_order_by_updated_at()
        .build()
    )


class TestCustomFieldValues(TestCase):
    @HttpMocker()
    def test_given_entities_with_custom_fields_when_read_then_one_row_per_value(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            _request("leads"),
            response("leads").with_record(record("leads").with_id(7).with_cursor(START_TS + DAY)).build(),
        )
        http_mocker.get(
            _request("contacts"),
            response("contacts")
            .with_record(
                record("contacts")
                .with_id(9)
                .with_cursor(START_TS + 2 * DAY)
                .with_field(FieldPath("custom_fields_values"), PHONES)
            )
            .with_record(
                record("contacts")
                .with_id(10)
                .with_cursor(START_TS + 3 * DAY)
                .with_field(FieldPath("custom_fields_values"), None)
            )
            .build(),
        )
        http_mocker.get(_request("companies"), no_content())

        output = read(ConfigBuilder().build(), STREAM)

        rows = sorted(
            (
                r.record.data["entity_type"],
                r.record.data["entity_id"],
                r.record.data["field_id"],
                r.record.data["value_index"],
                r.record.data["value"],
            )
            for r in output.records
        )
        assert rows == [
            ("contacts", 9, 922001, 0, "+5511999990000"),
            ("contacts", 9, 922001, 1, "+5511888880000"),
            ("contacts", 9, 922002, 0, "1500"),  # numbers as JSON text: one column for every field type
            ("leads", 7, 921871, 0, "frontend"),
        ]
        lead = next(r.record.data for r in output.records if r.record.data["entity_type"] == "leads")
        assert (lead["enum_id"], lead["field_name"], lead["updated_at"]) == (497443, "stack", START_TS + DAY)
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_values_when_incremental_then_state_per_entity_type_at_the_parents_updated_at(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            _request("leads"),
            response("leads").with_record(record("leads").with_id(7).with_cursor(START_TS + 5 * DAY)).build(),
        )
        http_mocker.get(_request("contacts"), no_content())
        http_mocker.get(_request("companies"), no_content())

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        state = output.most_recent_state.stream_state.__dict__
        cursors = {s["partition"]["entity_type"]: s["cursor"]["updated_at"] for s in state["states"]}
        assert cursors["leads"] == str(START_TS + 5 * DAY)
