"""What a complete read must deliver, whichever way the connector was launched."""

from __future__ import annotations

from typing import Any

from unit_tests.helpers.cli import CliOutput, configured_catalog


def full_refresh_catalog(discovered: CliOutput) -> dict[str, Any]:
    return configured_catalog(discovered.catalog, mode="full_refresh")


def assert_read_matches_truth(output: CliOutput, truth: dict[str, int]) -> None:
    assert output.returncode == 0, output.stderr[-2000:] + str(output.errors)
    assert not output.errors, output.errors
    counts = output.record_counts
    assert {stream: counts.get(stream, 0) for stream in truth} == truth
    assert not output.logs("ERROR"), output.logs("ERROR")[:3]
