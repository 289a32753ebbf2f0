"""pipelines and pipeline_statuses: both from /api/v4/leads/pipelines (statuses are embedded)."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import read


def _pipelines_response():
    return response("pipelines").with_record(record("pipelines", cursor=None)).build()


class TestPipelinesFullRefresh(TestCase):
    @HttpMocker()
    def test_given_pipeline_when_read_then_one_unpaged_request_and_statuses_not_embedded(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(KommoRequestBuilder.pipelines_endpoint().build(), _pipelines_response())

        output = read(ConfigBuilder().build(), "pipelines")

        assert len(output.records) == 1
        data = output.records[0].record.data
        assert (data["id"], data["is_main"], data["is_archive"]) == (6950551, True, False)
        assert "_embedded" not in data


class TestPipelineStatusesFullRefresh(TestCase):
    @HttpMocker()
    def test_given_pipeline_with_embedded_statuses_when_read_then_statuses_from_one_request(
        self, http_mocker: HttpMocker
    ) -> None:
        # Only /leads/pipelines is mocked: a call per pipeline (/statuses) would fail the test.
        http_mocker.get(KommoRequestBuilder.pipelines_endpoint().build(), _pipelines_response())

        output = read(ConfigBuilder().build(), "pipeline_statuses")

        statuses = [(r.record.data["pipeline_id"], r.record.data["id"]) for r in output.records]
        assert statuses == [(6950551, 58141803), (6950551, 142), (6950551, 143)]
        assert all("_links" not in r.record.data for r in output.records)
