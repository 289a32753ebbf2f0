"""Tests every updated_at-windowed stream passes (leads, contacts, companies, tasks).

Each stream's own file subclasses these with its endpoint and parameters, and adds its own cases.
"""

from __future__ import annotations

from typing import ClassVar

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, page_of, record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, error_logs, last_state, read, state_for


class _EntityStream:
    stream: ClassVar[str]
    ordered: ClassVar[bool] = True  # sends order[updated_at]=asc
    embedded: ClassVar[str | None] = None  # the with= parameter

    @property
    def readings(self) -> int:
        """How often pages of one second are requested: ordered streams check a stretch read by
        position by reading it again (no row shifted if both readings count the same); the second
        reading emits only rows the first one missed."""
        return 2 if self.ordered else 1

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder(self.stream)

    def request(self, start: int = START_TS, end: int = NOW_TS, page: int = 1):
        builder = self.endpoint().with_window("updated_at", start, end).with_page(page)
        if self.ordered:
            builder = builder.with_order_by_updated_at()
        if self.embedded:
            builder = builder.with_embedded(self.embedded)
        return builder.build()


class EntityFullRefreshTests(_EntityStream):
    @HttpMocker()
    def test_given_one_page_when_read_then_emit_records_without_links_and_embedded(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(self.request(), response(self.stream).with_record(record(self.stream)).build())

        output = read(ConfigBuilder().build(), self.stream)

        assert len(output.records) == 1
        data = output.records[0].record.data
        assert "_links" not in data and "_embedded" not in data
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_server_repeating_page_1_when_read_then_fails_with_one_sentence(
        self, http_mocker: HttpMocker
    ) -> None:
        # Page 2 answered with page 1 again (`_page: 1`): full forever, so it must not be followed.
        full = page_of(self.stream, 250, cursor_value=START_TS + DAY)
        http_mocker.get(self.request(page=1), full)
        page_2 = self.request(page=2)
        http_mocker.get(page_2, full)

        output = read(ConfigBuilder().build(), self.stream, expecting_exception=True)

        messages = [e.trace.error.message for e in output.errors]
        assert messages and messages[0] == (
            f"Kommo answered page 2 of {self.stream} with page 1: the server repeats pages, "
            "so paging stopped rather than reading the same records forever."
        )
        http_mocker.assert_number_of_calls(page_2, 1)

    @HttpMocker()
    def test_given_short_page_with_next_link_when_read_then_stop_paging(
        self, http_mocker: HttpMocker
    ) -> None:
        # The page carries `_links.next`; asking for page 2 would hit an unmocked request and fail.
        http_mocker.get(self.request(page=1), page_of(self.stream, 3, cursor_value=START_TS + DAY))

        output = read(ConfigBuilder().build(), self.stream)

        assert [r.record.data["id"] for r in output.records] == [1, 2, 3]

    @HttpMocker()
    def test_given_no_records_when_read_then_204_ends_quietly(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(self.request(), no_content())

        output = read(ConfigBuilder().build(), self.stream)

        assert output.records == []
        assert error_logs(output) == []
        assert output.errors == []


class EntityIncrementalTests(_EntityStream):
    @HttpMocker()
    def test_given_no_state_when_read_then_window_from_start_date_and_state_at_latest_record(
        self, http_mocker: HttpMocker
    ) -> None:
        latest = START_TS + 10 * DAY
        http_mocker.get(
            self.request(),
            response(self.stream)
            .with_record(record(self.stream).with_id(1).with_cursor(START_TS + DAY))
            .with_record(record(self.stream).with_id(2).with_cursor(latest))
            .build(),
        )

        output = read(ConfigBuilder().build(), self.stream, SyncMode.incremental)

        assert [r.record.data["id"] for r in output.records] == [1, 2]
        assert last_state(output) == {"updated_at": str(latest)}

    @HttpMocker()
    def test_given_state_when_read_then_window_starts_ten_minutes_before_the_state(
        self, http_mocker: HttpMocker
    ) -> None:
        # A row stamped before the state can become visible only after the last sync passed it
        # (eventual consistency): the default lookback re-reads the last 10 minutes.
        state_value = START_TS + 20 * DAY
        http_mocker.get(
            self.request(start=state_value - 600),
            response(self.stream)
            .with_record(record(self.stream).with_id(6).with_cursor(state_value - 300))
            .with_record(record(self.stream).with_id(7).with_cursor(state_value + 5))
            .build(),
        )

        output = read(
            ConfigBuilder().build(),
            self.stream,
            SyncMode.incremental,
            state=state_for(self.stream, {"updated_at": str(state_value)}),
        )

        assert [r.record.data["id"] for r in output.records] == [6, 7]
        assert last_state(output) == {"updated_at": str(state_value + 5)}

    @HttpMocker()
    def test_given_state_and_no_lookback_when_read_then_window_starts_at_the_state_second(
        self, http_mocker: HttpMocker
    ) -> None:
        # The state's own second is read again: a record updated later in that same second is not lost.
        state_value = START_TS + 20 * DAY
        http_mocker.get(
            self.request(start=state_value),
            response(self.stream)
            .with_record(record(self.stream).with_id(7).with_cursor(state_value + 5))
            .build(),
        )

        output = read(
            ConfigBuilder().with_lookback_minutes(0).build(),
            self.stream,
            SyncMode.incremental,
            state=state_for(self.stream, {"updated_at": str(state_value)}),
        )

        assert [r.record.data["id"] for r in output.records] == [7]
        assert last_state(output) == {"updated_at": str(state_value + 5)}

    @HttpMocker()
    def test_given_records_on_window_boundary_seconds_when_read_then_each_emitted_once(
        self, http_mocker: HttpMocker
    ) -> None:
        # 30-day windows: [START, START+30d-1] and [START+30d, NOW]. Each request is widened by a
        # second on both sides, so both windows see the records of the two boundary seconds.
        boundary = START_TS + 30 * DAY
        both = (
            response(self.stream)
            .with_record(record(self.stream).with_id(1).with_cursor(boundary - 1))
            .with_record(record(self.stream).with_id(2).with_cursor(boundary))
        )
        http_mocker.get(self.request(end=boundary - 1), both.build())
        http_mocker.get(self.request(start=boundary), both.build())

        output = read(ConfigBuilder().with_window_days(30).build(), self.stream, SyncMode.incremental)

        assert sorted(r.record.data["id"] for r in output.records) == [1, 2]
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_two_windows_when_read_then_state_checkpointed_after_each(
        self, http_mocker: HttpMocker
    ) -> None:
        boundary = START_TS + 30 * DAY
        http_mocker.get(
            self.request(end=boundary - 1),
            response(self.stream)
            .with_record(record(self.stream).with_id(1).with_cursor(START_TS + DAY))
            .build(),
        )
        http_mocker.get(
            self.request(start=boundary),
            response(self.stream)
            .with_record(record(self.stream).with_id(2).with_cursor(boundary + DAY))
            .build(),
        )

        output = read(ConfigBuilder().with_window_days(30).build(), self.stream, SyncMode.incremental)

        values = [int(m.state.stream.stream_state.__dict__["updated_at"]) for m in output.state_messages]
        assert len(values) >= 2  # one checkpoint per closed window (plus the final one)
        assert values == sorted(values) and values[-1] == boundary + DAY


class WindowPagingTests(_EntityStream):
    """Paging inside one window: rows of the widened extra seconds never end paging early."""

    @HttpMocker()
    def test_given_full_page_with_rows_of_the_extra_second_when_read_then_next_page_still_requested(
        self, http_mocker: HttpMocker
    ) -> None:
        # 3 of the 250 rows sit on START-1 (the widened second) and are filtered out: 247 kept.
        page = response(self.stream).with_pagination()
        for n in range(250):
            page = page.with_record(
                record(self.stream).with_id(n + 1).with_cursor(START_TS - 1 if n < 3 else START_TS + DAY)
            )
        http_mocker.get(self.request(page=1), page.build())
        # Most of the page shares one second, so ordered streams too go on by position here.
        http_mocker.get(
            self.request(page=2),
            page_of(self.stream, 2, first_id=1000, cursor_value=START_TS + DAY, page=2),
        )

        output = read(ConfigBuilder().build(), self.stream)

        assert len({r.record.data["id"] for r in output.records}) == len(output.records) == 249
        assert output.errors == []


class KeysetPagingTests(WindowPagingTests):
    """Streams ordered by updated_at continue from the last row's second, not from a page number."""

    @HttpMocker()
    def test_given_full_page_when_read_then_next_request_starts_at_the_last_rows_second(
        self, http_mocker: HttpMocker
    ) -> None:
        # If a record of page 1 is updated meanwhile, "page 2" would start one row late; a value doesn't move.
        first = response(self.stream).with_pagination()
        for n in range(250):
            first = first.with_record(record(self.stream).with_id(n + 1).with_cursor(START_TS + n))
        last_second = START_TS + 249
        http_mocker.get(self.request(page=1), first.build())
        http_mocker.get(
            self.request(start=last_second, page=1),
            response(self.stream)
            .with_record(record(self.stream).with_id(250).with_cursor(last_second))
            .with_record(record(self.stream).with_id(251).with_cursor(last_second + 9))
            .build(),
        )

        output = read(ConfigBuilder().build(), self.stream)

        ids = [r.record.data["id"] for r in output.records]
        # the row of the restart second is read twice but emitted once
        assert sorted(ids) == list(range(1, 252))

    @HttpMocker()
    def test_given_page_of_one_second_when_read_then_paging_goes_on_by_position(
        self, http_mocker: HttpMocker
    ) -> None:
        # A CSV import: restarting at that second would re-read the whole page.
        burst = START_TS + DAY
        http_mocker.get(self.request(page=1), page_of(self.stream, 250, cursor_value=burst))
        page_2 = self.request(page=2)
        http_mocker.get(page_2, page_of(self.stream, 4, first_id=251, cursor_value=burst, page=2))

        output = read(ConfigBuilder().build(), self.stream)

        # Read twice: the second reading counts the same 254 rows, so none shifted past page 1;
        # it emits none of them again.
        assert sorted(r.record.data["id"] for r in output.records) == list(range(1, 255))
        assert output.errors == []
        http_mocker.assert_number_of_calls(page_2, 2)

    @HttpMocker()
    def test_given_rows_of_a_read_page_updated_while_paging_by_position_when_read_then_shifted_rows_read(
        self, http_mocker: HttpMocker
    ) -> None:
        # 300 rows on one second. After page 1 (rows 1..250) is read, rows 1..3 are updated: they
        # leave the window and rows 251..253 move up onto page 1. Page 2 then holds 254..300 only.
        burst = START_TS + DAY
        page_1 = self.request(page=1)
        http_mocker.get(
            page_1,
            [
                page_of(self.stream, 250, cursor_value=burst),
                page_of(self.stream, 250, first_id=4, cursor_value=burst),
            ],
        )
        page_2 = self.request(page=2)
        http_mocker.get(page_2, page_of(self.stream, 47, first_id=254, cursor_value=burst, page=2))

        output = read(ConfigBuilder().build(), self.stream)

        ids = sorted(r.record.data["id"] for r in output.records)
        assert ids == list(range(1, 301))  # 251..253 came from the second reading of page 1, once
        assert output.errors == [] and error_logs(output) == []
        # reading 1 read ids 1..250 + 254..300, reading 2 ids 4..300: the same count, other ids, so
        # a third reading confirms 4..300 before the stretch counts as complete
        http_mocker.assert_number_of_calls(page_1, 3)
        http_mocker.assert_number_of_calls(page_2, 3)

    @HttpMocker()
    def test_given_204_after_a_full_page_when_read_then_rest_asked_from_the_last_rows_second(
        self, http_mocker: HttpMocker
    ) -> None:
        # The server stops at a page depth of 1: page 2 is a 204 however often it is asked. The
        # rest of the window comes from the last row's second, page 1, and no row is emitted twice.
        busy = START_TS + DAY
        page = response(self.stream).with_pagination()
        for n in range(250):
            page = page.with_record(
                record(self.stream).with_id(n + 1).with_cursor(busy - 1 if n < 100 else busy)
            )
        http_mocker.get(self.request(page=1), page.build())
        page_2 = self.request(page=2)
        http_mocker.get(page_2, no_content())
        rest = response(self.stream)
        for n in range(100, 253):
            rest = rest.with_record(
                record(self.stream).with_id(n + 1).with_cursor(busy if n < 250 else busy + 7)
            )
        restart = self.request(start=busy, page=1)
        http_mocker.get(restart, rest.build())

        output = read(ConfigBuilder().build(), self.stream)

        ids = [r.record.data["id"] for r in output.records]
        assert sorted(ids) == list(range(1, 254))
        assert output.errors == [] and error_logs(output) == []
        http_mocker.assert_number_of_calls(page_2, 2)  # the stretch's check reads it again, once
        http_mocker.assert_number_of_calls(restart, 1)

    @HttpMocker()
    def test_given_spurious_204_after_full_page_when_read_then_rest_read_once(
        self, http_mocker: HttpMocker
    ) -> None:
        busy = START_TS + DAY
        http_mocker.get(self.request(page=1), page_of(self.stream, 250, cursor_value=busy))
        page_2 = self.request(page=2)
        http_mocker.get(
            page_2,
            [no_content(), page_of(self.stream, 3, first_id=251, cursor_value=busy, page=2)],
        )

        output = read(ConfigBuilder().build(), self.stream)

        assert sorted(r.record.data["id"] for r in output.records) == list(range(1, 254))
        assert error_logs(output) == [] and output.errors == []

    @HttpMocker()
    def test_given_full_page_ending_past_the_window_when_read_then_window_done(
        self, http_mocker: HttpMocker
    ) -> None:
        page = response(self.stream).with_pagination()
        for n in range(249):
            page = page.with_record(record(self.stream).with_id(n + 1).with_cursor(START_TS + n))
        page = page.with_record(
            record(self.stream).with_id(999).with_cursor(NOW_TS + 1)
        )  # the widened end second
        http_mocker.get(self.request(page=1), page.build())

        output = read(ConfigBuilder().build(), self.stream)

        assert len(output.records) == 249  # and no further request (it would be unmocked)
