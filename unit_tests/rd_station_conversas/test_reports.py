"""reports: /v4/reports, dates required, ranges of at most 89 days; {docs, pages} or {reports}.

Attendances are listed by the day they were opened, and close later: incremental syncs read the
last `reports_lookback_days` again. Ids, instants and durations come in several shapes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from unittest import TestCase

import jsonschema
import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import START_DATE, ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import REPORTS_PAGE_SIZE, ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import (
    CONNECTOR,
    TODAY,
    error_logs,
    last_state,
    logs_at,
    read,
    records_of,
)

STREAM = "reports"
WINDOW_DAYS = 89  # the live ETL's window: "respeita o limite de 90 dias do /v4/reports"


def windows(start: str, end: str = TODAY) -> list[tuple[str, str]]:
    """start .. end in windows of WINDOW_DAYS days (the last one shorter)."""
    out, lo, last = [], date.fromisoformat(start), date.fromisoformat(end)
    while lo <= last:
        hi = min(lo + timedelta(days=WINDOW_DAYS - 1), last)
        out.append((lo.isoformat(), hi.isoformat()))
        lo = hi + timedelta(days=1)
    return out


WINDOWS = windows(START_DATE)  # 2025-06-01 .. 2026-01-15: three windows


def report(report_id: int, created_at: str, **fields: Any) -> dict[str, Any]:
    return rb.record(STREAM, id=report_id, created_at=created_at, **fields)


def attendance(created: str, **fields: Any) -> dict[str, Any]:
    """A report with none of the id and instant fields, then ``fields``."""
    base = {
        k: v for k, v in rb.record(STREAM).items() if k not in ("id", "created_at", "createdAt", "opened_at")
    }
    return {**base, **fields} if created is None else {**base, "opened_at": created, **fields}


def reports_schema() -> dict[str, Any]:
    [stream] = [
        s for s in CONNECTOR.discover(ConfigBuilder().build()).catalog.catalog.streams if s.name == STREAM
    ]
    return stream.json_schema


class TestReportsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_start_date_when_read_then_one_request_per_window_none_over_89_days(
        self, http_mocker: HttpMocker
    ) -> None:
        # Fails before 0.2.0: P3M windows are 92 days (2025-06-01..2025-08-31), which the API refuses.
        for n, (start, end) in enumerate(WINDOWS):
            records = [report(n, f"{start}T10:00:00.000Z")]
            http_mocker.get(
                ConversasRequestBuilder.reports().with_window(start, end).build(), rb.reports_docs(records)
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r["id"] for r in records_of(output, STREAM)) == ["0", "1", "2"]
        assert len(WINDOWS) == 3
        assert all((date.fromisoformat(e) - date.fromisoformat(s)).days + 1 <= 89 for s, e in WINDOWS)
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_full_page_then_short_page_when_read_then_pages_within_the_window(
        self, http_mocker: HttpMocker
    ) -> None:
        start, end = WINDOWS[-1]
        full = [report(i, f"{start}T10:00:00.000Z") for i in range(REPORTS_PAGE_SIZE)]
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(), rb.reports_docs(full, 1, 2)
        )
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).with_page(2).build(),
            rb.reports_docs([report(999, f"{start}T11:00:00.000Z")], 2, 2),
        )

        output = read(ConfigBuilder().with_start_date(start).build(), STREAM)

        assert len(records_of(output, STREAM)) == REPORTS_PAGE_SIZE + 1

    @HttpMocker()
    def test_given_page_two_answers_page_one_again_when_read_then_fails_in_one_sentence(
        self, http_mocker: HttpMocker
    ) -> None:
        start, end = WINDOWS[-1]
        full = [report(i, f"{start}T10:00:00.000Z") for i in range(REPORTS_PAGE_SIZE)]
        for page in (1, 2):  # the server ignores `page`: the first page, envelope and all, again
            http_mocker.get(
                ConversasRequestBuilder.reports().with_window(start, end).with_page(page).build(),
                rb.reports_docs(full, 1, 3),
            )

        output = read(ConfigBuilder().with_start_date(start).build(), STREAM, expecting_exception=True)

        error = output.errors[0].trace.error
        assert "answered page 2 of reports with a page it had already sent" in error.message
        assert error.failure_type.value == "system_error"

    @HttpMocker()
    def test_given_reports_envelope_when_read_then_same_records(self, http_mocker: HttpMocker) -> None:
        start, end = WINDOWS[-1]
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(),
            rb.reports_legacy([report(7, f"{start}T10:00:00.000Z")]),
        )

        output = read(ConfigBuilder().with_start_date(start).build(), STREAM)

        assert [r["id"] for r in records_of(output, STREAM)] == ["7"]

    @HttpMocker()
    def test_given_report_metadata_shape_when_read_then_created_at_filled_from_createdAt(
        self, http_mocker: HttpMocker
    ) -> None:
        start, end = WINDOWS[-1]
        metadata = {
            "id": 3,
            "title": "Atendimentos",
            "description": "Mensal",
            "createdAt": "2025-12-02T08:00:00.000Z",
            "updatedAt": "2025-12-03T08:00:00.000Z",
        }
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(), rb.reports_docs([metadata])
        )

        output = read(ConfigBuilder().with_start_date(start).build(), STREAM)

        [record] = records_of(output, STREAM)
        assert record["title"] == "Atendimentos" and record["created_at"] == metadata["createdAt"]


@pytest.mark.parametrize(
    ("fields", "expected_id"),
    [
        pytest.param({"id": 100007}, "100007", id="id"),
        pytest.param({"_id": "6650a1b2c3d4e5f601234567"}, "6650a1b2c3d4e5f601234567", id="underscore-id"),
        pytest.param({"report_id": "R-88"}, "R-88", id="report-id"),
    ],
)
def test_given_id_in_any_field_clients_read_when_read_then_primary_key_filled(
    fields: dict[str, Any], expected_id: Any
) -> None:
    # Fails before 0.2.0 for _id and report_id: the primary key `id` stayed null.
    start, end = WINDOWS[-1]
    with HttpMocker() as http_mocker:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(),
            rb.reports_docs([attendance("2025-12-20T10:00:00Z", **fields)]),
        )
        output = read(ConfigBuilder().with_start_date(start).build(), STREAM)
    [record] = records_of(output, STREAM)
    assert record["id"] == expected_id


@pytest.mark.parametrize(
    ("tme", "tma", "seconds"),
    [
        pytest.param(754, 2470, (754.0, 2470.0), id="numbers"),
        pytest.param("00:12:34", "00:41:10", (754.0, 2470.0), id="hh-mm-ss"),
        pytest.param({"value": 754}, {"value": "2470"}, (754.0, 2470.0), id="value-objects"),
        pytest.param(754, None, (754.0, None), id="open-attendance"),
    ],
)
def test_given_durations_in_every_shape_seen_when_read_then_schema_accepts_and_seconds_derived(
    tme: Any, tma: Any, seconds: tuple[float | None, float | None]
) -> None:
    # Fails before 0.2.0: tme/tma were declared as numbers only, and the extra fields were undeclared.
    start, end = WINDOWS[-1]
    record_in = attendance(
        "2025-12-20T10:00:00",  # no zone, as the Tallos normaliser sees some timestamps
        id=5,
        tme=tme,
        tma=tma,
        started_at="2025-12-20T10:01:00",
        finished_at=None,
        opened=True,
        level=4,
        operational_metrics={"tmro": "00:01:10", "tmrc": 30},
        redistribution_count=1,
        valid_business_period=True,
        sessions_opened=2,
    )
    with HttpMocker() as http_mocker:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(), rb.reports_docs([record_in])
        )
        output = read(ConfigBuilder().with_start_date(start).build(), STREAM)
    [record] = records_of(output, STREAM)
    assert (record.get("tme_seconds"), record.get("tma_seconds")) == seconds
    schema = reports_schema()
    jsonschema.validate(record, schema)
    declared = set(schema["properties"])
    undeclared = {"started_at", "finished_at", "opened", "level", "operational_metrics"}
    assert undeclared | {"redistribution_count", "valid_business_period", "sessions_opened"} <= declared


class TestReportsIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_state_is_the_newest_record_day(
        self, http_mocker: HttpMocker
    ) -> None:
        for n, (start, end) in enumerate(WINDOWS):
            http_mocker.get(
                ConversasRequestBuilder.reports().with_window(start, end).build(),
                rb.reports_docs([report(n, f"{start[:8]}28T09:30:00.000Z")]),
            )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert len(records_of(output, STREAM)) == 3
        assert last_state(output) == {"created_at": f"{WINDOWS[-1][0][:8]}28"}

    @HttpMocker()
    def test_given_attendances_with_opened_at_only_when_read_then_cursor_reads_it(
        self, http_mocker: HttpMocker
    ) -> None:
        # The live ETL lists each attendance's opened_at/closed_at. Fails before 0.2.0: the cursor
        # read only created_at/createdAt, so these records had no cursor value.
        start, end = WINDOWS[-1]
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(),
            rb.reports_docs(
                [attendance("2026-01-03T09:00:00.000Z", id=1), attendance("2026-01-05T22:10:00", id=2)]
            ),
        )

        output = read(ConfigBuilder().with_start_date(start).build(), STREAM, SyncMode.incremental)

        assert [r["created_at"] for r in records_of(output, STREAM)] == [
            "2026-01-03T09:00:00.000Z",
            "2026-01-05T22:10:00",
        ]
        assert last_state(output) == {"created_at": "2026-01-05"}
        assert not [w for w in logs_at(output, "WARN") if "cursor" in w]

    @HttpMocker()
    def test_given_attendances_without_any_instant_when_read_then_kept_and_warned_once(
        self, http_mocker: HttpMocker
    ) -> None:
        # Fails before 0.2.0: no warning of ours names the missing fields.
        start, end = WINDOWS[-1]
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(),
            rb.reports_docs([attendance(None, id=i) for i in range(5)]),
        )

        output = read(ConfigBuilder().with_start_date(start).build(), STREAM, SyncMode.incremental)

        assert len(records_of(output, STREAM)) == 5
        ours = [w for w in logs_at(output, "WARN") if "none of created_at, opened_at or createdAt" in w]
        assert len(ours) == 1
        assert output.errors == [] and error_logs(output) == []

    @HttpMocker()
    def test_given_state_when_read_then_the_lookback_days_before_it_are_read_again(
        self, http_mocker: HttpMocker
    ) -> None:
        # Attendances opened before the state may have closed since. Fails before 0.2.0: no lookback,
        # the request started at the state's day and the closed attendance of 2025-12-20 never came back.
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window("2025-12-11", TODAY).build(),
            rb.reports_docs(
                [
                    report(41, "2025-12-20T09:00:00.000Z", closed=True, closed_at="2026-01-11T10:00:00Z"),
                    report(42, "2026-01-12T09:00:00.000Z"),
                ]
            ),
        )
        state = StateBuilder().with_stream_state(STREAM, {"created_at": "2026-01-10"}).build()

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state)

        records = records_of(output, STREAM)
        assert [(r["id"], r["closed"]) for r in records] == [("41", True), ("42", True)]
        assert last_state(output) == {"created_at": "2026-01-12"}

    @HttpMocker()
    def test_given_lookback_zero_when_read_then_only_from_the_state_day(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window("2026-01-10", TODAY).build(),
            rb.reports_docs([report(42, "2026-01-12T09:00:00.000Z")]),
        )
        state = StateBuilder().with_stream_state(STREAM, {"created_at": "2026-01-10"}).build()

        output = read(
            ConfigBuilder().with_setting("reports_lookback_days", 0).build(),
            STREAM,
            SyncMode.incremental,
            state,
        )

        assert [r["id"] for r in records_of(output, STREAM)] == ["42"]
        assert last_state(output) == {"created_at": "2026-01-12"}

    @HttpMocker()
    def test_given_state_of_today_when_read_again_today_then_today_and_lookback_are_asked(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window("2025-12-16", TODAY).build(),
            rb.reports_docs([report(43, f"{TODAY}T11:00:00.000Z")]),
        )
        state = StateBuilder().with_stream_state(STREAM, {"created_at": TODAY}).build()

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state)

        assert [r["id"] for r in records_of(output, STREAM)] == ["43"]


# Each field in one JSON type (#13 item 5: PyAirbyte falls back to text, with a note per column, for a
# column declared with two non-null types), the value as sent kept losslessly (#14 item 9's shapes).
# Fails before 0.5.0: ids, protocol, tme and tma came out in the type they were sent in, and the
# schema declared two to four types for each.
@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        pytest.param({"id": 42}, {"id": "42"}, id="numeric-id"),
        pytest.param({"_id": 4242}, {"id": "4242", "_id": "4242"}, id="numeric-underscore-id"),
        pytest.param({"report_id": 88, "id": None}, {"id": "88", "report_id": "88"}, id="numeric-report-id"),
        pytest.param({"id": 5, "protocol": 2024000005}, {"protocol": "2024000005"}, id="numeric-protocol"),
        pytest.param(
            {"id": 5, "tme": "00:12:34"}, {"tme": "00:12:34", "tme_seconds": 754.0}, id="hh-mm-ss-tme-as-sent"
        ),
        pytest.param({"id": 5, "tme": 754}, {"tme": "754", "tme_seconds": 754.0}, id="seconds-tme-as-text"),
        pytest.param(
            {"id": 5, "tma": {"value": 2470}},
            {"tma": '{"value":2470}', "tma_seconds": 2470.0},
            id="value-object-tma-as-json-text",
        ),
        pytest.param(
            {"id": 5, "tma": {"value": "00:41:10"}},
            {"tma": '{"value":"00:41:10"}', "tma_seconds": 2470.0},
            id="value-object-holding-hh-mm-ss",
        ),
        pytest.param({"id": 5, "level": 4}, {"level": 4, "level_raw": None}, id="numeric-rating"),
        pytest.param({"id": 5, "level": "5"}, {"level": 5, "level_raw": "5"}, id="rating-as-string"),
        pytest.param(
            {"id": 5, "level": {"value": 3}},
            {"level": 3, "level_raw": '{"value":3}'},
            id="rating-as-value-object",
        ),
        pytest.param(
            {"id": 5, "level": "ótimo"}, {"level": None, "level_raw": "ótimo"}, id="rating-without-number"
        ),
        pytest.param({"id": 5, "level": None}, {"level": None, "level_raw": None}, id="not-rated"),
    ],
)
def test_given_a_field_in_any_shape_seen_when_read_then_its_one_declared_type_and_the_value_as_sent(
    sent: dict[str, Any], expected: dict[str, Any]
) -> None:
    start, end = WINDOWS[-1]
    with HttpMocker() as http_mocker:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(start, end).build(),
            rb.reports_docs([attendance("2025-12-20T10:00:00Z", **sent)]),
        )
        output = read(ConfigBuilder().with_start_date(start).build(), STREAM)
    [record] = records_of(output, STREAM)
    assert {key: record.get(key) for key in expected} == expected
    schema = reports_schema()
    jsonschema.validate(record, schema)
    for key, value in sent.items():  # nothing lost: the value as sent reads back from the record
        if value is None:
            continue
        kept = record["level_raw"] if key == "level" and not isinstance(value, int | float) else record[key]
        assert kept == value or json.loads(kept) == value


def test_given_discovered_reports_schema_then_every_column_has_one_non_null_type() -> None:
    # Fails before 0.5.0: id, _id, report_id, protocol, tme, tma and level had two to four.
    several = {
        name: column["type"]
        for name, column in reports_schema()["properties"].items()
        if len(
            [
                t
                for t in ([column["type"]] if isinstance(column["type"], str) else column["type"])
                if t != "null"
            ]
        )
        != 1
    }
    assert several == {}
