"""messages: GET /chat/v1/message?SessionId=, a child of the sessions with an interaction since the
last sync (GET /chat/v2/session?LastInteractionAt.*), incremental through that parent."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "messages"
PARENT = "interacted_sessions"


def session(session_id: str, last_interaction: str, updated_at: str = "2025-06-01T00:00:00.000Z") -> dict:
    """A session whose updatedAt stays old while its last interaction (a new message) is recent."""
    return record("sessions", id=session_id, updatedAt=updated_at, lastInteractionDate=last_interaction)


def message(message_id: str, session_id: str, updated_at: str) -> dict:
    return record(STREAM, id=message_id, sessionId=session_id, updatedAt=updated_at)


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_two_sessions_when_read_then_messages_are_requested_per_session_id(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.interacted_sessions(WINDOW_START, WINDOW_END).build(),
            page(
                "sessions",
                [session("s-1", "2026-01-05T10:00:00.000Z"), session("s-2", "2026-01-06T10:00:00.000Z")],
            ),
        )
        for sid, count in (("s-1", 2), ("s-2", 1)):
            http_mocker.get(
                HelenaRequestBuilder.messages(sid).with_updated_window(WINDOW_START, WINDOW_END).build(),
                page(STREAM, [message(f"{sid}-m{n}", sid, "2026-01-05T10:00:00.000Z") for n in range(count)]),
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r.record.data["id"] for r in output.records) == ["s-1-m0", "s-1-m1", "s-2-m0"]
        assert not error_logs(output)


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_state_keeps_the_last_interaction_as_parent_state(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            HelenaRequestBuilder.interacted_sessions(WINDOW_START, WINDOW_END).build(),
            page("sessions", [session("s-1", "2026-01-07T09:00:00.000Z")]),
        )
        http_mocker.get(
            HelenaRequestBuilder.messages("s-1").with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(STREAM, [message("m-1", "s-1", "2026-01-07T08:59:00.000Z")]),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        state = last_state(output)
        assert state["parent_state"] == {PARENT: {"lastInteractionDate": "2026-01-07T09:00:00.000000+0000"}}
        assert state["state"] == {"updatedAt": "2026-01-07T08:59:00.000000+0000"}

    @HttpMocker()
    def test_given_a_new_message_in_a_session_whose_updated_at_did_not_move_when_read_then_it_comes(
        self, http_mocker: HttpMocker
    ) -> None:
        state = StateBuilder().with_stream_state(
            STREAM,
            {
                "use_global_cursor": True,
                "state": {"updatedAt": "2026-01-07T08:59:00.000000+0000"},
                "lookback_window": 0,
                "parent_state": {PARENT: {"lastInteractionDate": "2026-01-07T09:00:00.000000+0000"}},
            },
        )
        # s-2 was last updated months ago; only its last interaction moved, with the new message
        http_mocker.get(
            HelenaRequestBuilder.interacted_sessions("2026-01-07T08:59:59.999000Z", WINDOW_END).build(),
            page(
                "sessions",
                [session("s-2", "2026-01-14T11:00:00.000Z", updated_at="2025-03-01T00:00:00.000Z")],
            ),
        )
        http_mocker.get(
            HelenaRequestBuilder.messages("s-2")
            .with_updated_window("2026-01-07T08:58:59.999000Z", WINDOW_END)
            .build(),
            page(STREAM, [message("m-new", "s-2", "2026-01-14T11:00:00.000Z")]),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state=state.build())

        assert [r.record.data["id"] for r in output.records] == ["m-new"]
        assert last_state(output)["parent_state"] == {
            PARENT: {"lastInteractionDate": "2026-01-14T11:00:00.000000+0000"}
        }

    @HttpMocker()
    def test_given_a_state_saved_by_0_2_when_read_then_the_parent_resumes_from_the_same_instant(
        self, http_mocker: HttpMocker
    ) -> None:
        """0.2 kept the parent's position as an updatedAt under `sessions`: no re-read of every session."""
        state = StateBuilder().with_stream_state(
            STREAM,
            {
                "use_global_cursor": True,
                "state": {"updatedAt": "2026-01-07T08:59:00.000000Z"},
                "lookback_window": 0,
                "parent_state": {"sessions": {"updatedAt": "2026-01-07T09:00:00.000000Z"}},
            },
        )
        parent = HelenaRequestBuilder.interacted_sessions("2026-01-07T08:58:59.999000Z", WINDOW_END).build()
        http_mocker.get(parent, page("sessions", []))

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state=state.build())

        http_mocker.assert_number_of_calls(parent, 1)  # from the saved instant, not from the start date
        assert not output.errors

    @HttpMocker()
    def test_given_a_lookback_when_read_then_sessions_with_an_interaction_in_its_days_are_visited_again(
        self, http_mocker: HttpMocker
    ) -> None:
        state = StateBuilder().with_stream_state(
            STREAM,
            {
                "use_global_cursor": True,
                "state": {"updatedAt": "2026-01-14T08:59:00.000000+0000"},
                "lookback_window": 0,
                "parent_state": {PARENT: {"lastInteractionDate": "2026-01-14T09:00:00.000000+0000"}},
            },
        )
        config = ConfigBuilder().build()
        config["messages_lookback_days"] = 2
        parent = HelenaRequestBuilder.interacted_sessions("2026-01-12T08:59:59.999000Z", WINDOW_END).build()
        http_mocker.get(parent, page("sessions", []))

        read(config, STREAM, SyncMode.incremental, state=state.build())

        http_mocker.assert_number_of_calls(parent, 1)
