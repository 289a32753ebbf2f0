"""One method per Conversas endpoint, building the exact request the connector must send."""

from __future__ import annotations

from airbyte_cdk.test.mock_http import HttpRequest

from unit_tests.rd_station_conversas.config import BASE_URL, V4_URL

CONTACTS_PAGE_SIZE = 100
REPORTS_PAGE_SIZE = 49
HISTORY_PAGE_SIZE = 100
ALL_MESSAGE_TYPES = "audio,contact,document,image,interactive,location,text,video"
ALL_CHANNELS = "email,instagram,megasac,messenger,telegram,whatsapp"  # the official node's channel options
ALL_SENDERS = "bot,customer,operator"


class ConversasRequestBuilder:
    """``ConversasRequestBuilder.reports().with_window("2025-06-01", "2025-08-31").with_page(2).build()``."""

    def __init__(self, base: str, path: str) -> None:
        self._url = f"{base}/{path}"
        self._params: dict[str, str] = {}

    # --- endpoints -----------------------------------------------------------------------------
    @classmethod
    def contacts(cls) -> ConversasRequestBuilder:
        return cls(BASE_URL, "customers").with_page(1).with_param("limit", str(CONTACTS_PAGE_SIZE))

    @classmethod
    def list_endpoint(cls, path: str) -> ConversasRequestBuilder:
        """custom-fields, employees, flows, workflows, wallets, template/all, whatsapp/integrations[/official]."""
        return cls(BASE_URL, path)

    @classmethod
    def reports(cls) -> ConversasRequestBuilder:
        return cls(V4_URL, "reports").with_page(1).with_param("limit", str(REPORTS_PAGE_SIZE))

    @classmethod
    def messages_history(cls, customer_id: str, start_date: str) -> ConversasRequestBuilder:
        builder = cls(BASE_URL, "messages/history").with_param("customer_id", customer_id)
        builder = builder.with_param("start_date", start_date).with_param("type", ALL_MESSAGE_TYPES)
        builder = builder.with_param("channel", ALL_CHANNELS).with_param("sent_by", ALL_SENDERS)
        return builder.with_param("limit", str(HISTORY_PAGE_SIZE))

    # --- parameters ----------------------------------------------------------------------------
    def with_param(self, name: str, value: str) -> ConversasRequestBuilder:
        self._params[name] = value
        return self

    def with_page(self, number: int) -> ConversasRequestBuilder:
        return self.with_param("page", str(number))

    def with_window(self, start_date: str, end_date: str) -> ConversasRequestBuilder:
        return self.with_param("start_date", start_date).with_param("end_date", end_date)

    def build(self) -> HttpRequest:
        return HttpRequest(url=self._url, query_params=self._params)
