"""whatsapp_official_integrations: bare array of {"key", "label", ...}."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "whatsapp_official_integrations"


class TestWhatsappOfficialIntegrationsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_items_when_read_then_key_and_label(self, http_mocker: HttpMocker) -> None:
        items = [
            rb.record(STREAM, key="k1", label="WABA Vendas"),
            rb.record(STREAM, key="k2", label="WABA Suporte"),
        ]
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("whatsapp/integrations/official").build(), rb.array(items)
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert [(r["key"], r["label"]) for r in records_of(output, STREAM)] == [
            ("k1", "WABA Vendas"),
            ("k2", "WABA Suporte"),
        ]
        assert error_logs(output) == []
