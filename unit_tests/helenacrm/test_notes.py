"""session_notes: GET /chat/v1/session/{id}/note (read for the sessions `messages` visits) and
card_notes: GET /crm/v1/panel/card/{cardId}/note (read for the cards updated since the last sync)."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read


class TestSessionNotes(TestCase):
    @HttpMocker()
    def test_given_a_session_with_a_new_interaction_when_read_then_its_notes_come(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.interacted_sessions(WINDOW_START, WINDOW_END).build(),
            page("sessions", [record("sessions", id="s-1", lastInteractionDate="2026-01-07T09:00:00.000Z")]),
        )
        http_mocker.get(
            HelenaRequestBuilder.session_notes("s-1").with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(
                "session_notes",
                [record("session_notes", id="n-1", sessionId="s-1", updatedAt="2026-01-07T08:00:00.000Z")],
            ),
        )

        output = read(ConfigBuilder().build(), "session_notes", SyncMode.incremental)

        assert [r.record.data["text"] for r in output.records] == [record("session_notes")["text"]]
        state = last_state(output)
        assert state["parent_state"] == {
            "interacted_sessions": {"lastInteractionDate": "2026-01-07T09:00:00.000000+0000"}
        }
        assert not error_logs(output)


class TestCardNotes(TestCase):
    @HttpMocker()
    def test_given_cards_of_a_panel_when_read_then_notes_are_asked_per_card(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.panels().build(), page("panels", [record("panels", id="p-1")]))
        http_mocker.get(
            HelenaRequestBuilder.cards("p-1").with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(
                "cards",
                [
                    record("cards", id=c, panelId="p-1", updatedAt="2026-01-05T00:00:00.000Z")
                    for c in ("c-1", "c-2")
                ],
            ),
        )
        for card, count in (("c-1", 2), ("c-2", 0)):
            http_mocker.get(
                HelenaRequestBuilder.card_notes(card).with_updated_window(WINDOW_START, WINDOW_END).build(),
                page(
                    "card_notes", [record("card_notes", id=f"{card}-n{n}", cardId=card) for n in range(count)]
                ),
            )

        output = read(ConfigBuilder().build(), "card_notes", SyncMode.incremental)

        assert sorted(r.record.data["id"] for r in output.records) == ["c-1-n0", "c-1-n1"]
        assert "cards" in last_state(output)["parent_state"]
        assert not error_logs(output)
