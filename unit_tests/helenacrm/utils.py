"""Read helpers for the mocked-HTTP tests."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

from unit_tests.helpers.connector import Connector, catalog_for

CONNECTOR = Connector("helenacrm")

# The 1 ms each window is widened by on both sides (see updated_at_window_parameters).
WINDOW_START = "2025-12-31T23:59:59.999000Z"  # START_DATE minus 1 ms
WINDOW_END = "2026-01-15T12:00:00.001000Z"  # conftest.NOW plus 1 ms


def read(
    config: dict[str, Any],
    stream: str,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: list[Any] | None = None,
    expecting_exception: bool = False,
) -> EntrypointOutput:
    return CONNECTOR.read(
        config, catalog_for([stream], sync_mode), state, expecting_exception=expecting_exception
    )


def error_logs(output: EntrypointOutput) -> list[str]:
    return [log.log.message for log in output.logs if log.log.level.value in ("ERROR", "FATAL")]


def last_state(output: EntrypointOutput) -> dict[str, Any]:
    return output.most_recent_state.stream_state.__dict__
