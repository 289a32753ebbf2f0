"""lost_reasons: GET /crm/v1/panel/{id}/lost-reason, per panel of type SALES (the path takes "ID do
painel do tipo Vendas"), each panel with its own updatedAt position."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, read

STREAM = "lost_reasons"


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_a_sales_and_a_management_panel_when_read_then_only_the_sales_panel_is_asked(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.sales_panels().build(),
            page(
                "panels",
                [
                    record("panels", id="p-sales", type="SALES"),
                    record("panels", id="p-mgmt", type="MANAGEMENT"),
                ],
            ),
        )
        sales = (
            HelenaRequestBuilder.lost_reasons("p-sales").with_updated_window(WINDOW_START, WINDOW_END).build()
        )
        http_mocker.get(
            sales, page(STREAM, [record(STREAM, id="r-1", panelId="p-sales", description="Preço")])
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert [r.record.data["description"] for r in output.records] == ["Preço"]
        http_mocker.assert_number_of_calls(
            sales, 1
        )  # p-mgmt is never asked (HttpMocker fails unmatched calls)
        assert not error_logs(output)
