"""Write bench/results.json, bench/REPORT.md and the requests-per-second plots."""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.connector import ROOT
from bench.scenarios import Outcome

TARGETS = {
    "ceiling": 0.9,
    "requests_vs_min": 1.05,
    "cpu_vs_bare": 1.25,
    "peak_rss_mb_1m": 250,
    "growth": 0.10,
}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
            ).split()[1]
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "airbyte_cdk": metadata.version("airbyte-cdk"),
        "kernel": platform.release(),
    }


def code_versions(connectors: list[str], variants: dict[str, Path] | None = None) -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    manifests = {}
    for name in connectors:
        folder = (variants or {}).get(name) or ROOT / f"source-{name}"
        digest = hashlib.sha256()
        for file in ("manifest.yaml", "components.py"):
            if (folder / file).exists():
                digest.update((folder / file).read_bytes())
        manifests[name] = digest.hexdigest()[:12]
    dirty = git("status", "--porcelain", "--", *(f"source-{n}" for n in connectors), "sandbox")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "manifest_sha256": manifests,
        "uncommitted": dirty.splitlines(),
    }


def write_json(out: Path, outcomes: list[Outcome], meta: dict[str, Any]) -> Path:
    path = out / "results.json"
    payload = {"meta": meta, "scenarios": [o.result for o in outcomes]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


# --- plots -----------------------------------------------------------------------------------------
def plot_rate(outcome: Outcome, path: Path) -> bool:
    """Top: requests per second (1 s bins) against the sustained limits. Bottom: how full each of
    the API's moving windows was (requests admitted in the trailing window / its limit): touching
    1.0 is running at the ceiling, above 1.0 would be 429s. Times are when the API's limiter saw
    each request (arrival + the emulated latency)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    hits, windows = outcome.hits, outcome.windows
    if not hits:
        return False
    admitted = sorted(h.t_in + outcome.latency_s - outcome.started for h in hits if h.status != 429)
    rejected = [h.t_in + outcome.latency_s - outcome.started for h in hits if h.status == 429]
    result = outcome.result
    end = max([*admitted, *rejected, result["wall_s"]]) + 1
    bins = list(range(int(end) + 2))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), dpi=110, sharex=True, height_ratios=[3, 2])
    top.hist(admitted, bins=bins, color="#4C78A8", label="answered requests per second")
    if rejected:
        top.hist(rejected, bins=bins, color="#E45756", label="429 per second")
    colors = ["#F58518", "#54A24B", "#B279A2"]
    for color, window in zip(colors, windows, strict=False):
        rate = window.limit / window.seconds
        top.axhline(
            rate,
            color=color,
            linestyle="--",
            label=f"limit {window.limit}/{window.seconds:g} s = {rate:.2f} req/s",
        )
        step = min(0.05, window.seconds / 20)
        grid = [i * step for i in range(int(end / step) + 1)]
        fill = [
            (bisect.bisect_right(admitted, t) - bisect.bisect_right(admitted, t - window.seconds))
            / window.limit
            for t in grid
        ]
        bottom.plot(
            grid, fill, color=color, linewidth=0.9, label=f"{window.limit}/{window.seconds:g} s window"
        )
    bottom.axhline(1.0, color="black", linestyle="--", linewidth=0.8)
    bottom.set_ylabel("window fill (1 = limit)")
    bottom.set_ylim(0, 1.25)
    bottom.legend(loc="lower right", fontsize=8)
    bottom.grid(alpha=0.3)
    top.set_title(
        f"{result['name']}: {result['requests']} requests (min {result['min_requests']}), "
        f"{result['http_429']} × 429, wall {result['wall_s']} s, ceiling ratio {result['ceiling_ratio']}",
        fontsize=10,
    )
    top.set_ylabel("requests per second")
    top.legend(loc="upper right", fontsize=8)
    top.grid(alpha=0.3)
    bottom.set_xlabel("seconds since the connector process started")
    bottom.set_xlim(0, end)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


# --- markdown --------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return lines


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("✅" if ok else "❌")


def targets(outcomes: list[Outcome]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    by = {o.result["name"]: o.result for o in outcomes}
    for r in by.values():
        if r["name"].endswith("/sync/full"):
            c = r["connector"]
            ratio = r["ceiling_ratio"]
            rows.append(
                [
                    c,
                    "ceiling ratio ≥ 0.9 (full sync, real limit)",
                    f"{_fmt(ratio)} (after startup {_fmt(r['ceiling_ratio_after_startup'])})",
                    _mark(None if ratio is None else ratio >= TARGETS["ceiling"]),
                ]
            )
            rows.append([c, "zero 429s (full sync)", r["http_429"], _mark(r["http_429"] == 0)])
            rows.append(
                [
                    c,
                    "requests ≤ 1.05 × min (full sync)",
                    f"{r['requests']} / {r['min_requests']} = {_fmt(r['requests_vs_min'])}",
                    _mark(
                        r["requests_vs_min"] is not None
                        and r["requests_vs_min"] <= TARGETS["requests_vs_min"]
                    ),
                ]
            )
        if r["name"].endswith("/sync/incremental"):
            c = r["connector"]
            rows.append(
                [
                    c,
                    "no-change incremental at the minimum",
                    f"{r['requests']} / {r['min_requests']} = {_fmt(r['requests_vs_min'])}, {r['http_429']} × 429",
                    _mark(r["requests"] == r["min_requests"])
                    if r["requests"] >= r["min_requests"]
                    else "⚠️ fewer than the API needs to see every change",
                ]
            )
        if r.get("runner") == "connector":
            rows.append(
                [
                    r["connector"],
                    f"CPU/record ≤ 1.25 × bare manifest ({r['stream']})",
                    f"{_fmt(r['cpu_ratio_vs_bare'])} (vs raw loop {_fmt(r['cpu_ratio_vs_raw'])})",
                    _mark(
                        r["cpu_ratio_vs_bare"] is not None
                        and r["cpu_ratio_vs_bare"] <= TARGETS["cpu_vs_bare"]
                    ),
                ]
            )
    mem = [r for r in by.values() if "/memory/" in r["name"]]
    for r in mem:
        if r["size"] >= 1_000_000:
            rows.append(
                [
                    r["connector"],
                    f"peak RSS ≤ 250 MB at {r['size']:,} {r['stream']}",
                    f"{_fmt(r['peak_rss_mb'])} MB",
                    _mark(r["peak_rss_mb"] <= TARGETS["peak_rss_mb_1m"]),
                ]
            )
        if "growth_vs_first" in r:
            rows.append(
                [
                    r["connector"],
                    f"RSS growth < 10% {r['growth_base']:,} → {r['size']:,}",
                    f"{r['growth_vs_first'] * 100:+.1f}%",
                    _mark(r["growth_vs_first"] < TARGETS["growth"]),
                ]
            )
    return rows


def _commands(outcomes: list[Outcome], meta: dict[str, Any]) -> list[str]:
    runs: dict[tuple[str, str, str], list[str]] = {}
    for o in outcomes:
        run = o.result.get("run") or {"command": meta["command"], "date": meta["date"]}
        key = (run["command"], run["date"], run.get("commit", "?"))
        runs.setdefault(key, []).append(f"{o.result['name']} (`{run.get('manifest_sha256', '?')}`)")
    if len(runs) == 1:
        (command, date, _), _ = runs.popitem()
        return [f"- Command: `{command}`", f"- Date: {date} (took {meta['took_s']:.0f} s)"]
    lines = [
        "- Commands (results merged with `--update`; each scenario with its manifest+components sha256):"
    ]
    for (command, date, commit), names in runs.items():
        lines.append(f"  - `{command}` on {date} at commit {commit}: {', '.join(names)}")
    return lines


def _code_lines(outcomes: list[Outcome], meta: dict[str, Any]) -> list[str]:
    """The code and options of a single run; merged reports name them per run in the commands."""
    runs = {(o.result.get("run") or {}).get("date") for o in outcomes}
    if len(runs) > 1:
        return []
    code = meta["code"]
    line = f"- Code: commit {code['commit']}; manifest+components sha256 " + ", ".join(
        f"{k} `{v}`" for k, v in code["manifest_sha256"].items()
    )
    if code["uncommitted"]:
        line += f"; uncommitted: {', '.join(code['uncommitted'])}"
    if code.get("changed_during_run"):
        line += f"; **changed while the bench ran: {', '.join(code['changed_during_run'])}**"
    return [line, f"- Options: {meta['options']}"]


def markdown(outcomes: list[Outcome], meta: dict[str, Any], plots: dict[str, str]) -> str:
    m = meta["machine"]
    lines = [
        "# Benchmark report",
        "",
        *_commands(outcomes, meta),
        f"- Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, airbyte-cdk {m['airbyte_cdk']}",
        *_code_lines(outcomes, meta),
        "",
        "Written by `python -m bench` (bench/). How each number is measured is at the end; the analysis of "
        "the misses (profiles, causes, measured fixes) is in [FINDINGS.md](FINDINGS.md).",
        "",
        "## Targets",
        "",
        *_table(["connector", "target", "measured", "met"], targets(outcomes)),
        "",
    ]
    syncs = [o.result for o in outcomes if "/sync/" in o.result["name"]]
    if syncs:
        lines += ["## Syncs at the real rate limits", ""]
        lines += _table(
            [
                "scenario",
                "size",
                "settings",
                "rate limit",
                "latency ms",
                "requests",
                "min",
                "min (windows)",
                "429",
                "re-reads",
                "records",
                "wall s",
                "startup s",
                "CPU s",
                "peak RSS MB",
                "forced s",
                "ceiling ratio",
                "after startup",
            ],
            [
                [
                    r["name"],
                    ", ".join(f"{v:,} {k}" for k, v in r["size"].items()),
                    ", ".join(f"{k}={v}" for k, v in r["settings"].items()),
                    r["rate_limit"],
                    r["latency_ms"],
                    r["requests"],
                    r["min_requests"],
                    r.get("min_windowed"),
                    r["http_429"],
                    r.get("reread_requests", "–"),
                    r["records"],
                    r["wall_s"],
                    r["startup_s"],
                    r["cpu_s"],
                    r["peak_rss_mb"],
                    r["forced_wall_s"],
                    r["ceiling_ratio"],
                    r["ceiling_ratio_after_startup"],
                ]
                for r in syncs
            ],
        )
        lines.append("")
        for r in syncs:
            lines += [f"### {r['name']} — per stream", ""]
            full = r["name"].endswith("/full")
            headers = [
                "stream",
                "requests",
                "min",
                *(["min (windows)"] if full else []),
                "429",
                "records",
                *(["truth"] if full else []),
                "span s",
            ]
            rows = [
                [
                    s["stream"],
                    s["requests"],
                    s["min_requests"],
                    *([s.get("min_windowed")] if full else []),
                    s["http_429"],
                    s["records"],
                    *([s.get("truth")] if full else []),
                    s["span_s"],
                ]
                for s in r["streams"]
            ]
            lines += _table(headers, rows)
            problems = [e for e in r["errors"]] + (
                [f"exit code {r['returncode']}"] if r["returncode"] else []
            )
            if problems:
                lines += ["", "Errors: " + "; ".join(f"`{p[:200]}`" for p in problems)]
            if r["name"] in plots:
                lines += ["", f"![{r['name']} requests per second]({plots[r['name']]})"]
            lines.append("")
    cpus = [o.result for o in outcomes if "/cpu/" in o.result["name"]]
    if cpus:
        lines += ["## CPU per record (no latency, no limit, same pages)", ""]
        lines += _table(
            [
                "scenario",
                "records",
                "requests",
                "wall s",
                "CPU s",
                "CPU s of the 3 rounds",
                "µs CPU / record",
                "startup CPU s",
                "marginal µs / record",
                "peak RSS MB",
                "vs bare manifest",
                "vs raw loop",
                "marginal vs bare",
                "marginal vs raw",
            ],
            [
                [
                    r["name"],
                    r["records"],
                    r["requests"],
                    r["wall_s"],
                    r["cpu_s"],
                    " / ".join(_fmt(v) for v in r.get("cpu_s_rounds", [])),
                    r["cpu_us_per_record"],
                    r.get("startup_cpu_s"),
                    r.get("marginal_cpu_us_per_record"),
                    r["peak_rss_mb"],
                    r.get("cpu_ratio_vs_bare"),
                    r.get("cpu_ratio_vs_raw"),
                    r.get("marginal_cpu_ratio_vs_bare"),
                    r.get("marginal_cpu_ratio_vs_raw"),
                ]
                for r in cpus
            ],
        )
        lines.append("")
    mems = [o.result for o in outcomes if "/memory/" in o.result["name"]]
    if mems:
        lines += ["## Memory (full sync of one stream, no latency, no limit)", ""]
        lines += _table(
            [
                "scenario",
                "records",
                "requests",
                "wall s",
                "records/s",
                "CPU s",
                "peak RSS MB",
                "growth",
                "RSS MB at 25/50/75/100% of the run",
            ],
            [
                [
                    r["name"],
                    r["records"],
                    r["requests"],
                    r["wall_s"],
                    r["records_per_s"],
                    r["cpu_s"],
                    r["peak_rss_mb"],
                    f"{r['growth_vs_first'] * 100:+.1f}%" if "growth_vs_first" in r else None,
                    " / ".join(_fmt(v) for v in r["rss_mb_at"].values()),
                ]
                for r in mems
            ],
        )
        lines.append("")
    lines += [
        "## How the numbers are measured",
        "",
        "- Each run is the real entry point `source-declarative-manifest read --manifest-path … --components-path …` "
        "(`AIRBYTE_ENABLE_UNSAFE_CODE=true`) as a child process; the sandbox serves in the harness process on a free port.",
        "- Syncs: rate windows of the sandbox = the real API's (`app.default_windows`); every answer is delayed by the latency. "
        "The connector's speed settings are its spec defaults (the sandbox's test config sets them high; the bench drops them) unless `--set` overrides them. "
        "The full sync configures every stream as a platform does (incremental where supported) with no state; the incremental sync starts from the full sync's last STATE per stream, with nothing changed and fresh rate windows.",
        "- requests / 429s / span: counted by the sandbox per request within the one run, and mapped to a stream by path (bench/profiles.py). "
        "Pipelines and pipeline_statuses share one Kommo endpoint and one row. CPU s and peak RSS are per process (os.wait4 rusage: user+sys, ru_maxrss), so per run, not per stream; the CPU scenario isolates one stream in its own run.",
        "- min: the minimum requests the data needs at the API's maximum page size with no redundant call (formula per connector in bench/profiles.py). "
        "min (windows): the same, when incremental streams are read in the connector's default windows (each window ends with its own short page). "
        "re-reads: requests that returned at least one record the same run had already been sent (Kommo restricts an IP that keeps asking for the same data); counted by the Kommo sandbox, '–' where the sandbox doesn't count them.",
        "- forced s: the time the rate limit forces on `min` requests: every request admitted as early as all moving windows allow (bursts included), plus one latency. "
        "ceiling ratio = forced s / wall s of the connector process; 'after startup' excludes the time from process start to its first request (interpreter, CDK import, manifest parsing).",
        "- CPU: the connector reads the baseline stream alone; (a) a bare declarative manifest (requester + DpathExtractor + PageIncrement, open schema, no components/transformations/cursor) and "
        "(b) a plain `requests` loop printing RECORD messages read the same path with the same record-shaping params, in the same invocation; ratio = (CPU s / record) ÷ (CPU s / record of the baseline), CPU including process startup (the target's definition). "
        "'marginal' subtracts each runner's startup CPU (the least of two `discover` runs for the CDK runners, of two import-only runs for the loop); "
        "it is the per-record cost a long sync converges to, but sensitive to noise: the machine is shared. "
        "Each runner runs 3 times, interleaved; the table shows its median-CPU run (all rounds' CPU s are in results.json, `cpu_s_rounds`). "
        "HelenaCRM's baselines read one `Status` list (ACTIVE, 70% of the contacts the connector reads): the same startup spread over fewer records "
        "makes its total ratio flatter the connector, so read the marginal ratio there.",
        "- Memory: peak RSS of the connector process (ru_maxrss) for a full sync of one stream at each size; growth relative to the first size.",
        "",
    ]
    return "\n".join(lines)
