"""office_hours: GET /core/v1/company/officehours answers ONE object without an id."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import raw
from unit_tests.helenacrm.utils import error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_single_object_when_read_then_one_record_with_a_stable_key(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.office_hours().build(), raw("office_hours"))

        output = read(ConfigBuilder().build(), "office_hours")

        assert len(output.records) == 1
        data = output.records[0].record.data
        assert data["id"] == "company"
        assert data["timezoneDiff"] == -3.0 and len(data["days"]) == 7
        assert data["days"][1]["periods"][0] == {"startTime": "08:00", "endTime": "12:00"}
        assert not error_logs(output)
