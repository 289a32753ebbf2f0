"""panels: GET /crm/v2/panel with steps, tags, step card counts and overdue counts (IncludeDetails), paged."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_steps_requested_when_read_then_panels_carry_their_steps(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.panels().build(), page("panels", [record("panels")]))

        output = read(ConfigBuilder().build(), "panels")

        data = output.records[0].record.data
        assert [s["title"] for s in data["steps"]] == data["stepTitles"]
        assert data["tags"][0]["bgColor"].startswith("#")
        assert not error_logs(output)

    @HttpMocker()
    def test_given_step_card_counts_requested_when_read_then_steps_and_panel_carry_their_counts(
        self, http_mocker: HttpMocker
    ) -> None:
        # the request asks StepsCardCount and PanelCardOverdueCount (see the request builder)
        http_mocker.get(HelenaRequestBuilder.panels().build(), page("panels", [record("panels")]))

        data = read(ConfigBuilder().build(), "panels").records[0].record.data

        assert all(isinstance(s["cardCount"], int) and s["monetaryAmount"] is not None for s in data["steps"])
        assert isinstance(data["overdueCardCount"], int)

    @HttpMocker()
    def test_given_two_pages_when_read_then_second_page_is_requested(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            HelenaRequestBuilder.panels().build(), page("panels", [record("panels")], has_more=True)
        )
        http_mocker.get(
            HelenaRequestBuilder.panels().with_page(2).build(),
            page("panels", [record("panels", id="p-2")], page_number=2),
        )

        output = read(ConfigBuilder().build(), "panels")

        assert len(output.records) == 2
