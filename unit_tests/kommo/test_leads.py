"""leads: /api/v4/leads, incremental on updated_at, with linked contacts and robot/source fields."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.mock_http.response_builder import FieldPath

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.entity_stream_tests import (
    EntityFullRefreshTests,
    EntityIncrementalTests,
    KeysetPagingTests,
)
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import CONNECTOR, read

STREAM = "leads"
EMBEDDED = "contacts,source_id,is_price_modified_by_robot"


class TestLeadsFullRefresh(EntityFullRefreshTests, TestCase):
    stream = STREAM
    embedded = EMBEDDED

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.leads_endpoint()

    @HttpMocker()
    def test_given_lead_with_cents_when_read_then_price_with_minor_units_is_a_number(
        self, http_mocker: HttpMocker
    ) -> None:
        # Kommo only: `price` is truncated to an integer, the cents are in price_with_minor_units.
        lead = (
            record(STREAM)
            .with_field(FieldPath("price"), 300)
            .with_field(FieldPath("price_with_minor_units"), 300.99)
        )
        http_mocker.get(self.request(), response(STREAM).with_record(lead).build())

        output = read(ConfigBuilder().build(), STREAM)

        data = output.records[0].record.data
        assert (data["price"], data["price_with_minor_units"]) == (300, 300.99)
        schema = CONNECTOR.discover(ConfigBuilder().build()).catalog.catalog.streams
        leads = next(s for s in schema if s.name == STREAM).json_schema["properties"]
        assert leads["price_with_minor_units"]["type"] == ["number", "null"]

    @HttpMocker()
    def test_given_lead_when_read_then_tags_contacts_and_extra_fields_at_top_level(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(self.request(), response(STREAM).with_record(record(STREAM)).build())

        data = read(ConfigBuilder().build(), STREAM).records[0].record.data

        assert data["tags"] == [{"id": 50001, "name": "hot", "color": None}]
        assert [c["id"] for c in data["contacts"]] == [4000001] and data["contacts"][0]["is_main"] is True
        assert data["companies"][0]["id"] == 5000001
        assert data["source_id"] == 12001 and data["is_price_modified_by_robot"] is False
        assert data["custom_fields_values"][0]["values"][0]["enum_id"] == 497443  # native JSON, not a string


class TestLeadsIncremental(EntityIncrementalTests, TestCase):
    stream = STREAM
    embedded = EMBEDDED

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.leads_endpoint()


class TestLeadsPaging(KeysetPagingTests, TestCase):
    stream = STREAM
    embedded = EMBEDDED

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.leads_endpoint()
