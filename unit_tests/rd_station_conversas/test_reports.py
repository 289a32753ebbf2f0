"""reports: /v4/reports, dates required and at most 3 months apart; {docs, pages} or {reports}."""

from __future__ import annotations

from datetime import date
from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import REPORTS_PAGE_SIZE, ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import TODAY, error_logs, last_state, read, records_of

STREAM = "reports"
# START_DATE 2025-06-01 to the frozen NOW 2026-01-15, in windows of at most three months.
WINDOWS = [("2025-06-01", "2025-08-31"), ("2025-09-01", "2025-11-30"), ("2025-12-01", TODAY)]


def report(report_id: int, created_at: str) -> dict:
    return rb.record(STREAM, id=report_id, created_at=created_at)


def months_between(start: str, end: str) -> float:
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return (b.year - a.year) * 12 + (b.month - a.month) + (b.day - a.day + 1) / 31


class TestReportsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_start_date_when_read_then_one_request_per_window_none_over_three_months(
        self, http_mocker: HttpMocker
    ) -> None:
        for n, (start, end) in enumerate(WINDOWS):
            records = [report(n, f"{start}T10:00:00.000Z")]
            http_mocker.get(
                ConversasRequestBuilder.reports().with_window(start, end).build(), rb.reports_docs(records)
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r["id"] for r in records_of(output, STREAM)) == [0, 1, 2]
        assert all(months_between(start, end) <= 3 for start, end in WINDOWS)
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

        assert [r["id"] for r in records_of(output, STREAM)] == [7]

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


class TestReportsIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_state_is_the_newest_record_day(
        self, http_mocker: HttpMocker
    ) -> None:
        for n, (start, end) in enumerate(WINDOWS):
            http_mocker.get(
                ConversasRequestBuilder.reports().with_window(start, end).build(),
                rb.reports_docs([report(n, f"{start[:8]}15T09:30:00.000Z")]),
            )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert len(records_of(output, STREAM)) == 3
        assert last_state(output) == {"created_at": "2025-12-15"}

    @HttpMocker()
    def test_given_state_when_read_then_only_the_recent_window_is_asked(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window("2026-01-10", TODAY).build(),
            rb.reports_docs([report(42, "2026-01-12T09:00:00.000Z")]),
        )
        state = StateBuilder().with_stream_state(STREAM, {"created_at": "2026-01-10"}).build()

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state)

        assert [r["id"] for r in records_of(output, STREAM)] == [42]
        assert last_state(output) == {"created_at": "2026-01-12"}

    @HttpMocker()
    def test_given_state_of_today_when_read_again_today_then_today_is_asked(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            ConversasRequestBuilder.reports().with_window(TODAY, TODAY).build(),
            rb.reports_docs([report(43, f"{TODAY}T11:00:00.000Z")]),
        )
        state = StateBuilder().with_stream_state(STREAM, {"created_at": TODAY}).build()

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state)

        assert [r["id"] for r in records_of(output, STREAM)] == [43]
