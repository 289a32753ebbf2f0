"""make demo: the sandbox up, every connector read into one DuckDB file through PyAirbyte, down.

Each connector gets its own schema in .demo/demo.duckdb (kommo, helenacrm, rd_station_conversas).
The first run is a full sync. A re-run is incremental: PyAirbyte keeps each stream's state in
the cache, the sandbox simulates a day of activity since the last run, and the demo reports how
many rows each stream brought.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # the manifests are local: no registry lookups
os.environ.setdefault("DO_NOT_TRACK", "1")

from tools.pyairbyte_source import get_source  # noqa: E402  # first: it silences Google's import warnings

# isort: split
import time  # noqa: E402

import airbyte.sources.base  # noqa: E402
from airbyte.caches import DuckDBCache  # noqa: E402
from airbyte.progress import ProgressStyle, ProgressTracker  # noqa: E402
from sqlalchemy import text  # noqa: E402

from sandbox import registry  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / ".demo"
DB_PATH = DEMO_DIR / "demo.duckdb"
RUNS_FILE = DEMO_DIR / "runs.json"


class PlainProgress(ProgressTracker):
    """PyAirbyte's progress tracker, plus a line of per-stream counts every few seconds in plain mode.

    In a terminal PyAirbyte draws a live Rich table of the read; where it can't (output piped to a
    file or CI, a ``make demo`` under another tool, ``NO_LIVE_PROGRESS=1``) its plain mode prints
    nothing until the read ends, so a 170k-record read sat silent for minutes. Here plain mode
    prints ``  [12 s] 45,000 records: leads 20,000, contacts 15,000, ...`` every ``interval``
    seconds of the read, from the counts PyAirbyte already keeps."""

    interval = 5.0
    clock = staticmethod(time.monotonic)

    def _update_display(self, *, force_refresh: bool = False) -> None:
        super()._update_display(force_refresh=force_refresh)
        if self.style is not ProgressStyle.PLAIN or not self.total_records_read:
            return
        now = self.clock()
        started = self.__dict__.setdefault("_plain_started", now)
        if now - self.__dict__.setdefault("_plain_printed", started) < self.interval:
            return
        self._plain_printed = now
        streams = ", ".join(f"{name} {count:,}" for name, count in self.stream_read_counts.items())
        print(f"  [{now - started:.0f} s] {self.total_records_read:,} records: {streams}", flush=True)


def schema_of(name: str) -> str:
    return name.replace("-", "_")


def cache_for(name: str) -> DuckDBCache:
    return DuckDBCache(db_path=DB_PATH, schema_name=schema_of(name))


def read_connector(server: SandboxServer, name: str) -> None:
    """Read every stream of one connector into its own schema of the demo DuckDB file.

    tools.pyairbyte_source keeps the incremental state between runs (plain ``ab.get_source`` with
    ``source_manifest=`` re-reads everything on PyAirbyte 0.71.3; see that module)."""
    source = get_source(name, config=server.config(name))
    source.select_all_streams()
    source.read(cache=cache_for(name))


def query(name: str, sql: str) -> tuple[list[str], list[tuple]]:
    """Run SQL in the connector's schema through PyAirbyte's own DuckDB engine."""
    with cache_for(name).get_sql_engine().connect() as connection:
        connection.execute(text(f"SET schema = '{schema_of(name)}'"))
        result = connection.execute(text(sql))
        return list(result.keys()), [tuple(row) for row in result.fetchall()]


def print_table(rows: list[tuple], headers: tuple[str, ...]) -> None:
    widths = [max(len(str(v)) for v in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def main() -> int:
    # Source.read() builds its tracker from this module-level name; the demo swaps in its subclass.
    airbyte.sources.base.ProgressTracker = PlainProgress
    DEMO_DIR.mkdir(exist_ok=True)
    runs = json.loads(RUNS_FILE.read_text()) if RUNS_FILE.exists() and DB_PATH.exists() else 0
    names = [name for name in registry.available() if (REPO / f"source-{name}" / "manifest.yaml").exists()]
    before = {name: table_counts(name) for name in names}

    with SandboxServer(registry.create_apps(names, windows=[])) as server:
        if runs:
            print(
                f"Re-run #{runs}: the sandbox simulates activity since the last sync; reading incrementally.\n"
            )
            for name in names:
                server.app(name).mutate()
        started = {}
        for name in names:
            print(f"== {name}: reading from {server.url(name)} ==", flush=True)
            started[name] = query(name, "SELECT now()::TIMESTAMP")[1][0][0]
            read_connector(server, name)

        for name in names:
            after, synced = table_counts(name), table_counts(name, extracted_since=started[name])
            rows = [(t, after[t], synced[t], after[t] - before[name].get(t, 0)) for t in sorted(after)]
            print(f"\n{name} (schema {schema_of(name)}):")
            print_table(rows, ("stream", "rows", "synced this run", "new rows"))
        for name in names:
            for title, sql in server.app(name).demo_queries():
                print(f"\n-- {name}: {title}\n{sql.strip()}")
                headers, rows = query(name, sql)
                print_table(rows, tuple(headers))
    RUNS_FILE.write_text(json.dumps(runs + 1))
    print(f"\nDuckDB file: {DB_PATH} (open it with duckdb.connect('{DB_PATH}'))")
    return 0


def table_counts(name: str, extracted_since: object | None = None) -> dict[str, int]:
    """Rows per stream table in the connector's schema (PyAirbyte's own tables excluded); with
    ``extracted_since``, only the rows a sync since then wrote (new or updated)."""
    _, tables = query(
        name,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name NOT LIKE '\\_airbyte%' ESCAPE '\\'",
    )
    where = f" WHERE _airbyte_extracted_at >= TIMESTAMP '{extracted_since}'" if extracted_since else ""
    return {t: query(name, f'SELECT count(*) FROM "{t}"{where}')[1][0][0] for (t,) in tables}


if __name__ == "__main__":
    sys.exit(main())
