"""custom_fields: GET /core/v1/custom-field once per EntityType (CONTACT, PANEL), flat list."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import array, record
from unit_tests.helenacrm.utils import error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_contact_and_panel_fields_when_read_then_both_entity_types_are_requested(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.custom_fields("CONTACT").build(), array([record("custom_fields")])
        )
        panel_field = record("custom_fields", id="cf-panel", entityType="PANEL", type="FLOAT", options=[])
        http_mocker.get(HelenaRequestBuilder.custom_fields("PANEL").build(), array([panel_field]))

        output = read(ConfigBuilder().build(), "custom_fields")

        by_entity = {r.record.data["entityType"]: r.record.data for r in output.records}
        assert set(by_entity) == {"CONTACT", "PANEL"}
        assert by_entity["CONTACT"]["type"] == "SINGLESELECT"
        assert [o["name"] for o in by_entity["CONTACT"]["options"]] == [
            "Varejo",
            "Indústria",
            "Serviços",
            "Saúde",
        ]
        assert not error_logs(output)
