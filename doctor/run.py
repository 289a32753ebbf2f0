"""Runs the connector through its real entry point: spec check, ``check``, ``discover``, a bounded ``read``.

Each command is ``python -m doctor.probe <command> … --manifest-path … --components-path …``: the
``source-declarative-manifest`` CLI in a child process, with the doctor's observation hooks (see
``doctor.probe``). Its Airbyte messages are parsed as they arrive, so progress shows per stream.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from doctor.schema import StreamProfile
from tools.configured_catalog import configure

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Limits:
    """How much a doctor run may read: small by default, to stay far inside any rate limit."""

    pages_per_slice: int = 3
    stream_seconds: float = 60.0
    total_seconds: float = 600.0


@dataclass
class Connector:
    name: str
    folder: Path

    @classmethod
    def named(cls, name: str) -> Connector:
        name = name.removeprefix("source-")
        folder = REPO_ROOT / f"source-{name}"
        if not (folder / "manifest.yaml").exists():
            known = sorted(p.name.removeprefix("source-") for p in REPO_ROOT.glob("source-*/manifest.yaml"))
            known = [k.split("/")[0] for k in known]
            raise SystemExit(f"doctor: no connector named {name!r}; known: {', '.join(known)}")
        return cls(name, folder)

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.yaml"

    @property
    def components_path(self) -> Path:
        return self.folder / "components.py"

    def manifest(self) -> dict[str, Any]:
        return yaml.safe_load(self.manifest_path.read_text())

    def spec(self) -> dict[str, Any]:
        return self.manifest()["spec"]["connection_specification"]

    def version(self) -> str:
        metadata = self.folder / "metadata.yaml"
        if metadata.exists():
            data = yaml.safe_load(metadata.read_text()) or {}
            return str((data.get("data") or {}).get("dockerImageTag") or "unknown")
        return "unknown"


@dataclass
class StreamRun:
    """What the read showed about one stream."""

    name: str
    profile: StreamProfile
    sync_mode: str
    statuses: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunResult:
    connector: Connector
    limits: Limits
    config_problem: str | None = None
    check: dict[str, Any] | None = None
    catalog: dict[str, Any] | None = None
    streams: dict[str, StreamRun] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    global_errors: list[dict[str, Any]] = field(default_factory=list)
    timed_out: bool = False
    seconds: float = 0.0
    returncode: int | None = None


def validate_config(config: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """One sentence naming the first spec rule the config breaks (the field, never its value)."""
    from jsonschema import Draft7Validator

    errors = sorted(Draft7Validator(spec).iter_errors(config), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    where = ".".join(str(p) for p in error.absolute_path) or "the config"
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"The config is missing the required setting '{missing[0] if missing else where}'."
    return f"The config setting '{where}' breaks the connector's spec (rule '{error.validator}')."


def _command(connector: Connector, command: str, files: dict[str, Path]) -> list[str]:
    args = [sys.executable, "-m", "doctor.probe", command]
    for name, path in files.items():
        args += [f"--{name}", str(path)]
    return args + [
        "--manifest-path",
        str(connector.manifest_path),
        "--components-path",
        str(connector.components_path),
    ]


def _env(events: Path, limits: Limits | None) -> dict[str, str]:
    env = {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true", "DOCTOR_EVENTS": str(events)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if limits:
        env["DOCTOR_PAGES_PER_SLICE"] = str(limits.pages_per_slice or 0)
        env["DOCTOR_STREAM_SECONDS"] = str(limits.stream_seconds or 0)
    return env


def _messages(stdout: str) -> list[dict[str, Any]]:
    out = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def _trace_errors(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        m["trace"]["error"]
        for m in messages
        if m.get("type") == "TRACE" and m["trace"].get("type") == "ERROR"
    ]


def one_sentence(text: str | None) -> str:
    """The first sentence of a connector message, without URLs, quoted strings or long numbers."""
    import re

    text = (text or "").strip()
    text = re.sub(r"https?://\S+", "<url>", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "<…>", text)
    text = re.sub(r"\d{4,}", "<n>", text)
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first[:300]


def check(connector: Connector, config_path: Path, workdir: Path) -> dict[str, Any]:
    """``check``: {"status": "SUCCEEDED"} or {"status": "FAILED", "reason": one sentence}."""
    events = workdir / "check-events.jsonl"
    proc = subprocess.run(
        _command(connector, "check", {"config": config_path}),
        capture_output=True,
        text=True,
        env=_env(events, None),
        timeout=300,
        check=False,
    )
    messages = _messages(proc.stdout)
    statuses = [m["connectionStatus"] for m in messages if m.get("type") == "CONNECTION_STATUS"]
    if statuses and statuses[0].get("status") == "SUCCEEDED":
        return {"status": "SUCCEEDED"}
    errors = _trace_errors(messages)
    reason = (statuses[0].get("message") if statuses else None) or (
        errors[0].get("message") if errors else None
    )
    return {
        "status": "FAILED",
        "reason": one_sentence(reason) or f"check exited with code {proc.returncode}.",
    }


def discover(connector: Connector, config_path: Path, workdir: Path) -> dict[str, Any] | str:
    """The discovered catalog, or one sentence saying why there is none."""
    proc = subprocess.run(
        _command(connector, "discover", {"config": config_path}),
        capture_output=True,
        text=True,
        env=_env(workdir / "discover-events.jsonl", None),
        timeout=300,
        check=False,
    )
    messages = _messages(proc.stdout)
    for message in messages:
        if message.get("type") == "CATALOG":
            return message["catalog"]
    errors = _trace_errors(messages)
    return one_sentence(
        errors[0].get("message") if errors else f"discover exited with code {proc.returncode}."
    )


def read(
    connector: Connector,
    config_path: Path,
    catalog: dict[str, Any],
    limits: Limits,
    workdir: Path,
    progress: Callable[[str], None],
    result: RunResult,
) -> None:
    """The bounded read: records feed the profiles as they arrive; events are read at the end."""
    configured = configure(catalog)  # every stream, incremental where it can be: its cursor is exercised
    for entry in configured["streams"]:
        stream = entry["stream"]
        cursor = entry["cursor_field"] or None
        result.streams[stream["name"]] = StreamRun(
            stream["name"],
            StreamProfile(stream.get("json_schema") or {}, entry["primary_key"], cursor),
            entry["sync_mode"],
        )
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(json.dumps(configured))
    events_path = workdir / "read-events.jsonl"
    stderr_path = workdir / "read-stderr.log"
    started = time.monotonic()
    with open(stderr_path, "w") as stderr:
        proc = subprocess.Popen(
            _command(connector, "read", {"config": config_path, "catalog": catalog_path}),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=_env(events_path, limits),
        )

        def stop() -> None:
            result.timed_out = True
            proc.terminate()

        timer = threading.Timer(limits.total_seconds, stop) if limits.total_seconds else None
        if timer:
            timer.daemon = True
            timer.start()
        counts: Counter[str] = Counter()
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue
            kind = message.get("type")
            if kind == "RECORD":
                name = message["record"]["stream"]
                stream_run = result.streams.get(name)
                if stream_run is not None:
                    stream_run.profile.add(message["record"]["data"])
                counts[name] += 1
                if counts[name] % 1000 == 0:
                    progress(f"{name}: {counts[name]} records")
            elif kind == "TRACE":
                trace = message["trace"]
                if trace.get("type") == "STREAM_STATUS":
                    status = trace["stream_status"]
                    name = status["stream_descriptor"]["name"]
                    state = status["status"]
                    if name in result.streams:
                        result.streams[name].statuses.append(state)
                    if state in ("STARTED", "COMPLETE", "INCOMPLETE"):
                        suffix = f", {counts[name]} records" if state != "STARTED" else ""
                        progress(f"{name}: {state.lower()}{suffix} ({time.monotonic() - started:.0f} s)")
                elif trace.get("type") == "ERROR":
                    error = trace["error"]
                    name = (error.get("stream_descriptor") or {}).get("name")
                    if name in result.streams:
                        result.streams[name].errors.append(error)
                    else:
                        result.global_errors.append(error)
        result.returncode = proc.wait()
        if timer:
            timer.cancel()
    result.seconds = time.monotonic() - started
    for line in events_path.read_text().splitlines() if events_path.exists() else []:
        event = json.loads(line)
        if event.get("e") == "seen":
            result.seen.update(event["values"])
        else:
            result.events.append(event)


def run(
    source: str,
    config_path: Path,
    limits: Limits,
    progress: Callable[[str], None] = lambda text: None,
) -> RunResult:
    """Config against the spec, ``check``, ``discover``, then the bounded read of every stream."""
    connector = Connector.named(source)
    result = RunResult(connector, limits)
    config = json.loads(config_path.read_text())
    result.config_problem = validate_config(config, connector.spec())
    if result.config_problem:
        return result
    with tempfile.TemporaryDirectory(prefix="doctor-") as tmp:
        workdir = Path(tmp)
        progress("check")
        result.check = check(connector, config_path, workdir)
        if result.check["status"] != "SUCCEEDED":
            return result
        progress("discover")
        catalog = discover(connector, config_path, workdir)
        if isinstance(catalog, str):
            result.check = {"status": "FAILED", "reason": f"discover failed: {catalog}"}
            return result
        result.catalog = catalog
        progress(f"read: {len(catalog['streams'])} streams, {describe_limits(limits)}")
        read(connector, config_path, catalog, limits, workdir, progress, result)
    return result


def describe_limits(limits: Limits) -> str:
    pages = (
        f"at most {limits.pages_per_slice} page(s) per slice" if limits.pages_per_slice else "no page limit"
    )
    stream = (
        f"{limits.stream_seconds:g} s per stream" if limits.stream_seconds else "no time limit per stream"
    )
    total = f"{limits.total_seconds:g} s in all" if limits.total_seconds else "no time limit in all"
    return f"{pages}, {stream}, {total}"
