"""Smoke test of the benchmark harness: its quick mode on Kommo writes a sane results.json.

No timing assertions: speed and memory targets live in bench/ (ENGINEERING.md). This checks
that the harness runs the real entry point, counts what the sandbox saw, and reports every key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.connector import Connector

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = (
    "name",
    "connector",
    "requests",
    "min_requests",
    "http_429",
    "records",
    "wall_s",
    "cpu_s",
    "peak_rss_mb",
    "ceiling_ratio",
)

pytestmark = pytest.mark.skipif(
    not Connector("kommo").exists(), reason="the Kommo connector has no manifest yet"
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--connectors", "kommo", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (out / "REPORT.md").read_text().startswith("# Benchmark report")
    return json.loads((out / "results.json").read_text())


def by_name(results: dict) -> dict[str, dict]:
    return {s["name"]: s for s in results["scenarios"]}


def test_given_quick_mode_when_run_then_every_scenario_has_the_required_keys(results: dict) -> None:
    names = set(by_name(results))
    assert {"kommo/sync/full", "kommo/sync/incremental", "kommo/cpu/leads/connector"} <= names
    assert any(n.startswith("kommo/memory/leads/") for n in names)
    for scenario in results["scenarios"]:
        missing = [k for k in REQUIRED if k not in scenario]
        assert not missing, f"{scenario['name']} lacks {missing}"
        assert scenario["returncode"] == 0, scenario.get("errors")


def test_given_quick_mode_when_run_then_the_values_are_sane(results: dict) -> None:
    for s in results["scenarios"]:
        assert s["min_requests"] > 0, s["name"]
        assert s["requests"] >= s["min_requests"], s["name"]
        assert s["records"] > 0 and s["wall_s"] > 0 and s["cpu_s"] > 0, s["name"]
        assert 10 < s["peak_rss_mb"] < 4000, s["name"]
        assert s["http_429"] == 0, s["name"]  # quick mode runs without rate limits


def test_given_quick_mode_when_run_then_the_full_sync_reads_every_record_the_sandbox_holds(
    results: dict,
) -> None:
    full = by_name(results)["kommo/sync/full"]
    for row in full["streams"]:
        if row.get("truth"):
            assert row["records"] >= row["truth"], row
    assert sum(row["requests"] for row in full["streams"]) == full["requests"]


def test_given_quick_mode_when_run_then_cpu_ratios_compare_the_same_records(results: dict) -> None:
    runs = by_name(results)
    connector = runs["kommo/cpu/leads/connector"]
    bare, raw = runs["kommo/cpu/leads/bare-manifest"], runs["kommo/cpu/leads/raw-requests"]
    assert bare["records"] == raw["records"] > 0
    assert connector["records"] >= bare["records"]
    assert connector["cpu_ratio_vs_bare"] > 0 and connector["cpu_ratio_vs_raw"] > 0
