"""contacts: /api/v4/contacts, incremental on updated_at, with linked leads."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.entity_stream_tests import (
    EntityFullRefreshTests,
    EntityIncrementalTests,
    KeysetPagingTests,
)
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import read

STREAM = "contacts"


class TestContactsFullRefresh(EntityFullRefreshTests, TestCase):
    stream = STREAM
    embedded = "leads"

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.contacts_endpoint()

    @HttpMocker()
    def test_given_contact_when_read_then_phone_custom_field_tags_and_leads_kept_as_json(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(self.request(), response(STREAM).with_record(record(STREAM)).build())

        data = read(ConfigBuilder().build(), STREAM).records[0].record.data

        phone = data["custom_fields_values"][0]
        assert (phone["field_code"], phone["values"][0]["value"]) == ("PHONE", "+5511912345678")
        assert data["tags"][0]["name"] == "decision-maker"
        assert data["leads"] == [{"id": 3637385}]
        assert (data["first_name"], data["last_name"]) == ("Ana", "Silva")


class TestContactsIncremental(EntityIncrementalTests, TestCase):
    stream = STREAM
    embedded = "leads"

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.contacts_endpoint()


class TestContactsPaging(KeysetPagingTests, TestCase):
    stream = STREAM
    embedded = "leads"

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.contacts_endpoint()
