"""wallets: /v2/wallets answers plain strings, {"wallets": ["name", ...]}: each becomes {"name": ...}."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "wallets"


class TestWalletsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_plain_strings_when_read_then_name_records(self, http_mocker: HttpMocker) -> None:
        names = rb.template(STREAM)["wallets"] + ["Grandes Contas"]
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("wallets").build(), rb.wrapped("wallets", names)
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert records_of(output, STREAM) == [{"name": "Carteira Sul"}, {"name": "Grandes Contas"}]
        assert error_logs(output) == []
