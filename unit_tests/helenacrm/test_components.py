"""The manifest's building blocks: the window filters' arithmetic, the rate budget, the defaults,
and components.HelenaWindowPagination (windowed streams paged soundly while rows leave the window).

Declarative pieces are built the way the CDK builds them; components come from components.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    ConcurrencyLevel as ConcurrencyLevelModel,
)
from airbyte_cdk.sources.declarative.models.declarative_component_schema import HTTPAPIBudget
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

from unit_tests.helenacrm.utils import CONNECTOR

DEFINITIONS = CONNECTOR.manifest["definitions"]


def window_filter(name: str, **stream_slice: str) -> str:
    definitions = {**DEFINITIONS["updated_after_parameters"], **DEFINITIONS["updated_at_window_parameters"]}
    return InterpolatedString.create(definitions[name], parameters={}).eval({}, stream_slice=stream_slice)


@pytest.mark.parametrize(
    ("start_time", "expected"),
    [
        pytest.param("2026-01-01T00:00:00.000000Z", "2025-12-31T23:59:59.999000Z", id="year-rollover"),
        pytest.param("2026-03-01T12:00:00.000000Z", "2026-03-01T11:59:59.999000Z", id="plain-instant"),
        pytest.param("2026-05-10T14:03:12.250000Z", "2026-05-10T14:03:12.249000Z", id="milliseconds"),
    ],
)
def test_given_window_start_when_filtering_then_updated_after_is_one_millisecond_earlier(
    start_time: str, expected: str
) -> None:
    assert window_filter("UpdatedAt.After", start_time=start_time) == expected


@pytest.mark.parametrize(
    ("end_time", "expected"),
    [
        pytest.param("2025-12-31T23:59:59.999000Z", "2026-01-01T00:00:00.000000Z", id="year-rollover"),
        pytest.param("2026-05-10T14:03:12.250000Z", "2026-05-10T14:03:12.251000Z", id="milliseconds"),
    ],
)
def test_given_window_end_when_filtering_then_updated_before_is_one_millisecond_later(
    end_time: str, expected: str
) -> None:
    assert window_filter("UpdatedAt.Before", end_time=end_time) == expected


def budget_rates(config: dict[str, Any]) -> list[tuple[int, int]]:
    budget = ModelToComponentFactory().create_component(
        HTTPAPIBudget, CONNECTOR.manifest["api_budget"], config
    )
    (policy,) = budget._policies
    return [(rate.limit, rate.interval) for rate in policy._bucket.rates]  # (calls, milliseconds)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param({}, [(190, 5_000), (990, 300_000)], id="defaults-under-both-api-windows"),
        pytest.param(
            {"requests_per_5_seconds": 50, "requests_per_5_minutes": 400},
            [(50, 5_000), (400, 300_000)],
            id="user-settings",
        ),
    ],
)
def test_given_config_when_building_budget_then_one_policy_enforces_both_windows(
    config: dict[str, Any], expected: list[tuple[int, int]]
) -> None:
    assert budget_rates(config) == expected


def test_given_spec_defaults_when_compared_to_budget_defaults_then_they_agree() -> None:
    properties = CONNECTOR.manifest["spec"]["connection_specification"]["properties"]
    defaults = {
        name: properties[name]["default"] for name in ("requests_per_5_seconds", "requests_per_5_minutes")
    }

    assert budget_rates(defaults) == budget_rates({})
    assert defaults["requests_per_5_seconds"] < 200 and defaults["requests_per_5_minutes"] < 1000


def concurrency(config: dict[str, Any]) -> int:
    level = ModelToComponentFactory().create_component(
        ConcurrencyLevelModel, CONNECTOR.manifest["concurrency_level"], config
    )
    return level.get_concurrency_level()


def window_step(config: dict[str, Any]) -> str:
    step = DEFINITIONS["windowed_updated_at_cursor"]["step"]
    return InterpolatedString.create(step, parameters={}).eval(config)


@pytest.mark.parametrize(
    ("setting", "read_default"),
    [
        pytest.param("num_workers", concurrency, id="num-workers"),
        pytest.param("window_in_days", window_step, id="window-in-days"),
    ],
)
def test_given_no_setting_when_building_then_the_fallback_is_the_spec_default(setting, read_default) -> None:
    default = CONNECTOR.manifest["spec"]["connection_specification"]["properties"][setting]["default"]

    assert read_default({}) == read_default({setting: default})


def test_given_no_settings_when_building_then_the_benchmarked_defaults_apply() -> None:
    assert concurrency({}) == 10
    assert window_step({}) == "P365D"
    assert budget_rates({}) == [(190, 5_000), (990, 300_000)]


# --- HelenaWindowPagination -----------------------------------------------------------------------
def envelope(count: int, total: int, has_more: bool = True) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    items = [{"id": f"c-{n}", "updatedAt": "2026-01-10T08:00:00.000Z"} for n in range(count)]
    response._content = json.dumps({"items": items, "totalItems": total, "hasMorePages": has_more}).encode()
    return response


def next_token(response: requests.Response, token: dict[str, Any] | None) -> dict[str, Any] | None:
    strategy = CONNECTOR.components().HelenaWindowPagination(parameters={}, page_size=100)
    return strategy.next_page_token(response, 100, None, token)


AFTER_PAGE_1 = {"page": 2, "total": 480, "read": [[1, 100]]}
AFTER_PAGE_3 = {"page": 4, "total": 480, "read": [[1, 300]]}
AFTER_PAGE_4 = {"page": 5, "total": 480, "read": [[1, 400]]}


@pytest.mark.parametrize(
    ("response", "token", "expected"),
    [
        pytest.param(envelope(100, 480), None, AFTER_PAGE_1, id="first-page-then-page-two"),
        pytest.param(
            envelope(100, 480),
            AFTER_PAGE_1,
            {"page": 3, "total": 480, "read": [[1, 200]]},
            id="same-total-then-next",
        ),
        pytest.param(
            envelope(100, 483),
            AFTER_PAGE_1,
            {"page": 3, "total": 483, "read": [[1, 200]]},
            id="total-grew-then-next",
        ),
        # page 2 answered after 1 row left: the first unread row may now be position 100 (page 1)
        pytest.param(
            envelope(100, 479),
            AFTER_PAGE_1,
            {"page": 1, "total": 479, "read": [[1, 99], [101, 200]]},
            id="shrink-on-page-2-then-page-1",
        ),
        # page 4 answered after 3 rows left (k <= page size): step back ceil(3/100) = 1 page
        pytest.param(
            envelope(100, 477),
            AFTER_PAGE_3,
            {"page": 3, "total": 477, "read": [[1, 297], [301, 400]]},
            id="shrink-k-up-to-page-size-then-one-page-back",
        ),
        pytest.param(
            envelope(100, 380),
            AFTER_PAGE_3,
            {"page": 3, "total": 380, "read": [[1, 200], [301, 400]]},
            id="shrink-k-equal-page-size-then-one-page-back",
        ),
        # page 4 answered after 150 rows left (k > page size): ceil(150/100) = 2 pages back
        pytest.param(
            envelope(100, 330),
            AFTER_PAGE_3,
            {"page": 2, "total": 330, "read": [[1, 150], [301, 400]]},
            id="shrink-k-over-page-size-then-two-pages-back",
        ),
        # more rows left than were read: max(1, n - ceil(k / size)) = page 1
        pytest.param(
            envelope(100, 50),
            AFTER_PAGE_1,
            {"page": 1, "total": 50, "read": [[101, 200]]},
            id="shrink-beyond-the-start-then-page-1",
        ),
        # page 1 asked again after a step back, and rows left again: its own rows fill the gap
        pytest.param(
            envelope(100, 478),
            {"page": 1, "total": 479, "read": [[1, 99], [101, 200]]},
            {"page": 2, "total": 478, "read": [[1, 199]]},
            id="shrink-on-page-1-after-a-step-back-then-forward-not-page-1-again",
        ),
        pytest.param(
            envelope(100, 479),
            {"page": 1, "total": 479, "read": [[1, 99], [101, 200]]},
            {"page": 3, "total": 479, "read": [[1, 200]]},
            id="gap-filled-then-skip-the-page-read-after-the-shift",
        ),
        pytest.param(
            envelope(80, 479, has_more=False),
            AFTER_PAGE_4,
            {"page": 4, "total": 479, "read": [[1, 399], [401, 500]]},
            id="shrink-on-the-last-page-then-step-back-not-stop",
        ),
        pytest.param(
            envelope(0, 479, has_more=False),
            AFTER_PAGE_4,
            {"page": 4, "total": 479, "read": [[1, 399], [401, 500]]},
            id="shrink-and-page-empty-then-step-back",
        ),
        pytest.param(
            envelope(100, 480),
            {"page": 3, "total": 480, "read": [[1, 200], [301, 400]]},
            {"page": 5, "total": 480, "read": [[1, 400]]},
            id="step-back-page-bridges-to-a-range-beyond-then-jump-past-it",
        ),
        pytest.param(
            envelope(100, 380, has_more=True),
            {"page": 3, "total": 380, "read": [[1, 200], [301, 400]]},
            None,
            id="ranges-reach-past-the-total-then-stop",
        ),
        pytest.param(envelope(80, 480, has_more=False), AFTER_PAGE_4, None, id="last-page-then-stop"),
        pytest.param(envelope(0, 480), AFTER_PAGE_1, None, id="empty-page-then-stop"),
    ],
)
def test_given_a_page_when_computing_next_token_then_rows_that_left_the_window_step_paging_back(
    response: requests.Response, token: dict[str, Any] | None, expected: Any
) -> None:
    assert next_token(response, token) == expected


class MovingWindowApi:
    """Helena's paged list in miniature: rows of one window in a fixed order, paged by position.

    ``touch`` updates a row: its ``updatedAt`` becomes "now", past the window's end, so it leaves.
    """

    def __init__(self, count: int, page_size: int) -> None:
        self.rows = [f"c-{n:03d}" for n in range(count)]
        self.page_size = page_size

    def get(self, token: dict[str, Any] | None) -> requests.Response:
        page = (token or {}).get("page", 1)
        chunk = self.rows[(page - 1) * self.page_size : page * self.page_size]
        response = requests.Response()
        response.status_code = 200
        body = {
            "items": [{"id": row_id} for row_id in chunk],
            "totalItems": len(self.rows),
            "hasMorePages": page * self.page_size < len(self.rows),
        }
        response._content = json.dumps(body).encode()
        return response

    def touch(self, row_id: str) -> None:
        if row_id in self.rows:
            self.rows.remove(row_id)  # now past the window's end: a later sync reads it


def read_window(
    api: MovingWindowApi, touch_before_request: Callable[[int], list[str]]
) -> tuple[set[str], int]:
    """The rows read, and the number of requests it took."""
    strategy = CONNECTOR.components().HelenaWindowPagination(parameters={}, page_size=api.page_size)
    seen: set[str] = set()
    token: dict[str, Any] | None = None
    for request_number in range(1, 1000):
        for row_id in touch_before_request(request_number):
            api.touch(row_id)
        response = api.get(token)
        seen |= {row["id"] for row in response.json()["items"]}
        token = strategy.next_page_token(response, len(response.json()["items"]), None, token)
        if token is None:
            return seen, request_number
    raise AssertionError("paging never ended")


@pytest.mark.parametrize(
    ("touch_before_request", "most_requests"),
    [
        pytest.param(lambda n: [], 10, id="nothing-updated-then-ten-pages"),
        pytest.param(
            lambda n: ["c-000", "c-001", "c-002"] if n == 2 else [],
            11,
            id="three-rows-of-page-one-before-page-two",
        ),
        pytest.param(
            lambda n: [f"c-0{n}0"] if n in (2, 3, 4) else [], 13, id="one-row-before-each-of-three-pages"
        ),
        pytest.param(
            lambda n: ["c-000", "c-015", "c-029"] if n == 3 else [], 11, id="rows-of-two-earlier-pages"
        ),
        pytest.param(
            lambda n: [f"c-{k:03d}" for k in range(25)] if n == 4 else [], 13, id="more-rows-than-a-page-left"
        ),
        # a busy stream: a row of an already-read page leaves before EVERY request; a restart (or a
        # step back that forgets the page it just read) would never reach the end
        pytest.param(lambda n: [f"c-{n - 1:03d}"], 25, id="a-row-leaves-before-every-request"),
    ],
)
def test_given_read_rows_updated_mid_window_when_paging_then_no_row_of_the_window_is_skipped(
    touch_before_request: Callable[[int], list[str]], most_requests: int
) -> None:
    api = MovingWindowApi(count=95, page_size=10)

    seen, requests_made = read_window(api, touch_before_request)

    assert set(api.rows) <= seen  # every row still in the window was read (rows that left: next sync)
    assert requests_made <= most_requests


@pytest.mark.parametrize(
    ("state", "migrated"),
    [
        pytest.param(
            {"updatedAt": "2026-01-07T09:00:00.000000Z"},
            {"lastInteractionDate": "2026-01-07T09:00:00.000000Z"},
            id="0.2-parent-position",
        ),
        pytest.param({"lastInteractionDate": "2026-01-07T09:00:00+0000"}, None, id="already-migrated"),
        pytest.param({}, None, id="no-state"),
    ],
)
def test_given_a_saved_parent_position_when_migrating_then_it_keeps_its_instant_under_the_new_field(
    state: dict[str, str], migrated: dict[str, str] | None
) -> None:
    rename = CONNECTOR.components().CursorFieldRename(
        parameters={"from_field": "updatedAt", "to_field": "lastInteractionDate"}
    )

    assert rename.should_migrate(state) is (migrated is not None)
    if migrated is not None:
        assert rename.migrate(state) == migrated
