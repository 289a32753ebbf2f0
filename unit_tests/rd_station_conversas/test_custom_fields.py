"""custom_fields: /v2/custom-fields, enabled for selected accounts only (403/404 elsewhere)."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, logs_at, read, records_of

STREAM = "custom_fields"


class TestCustomFieldsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_fields_when_read_then_reference_fields_present(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("custom-fields").build(), rb.array([rb.record(STREAM)])
        )

        output = read(ConfigBuilder().build(), STREAM)

        [record] = records_of(output, STREAM)
        assert {"id", "key", "label", "info"} <= record.keys()
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_403_when_read_with_flows_then_stream_skipped_with_one_warning_and_sync_succeeds(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.list_endpoint("custom-fields").build(), rb.error(403))
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("flows").build(), rb.wrapped("flows", [rb.record("flows")])
        )

        output = read(ConfigBuilder().build(), [STREAM, "flows"])

        assert records_of(output, STREAM) == []
        assert len(records_of(output, "flows")) == 1
        warnings = [w for w in logs_at(output, "WARN") if "custom_fields is not available" in w]
        assert len(warnings) == 1 and "HTTP 403" in warnings[0]
        assert output.errors == [] and error_logs(output) == []

    @HttpMocker()
    def test_given_404_when_read_then_stream_skipped_without_errors(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("custom-fields").build(), HttpResponse("{}", 404)
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert records_of(output, STREAM) == []
        assert output.errors == []
