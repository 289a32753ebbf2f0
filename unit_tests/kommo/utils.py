"""Shared helpers for the mocked-HTTP tests: reading in-process, freezing "now", log checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from airbyte_cdk.models import AirbyteStateMessage, SyncMode
from airbyte_cdk.sources.declarative.interpolation import jinja
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helpers.connector import Connector, catalog_for

CONNECTOR = Connector("kommo")

# The tests' clock: windows end here. The default config starts 2026-01-01 with 365-day windows,
# so an incremental stream reads one window [START_TS, NOW_TS].
NOW = datetime(2026, 3, 1, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
START_TS = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
DAY = 86400


def timestamp(day: str) -> int:
    """Unix seconds of a ``YYYY-MM-DD`` day's midnight (UTC)."""
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


@contextmanager
def frozen_now(moment: datetime = NOW) -> Iterator[None]:
    """Pin the manifest's ``now_utc()`` (the end of the last window)."""
    with patch.dict(jinja._ENVIRONMENT.globals, {"now_utc": lambda: moment}):
        yield


def read(
    config: dict[str, Any],
    stream: str,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: list[AirbyteStateMessage] | None = None,
    expecting_exception: bool = False,
) -> EntrypointOutput:
    with frozen_now():
        return CONNECTOR.read(
            config, catalog_for([stream], sync_mode), state, expecting_exception=expecting_exception
        )


def state_for(stream: str, value: dict[str, Any]) -> list[AirbyteStateMessage]:
    return StateBuilder().with_stream_state(stream, value).build()


def error_logs(output: EntrypointOutput) -> list[str]:
    return [m.log.message for m in output.logs if m.log.level.name in ("ERROR", "FATAL")]


def last_state(output: EntrypointOutput) -> dict[str, Any]:
    return output.most_recent_state.stream_state.__dict__
