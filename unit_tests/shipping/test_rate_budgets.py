"""Each connector's own rate budget against the API's limits, on a controlled clock.

A sync against the sandbox with its real limits on is a timing experiment: a busy machine delays
requests after the budget released them and bunches them up, so it can draw 429s that an idle one
doesn't (that is `bench/`'s job: its syncs run at the real limits, 200 ms latency, and count 429s).
Here the connector's api_budget and concurrency are built from its manifest and the config that
`python -m sandbox --write-configs` writes, and run on a simulated clock: workers take calls from
the budget as fast as it lets them, each call takes 200 ms, and reaches the server up to 50 ms
late (seeded jitter, the measured spread: bench/FINDINGS.md). The sandbox's own limiter then
judges every arrival. Nothing here depends on how fast or busy the machine is.
"""

from __future__ import annotations

import heapq
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    ConcurrencyLevel as ConcurrencyLevelModel,
)
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    HTTPAPIBudget as HTTPAPIBudgetModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.call_rate import APIBudget, CallRateLimitHit
from pyrate_limiter.clocks import TimeClock

from sandbox import registry
from sandbox.ratelimit import MovingWindowLimiter
from unit_tests.helpers.connector import REPO_ROOT, Connector

LATENCY_S = 0.2  # the bench's latency for syncs at the real limits
JITTER_S = 0.05  # how late a released call may reach the server


def written_configs(folder: Path, *flags: str) -> dict[str, dict[str, Any]]:
    """What `python -m sandbox --write-configs DIR [flags]` writes, per API."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--write-configs",
            str(folder),
            *flags,
            "--",
            "true",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


@pytest.fixture(scope="module")
def limited_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return written_configs(tmp_path_factory.mktemp("limited"))


@pytest.fixture(scope="module")
def unlimited_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return written_configs(tmp_path_factory.mktemp("unlimited"), "--no-rate-limit")


class SimulatedClock:
    """Milliseconds since the epoch, as pyrate-limiter's TimeClock gives them, moved by hand."""

    def __init__(self) -> None:
        self.seconds = time.time()

    def now(self, _clock: TimeClock | None = None) -> int:
        return int(self.seconds * 1000)


def budget_and_workers(connector: Connector, config: dict[str, Any]) -> tuple[APIBudget, int]:
    """The connector's api_budget and worker count for this config, built as the CDK builds them."""
    factory = ModelToComponentFactory()
    budget = factory.create_component(HTTPAPIBudgetModel, connector.manifest["api_budget"], config)
    concurrency = factory.create_component(
        ConcurrencyLevelModel, connector.manifest["concurrency_level"], config
    )
    return budget, concurrency.get_concurrency_level()


def release_times(budget: APIBudget, workers: int, calls: int, clock: SimulatedClock) -> list[float]:
    """When the budget lets each call go, for ``workers`` threads each waiting LATENCY_S per call."""
    request = requests.Request("GET", "http://127.0.0.1/api").prepare()
    ready = [(clock.seconds, worker) for worker in range(workers)]  # (wants its next call at, worker)
    released: list[float] = []
    while len(released) < calls:
        at, worker = heapq.heappop(ready)
        clock.seconds = max(clock.seconds, at)
        try:
            budget.acquire_call(request, block=False)
        except CallRateLimitHit as hit:  # a blocked thread sleeps this long, then tries again
            heapq.heappush(ready, (clock.seconds + max(hit.time_to_wait.total_seconds(), 0.001), worker))
            continue
        released.append(clock.seconds)
        heapq.heappush(ready, (clock.seconds + LATENCY_S, worker))
    return released


def test_given_the_config_written_for_a_rate_limited_sandbox_when_workers_call_as_fast_as_the_budget_allows_then_the_api_admits_every_call(
    connector: Connector,
    limited_configs: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = SimulatedClock()
    monkeypatch.setattr(TimeClock, "now", clock.now)
    app = registry.create_app(connector.name)  # the API's real windows, as the sandbox serves them
    budget, workers = budget_and_workers(connector, limited_configs[connector.name])
    longest = max(app.windows, key=lambda w: w.seconds)
    calls = 3 * longest.limit  # three times the longest window's allowance
    jitter = random.Random(7)

    released = release_times(budget, workers, calls, clock)
    arrivals = sorted(t + jitter.uniform(0, JITTER_S) for t in released)

    server = MovingWindowLimiter(app.windows)
    rejected = [round(t - arrivals[0], 3) for t in arrivals if not server.admit(now=t)]
    assert rejected == [], f"{len(rejected)} of {calls} calls over {app.windows} (first at {rejected[:3]} s)"
    # and the budget is no brake beyond the limit: the calls take about as long as the limit needs
    assert released[-1] - released[0] <= (calls / longest.limit) * longest.seconds * 1.25


def test_given_a_sandbox_without_rate_limits_when_configs_written_then_they_keep_the_connector_unthrottled(
    connector: Connector,
    unlimited_configs: dict[str, dict[str, Any]],
    limited_configs: dict[str, dict[str, Any]],
) -> None:
    app = registry.create_app(connector.name, windows=[])
    config, limited = unlimited_configs[connector.name], limited_configs[connector.name]

    assert app.unlimited_client_settings and config.items() >= app.unlimited_client_settings.items()
    assert not limited.keys() & app.unlimited_client_settings.keys()  # the connector's defaults apply
