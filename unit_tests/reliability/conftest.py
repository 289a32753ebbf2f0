"""Reliability suite settings: the ``--soak`` flag and the results file the report is built from.

``make test`` runs the default cells (a few seconds of backoff each, run in parallel). The soak
variant adds the full fault matrix, longer storms and storms that outlast every retry:

    .venv/bin/python -m pytest unit_tests/reliability --soak      # or RELIABILITY_SOAK=1 make test

Every test records what it measured through the ``record`` fixture; at the end of the session
the records are merged (keyed by test) into ``last-run.json``, which git ignores, so a test run
never changes a tracked file. To regenerate the tracked ``results.json``, and from it
``docs/reliability.md``, on purpose:

    RELIABILITY_RECORD=1 .venv/bin/python -m pytest unit_tests/reliability [--soak]
    .venv/bin/python -m unit_tests.reliability.report
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

RESULTS = Path(__file__).with_name("results.json")  # tracked: the measurements docs/reliability.md shows
LAST_RUN = Path(__file__).with_name("last-run.json")  # git-ignored: what a plain test run measured
_records: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="reliability: also run the soak cells (full fault matrix, storms that outlast the retries)",
    )


def soak_enabled(config: pytest.Config) -> bool:
    try:
        flag = bool(config.getoption("--soak"))
    except ValueError:  # the option is registered only when this conftest loads at startup
        flag = False
    return flag or os.environ.get("RELIABILITY_SOAK", "") not in ("", "0")


def pytest_configure(config: pytest.Config) -> None:
    # The project's addopts deselect `soak` by marker expression; with --soak, let them through.
    if soak_enabled(config) and config.option.markexpr:
        expr = config.option.markexpr
        for clause in (" and not soak", "not soak and ", "not soak"):
            expr = expr.replace(clause, "")
        config.option.markexpr = expr


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # The secret scan reads everything the other reliability tests printed: it runs last.
    scan = [item for item in items if item.nodeid.startswith("unit_tests/reliability/test_secrets.py")]
    if scan:
        rest = [item for item in items if item not in scan]
        items[:] = rest + scan


# Modules whose syncs start first: the fault matrix holds the longest ones.
PRIORITY = ["test_fault_matrix", "test_resume", "test_consistency", "test_conversas_history"]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start every selected reliability sync at once (see harness.Background)."""
    from unit_tests.reliability.harness import BACKGROUND

    if session.config.option.collectonly:
        return
    modules: dict[str, Any] = {}
    for item in session.items:
        if item.nodeid.startswith("unit_tests/reliability/") and hasattr(item.module, "plan"):
            modules.setdefault(item.module.__name__, item.module)
    if not modules:
        return
    soak = soak_enabled(session.config)

    def rank(name: str) -> int:
        short = name.rsplit(".", 1)[-1]
        return PRIORITY.index(short) if short in PRIORITY else len(PRIORITY)

    BACKGROUND.start([(name, modules[name].plan(session.items, soak)) for name in sorted(modules, key=rank)])


@pytest.fixture(scope="session")
def soak(request: pytest.FixtureRequest) -> bool:
    return soak_enabled(request.config)


@pytest.fixture()
def record(request: pytest.FixtureRequest) -> Callable[[str, dict[str, Any]], None]:
    """``record(section, data)``: keep a measured result for the report, keyed by this test."""

    def _record(section: str, data: dict[str, Any]) -> None:
        key = f"{section}::{request.node.name}"
        with _lock:
            _records[key] = {
                "section": section,
                "test": request.node.nodeid,
                "soak": request.node.get_closest_marker("soak") is not None,
                **data,
            }

    return _record


def results_file(environ: Mapping[str, str] = os.environ) -> Path:
    """Where a run's measurements go: the tracked results only when regenerating on purpose."""
    return RESULTS if environ.get("RELIABILITY_RECORD", "") not in ("", "0") else LAST_RUN


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from unit_tests.reliability.harness import BACKGROUND

    BACKGROUND.shutdown()
    if not _records:
        return
    target = results_file()
    existing: dict[str, Any] = {}
    if target.exists():
        try:
            existing = json.loads(target.read_text()).get("results", {})
        except (json.JSONDecodeError, AttributeError):
            existing = {}
    existing.update(_records)
    payload = {
        "updated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "results": dict(sorted(existing.items())),
    }
    target.write_text(json.dumps(payload, indent=1, sort_keys=False, default=str) + "\n")
