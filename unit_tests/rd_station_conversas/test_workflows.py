"""workflows: /v2/workflows, no id; `stages` kept as a JSON array string like the reference."""

from __future__ import annotations

import json
from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "workflows"


class TestWorkflowsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_stages_and_wallet_variants_when_read_then_stages_is_json_string(
        self, http_mocker: HttpMocker
    ) -> None:
        with_stages = rb.record(STREAM, title="Funil", stages=["Novo", "Ganho"])
        with_wallet = {"company": "empresa-demo", "wallet": "Grandes Contas"}
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("workflows").build(),
            rb.wrapped("workflows", [with_stages, with_wallet]),
        )

        output = read(ConfigBuilder().build(), STREAM)

        first, second = records_of(output, STREAM)
        assert first["title"] == "Funil" and json.loads(first["stages"]) == ["Novo", "Ganho"]
        assert second["wallet"] == "Grandes Contas" and not second["stages"]
        assert error_logs(output) == []
