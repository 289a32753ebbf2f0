"""tags: GET /core/v1/tag, a plain array in either colour shape."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import raw
from unit_tests.helenacrm.utils import CONNECTOR, error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_palette_and_hex_colour_shapes_when_read_then_both_tags_keep_their_colours(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.tags().build(), raw("tags")
        )  # one `color`, one `bgColor`/`textColor`

        output = read(ConfigBuilder().build(), "tags")

        palette, classic = (r.record.data for r in output.records)
        assert palette["color"] == "BLUE_300"
        assert (classic["bgColor"], classic["textColor"]) == ("#FDD835", "#212121")
        assert not error_logs(output)

    def test_given_schema_when_discovered_then_both_colour_shapes_are_declared(self) -> None:
        properties = CONNECTOR.manifest["schemas"]["tags"]["properties"]

        assert {"color", "bgColor", "textColor"} <= set(properties)
