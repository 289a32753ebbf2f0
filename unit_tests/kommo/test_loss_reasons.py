"""loss_reasons: /api/v4/leads/loss_reasons."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import read

STREAM = "loss_reasons"


class TestLossReasonsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_loss_reasons_when_read_then_records_without_links(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            KommoRequestBuilder.loss_reasons_endpoint().with_page(1).build(),
            response(STREAM).with_record(record(STREAM, cursor=None)).build(),
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert [r.record.data for r in output.records] == [
            {
                "id": 9001,
                "name": "Price too high",
                "sort": 10,
                "created_at": 1716469616,
                "updated_at": 1716469616,
            }
        ]
