"""agents: GET /core/v1/agent, a plain array (no paging)."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import array, record
from unit_tests.helenacrm.utils import error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_plain_array_when_read_then_one_request_and_every_agent_with_departments(
        self, http_mocker: HttpMocker
    ) -> None:
        request = HelenaRequestBuilder.agents().build()
        http_mocker.get(
            request, array([record("agents", id="a-1"), record("agents", id="a-2", isOwner=True)])
        )

        output = read(ConfigBuilder().build(), "agents")

        assert [r.record.data["id"] for r in output.records] == ["a-1", "a-2"]
        first = output.records[0].record.data
        assert first["shortName"] and first["availability"] in ("AVAILABLE", "UNAVAILABLE")
        assert set(first["departments"][0]) == {
            "agentId",
            "userId",
            "departmentId",
            "isAgent",
            "isSupervisor",
        }
        http_mocker.assert_number_of_calls(request, 1)
        assert not error_logs(output)
