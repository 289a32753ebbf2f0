"""users: /api/v4/users; needs an admin token, so a 403 skips the stream instead of failing the sync."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import no_content, problem, record, response
from unit_tests.kommo.utils import error_logs, read

STREAM = "users"


def _request(page: int = 1):
    return KommoRequestBuilder.users_endpoint().with_page(page).build()


class TestUsersFullRefresh(TestCase):
    @HttpMocker()
    def test_given_users_when_read_then_rights_kept_as_object(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(_request(), response(STREAM).with_record(record(STREAM, cursor=None)).build())

        output = read(ConfigBuilder().build(), STREAM)

        data = output.records[0].record.data
        assert data["rights"]["is_admin"] is True and data["rights"]["leads"]["view"] == "A"
        assert (data["email"], data["lang"]) == ("ana@example.com", "en")

    @HttpMocker()
    def test_given_token_without_admin_rights_when_read_then_stream_skipped_without_error(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(_request(), problem(403, "Access denied"))

        output = read(ConfigBuilder().build(), STREAM)

        assert output.records == []
        assert output.errors == [] and error_logs(output) == []
        assert output.is_in_logs("Skipping stream users: Kommo answered 403")

    @HttpMocker()
    def test_given_no_users_when_read_then_204_ends_quietly(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(_request(), no_content())

        output = read(ConfigBuilder().build(), STREAM)

        assert output.records == [] and error_logs(output) == []
