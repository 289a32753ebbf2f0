"""Run a connector through the real entry point, ``source-declarative-manifest``, in a subprocess.

This is the command the README gives users and what the image runs (minus the image layout),
so end-to-end tests exercise argument parsing, component loading, stdout framing and exit codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unit_tests.helpers.connector import Connector

ENTRY_POINT = str(Path(sys.executable).with_name("source-declarative-manifest"))


@dataclass
class CliOutput:
    """The parsed Airbyte messages a run printed, plus its raw streams and exit code."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"] for m in self.of_type("RECORD")]

    def records_of(self, stream: str) -> list[dict[str, Any]]:
        return [r["data"] for r in self.records if r["stream"] == stream]

    @property
    def record_counts(self) -> Counter[str]:
        return Counter(r["stream"] for r in self.records)

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.of_type("STATE")]

    def last_state_per_stream(self) -> list[dict[str, Any]]:
        """The last STATE message of each stream: what a platform would pass to the next sync."""
        last: dict[str, dict[str, Any]] = {}
        for state in self.states:
            last[state["stream"]["stream_descriptor"]["name"]] = state
        return list(last.values())

    def logs(self, level: str | None = None) -> list[str]:
        return [
            m["log"]["message"] for m in self.of_type("LOG") if level is None or m["log"]["level"] == level
        ]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    @property
    def connection_status(self) -> dict[str, Any]:
        return self.of_type("CONNECTION_STATUS")[0]["connectionStatus"]

    @property
    def catalog(self) -> dict[str, Any]:
        return self.of_type("CATALOG")[0]["catalog"]

    @property
    def spec(self) -> dict[str, Any]:
        return self.of_type("SPEC")[0]["spec"]


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    messages = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return messages


def configured_catalog(
    catalog: dict[str, Any], streams: list[str] | None = None, mode: str = "full_refresh"
) -> dict[str, Any]:
    """Configure every (or the named) discovered stream for one sync mode, as the platform would."""
    configured = []
    for stream in catalog["streams"]:
        if streams is not None and stream["name"] not in streams:
            continue
        sync_mode = mode if mode in stream["supported_sync_modes"] else "full_refresh"
        configured.append(
            {
                "stream": stream,
                "sync_mode": sync_mode,
                "destination_sync_mode": "append_dedup"
                if stream.get("source_defined_primary_key")
                else "append",
                "primary_key": stream.get("source_defined_primary_key"),
                "cursor_field": stream.get("default_cursor_field", []),
            }
        )
    return {"streams": configured}


def write_inputs(folder: Path, config=None, catalog=None, state=None) -> list[str]:
    """Write config/catalog/state JSON files and return the matching ``--config …`` arguments."""
    args: list[str] = []
    for name, payload in (("config", config), ("catalog", catalog), ("state", state)):
        if payload is not None:
            path = folder / f"{name}.json"
            path.write_text(json.dumps(payload))
            args += [f"--{name}", str(path)]
    return args


def run_process(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600
) -> CliOutput:
    """Run a connector command line and parse what it printed."""
    proc = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )
    return CliOutput(proc.returncode, proc.stdout, proc.stderr, parse_messages(proc.stdout))


def run_cli(
    connector: Connector,
    command: str,
    config: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    state: list[dict[str, Any]] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    extra_args: list[str] | None = None,
) -> CliOutput:
    """``source-declarative-manifest <command> --manifest-path … --components-path …`` with temp files."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [ENTRY_POINT, command, *write_inputs(Path(tmp), config, catalog, state)]
        args += [
            "--manifest-path",
            str(connector.manifest_path),
            "--components-path",
            str(connector.components_path),
        ]
        args += extra_args or []
        run_env = {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true", **(env or {})}
        return run_process(args, env=run_env, timeout=timeout)
