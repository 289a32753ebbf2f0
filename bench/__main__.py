"""Benchmarks: each connector's syncs at the API's own rate limit, CPU per record, memory by size.

    python -m bench                          # defaults: every available connector, ~10 min on 2 cores
    python -m bench --sizes 100000,1000000   # the Kommo memory runs at the target sizes
    python -m bench --quick --connectors kommo --out /tmp/b   # smoke run: tiny data, no latency
    python -m bench --set kommo:num_workers=5 --only sync     # try other connector settings

Writes REPORT.md, results.json and <connector>_full_rps.png into --out (default: bench/).
A connector is benchmarked when it has a manifest and the sandbox emulates its API.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, scenarios
from bench.connector import ROOT, Connector
from bench.profiles import PROFILES
from sandbox import registry

BENCH_DIR = Path(__file__).resolve().parent
SCENARIOS = ("sync", "cpu", "memory")


def _pairs(values: list[str]) -> dict[str, int]:
    out = {}
    for item in values:
        name, _, number = item.partition("=")
        out[name] = int(number)
    return out


def _settings(values: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in values:
        target, _, assignment = item.partition(":")
        key, _, value = assignment.partition("=")
        if not key or not value:
            raise SystemExit(f"--set wants CONNECTOR:KEY=VALUE, got {item!r}")
        out.setdefault(target, {})[key] = json.loads(value) if value[:1] in "0123456789-[{tf" else value
    return out


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connectors", nargs="*", default=None, help=f"subset of {list(PROFILES)}")
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny data, no latency")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=None,
        help="per-request latency of the syncs (default 200; quick 0)",
    )
    parser.add_argument(
        "--records",
        nargs="*",
        default=[],
        metavar="CONNECTOR=N",
        help="sync size in the profile's size stream (e.g. kommo=14000 leads)",
    )
    parser.add_argument(
        "--cpu-records", nargs="*", default=[], metavar="CONNECTOR=N", help="records of the CPU runs' stream"
    )
    parser.add_argument(
        "--cpu-rounds",
        type=int,
        default=None,
        help="interleaved rounds of the CPU runs, median kept (default 3; quick 1)",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="memory run sizes, comma-separated (default 10000,30000; the targets are at 100000,1000000)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        nargs="*",
        default=[],
        metavar="CONNECTOR:KEY=VALUE",
        help="connector settings instead of the spec defaults",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where REPORT.md, results.json and plots go (default bench/; quick: bench/out/quick)",
    )
    parser.add_argument(
        "--variant",
        nargs="*",
        default=[],
        metavar="CONNECTOR=FOLDER",
        help="run another manifest.yaml (+ components.py) from FOLDER instead of source-<connector>/ (to try a change)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="merge into the results.json already in --out: replace the scenarios run now, keep the others",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per connector run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    began = time.monotonic()
    out = args.out or (BENCH_DIR / "out" / "quick" if args.quick else BENCH_DIR)
    out.mkdir(parents=True, exist_ok=True)
    # configs, catalogs, states and each run's requests (<tag>.hits.json, see bench/analyze.py)
    workdir = (args.out / "work") if args.out else BENCH_DIR / "out" / "work"
    latency = args.latency_ms if args.latency_ms is not None else (0.0 if args.quick else 200.0)
    records, cpu_records, overrides = _pairs(args.records), _pairs(args.cpu_records), _settings(args.settings)
    variants = {k: Path(v).resolve() for k, _, v in (item.partition("=") for item in args.variant)}
    sizes = [int(s) for s in (args.sizes or ("700" if args.quick else "10000,30000")).split(",") if s]

    emulated = set(registry.available())
    wanted = args.connectors or list(PROFILES)
    names = []
    for name in wanted:
        if name not in PROFILES:
            raise SystemExit(f"no bench profile for {name!r}; known: {list(PROFILES)}")
        if not Connector(name).exists() or name not in emulated:
            print(f"skip {name}: no manifest or no sandbox emulation yet", flush=True)
            continue
        names.append(name)

    # the code measured: hashed before the runs (the connectors' owners may commit meanwhile)
    code = report.code_versions(names, variants)
    outcomes: list[scenarios.Outcome] = []
    for name in names:
        profile, connector = PROFILES[name], Connector(name, variants.get(name))
        work = workdir / name
        settings = overrides.get(name, {})
        if "sync" in args.only:
            size = records.get(name, profile.quick_records if args.quick else profile.sync_records)
            limit = "no rate limits (quick)" if args.quick else "real rate limits"
            print(f"[{name}] sync: {size:,} {profile.size_unit}, latency {latency:g} ms, {limit}", flush=True)
            sync = scenarios.sync(
                profile, connector, work, size, latency, not args.quick, settings, args.timeout
            )
            for o in sync:
                outcomes.append(o)
                _echo(o.result)
        if "cpu" in args.only:
            size = cpu_records.get(name, profile.quick_records if args.quick else profile.cpu_records)
            print(
                f"[{name}] cpu: {size:,} {profile.baseline.stream} through connector, bare manifest, raw loop",
                flush=True,
            )
            rounds = args.cpu_rounds or (1 if args.quick else 3)
            for o in scenarios.cpu(profile, connector, work, size, settings, rounds):
                outcomes.append(o)
                _echo(o.result)
        if "memory" in args.only and name == "kommo":
            print(f"[{name}] memory: {', '.join(f'{s:,}' for s in sizes)} {profile.size_unit}", flush=True)
            for o in scenarios.memory(profile, connector, work, sizes, settings):
                outcomes.append(o)
                _echo(o.result)

    plots = {}
    command = "python -m bench " + " ".join(shlex.quote(a) for a in argv)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    after = report.code_versions(names, variants)["manifest_sha256"]
    changed = [n for n in names if after.get(n) != code["manifest_sha256"].get(n)]
    if changed:
        code["changed_during_run"] = changed
        print(f"warning: the manifest or components of {changed} changed while the bench ran", flush=True)
    for o in outcomes:
        connector_sha = code["manifest_sha256"].get(o.result["connector"])
        o.result["run"] = {
            "command": command,
            "date": date,
            "commit": code["commit"],
            "manifest_sha256": connector_sha,
        }
        if o.result["name"].endswith("/sync/full") and o.hits:
            file = f"{o.result['connector']}_full_rps.png"
            if report.plot_rate(o, out / file):
                plots[o.result["name"]] = file
    if args.update and (out / "results.json").exists():
        outcomes = _merge(json.loads((out / "results.json").read_text())["scenarios"], outcomes)
    for o in outcomes:
        file = f"{o.result['connector']}_full_rps.png"
        if (
            o.result["name"].endswith("/sync/full")
            and o.result["name"] not in plots
            and (out / file).exists()
        ):
            plots[o.result["name"]] = file
    meta = {
        "command": command,
        "date": date,
        "took_s": time.monotonic() - began,
        "machine": report.machine(),
        "code": code,
        "options": {
            "latency_ms": latency,
            "connectors": names,
            "scenarios": args.only,
            "memory_sizes": sizes,
            "settings": overrides,
            "quick": args.quick,
            "variants": {k: str(v) for k, v in variants.items()},
        },
        "root": str(ROOT),
    }
    report.write_json(out, outcomes, meta)
    (out / "REPORT.md").write_text(report.markdown(outcomes, meta, plots))
    print(f"wrote {out / 'REPORT.md'} and {out / 'results.json'} in {meta['took_s']:.0f} s", flush=True)
    failed = [o.result["name"] for o in outcomes if o.result.get("returncode")]
    if failed:
        print(f"runs that failed: {failed}", flush=True)
    return 1 if failed else 0


def _merge(previous: list[dict[str, Any]], new: list[scenarios.Outcome]) -> list[scenarios.Outcome]:
    """--update: the new scenarios replace those of the same name; the others are kept as they were."""
    fresh = {o.result["name"]: o for o in new}
    merged = [fresh.pop(r["name"], None) or scenarios.Outcome(r) for r in previous]
    return merged + list(fresh.values())


def _echo(r: dict[str, Any]) -> None:
    keys = (
        "requests",
        "min_requests",
        "http_429",
        "records",
        "wall_s",
        "cpu_s",
        "peak_rss_mb",
        "ceiling_ratio",
        "cpu_ratio_vs_bare",
        "cpu_ratio_vs_raw",
    )
    print(f"  {r['name']}: " + ", ".join(f"{k}={r[k]}" for k in keys if r.get(k) is not None), flush=True)
    for err in r.get("errors", [])[:3]:
        print(f"    ! {err[:200]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
