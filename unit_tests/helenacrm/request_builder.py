"""One method per HelenaCRM endpoint, building the exact request the connector must send."""

from __future__ import annotations

from airbyte_cdk.test.mock_http import HttpRequest

from unit_tests.helenacrm.config import BASE_URL

PAGE_SIZE = "100"
CONTACT_DETAILS = ["Tags", "CustomFields", "Portfolios"]
CARD_DETAILS = [
    "PanelTitle",
    "StepTitle",
    "StepPhase",
    "ResponsibleUser",
    "Contacts",
    "CustomFields",
    "LostReason",
]
CARD_STATUSES = ["OPEN", "WON", "LOST", "ARCHIVED"]
PANEL_DETAILS = ["Steps", "Tags", "StepsCardCount", "PanelCardOverdueCount"]
SCHEDULED_DETAILS = ["Contact", "Channel", "User", "Department", "Template", "Chatbot"]
SCHEDULED_STATUSES = ["SCHEDULED", "PROCESSED", "SENT", "DELIVERED", "READ", "CANCELED", "FAILED"]
SESSION_STATUSES = ["UNDEFINED", "STARTED", "PENDING", "IN_PROGRESS", "COMPLETED", "HIDDEN"]
SESSION_DETAILS = [
    "AgentDetails",
    "DepartmentsDetails",
    "ContactDetails",
    "ChannelTypeDetails",
    "ClassificationDetails",
    "ChannelDetails",
]


class HelenaRequestBuilder:
    """``HelenaRequestBuilder.contacts().with_status("ACTIVE").with_updated_window(a, b).build()``."""

    def __init__(self, path: str, paged: bool = True) -> None:
        self._path = path
        self._params: dict[str, str | list[str]] = {"PageSize": PAGE_SIZE} if paged else {}

    # --- endpoints -----------------------------------------------------------------------------
    @classmethod
    def agents(cls) -> HelenaRequestBuilder:
        return cls("/core/v1/agent", paged=False)

    @classmethod
    def channels(cls) -> HelenaRequestBuilder:
        return cls("/chat/v1/channel", paged=False).with_param("ChannelType", "All")

    @classmethod
    def custom_fields(cls, entity_type: str) -> HelenaRequestBuilder:
        builder = cls("/core/v1/custom-field", paged=False)
        return builder.with_param("NestedList", "false").with_param("EntityType", entity_type)

    @classmethod
    def departments(cls) -> HelenaRequestBuilder:
        return cls("/core/v2/department", paged=False)

    @classmethod
    def office_hours(cls) -> HelenaRequestBuilder:
        return cls("/core/v1/company/officehours", paged=False)

    @classmethod
    def tags(cls) -> HelenaRequestBuilder:
        return cls("/core/v1/tag", paged=False)

    @classmethod
    def panels(cls) -> HelenaRequestBuilder:
        return cls("/crm/v2/panel").with_param("IncludeDetails", PANEL_DETAILS)

    @classmethod
    def contacts(cls, status: str) -> HelenaRequestBuilder:
        """Ordered by updatedAt (the paging does not rely on it)."""
        builder = (
            cls("/core/v1/contact").with_param("Status", status).with_param("IncludeDetails", CONTACT_DETAILS)
        )
        return builder.with_param("OrderBy", "UpdatedAt").with_param("OrderDirection", "ASCENDING")

    @classmethod
    def portfolios(cls) -> HelenaRequestBuilder:
        return cls("/core/v1/portfolio").with_param("IncludeDetails", ["Departments", "ContactCount"])

    @classmethod
    def templates(cls, archived: str) -> HelenaRequestBuilder:
        """``archived`` is "false" or "true": each value is its own partition."""
        return (
            cls("/chat/v1/template").with_param("IncludeDetails", "Params").with_param("Archived", archived)
        )

    @classmethod
    def sessions(cls) -> HelenaRequestBuilder:
        builder = cls("/chat/v2/session").with_param("Status", SESSION_STATUSES)
        return builder.with_param("IncludeDetails", SESSION_DETAILS)

    @classmethod
    def interacted_sessions(cls, after: str, before: str) -> HelenaRequestBuilder:
        """The messages' parent: sessions with an interaction in [after, before], ids only."""
        builder = cls("/chat/v2/session").with_param("Status", SESSION_STATUSES)
        return builder.with_param("LastInteractionAt.After", after).with_param(
            "LastInteractionAt.Before", before
        )

    @classmethod
    def messages(cls, session_id: str) -> HelenaRequestBuilder:
        return cls("/chat/v1/message").with_param("SessionId", session_id)

    @classmethod
    def cards(cls, panel_id: str) -> HelenaRequestBuilder:
        builder = cls("/crm/v2/panel/card").with_param("PanelId", panel_id)
        return builder.with_param("Statuses", CARD_STATUSES).with_param("IncludeDetails", CARD_DETAILS)

    @classmethod
    def chatbots(cls) -> HelenaRequestBuilder:
        return cls("/chat/v1/chatbot")

    @classmethod
    def sequences(cls) -> HelenaRequestBuilder:
        return cls("/chat/v1/sequence").with_param("IncludeDetails", "ContactExecutingCount")

    @classmethod
    def sequence_contacts(cls, sequence_id: str) -> HelenaRequestBuilder:
        return cls(f"/chat/v2/sequence/{sequence_id}/contact").with_param("IncludeDetails", "ContactDetails")

    @classmethod
    def scheduled_messages(cls, status: str) -> HelenaRequestBuilder:
        """``status`` is one of the seven: each is its own partition."""
        builder = cls("/chat/v1/scheduled-message").with_param("IncludeDetails", SCHEDULED_DETAILS)
        return builder.with_param("Status", status)

    @classmethod
    def sales_panels(cls) -> HelenaRequestBuilder:
        """The parent of lost_reasons: panels without details, filtered to SALES by the connector."""
        return cls("/crm/v2/panel")

    @classmethod
    def lost_reasons(cls, panel_id: str) -> HelenaRequestBuilder:
        return cls(f"/crm/v1/panel/{panel_id}/lost-reason")

    @classmethod
    def session_notes(cls, session_id: str) -> HelenaRequestBuilder:
        return cls(f"/chat/v1/session/{session_id}/note")

    @classmethod
    def card_notes(cls, card_id: str) -> HelenaRequestBuilder:
        return cls(f"/crm/v1/panel/card/{card_id}/note")

    # --- parameters ----------------------------------------------------------------------------
    def with_param(self, name: str, value: str | list[str]) -> HelenaRequestBuilder:
        self._params[name] = value
        return self

    def with_page(self, number: int) -> HelenaRequestBuilder:
        """Page 1 is the API's default and is not sent; later pages carry PageNumber."""
        if number > 1:
            self._params["PageNumber"] = str(number)
        return self

    def with_updated_after(self, instant: str) -> HelenaRequestBuilder:
        return self.with_param("UpdatedAt.After", instant)

    def with_updated_window(self, after: str, before: str) -> HelenaRequestBuilder:
        return self.with_param("UpdatedAt.After", after).with_param("UpdatedAt.Before", before)

    def build(self) -> HttpRequest:
        return HttpRequest(url=f"{BASE_URL}{self._path}", query_params=self._params)
