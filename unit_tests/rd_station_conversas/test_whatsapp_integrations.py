"""whatsapp_integrations: bare array; the whole item is kept as JSON in `data`, plus its id."""

from __future__ import annotations

import json
from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "whatsapp_integrations"


class TestWhatsappIntegrationsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_items_when_read_then_data_holds_the_whole_item_as_json(
        self, http_mocker: HttpMocker
    ) -> None:
        item = rb.record(STREAM)
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("whatsapp/integrations").build(), rb.array([item])
        )

        output = read(ConfigBuilder().build(), STREAM)

        [record] = records_of(output, STREAM)
        assert set(record) == {"id", "data"}
        assert record["id"] == item["_id"]
        assert json.loads(record["data"]) == item
        assert error_logs(output) == []
