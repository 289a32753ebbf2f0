"""The demo's progress display: per-stream counts while PyAirbyte reads (issue #13, item 6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type

from sandbox.demo import PlainProgress, ProgressStyle  # the demo imports PyAirbyte after its warning filter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def records(clock: FakeClock, streams: list[str], seconds_apart: float) -> Iterator[AirbyteMessage]:
    for stream in streams:
        clock.now += seconds_apart
        yield AirbyteMessage(
            type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data={}, emitted_at=0)
        )


@pytest.fixture
def tracker(monkeypatch: pytest.MonkeyPatch) -> tuple[PlainProgress, FakeClock]:
    clock = FakeClock()
    monkeypatch.setattr(PlainProgress, "clock", staticmethod(clock))
    monkeypatch.setattr(PlainProgress, "_get_update_period", lambda self, count: 1)
    return PlainProgress(ProgressStyle.PLAIN, source=None, cache=None, destination=None), clock


def test_given_plain_style_when_a_read_runs_for_a_while_then_per_stream_counts_are_printed_periodically(
    tracker, capsys
) -> None:
    progress, clock = tracker
    streams = ["leads"] * 30 + ["contacts"] * 30  # one record a second: 60 s of reading

    for _ in progress.tally_records_read(records(clock, streams, seconds_apart=1.0)):
        pass

    lines = [line for line in capsys.readouterr().out.splitlines() if "records:" in line]
    assert 10 <= len(lines) <= 13  # every 5 s of a 60 s read
    assert "leads 30, contacts" in lines[-1]


def test_given_plain_style_when_a_read_is_quick_then_nothing_extra_is_printed(tracker, capsys) -> None:
    progress, clock = tracker

    for _ in progress.tally_records_read(records(clock, ["tags"] * 20, seconds_apart=0.1)):
        pass

    assert "records:" not in capsys.readouterr().out


def test_given_a_fresh_checkout_when_the_demo_runs_twice_then_every_sample_query_answers(
    tmp_path, monkeypatch, capsys
) -> None:
    """The README's first command end to end: every connector read into DuckDB through PyAirbyte,
    then each API's sample queries run on the tables the connectors made (a schema change once
    broke a query: `tma` became text, AVG(tma) no longer bound)."""
    from sandbox import demo

    monkeypatch.setattr(demo, "DEMO_DIR", tmp_path)
    monkeypatch.setattr(demo, "DB_PATH", tmp_path / "demo.duckdb")
    monkeypatch.setattr(demo, "RUNS_FILE", tmp_path / "runs.json")

    assert demo.main() == 0
    assert demo.main() == 0  # the incremental re-run

    out = capsys.readouterr().out
    assert out.count("\n-- ") == 2 * sum(
        len(app.demo_queries()) for app in demo.registry.create_apps(windows=[])
    )
    assert "Re-run #1" in out
