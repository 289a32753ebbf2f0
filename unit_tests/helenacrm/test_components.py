"""The manifest's building blocks: the window filters' arithmetic, the rate budget, the defaults,
and components.HelenaWindowPagination (contacts paged soundly while rows leave the window).

Declarative pieces are built the way the CDK builds them; components come from components.py.
"""

from __future__ import annotations

import json
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
def envelope(instants: list[str], total: int, has_more: bool = True) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    items = [{"id": f"c-{n}", "updatedAt": instant} for n, instant in enumerate(instants)]
    response._content = json.dumps({"items": items, "totalItems": total, "hasMorePages": has_more}).encode()
    return response


def next_token(
    response: requests.Response, token: dict[str, Any] | None, ordered_by_cursor: bool = True
) -> dict[str, Any] | None:
    strategy = CONNECTOR.components().HelenaWindowPagination(
        parameters={}, page_size=100, ordered_by_cursor=ordered_by_cursor
    )
    return strategy.next_page_token(response, 2, None, token)


PAGE_ONE = ["2026-01-10T08:00:00.000Z", "2026-01-10T09:30:00.250Z"]
AFTER_PAGE_ONE = {"page": 2, "total": 230, "last": "2026-01-10T09:30:00.250000Z", "ordered": True}
PAGE_TWO = ["2026-01-10T10:00:00.000Z", "2026-01-10T11:00:00.000Z"]


@pytest.mark.parametrize(
    ("response", "token", "ordered_by_cursor", "expected"),
    [
        pytest.param(envelope(PAGE_ONE, 230), None, True, AFTER_PAGE_ONE, id="first-page-then-page-two"),
        pytest.param(
            envelope(PAGE_TWO, 230),
            AFTER_PAGE_ONE,
            True,
            {"page": 3, "total": 230, "last": "2026-01-10T11:00:00.000000Z", "ordered": True},
            id="same-total-then-next-page",
        ),
        pytest.param(
            envelope(PAGE_TWO, 231),
            AFTER_PAGE_ONE,
            True,
            {"page": 3, "total": 231, "last": "2026-01-10T11:00:00.000000Z", "ordered": True},
            id="row-joined-at-the-end-then-next-page",
        ),
        pytest.param(
            envelope(PAGE_TWO, 227),
            AFTER_PAGE_ONE,
            True,
            {"after": "2026-01-10T09:30:00.250000Z", "page": 1},
            id="rows-left-then-restart-from-last-row-read",
        ),
        pytest.param(
            envelope(PAGE_TWO, 227, has_more=False),
            AFTER_PAGE_ONE,
            True,
            {"after": "2026-01-10T09:30:00.250000Z", "page": 1},
            id="rows-left-on-the-last-page-then-restart-not-stop",
        ),
        pytest.param(
            envelope([], 227, has_more=False),
            AFTER_PAGE_ONE,
            True,
            {"after": "2026-01-10T09:30:00.250000Z", "page": 1},
            id="rows-left-and-page-empty-then-restart",
        ),
        pytest.param(
            envelope(PAGE_TWO, 227),
            {**AFTER_PAGE_ONE, "after": "2026-01-09T00:00:00.000000Z"},
            False,
            {"after": "2026-01-09T00:00:00.000000Z", "page": 1, "ordered": False},
            id="unordered-stream-then-restart-from-its-start",
        ),
        pytest.param(
            envelope(PAGE_TWO, 227),
            {**AFTER_PAGE_ONE, "ordered": False},
            True,
            {"page": 1, "ordered": False},
            id="pages-came-out-of-order-then-restart-the-window",
        ),
        pytest.param(
            envelope(list(reversed(PAGE_TWO)), 230),
            AFTER_PAGE_ONE,
            True,
            {"page": 3, "total": 230, "ordered": False},
            id="page-out-of-order-then-no-keyset-point",
        ),
        pytest.param(
            envelope(["2026-01-10T09:00:00.000Z"], 230),
            AFTER_PAGE_ONE,
            True,
            {"page": 3, "total": 230, "ordered": False},
            id="page-older-than-previous-then-no-keyset-point",
        ),
        pytest.param(
            envelope(PAGE_TWO, 230),
            {"after": "2026-01-10T09:30:00.250000Z", "page": 1},
            True,
            {
                "after": "2026-01-10T09:30:00.250000Z",
                "page": 2,
                "total": 230,
                "last": "2026-01-10T11:00:00.000000Z",
                "ordered": True,
            },
            id="after-a-restart-then-page-two-keeps-its-start",
        ),
        pytest.param(
            envelope(PAGE_TWO, 230, has_more=False), AFTER_PAGE_ONE, True, None, id="last-page-then-stop"
        ),
        pytest.param(envelope([], 230), AFTER_PAGE_ONE, True, None, id="empty-page-then-stop"),
    ],
)
def test_given_a_page_when_computing_next_token_then_rows_that_left_the_window_cause_a_restart(
    response: requests.Response, token: dict[str, Any] | None, ordered_by_cursor: bool, expected: Any
) -> None:
    assert next_token(response, token, ordered_by_cursor) == expected


