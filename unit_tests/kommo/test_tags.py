"""tags: tag definitions of /api/v4/{leads,contacts,companies}/tags in one stream."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, page_of, record, response
from unit_tests.kommo.utils import error_logs, read

STREAM = "tags"


class TestTagsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_tags_of_each_entity_when_read_then_keyed_by_entity_type_and_id(
        self, http_mocker: HttpMocker
    ) -> None:
        # The same tag id under two entity types is two records: the primary key is (entity_type, id).
        for entity in ("leads", "contacts", "companies"):
            http_mocker.get(
                KommoRequestBuilder.tags_endpoint(entity).with_page(1).build(),
                response(STREAM).with_record(record(STREAM, cursor=None).with_id(7)).build(),
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r.record.data["entity_type"] for r in output.records) == [
            "companies",
            "contacts",
            "leads",
        ]
        assert {r.record.data["id"] for r in output.records} == {7}

    @HttpMocker()
    def test_given_full_page_then_204_when_read_then_paged_to_the_end(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(KommoRequestBuilder.tags_endpoint("leads").with_page(1).build(), page_of(STREAM, 250))
        # A 204 after a full page is asked for once more before it counts as the end.
        http_mocker.get(
            KommoRequestBuilder.tags_endpoint("leads").with_page(2).build(), [no_content(), no_content()]
        )
        http_mocker.get(KommoRequestBuilder.tags_endpoint("contacts").with_page(1).build(), no_content())
        http_mocker.get(KommoRequestBuilder.tags_endpoint("companies").with_page(1).build(), no_content())

        output = read(ConfigBuilder().build(), STREAM)

        assert len(output.records) == 250 and error_logs(output) == []
