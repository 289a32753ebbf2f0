"""tasks: /api/v4/tasks, incremental on updated_at; the API can't order tasks by updated_at."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.entity_stream_tests import (
    EntityFullRefreshTests,
    EntityIncrementalTests,
    WindowPagingTests,
)
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import read

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
