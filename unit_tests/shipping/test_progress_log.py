"""Long reads log each stream's record count so far; short reads log nothing new (issue #13, item 6).

Every connector's ``components.ProgressLog`` (the last of each stream's transformations) writes
"leads: 12,500 records so far" at most every ``progress_log_seconds``. Timing is simulated: the
class's ``clock`` is replaced by one that advances one second per record, so the expected lines
follow from the record counts alone (a line at record 31, 61, 91, ... for the default 30 s).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

from unit_tests.helpers.cli import CliOutput, configured_catalog, run_cli
from unit_tests.helpers.connector import Connector, catalog_for

PROGRESS_LINE = re.compile(r"^(\w+): ([\d,]+) records so far$")

# Per connector: a stream longer than 30 records, and one shorter (with the sandbox's test data).
LONG_AND_SHORT = {
    "helenacrm": ("contacts", "agents"),
    "kommo": ("leads", "pipelines"),
    "rd-station-conversas": ("contacts", "employees"),
}

# Per connector, for the CLI run: streams that are also read as another's parent, with that child,
# so the parent's second read would show up as a second, restarting count.
PARENTS_AND_CHILDREN = {
    "helenacrm": ["panels", "cards", "card_notes", "messages"],
    "kommo": ["catalogs", "catalog_elements", "leads"],
    "rd-station-conversas": ["contacts", "messages_history", "campaigns", "campaign_stats"],
}


def _simulated_clock() -> Callable[[], float]:
    """A clock that moves one second each time it is read (ProgressLog reads it once a record)."""
    ticks = iter(range(10**9))
    return lambda: float(next(ticks))


def _progress(messages: list[str]) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        match = PROGRESS_LINE.match(message)
        if match:
            counts[match.group(1)].append(int(match.group(2).replace(",", "")))
    return dict(counts)


def _expected(records: int, interval: int = 30) -> list[int]:
    """Record k is read at second k-1; a line at every record that is an interval past the last one."""
    return list(range(interval + 1, records + 1, interval))


@pytest.fixture()
def simulated_clock(connector: Connector, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(connector.components().ProgressLog, "clock", staticmethod(_simulated_clock()))
    yield


def _read_logs(connector: Connector, config: dict[str, Any], stream: str) -> tuple[int, list[str]]:
    output = connector.read(config, catalog_for([stream]))
    records = sum(1 for message in output.records if message.record.stream == stream)
    return records, [message.log.message for message in output.logs]


@contextmanager
def _captured(lines: list[str]) -> Iterator[None]:
    """Collects what ProgressLog writes to the ``airbyte`` logger."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger, handler = logging.getLogger("airbyte"), Collect()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- the component ----------------------------------------------------------------------------


def test_given_records_from_several_threads_when_counted_then_one_line_per_interval_with_exact_counts(
    connector,
):
    progress_log = connector.components().ProgressLog
    log = progress_log(parameters={"name": "leads"}, config={}, interval_seconds=30)
    log.clock = _simulated_clock()  # the instance's own, read under the same lock as the count
    lines: list[str] = []

    def read_partition() -> None:
        for _ in range(1_000):
            log.transform({"id": 1})

    with _captured(lines):
        threads = [threading.Thread(target=read_partition) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert _progress(lines) == {"leads": _expected(4_000)}
    assert lines[0] == "leads: 31 records so far" and lines[-1] == "leads: 3,991 records so far"


@pytest.mark.parametrize(
    ("parameters", "interval"),
    [
        pytest.param({"name": "contacts", "read_as_parent": True}, 30, id="read-as-parent"),
        pytest.param({"name": "contacts"}, 0, id="interval-0"),
        pytest.param({"name": "contacts"}, "{{ config.get('progress_log_seconds', 30) }}", id="config-0"),
    ],
)
def test_given_a_parent_read_or_interval_0_when_counted_then_no_line(connector, parameters, interval):
    progress_log = connector.components().ProgressLog
    log = progress_log(parameters=parameters, config={"progress_log_seconds": 0}, interval_seconds=interval)
    log.clock = _simulated_clock()
    lines: list[str] = []

    with _captured(lines):
        for _ in range(1_000):
            log.transform({"id": 1})

    assert lines == []


# --- the manifests ------------------------------------------------------------------------------


def test_given_the_manifest_when_resolved_then_every_stream_counts_and_every_parent_read_is_quiet(connector):
    manifest = ManifestReferenceResolver().preprocess_manifest(connector.manifest)
    class_name = "source_declarative_manifest.components.ProgressLog"

    not_counted = [
        stream.get("name")
        for stream in manifest["streams"]
        if (stream.get("transformations") or [{}])[-1].get("class_name") != class_name
    ]
    loud_parents = [
        parent["stream"].get("name")
        for stream in manifest["streams"]
        for parent in (stream["retriever"].get("partition_router") or {}).get("parent_stream_configs", [])
        if not parent.get("$parameters", {}).get("read_as_parent")
    ]

    assert not_counted == []
    assert loud_parents == []


# --- reads, in-process on the sandbox, with the simulated clock ---------------------------------


def test_given_a_read_longer_than_the_interval_when_read_then_the_count_is_logged_every_interval(
    connector, sandbox, simulated_clock
):
    stream, _ = LONG_AND_SHORT[connector.name]

    records, logs = _read_logs(connector, sandbox.config(connector.name), stream)

    assert records > 60
    assert _progress(logs) == {stream: _expected(records)}


def test_given_a_read_shorter_than_the_interval_when_read_then_no_progress_line(
    connector, sandbox, simulated_clock
):
    _, stream = LONG_AND_SHORT[connector.name]

    records, logs = _read_logs(connector, sandbox.config(connector.name), stream)

    assert 0 < records <= 30
    assert _progress(logs) == {}


def test_given_progress_log_seconds_0_when_a_long_read_then_no_progress_line(
    connector, sandbox, simulated_clock
):
    stream, _ = LONG_AND_SHORT[connector.name]

    records, logs = _read_logs(
        connector, {**sandbox.config(connector.name), "progress_log_seconds": 0}, stream
    )

    assert records > 60
    assert _progress(logs) == {}


# --- the CLI entry point (the image's command), with a real clock -------------------------------


def test_given_a_tiny_interval_when_read_through_the_cli_then_each_stream_logs_rising_counts_and_parents_stay_quiet(
    connector, sandbox
):
    """With a microsecond interval nearly every record is a line: each stream's counts rise up to its
    record count, only streams of the catalog appear (a parent read would add its own name, or
    restart a selected stream's count), and no line carries anything but a name and a count."""
    config = {**sandbox.config(connector.name), "progress_log_seconds": 0.000001}
    streams = PARENTS_AND_CHILDREN[connector.name]
    catalog = configured_catalog(run_cli(connector, "discover", config=config).catalog, streams)

    output: CliOutput = run_cli(connector, "read", config=config, catalog=catalog)

    assert output.returncode == 0, output.stderr[-2000:]
    counts = _progress(output.logs("INFO"))
    totals = output.record_counts
    assert set(counts) <= set(streams)
    for stream, seen in counts.items():
        assert seen == sorted(set(seen)), stream
        assert seen[-1] <= totals[stream], stream
    biggest = max(streams, key=lambda stream: totals[stream])
    assert counts[biggest][-1] > totals[biggest] // 2
    progress_lines = [line for line in output.logs() if "records so far" in line]
    assert all(PROGRESS_LINE.match(line) for line in progress_lines)
