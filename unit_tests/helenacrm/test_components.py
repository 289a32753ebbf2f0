"""The manifest's own building blocks: the window filters' arithmetic and the rate budget.

source-helenacrm needs no Python components (components.py says why); these are the declarative
pieces whose behaviour the streams rely on, built the way the CDK builds them.
"""

from __future__ import annotations

from typing import Any

import pytest
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
        pytest.param({}, [(195, 5_000), (990, 300_000)], id="defaults-under-both-api-windows"),
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
    assert budget_rates({}) == [(195, 5_000), (990, 300_000)]
