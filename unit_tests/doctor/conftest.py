"""Running ``python -m doctor`` (the documented form) against a sandbox of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.server import SandboxServer
from unit_tests.helpers.connector import REPO_ROOT


@dataclass
class DoctorRun:
    returncode: int
    stderr: str
    markdown: str
    report: dict[str, Any]
    config: dict[str, Any]

    @property
    def problems(self) -> list[tuple[str | None, str, str | None]]:
        return sorted(
            ((p.get("stream"), p["kind"], p.get("path")) for p in self.report["problems"]),
            key=lambda p: tuple(str(x) for x in p),
        )


def run_doctor(
    server: SandboxServer, name: str, out: Path, *args: str, config: dict[str, Any] | None = None
) -> DoctorRun:
    """The doctor on one sandbox API; no wall-clock limit unless the test passes one."""
    config = config if config is not None else server.config(name)
    config_path = out / f"{name}-config.json"
    config_path.write_text(json.dumps(config))
    proc = subprocess.run(
        [sys.executable, "-m", "doctor", "--source", name, "--config", str(config_path), "--out", str(out)]
        + ["--stream-seconds", "0", "--total-seconds", "0", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=900,
        check=False,
    )
    reports = sorted(out.glob(f"doctor-{name}-*.json"))
    assert reports, f"no report written; exit {proc.returncode}: {proc.stderr[-2000:]}"
    markdown = reports[-1].with_suffix(".md").read_text()
    return DoctorRun(proc.returncode, proc.stderr, markdown, json.loads(reports[-1].read_text()), config)
