"""channels: GET /chat/v1/channel?ChannelType=All, a plain array."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import array, record
from unit_tests.helenacrm.utils import error_logs, read


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_whatsapp_and_instagram_channels_when_read_then_all_types_with_identity(
        self, http_mocker: HttpMocker
    ) -> None:
        instagram = record("channels", id="ch-2", type="Instagram", number=None, numberFormatted=None)
        http_mocker.get(HelenaRequestBuilder.channels().build(), array([record("channels"), instagram]))

        output = read(ConfigBuilder().build(), "channels")

        assert [r.record.data["type"] for r in output.records] == ["CloudAPI_WhatsApp", "Instagram"]
        assert output.records[0].record.data["identity"]["platform"] == "whatsapp"
        assert not error_logs(output)
