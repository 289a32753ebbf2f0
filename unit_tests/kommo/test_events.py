"""events: /api/v4/events, incremental on created_at (events are immutable), 100 per page."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import EVENTS_PAGE_SIZE, KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, error_logs, last_state, read, state_for, timestamp

STREAM = "events"


def _request(start: int = START_TS, end: int = NOW_TS, page: int = 1):
    return (
        KommoRequestBuilder.events_endpoint()
        .with_window("created_at", start, end)
        .with_page(page, EVENTS_PAGE_SIZE)
        .build()
    )


def _events_page(count: int, created_at: int, first: int = 0, page: int = 1):
    builder = response(STREAM, page=page).with_pagination()
    for n in range(first, first + count):
        builder = builder.with_record(
            record(STREAM, cursor="created_at").with_id(f"01ev{n:022d}").with_cursor(created_at)
        )
    return builder.build()


class TestEventsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_event_when_read_then_string_id_and_value_shapes_kept_as_json(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(_request(), response(STREAM).with_record(record(STREAM, cursor="created_at")).build())

        data = read(ConfigBuilder().build(), STREAM).records[0].record.data

        assert data["id"] == "01kysdbvsnt5n43xgp5hmp2k77"
        assert data["value_after"] == [{"lead_status": {"id": 143, "pipeline_id": 7670334}}]
        assert data["value_before"][0]["lead_status"]["id"] == 63384122
        assert "_embedded" not in data and "_links" not in data

    @HttpMocker()
    def test_given_full_page_of_100_when_read_then_next_page_requested_with_limit_100(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(_request(page=1), _events_page(100, START_TS + DAY))
        http_mocker.get(_request(page=2), _events_page(7, START_TS + DAY, first=100, page=2))

        output = read(ConfigBuilder().build(), STREAM)

        assert len(output.records) == 107
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_no_events_when_read_then_204_ends_quietly(self, http_mocker: HttpMocker) -> None:
        first = _request()
        http_mocker.get(first, no_content())

        output = read(ConfigBuilder().build(), STREAM)

        assert output.records == [] and error_logs(output) == []
        http_mocker.assert_number_of_calls(first, 1)  # a 204 on a window's first page is the end

    @HttpMocker()
    def test_given_204_after_full_page_when_read_then_window_split_in_two_and_each_half_read(
        self, http_mocker: HttpMocker
    ) -> None:
        # Events can't be ordered: a 204 after a full page (a server stopping at a page depth) splits
        # the window in two halves, each read from its page 1, instead of ending it.
        http_mocker.get(_request(page=1), _events_page(100, START_TS + DAY))
        page_2 = _request(page=2)
        http_mocker.get(page_2, no_content())
        middle = START_TS + (NOW_TS - START_TS + 1) // 2
        http_mocker.get(_request(end=middle - 1), _events_page(60, START_TS + DAY))
        http_mocker.get(_request(start=middle), _events_page(45, middle + DAY, first=100))

        output = read(ConfigBuilder().build(), STREAM)

        ids = [r.record.data["id"] for r in output.records]
        # the 45 events the depth hid are read; the 60 read again in the first half are not emitted again
        assert len(ids) == len(set(ids)) == 145
        assert output.errors == [] and error_logs(output) == []
        http_mocker.assert_number_of_calls(page_2, 1)  # asking the same page again wouldn't help

    @HttpMocker()
    def test_given_every_page_number_answers_page_1_when_read_then_fails_with_one_sentence(
        self, http_mocker: HttpMocker
    ) -> None:
        page_1 = _events_page(100, START_TS + DAY)  # echoes `_page: 1`
        http_mocker.get(_request(page=1), page_1)
        page_2 = _request(page=2)
        http_mocker.get(page_2, page_1)

        output = read(ConfigBuilder().build(), STREAM, expecting_exception=True)

        assert [e.trace.error.message for e in output.errors][:1] == [
            "Kommo answered page 2 of events with page 1: the server repeats pages, "
            "so paging stopped rather than reading the same records forever."
        ]
        http_mocker.assert_number_of_calls(page_2, 1)


class TestEventsIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_created_at_window_and_state_at_latest_event(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(_request(), _events_page(2, START_TS + 3 * DAY))

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert len(output.records) == 2
        assert last_state(output) == {"created_at": str(START_TS + 3 * DAY)}

    @HttpMocker()
    def test_given_state_when_read_then_window_starts_ten_minutes_before_the_state(
        self, http_mocker: HttpMocker
    ) -> None:
        # Events too can become visible late: the default lookback re-reads the last 10 minutes.
        state_value = START_TS + 40 * DAY
        http_mocker.get(_request(start=state_value - 600), _events_page(1, state_value + 60))

        output = read(
            ConfigBuilder().build(),
            STREAM,
            SyncMode.incremental,
            state=state_for(STREAM, {"created_at": str(state_value)}),
        )

        assert len(output.records) == 1
        assert last_state(output) == {"created_at": str(state_value + 60)}

    @HttpMocker()
    def test_given_events_on_window_boundary_when_read_then_each_emitted_once(
        self, http_mocker: HttpMocker
    ) -> None:
        boundary = START_TS + 30 * DAY
        both = (
            response(STREAM)
            .with_record(record(STREAM, cursor="created_at").with_id("01a").with_cursor(boundary - 1))
            .with_record(record(STREAM, cursor="created_at").with_id("01b").with_cursor(boundary))
        )
        http_mocker.get(_request(end=boundary - 1), both.build())
        http_mocker.get(_request(start=boundary), both.build())

        output = read(ConfigBuilder().with_events_window_days(30).build(), STREAM, SyncMode.incremental)

        assert sorted(r.record.data["id"] for r in output.records) == ["01a", "01b"]

    @HttpMocker()
    def test_given_no_events_window_setting_when_read_then_windows_of_7_days_whatever_window_days(
        self, http_mocker: HttpMocker
    ) -> None:
        # Events have their own, shorter windows: a window past Kommo's page depth (19 pages of 100)
        # is split and read again, and 180-day windows of a busy account always were.
        start = timestamp("2026-02-12")
        second, third = start + 7 * DAY, start + 14 * DAY
        http_mocker.get(_request(start=start, end=second - 1), _events_page(1, start + DAY))
        http_mocker.get(_request(start=second, end=third - 1), _events_page(1, second + DAY, first=1))
        http_mocker.get(_request(start=third, end=NOW_TS), _events_page(1, third + DAY, first=2))

        config = (
            ConfigBuilder().with_start_date("2026-02-12").with_window_days(None).with_events_window_days(None)
        ).build()
        output = read(config, STREAM, SyncMode.incremental)

        assert len(output.records) == 3
        assert last_state(output) == {"created_at": str(third + DAY)}