class MovingWindowApi:
    """Helena's contact list in miniature: rows of one window ordered by updatedAt, paged by position.

    ``touch`` updates a row: its ``updatedAt`` becomes "now", past the window's end, so it leaves.
    """

    def __init__(self, count: int, page_size: int) -> None:
        self.rows = {f"c-{n:03d}": f"2026-01-10T08:{n // 60:02d}:{n % 60:02d}.000Z" for n in range(count)}
        self.page_size = page_size

    def get(self, token: dict[str, Any] | None) -> requests.Response:
        after = (token or {}).get("after")
        page = (token or {}).get("page", 1)
        matching = sorted(
            (updated, row_id)
            for row_id, updated in self.rows.items()
            if after is None or updated[:23] >= after[:23]  # After is sent 1 ms early: inclusive
        )
        chunk = matching[(page - 1) * self.page_size : page * self.page_size]
        response = requests.Response()
        response.status_code = 200
        body = {
            "items": [{"id": row_id, "updatedAt": updated} for updated, row_id in chunk],
            "totalItems": len(matching),
            "hasMorePages": page * self.page_size < len(matching),
        }
        response._content = json.dumps(body).encode()
        return response

    def touch(self, row_id: str) -> None:
        del self.rows[row_id]  # now past the window's end: a later sync reads it


def read_window(api: MovingWindowApi, touch_before_page: dict[int, list[str]]) -> set[str]:
    strategy = CONNECTOR.components().HelenaWindowPagination(
        parameters={}, page_size=api.page_size, ordered_by_cursor=True
    )
    seen: set[str] = set()
    token: dict[str, Any] | None = None
    for request_number in range(1, 100):
        for row_id in touch_before_page.get(request_number, []):
            api.touch(row_id)
        response = api.get(token)
        seen |= {row["id"] for row in response.json()["items"]}
        token = strategy.next_page_token(response, len(response.json()["items"]), None, token)
        if token is None:
            return seen
    raise AssertionError("paging never ended")


@pytest.mark.parametrize(
    "touch_before_page",
    [
        pytest.param({2: ["c-000", "c-001", "c-002"]}, id="three-rows-of-page-one-updated-before-page-two"),
        pytest.param({2: ["c-010"], 3: ["c-020"], 4: ["c-030"]}, id="one-row-updated-before-every-page"),
        pytest.param({3: ["c-000", "c-015", "c-029"]}, id="rows-of-two-earlier-pages-updated"),
    ],
)
def test_given_read_rows_updated_mid_window_when_paging_then_no_row_of_the_window_is_skipped(
    touch_before_page: dict[int, list[str]],
) -> None:
    api = MovingWindowApi(count=95, page_size=10)
    window = set(api.rows)

    seen = read_window(api, touch_before_page)

    touched = {row_id for ids in touch_before_page.values() for row_id in ids}
    assert window - touched <= seen  # every row that stayed in the window was read
