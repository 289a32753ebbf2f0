"""What a first hour with the repository leaves behind: links that work, nothing generated in
git's way, `make clean` that removes it all (and never a user's secrets), tests that don't
rewrite tracked files."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from unit_tests.helpers.connector import REPO_ROOT
from unit_tests.reliability import conftest as reliability

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
MARKDOWN = sorted(
    p
    for p in REPO_ROOT.rglob("*.md")
    if not {".venv", "node_modules", "out"} & set(p.relative_to(REPO_ROOT).parts)
)
# What installs, tests, the demo, acceptance tests and PyAirbyte leave in a checkout.
LEFTOVERS = [
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/0.17.6/123",
    ".demo/demo.duckdb",
    ".cache/default_cache.duckdb",
    "bench/out/REPORT.md",
    "build/lib/x.py",
    "brazil_engagement_connectors.egg-info/PKG-INFO",
    "unit_tests/__pycache__/conftest.cpython-311.pyc",
    "sandbox/kommo/__pycache__/app.cpython-311.pyc",
    "source-kommo/.tmp/state.json",
    "source-kommo/build/x",
    "source-kommo/integration_tests/config.json",
    "source-helenacrm/integration_tests/invalid_config.json",
    "unit_tests/reliability/last-run.json",
]
USERS_OWN = ["secrets/kommo.json", "source-kommo/secrets/config.json", "doctor-kommo-2026-12-02.md"]


def _headings(markdown: Path) -> set[str]:
    """GitHub's anchors for a page's headings."""
    text = re.sub(r"```.*?```", "", markdown.read_text(), flags=re.S)
    headings = re.findall(r"^#{1,6}\s+(.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("markdown", MARKDOWN, ids=[str(p.relative_to(REPO_ROOT)) for p in MARKDOWN])
def test_every_relative_link_in_the_docs_reaches_its_file_and_heading(markdown: Path) -> None:
    broken = []
    for target in LINK.findall(re.sub(r"```.*?```", "", markdown.read_text(), flags=re.S)):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        destination = (markdown.parent / path).resolve() if path else markdown
        if not destination.exists():
            broken.append(target)
        elif anchor and destination.suffix == ".md" and anchor not in _headings(destination):
            broken.append(target)
    assert broken == []


def test_what_tools_and_tests_leave_and_a_users_secrets_are_ignored_by_git() -> None:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = LEFTOVERS + USERS_OWN
    run = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(run.stdout.split()) == sorted(paths)


def test_given_the_leftovers_of_a_first_hour_when_make_clean_then_only_the_users_secrets_remain(
    tmp_path: Path,
) -> None:
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    for name in LEFTOVERS + USERS_OWN:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / ".venv").mkdir()

    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True, capture_output=True, timeout=60)

    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(["Makefile", *USERS_OWN])


def test_given_a_plain_test_run_when_reliability_results_are_saved_then_the_tracked_file_is_untouched() -> (
    None
):
    assert reliability.results_file({}) == reliability.LAST_RUN != reliability.RESULTS
    assert reliability.results_file({"RELIABILITY_RECORD": "0"}) == reliability.LAST_RUN
    assert reliability.results_file({"RELIABILITY_RECORD": "1"}) == reliability.RESULTS
