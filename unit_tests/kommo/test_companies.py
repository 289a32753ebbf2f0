"""companies: /api/v4/companies, incremental on updated_at, with linked leads and contacts."""

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

STREAM = "companies"


class TestCompaniesFullRefresh(EntityFullRefreshTests, TestCase):
    stream = STREAM
    embedded = "leads,contacts"

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.companies_endpoint()

    @HttpMocker()
    def test_given_company_when_read_then_linked_leads_and_contacts_at_top_level(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(self.request(), response(STREAM).with_record(record(STREAM)).build())

        data = read(ConfigBuilder().build(), STREAM).records[0].record.data

        assert data["leads"] == [{"id": 3637385}] and data["contacts"] == [{"id": 4000001}]
        assert data["tags"] == []


class TestCompaniesIncremental(EntityIncrementalTests, TestCase):
    stream = STREAM
    embedded = "leads,contacts"

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.companies_endpoint()


class TestCompaniesPaging(KeysetPagingTests, TestCase):
    stream = STREAM
    embedded = "leads,contacts"

    def endpoint(self) -> KommoRequestBuilder:
        return KommoRequestBuilder.companies_endpoint()
