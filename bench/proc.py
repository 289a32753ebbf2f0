"""Run a connector (or baseline) as a child process and measure it: wall, CPU, peak RSS, output.

CPU seconds and peak RSS come from ``os.wait4``'s rusage of the child (user + system time,
``ru_maxrss``), so nothing but the child itself is measured. stdout is read as it is written:
RECORD lines are counted per stream without a JSON parse (cheap enough for millions of lines),
STATE, TRACE and LOG lines are parsed. A sampler thread reads ``/proc/<pid>/status`` VmRSS to
show how RSS moves during the run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_STREAM = re.compile(rb'"stream":"([^"]*)"')


@dataclass
class RunResult:
    argv: list[str]
    returncode: int
    started: float  # time.monotonic() at spawn, same clock as the sandbox's timeline
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    records: Counter[str] = field(default_factory=Counter)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # last STATE per stream
    state_messages: int = 0
    errors: list[str] = field(default_factory=list)  # TRACE errors and ERROR log lines
    warnings: list[str] = field(default_factory=list)
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    stderr_tail: str = ""
    timed_out: bool = False

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(
    argv: list[str],
    env: dict[str, str] | None = None,
    timeout: float = 3600,
    sample_every: float = 0.5,
    keep_messages: int = 20,
) -> RunResult:
    """Run ``argv`` to completion and measure it."""
    with tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, env=env, bufsize=1 << 20)
        samples: list[tuple[float, float]] = []
        done = threading.Event()
        timed_out = threading.Event()

        def sample() -> None:
            while not done.wait(sample_every):
                rss = _rss_mb(proc.pid)
                if rss is not None:
                    samples.append((time.monotonic() - started, rss))
                if time.monotonic() - started > timeout:
                    timed_out.set()
                    proc.kill()
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = RunResult(argv, -1, started, 0.0, 0.0, 0.0, 0.0, 0.0)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(b'{"type":"RECORD"'):
                match = _STREAM.search(line, 0, 200)
                result.records[match.group(1).decode() if match else "?"] += 1
            elif line.startswith(b'{"type":"STATE"'):
                result.state_messages += 1
                state = json.loads(line)["state"]
                name = (state.get("stream") or {}).get("stream_descriptor", {}).get("name", "?")
                result.states[name] = state
            elif line.startswith(b'{"type":"TRACE"') and b'"type":"ERROR"' in line:
                error = json.loads(line)["trace"].get("error", {})
                if len(result.errors) < keep_messages:
                    result.errors.append(f"TRACE: {error.get('message')}")
            elif line.startswith(b'{"type":"LOG"') and (
                b'"level":"ERROR"' in line or b'"level":"WARN' in line
            ):
                log = json.loads(line)["log"]
                bucket = result.errors if log["level"] == "ERROR" else result.warnings
                if len(bucket) < keep_messages:
                    bucket.append(f"{log['level']}: {log['message'][:300]}")
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        done.set()
        sampler.join()
        stderr.seek(0)
        tail = stderr.read()[-4000:].decode(errors="replace")
    result.returncode = proc.returncode
    result.wall_s = ended - started
    result.user_s = usage.ru_utime
    result.sys_s = usage.ru_stime
    result.cpu_s = usage.ru_utime + usage.ru_stime
    result.peak_rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    result.rss_samples = samples
    result.stderr_tail = tail
    result.timed_out = timed_out.is_set()
    return result


def write_json(folder: Path, name: str, payload: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(payload))
    return path
