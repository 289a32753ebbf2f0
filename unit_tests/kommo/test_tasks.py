"""tasks: /api/v4/tasks, incremental on updated_at; the API can't order tasks by updated_at."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.mock_http.response_builder import FieldPath

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.entity_stream_tests import (
    EntityFullRefreshTests,
    EntityIncrementalTests,
    WindowPagingTests,
)
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, page_of, record, response
from unit_tests.kommo.utils import DAY, NOW_TS, START_TS, error_logs, read

STREAM = "tasks"


class TestTasksFullRefresh(EntityFullRefreshTests, TestCase):
    stream = STREAM
    ordered = False  # order[updated_at] would be a 400; the mocked request has no order parameter

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.tasks_endpoint()

    @HttpMocker()
    def test_given_completed_task_when_read_then_result_is_an_object(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(self.request(), response(STREAM).with_record(record(STREAM)).build())

        data = read(ConfigBuilder().build(), STREAM).records[0].record.data

        assert data["result"] == {"text": "Client asked for a discount"}
        assert (data["entity_type"], data["entity_id"], data["is_completed"]) == ("leads", 180765, True)

    @HttpMocker()
    def test_given_open_task_with_php_empty_result_when_read_then_result_is_an_empty_object(
        self, http_mocker: HttpMocker
    ) -> None:
        # PHP serialises an empty object as []: a typed destination would null it with an error.
        http_mocker.get(
            self.request(),
            response(STREAM).with_record(record(STREAM).with_field(FieldPath("result"), [])).build(),
        )

        data = read(ConfigBuilder().build(), STREAM).records[0].record.data

        assert data["result"] == {}

    @HttpMocker()
    def test_given_204_after_full_page_when_read_then_window_split_and_both_halves_read(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(self.request(page=1), page_of(STREAM, 250, cursor_value=START_TS + DAY))
        page_2 = self.request(page=2)
        http_mocker.get(page_2, no_content())
        middle = START_TS + (NOW_TS - START_TS + 1) // 2
        http_mocker.get(self.request(end=middle - 1), page_of(STREAM, 200, cursor_value=START_TS + DAY))
        http_mocker.get(
            self.request(start=middle), page_of(STREAM, 60, first_id=251, cursor_value=middle + 9)
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r.record.data["id"] for r in output.records) == list(range(1, 311))  # each once
        assert output.errors == [] and error_logs(output) == []
        http_mocker.assert_number_of_calls(page_2, 1)


class TestTasksIncremental(EntityIncrementalTests, TestCase):
    stream = STREAM
    ordered = False

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.tasks_endpoint()


class TestTasksPaging(WindowPagingTests, TestCase):
    stream = STREAM
    ordered = False  # unordered: paging stays by position

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.tasks_endpoint()
