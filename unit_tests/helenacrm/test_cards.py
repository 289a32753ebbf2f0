"""cards: GET /crm/v2/panel/card?PanelId=, a child of panels, incremental on updatedAt per panel."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read

STREAM = "cards"
PANELS = ["panel-1", "panel-2"]


def mock_panels(http_mocker: HttpMocker) -> None:
    http_mocker.get(
        HelenaRequestBuilder.panels().build(), page("panels", [record("panels", id=p) for p in PANELS])
    )


class TestFullRefresh(TestCase):
    @HttpMocker()
    def test_given_two_panels_when_read_then_cards_of_every_status_are_requested_per_panel(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_panels(http_mocker)
        for n, panel in enumerate(PANELS):
            cards = [record(STREAM, id=f"{panel}-c", panelId=panel, status=["WON", "LOST"][n])]
            http_mocker.get(
                HelenaRequestBuilder.cards(panel).with_updated_window(WINDOW_START, WINDOW_END).build(),
                page(STREAM, cards),
            )

        output = read(ConfigBuilder().build(), STREAM)

        assert sorted(r.record.data["status"] for r in output.records) == ["LOST", "WON"]
        data = output.records[0].record.data
        assert data["panelTitle"] and data["stepTitle"] and isinstance(data["customFields"], dict)
        assert data["contacts"][0]["id"] in data["contactIds"]  # IncludeDetails=Contacts was asked
        assert not error_logs(output)


class TestIncremental(TestCase):
    @HttpMocker()
    def test_given_state_per_panel_when_read_then_each_panel_resumes_from_its_own_cursor(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_panels(http_mocker)
        cursors = {"panel-1": "2026-01-03T00:00:00.000000Z", "panel-2": "2026-01-10T12:30:00.000000Z"}
        state = StateBuilder().with_stream_state(
            STREAM,
            {
                "use_global_cursor": False,
                "states": [
                    {"partition": {"panel_id": p, "parent_slice": {}}, "cursor": {"updatedAt": c}}
                    for p, c in cursors.items()
                ],
                "state": {"updatedAt": "2026-01-03T00:00:00.000000Z"},
            },
        )
        http_mocker.get(
            HelenaRequestBuilder.cards("panel-1")
            .with_updated_window("2026-01-02T23:59:59.999000Z", WINDOW_END)
            .build(),
            page(STREAM, [record(STREAM, id="c-1", panelId="panel-1", updatedAt="2026-01-14T09:00:00.000Z")]),
        )
        http_mocker.get(
            HelenaRequestBuilder.cards("panel-2")
            .with_updated_window("2026-01-10T12:29:59.999000Z", WINDOW_END)
            .build(),
            page(STREAM, []),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state=state.build())

        assert [r.record.data["id"] for r in output.records] == ["c-1"]
        new_cursors = {
            s["partition"]["panel_id"]: s["cursor"]["updatedAt"] for s in last_state(output)["states"]
        }
        assert new_cursors == {
            "panel-1": "2026-01-14T09:00:00.000000+0000",
            "panel-2": "2026-01-10T12:30:00.000000+0000",
        }


class TestCardsLeavingTheListMidSync(TestCase):
    """A card of an already-read page is updated: past the sync's start, it leaves the list."""

    @HttpMocker()
    def test_given_total_items_shrinks_on_page_two_when_read_then_page_one_is_asked_again_then_page_three(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_panels(http_mocker)

        def request(number: int) -> HelenaRequestBuilder:
            return (
                HelenaRequestBuilder.cards("panel-1")
                .with_updated_window(WINDOW_START, WINDOW_END)
                .with_page(number)
            )

        cards = [record(STREAM, id=f"c-{n}", panelId="panel-1") for n in range(1, 6)]
        # page 1 said 250 cards; one of them was updated before page 2 was asked: 249, and the card
        # that was first on page 2 is now last on page 1
        http_mocker.get(
            request(1).build(),
            [
                page(STREAM, cards[:2], has_more=True, total_items=250),
                page(STREAM, cards[1:3], has_more=True, total_items=249),
            ],
        )
        http_mocker.get(
            request(2).build(),
            page(STREAM, cards[3:4], page_number=2, has_more=True, total_items=249),
        )
        third = request(3).build()
        http_mocker.get(third, page(STREAM, cards[4:], page_number=3, total_items=249))
        http_mocker.get(
            HelenaRequestBuilder.cards("panel-2").with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(STREAM, []),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

        assert {r.record.data["id"] for r in output.records} == {f"c-{n}" for n in range(1, 6)}
        http_mocker.assert_number_of_calls(third, 1)  # page 2 is not asked again: it was read after the shift
        assert not error_logs(output)
