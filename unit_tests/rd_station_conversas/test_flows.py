"""flows: /v2/flows, {"flows": [{"id", "title", ...}]}."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "flows"


class TestFlowsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_flows_when_read_then_id_and_title(self, http_mocker: HttpMocker) -> None:
        flows = [rb.record(STREAM, id="f1", title="Boas-vindas"), rb.record(STREAM, id="f2", title="NPS")]
        http_mocker.get(ConversasRequestBuilder.list_endpoint("flows").build(), rb.wrapped("flows", flows))

        output = read(ConfigBuilder().build(), STREAM)

        assert [(r["id"], r["title"]) for r in records_of(output, STREAM)] == [
            ("f1", "Boas-vindas"),
            ("f2", "NPS"),
        ]
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_403_when_read_then_config_error_naming_the_stream(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(ConversasRequestBuilder.list_endpoint("flows").build(), rb.error(403))

        output = read(ConfigBuilder().build(), STREAM, expecting_exception=True)

        error = output.errors[0].trace.error
        assert error.failure_type.value == "config_error"
        assert "denied access to flows (HTTP 403)" in error.message
