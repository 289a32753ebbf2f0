"""custom_fields: definitions of /api/v4/{leads,contacts,companies}/custom_fields in one stream."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, record, response
from unit_tests.kommo.utils import read

STREAM = "custom_fields"


class TestCustomFieldsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_fields_per_entity_when_read_then_entity_type_set_and_enums_kept(
        self, http_mocker: HttpMocker
    ) -> None:
        for n, entity in enumerate(("leads", "contacts")):
            http_mocker.get(
                KommoRequestBuilder.custom_fields_endpoint(entity).with_page(1).build(),
                response(STREAM).with_record(record(STREAM, cursor=None).with_id(10 + n)).build(),
            )
        http_mocker.get(
            KommoRequestBuilder.custom_fields_endpoint("companies").with_page(1).build(), no_content()
        )

        output = read(ConfigBuilder().build(), STREAM)

        rows = sorted((r.record.data["entity_type"], r.record.data["id"]) for r in output.records)
        assert rows == [("contacts", 11), ("leads", 10)]
        assert output.records[0].record.data["enums"][0] == {"id": 497443, "value": "frontend", "sort": 1}
