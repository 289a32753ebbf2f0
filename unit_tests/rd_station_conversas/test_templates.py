"""templates: /v2/template/all (/v2/templates is a 404), {"templates": [...]}."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "templates"


class TestTemplatesFullRefresh(TestCase):
    @HttpMocker()
    def test_given_templates_when_read_then_reference_fields_present(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("template/all").build(),
            rb.wrapped("templates", [rb.record(STREAM)]),
        )

        output = read(ConfigBuilder().build(), STREAM)

        [record] = records_of(output, STREAM)
        assert {"id", "title", "channel", "content", "content_media"} <= record.keys()
        assert error_logs(output) == []
