"""The README's one-liner: `discover … | python -m tools.configured_catalog > catalog.json`, then `read`."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tools.configured_catalog import configure, discovered_catalog
from unit_tests.helpers.cli import ENTRY_POINT, parse_messages
from unit_tests.helpers.connector import REPO_ROOT, Connector

pytestmark = pytest.mark.e2e


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true"}
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_given_discover_piped_into_the_tool_when_read_with_its_catalog_then_records_and_state_arrive(
    connector: Connector, sandbox: SandboxServer, tmp_path: Path
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(sandbox.config(connector.name)))
    paths = f"--manifest-path {connector.manifest_path} --components-path {connector.components_path}"
    python, sdm = shlex.quote(sys.executable), shlex.quote(ENTRY_POINT)

    made = shell(
        f"{sdm} discover --config config.json {paths} | PYTHONPATH={REPO_ROOT} {python} -m tools.configured_catalog > catalog.json",
        tmp_path,
    )

    assert made.returncode == 0, made.stderr[-2000:]
    configured = {
        s["stream"]["name"]: s for s in json.loads((tmp_path / "catalog.json").read_text())["streams"]
    }
    discovered = {
        s["name"]: s
        for s in discovered_catalog(
            shell(f"{sdm} discover --config config.json {paths}", tmp_path).stdout.splitlines()
        )["streams"]
    }
    assert set(configured) == set(discovered)
    for name, stream in discovered.items():
        expected = "incremental" if "incremental" in stream["supported_sync_modes"] else "full_refresh"
        assert configured[name]["sync_mode"] == expected, name

    incremental = next(name for name, s in configured.items() if s["sync_mode"] == "incremental")
    full = next(name for name, s in configured.items() if s["sync_mode"] == "full_refresh")
    subset = shell(
        f"{sdm} discover --config config.json {paths} | PYTHONPATH={REPO_ROOT} {python} -m tools.configured_catalog --streams {incremental},{full} > two.json",
        tmp_path,
    )
    assert subset.returncode == 0, subset.stderr[-2000:]
    read = shell(f"{sdm} read --config config.json --catalog two.json {paths}", tmp_path)

    assert read.returncode == 0, read.stderr[-2000:]
    messages = parse_messages(read.stdout)
    streams = {m["record"]["stream"] for m in messages if m["type"] == "RECORD"}
    states = {m["state"]["stream"]["stream_descriptor"]["name"] for m in messages if m["type"] == "STATE"}
    assert streams == {incremental, full} and incremental in states


@pytest.mark.parametrize(
    ("lines", "streams", "message"),
    [
        pytest.param(['{"type": "LOG", "log": {}}'], None, "no CATALOG message", id="no-catalog"),
        pytest.param(
            [
                '{"type": "CATALOG", "catalog": {"streams": [{"name": "leads", "supported_sync_modes": ["full_refresh"]}]}}'
            ],
            ["deals"],
            "no stream named deals; the connector offers leads",
            id="unknown-stream",
        ),
    ],
)
def test_given_unusable_input_when_configuring_then_one_sentence_says_why(
    lines: list[str], streams: list[str] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        configure(discovered_catalog(lines), streams)
