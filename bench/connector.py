"""How the harness runs a connector: the real entry point, ``source-declarative-manifest``.

The same command the README gives users (and the image runs, minus the image layout):
``source-declarative-manifest read --manifest-path … --components-path … --config … --catalog …
[--state …]`` with ``AIRBYTE_ENABLE_UNSAFE_CODE=true``, as a child process of the harness.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench import proc

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINT = str(Path(sys.executable).with_name("source-declarative-manifest"))

# Spec settings that tune speed (rate limits, concurrency, window sizes). The sandbox's test configs set them
# high; the bench drops them so the connector's own spec defaults apply, unless --set says otherwise.
TUNING = re.compile(r"^(requests_per_|num_workers$|concurrency|max_workers$|window_)")


@dataclass
class Connector:
    name: str  # the sandbox mount / connector name, e.g. "kommo"
    variant: Path | None = None  # a folder with another manifest.yaml (+ components.py) to try instead
    _catalog: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        return self.variant or ROOT / f"source-{self.name}"

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.yaml"

    @property
    def components_path(self) -> Path:
        return self.folder / "components.py"

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def manifest(self) -> dict[str, Any]:
        return yaml.safe_load(self.manifest_path.read_text())

    def spec_properties(self) -> dict[str, Any]:
        return self.manifest()["spec"]["connection_specification"].get("properties", {})

    def tuning_defaults(self) -> dict[str, Any]:
        """The spec's defaults of every speed setting (what a user gets without touching them)."""
        return {key: prop.get("default") for key, prop in self.spec_properties().items() if TUNING.match(key)}

    def bench_config(self, sandbox_config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
        """The sandbox config with the speed settings removed (spec defaults apply) or overridden."""
        config = {k: v for k, v in sandbox_config.items() if not TUNING.match(k)}
        config.update(overrides)
        return config

    def effective_settings(self, config: dict[str, Any]) -> dict[str, Any]:
        defaults = self.tuning_defaults()
        return {key: config.get(key, default) for key, default in defaults.items()}

    def argv(self, command: str, files: dict[str, Path]) -> list[str]:
        args = [ENTRY_POINT, command]
        for key in ("config", "catalog", "state"):
            if key in files:
                args += [f"--{key}", str(files[key])]
        args += ["--manifest-path", str(self.manifest_path)]
        if self.components_path.exists():
            args += ["--components-path", str(self.components_path)]
        return args

    def run(
        self,
        command: str,
        workdir: Path,
        config: dict[str, Any],
        catalog: dict[str, Any] | None = None,
        state: list[dict[str, Any]] | None = None,
        timeout: float = 3600,
        tag: str = "run",
    ) -> proc.RunResult:
        workdir.mkdir(parents=True, exist_ok=True)
        files = {"config": proc.write_json(workdir, f"{tag}.config.json", config)}
        if catalog is not None:
            files["catalog"] = proc.write_json(workdir, f"{tag}.catalog.json", catalog)
        if state is not None:
            files["state"] = proc.write_json(workdir, f"{tag}.state.json", state)
        return proc.run(self.argv(command, files), env=connector_env(), timeout=timeout)

    def discover(self, workdir: Path, config: dict[str, Any]) -> dict[str, Any]:
        """The catalog, from ``discover`` once per connector (schemas are inline: no request is made)."""
        if self._catalog is not None:
            return self._catalog
        files = {"config": proc.write_json(workdir, "discover.config.json", config)}
        out = subprocess.run(
            self.argv("discover", files), capture_output=True, env=connector_env(), check=False, timeout=300
        )
        for line in out.stdout.splitlines():
            if line.startswith(b'{"type":"CATALOG"'):
                self._catalog = json.loads(line)["catalog"]
                return self._catalog
        raise RuntimeError(
            f"discover of {self.name} printed no catalog: {out.stderr[-2000:].decode(errors='replace')}"
        )


def connector_env() -> dict[str, str]:
    return {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true", "PYTHONUNBUFFERED": "0"}


def configured_catalog(
    catalog: dict[str, Any], streams: list[str] | None = None, mode: str = "incremental"
) -> dict[str, Any]:
    """Every (or the named) stream in ``mode`` where supported, else full refresh, as a platform would."""
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


def incremental_streams(catalog: dict[str, Any]) -> set[str]:
    return {s["name"] for s in catalog["streams"] if "incremental" in s["supported_sync_modes"]}
