"""departments: GET /core/v2/department (the list exists only in v2), a plain array."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import array, record
from unit_tests.helenacrm.utils import error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_v2_list_when_read_then_api_spelling_and_json_config_are_kept(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.departments().build(), array([record("departments")]))

        output = read(ConfigBuilder().build(), "departments")

        data = output.records[0].record.data
        assert "distribuitionEnabled" in data  # sic: the API's spelling is kept
        assert set(data["distributionConfig"]) == {
            "expirationIsEnabled",
            "maximumDurationInMinutes",
            "inactivityTimeInMinutes",
        }
        assert data["agents"] and data["channels"][0]["type"]
        assert not error_logs(output)
