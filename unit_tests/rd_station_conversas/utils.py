"""Read helpers for the mocked-HTTP tests."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.helpers.connector import Connector, catalog_for

CONNECTOR = Connector("rd-station-conversas")
TODAY = "2026-01-15"  # conftest.NOW as the API's start_date/end_date format
NOW = "2026-01-15T12:00:00Z"  # conftest.NOW as the history cursor stores it


def read(
    config: dict[str, Any],
    streams: str | list[str],
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: list[Any] | None = None,
    expecting_exception: bool = False,
) -> EntrypointOutput:
    names = [streams] if isinstance(streams, str) else streams
    return CONNECTOR.read(
        config, catalog_for(names, sync_mode), state, expecting_exception=expecting_exception
    )


def records_of(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    return [message.record.data for message in output.records if message.record.stream == stream]


def logs_at(output: EntrypointOutput, *levels: str) -> list[str]:
    return [log.log.message for log in output.logs if log.log.level.value in levels]


def error_logs(output: EntrypointOutput) -> list[str]:
    return logs_at(output, "ERROR", "FATAL")


def last_state(output: EntrypointOutput) -> dict[str, Any]:
    return output.most_recent_state.stream_state.__dict__


def history_state(stream: str, window_end_per_contact: dict[str, str]) -> list[Any]:
    """A saved per-contact state of a history stream (messages_history, messages)."""
    partitions = [
        {"partition": {"customer_id": contact, "parent_slice": {}}, "cursor": {"window_end": window_end}}
        for contact, window_end in window_end_per_contact.items()
    ]
    return (
        StateBuilder().with_stream_state(stream, {"states": partitions, "use_global_cursor": False}).build()
    )
