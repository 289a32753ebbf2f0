"""One builder per Kommo endpoint, producing the exact request the connector must send."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.test.mock_http import HttpRequest

from unit_tests.kommo.config import BASE_URL, TOKEN

PAGE_SIZE = 250
EVENTS_PAGE_SIZE = 100


class KommoRequestBuilder:
    @classmethod
    def leads_endpoint(cls) -> KommoRequestBuilder:
        return cls("leads")

    @classmethod
    def contacts_endpoint(cls) -> KommoRequestBuilder:
        return cls("contacts")

    @classmethod
    def companies_endpoint(cls) -> KommoRequestBuilder:
        return cls("companies")

    @classmethod
    def tasks_endpoint(cls) -> KommoRequestBuilder:
        return cls("tasks")

    @classmethod
    def events_endpoint(cls) -> KommoRequestBuilder:
        return cls("events")

    @classmethod
    def notes_endpoint(cls, entity_type: str) -> KommoRequestBuilder:
        return cls(f"{entity_type}/notes")

    @classmethod
    def pipelines_endpoint(cls) -> KommoRequestBuilder:
        return cls("leads/pipelines")

    @classmethod
    def users_endpoint(cls) -> KommoRequestBuilder:
        return cls("users")

    @classmethod
    def custom_fields_endpoint(cls, entity_type: str) -> KommoRequestBuilder:
        return cls(f"{entity_type}/custom_fields")

    @classmethod
    def tags_endpoint(cls, entity_type: str) -> KommoRequestBuilder:
        return cls(f"{entity_type}/tags")

    @classmethod
    def loss_reasons_endpoint(cls) -> KommoRequestBuilder:
        return cls("leads/loss_reasons")

    def __init__(self, resource: str, base_url: str = BASE_URL) -> None:
        self._url = f"{base_url}/{resource}"
        self._params: dict[str, Any] = {}

    def with_page(self, page: int, limit: int = PAGE_SIZE) -> KommoRequestBuilder:
        self._params["page"] = str(page)
        self._params["limit"] = str(limit)
        return self

    def with_window(self, cursor: str, start: int, end: int) -> KommoRequestBuilder:
        """The window [start, end] widened by one second on both sides (bounds' inclusivity is unknown)."""
        self._params[f"filter[{cursor}][from]"] = str(start - 1)
        self._params[f"filter[{cursor}][to]"] = str(end + 1)
        return self

    def with_order_by_updated_at(self) -> KommoRequestBuilder:
        self._params["order[updated_at]"] = "asc"
        return self

    def with_embedded(self, value: str) -> KommoRequestBuilder:
        self._params["with"] = value
        return self

    def build(self) -> HttpRequest:
        return HttpRequest(
            url=self._url,
            query_params=self._params or None,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
