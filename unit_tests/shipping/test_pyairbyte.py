"""PyAirbyte: a second read picks up where the first stopped (tools/pyairbyte_source.py)."""

import os
from pathlib import Path

import pytest
from airbyte.caches import DuckDBCache

from sandbox import registry
from sandbox.server import SandboxServer
from tools.pyairbyte_source import REPO, get_source

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # local manifests: no registry lookups
os.environ.setdefault("DO_NOT_TRACK", "1")

pytestmark = pytest.mark.e2e

INCREMENTAL_STREAM = {"kommo": "leads", "helenacrm": "contacts", "rd-station-conversas": "messages_history"}


def _changed(mutation: dict, stream: str) -> int:
    return len(mutation[stream])  # ids of changed records, or (Conversas) contacts with new messages


@pytest.mark.parametrize("name", list(INCREMENTAL_STREAM))
def test_given_a_first_read_when_data_changes_and_read_again_then_only_the_changes_come_back(
    name: str, tmp_path: Path
) -> None:
    stream = INCREMENTAL_STREAM[name]
    cache = DuckDBCache(db_path=tmp_path / "cache.duckdb", schema_name="main")
    with SandboxServer(registry.create_apps([name], windows=[])) as server:
        app = server.app(name)
        first = get_source(name, config=server.config(name))
        first.select_streams([stream])
        first_count, truth = first.read(cache=cache).processed_records, app.truth()[stream]
        changed = _changed(app.mutate(), stream)

        again = get_source(name, config=server.config(name))
        again.select_streams([stream])
        second_count = again.read(cache=cache).processed_records

    assert first_count >= truth > 20
    # the changes (plus, for keyset paging, the boundary second's row read again): not a full re-read
    assert changed <= second_count <= changed + 3


@pytest.mark.xfail(
    strict=True,
    reason="PyAirbyte 0.71.3 builds an in-process manifest source without its state "
    "(https://github.com/airbytehq/PyAirbyte/pull/1164); when this passes, drop tools/pyairbyte_source.py",
)
def test_given_plain_pyairbyte_source_manifest_when_read_twice_then_second_read_is_incremental(
    tmp_path: Path,
) -> None:
    import airbyte as ab

    cache = DuckDBCache(db_path=tmp_path / "cache.duckdb", schema_name="main")
    with SandboxServer(registry.create_apps(["kommo"], windows=[])) as server:
        counts = []
        for _ in range(2):
            source = ab.get_source(
                "source-kommo",
                config=server.config("kommo"),
                source_manifest=REPO / "source-kommo" / "manifest.yaml",
            )
            source.select_streams(["leads"])
            counts.append(source.read(cache=cache).processed_records)

    assert counts[1] < counts[0] / 10
