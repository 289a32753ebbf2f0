"""Freeze the connector's clock for mocked-HTTP tests, so incremental windows have exact bounds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from unittest import mock

import pytest
from airbyte_cdk.sources.declarative.interpolation import jinja

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now(request: pytest.FixtureRequest) -> Iterator[None]:
    """``now_utc()`` in the manifest (the end of the last window) returns NOW; e2e runs keep real time."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    with mock.patch.dict(jinja._ENVIRONMENT.globals, {"now_utc": lambda: NOW}):
        yield


@pytest.fixture()
def no_budget_pause() -> Iterator[None]:
    """Keep the shared rate budget from pausing for a whole window after a mocked 429."""
    with mock.patch("airbyte_cdk.sources.streams.call_rate.MovingWindowCallRatePolicy.update"):
        yield
