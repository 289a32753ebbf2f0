"""Every incremental stream's cursor parses the timestamps HelenaCRM prints: 0 to 7 fractional
digits (.NET ticks, as in the vendor's webhook example "2023-08-23T16:15:35.3814324Z") with
`Z` or an offset. A record's own updatedAt becomes the state, with no warning."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, last_state, read

STREAM = "portfolios"


def warnings(output) -> list[str]:
    return [log.log.message for log in output.logs if log.log.level.value == "WARN"]


@pytest.mark.parametrize(
    ("updated_at", "state"),
    [
        pytest.param("2026-01-09T17:45:30.3814324Z", "2026-01-09T17:45:30.381432+0000", id="7-digits-Z"),
        pytest.param(
            "2026-01-09T17:45:30.3814320Z", "2026-01-09T17:45:30.381432+0000", id="7-digits-trailing-0"
        ),
        pytest.param("2026-01-09T17:45:30.158391Z", "2026-01-09T17:45:30.158391+0000", id="6-digits-Z"),
        pytest.param("2026-01-09T17:45:30.25Z", "2026-01-09T17:45:30.250000+0000", id="2-digits-Z"),
        pytest.param("2026-01-09T17:45:30Z", "2026-01-09T17:45:30.000000+0000", id="no-fraction-Z"),
        pytest.param(
            "2026-01-09T14:45:30.3814324-03:00", "2026-01-09T14:45:30.381432-0300", id="7-digits-offset"
        ),
        pytest.param(
            "2026-01-09T17:45:30.381+00:00", "2026-01-09T17:45:30.381000+0000", id="3-digits-offset"
        ),
    ],
)
def test_given_a_record_timestamp_when_incremental_read_then_its_updated_at_becomes_the_state(
    updated_at: str, state: str
) -> None:
    with HttpMocker() as http_mocker:
        http_mocker.get(
            HelenaRequestBuilder.portfolios().with_updated_window(WINDOW_START, WINDOW_END).build(),
            page(
                STREAM,
                [
                    record(STREAM, id="p-1", updatedAt="2026-01-02T00:00:00.000Z"),
                    record(STREAM, updatedAt=updated_at),
                ],
            ),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental)

    assert last_state(output) == {"updatedAt": state}  # not the window's end (2026-01-15T12:00)
    assert not [w for w in warnings(output) if "cursor" in w]


def test_given_a_state_with_an_offset_when_read_then_the_next_window_starts_at_the_same_instant_in_utc() -> (
    None
):
    state = StateBuilder().with_stream_state(STREAM, {"updatedAt": "2026-01-09T14:45:30.381432-0300"}).build()
    with HttpMocker() as http_mocker:
        http_mocker.get(
            HelenaRequestBuilder.portfolios()
            .with_updated_window("2026-01-09T17:45:30.380432Z", WINDOW_END)
            .build(),
            page(STREAM, []),
        )

        output = read(ConfigBuilder().build(), STREAM, SyncMode.incremental, state=state)

    assert not output.errors
