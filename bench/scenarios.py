"""The scenarios: rate-limited full + incremental sync, CPU against two baselines, memory by size.

Per-stream numbers of a sync come from the requests the sandbox saw within that one run, each
mapped to its stream by path (``profiles.Group``): requests, 429s and the span from the stream's
first request to its last answer. CPU seconds and peak RSS are per process, so per run, not per
stream; the CPU scenario isolates one stream in its own run to get its per-record cost.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import baselines, limits
from bench.connector import TUNING, Connector, configured_catalog, incremental_streams
from bench.proc import RunResult
from bench.profiles import Profile
from bench.traffic import Hit, Traffic
from sandbox import registry
from sandbox.server import SandboxServer

SEED = 42


@dataclass
class Outcome:
    """One scenario: its results.json object plus what the plots need (not serialized)."""

    result: dict[str, Any]
    hits: list[Hit] = field(default_factory=list)
    started: float = 0.0
    windows: tuple[Any, ...] = ()
    latency_s: float = 0.0


def _harness_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measured(
    connector: Connector, workdir: Path, tag: str, traffic: Traffic, **kwargs: Any
) -> tuple[RunResult, list[Hit], float]:
    """Run the connector; return its result, the requests the sandbox saw and the harness's CPU
    seconds meanwhile (sandbox + output reader: on a 2-core machine, the connector's competition).
    The hits are also saved to ``<workdir>/<tag>.hits.json`` for analysis."""
    traffic.reset()
    before = _harness_cpu()
    run = connector.run("read", workdir, tag=tag, **kwargs)
    harness = _harness_cpu() - before
    hits = traffic.snapshot()
    rows = [[round(h.t_in - run.started, 4), round(h.t_out - run.started, 4), h.path, h.status] for h in hits]
    (workdir / f"{tag}.hits.json").write_text(json.dumps(rows))
    return run, hits, harness


def _run_fields(run: RunResult) -> dict[str, Any]:
    return {
        "records": run.total_records,
        "wall_s": round(run.wall_s, 2),
        "cpu_s": round(run.cpu_s, 2),
        "cpu_user_s": round(run.user_s, 2),
        "cpu_sys_s": round(run.sys_s, 2),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "returncode": run.returncode,
        "errors": run.errors[:5],
        "warnings": run.warnings[:5],
        **({"stderr_tail": run.stderr_tail[-1500:]} if run.returncode != 0 else {}),
    }


def _group_rows(
    profile: Profile,
    app: Any,
    run: RunResult,
    hits: list[Hit],
    minimum: dict[str, int],
    windowed: dict[str, int],
    with_truth: bool,
) -> list[dict[str, Any]]:
    truth = app.truth()
    rows: dict[str, dict[str, Any]] = {}
    for group in profile.groups:
        rows[group.name] = {
            "stream": group.name,
            "requests": 0,
            "min_requests": minimum.get(group.name, 0),
            "http_429": 0,
            "records": sum(run.records.get(s, 0) for s in group.streams),
            "_times": [],
        }
        if group.name in windowed:
            rows[group.name]["min_windowed"] = windowed[group.name]
        if with_truth:
            rows[group.name]["truth"] = sum(truth.get(s, 0) for s in group.streams)
    known = {s for g in profile.groups for s in g.streams}
    for stream, count in run.records.items():
        if stream not in known:
            rows[stream] = {"stream": stream, "requests": 0, "min_requests": None, "http_429": 0}
            rows[stream].update({"records": count, "_times": []})
    for hit in hits:
        name = profile.group_of(hit.path)
        row = rows.setdefault(
            name,
            {"stream": name, "requests": 0, "min_requests": 0, "http_429": 0, "records": 0, "_times": []},
        )
        row["requests"] += 1
        row["http_429"] += hit.status == 429
        row["_times"].append((hit.t_in, hit.t_out))
    out = []
    for row in rows.values():
        times = row.pop("_times")
        if not row["requests"] and not row["records"] and not row["min_requests"]:
            continue
        row["span_s"] = round(max(t for _, t in times) - min(t for t, _ in times), 2) if times else 0.0
        out.append(row)
    return out


def _summarize(
    name: str,
    profile: Profile,
    app: Any,
    run: RunResult,
    hits: list[Hit],
    minimum: dict[str, int],
    windowed: dict[str, int],
    latency_s: float,
    settings: dict[str, Any],
    with_truth: bool,
) -> dict[str, Any]:
    windows = tuple(app.windows)
    ceiling = bool(windows) and with_truth
    streams = _group_rows(profile, app, run, hits, minimum, windowed, with_truth)
    min_requests = sum(minimum.values())
    forced = limits.forced_seconds(min_requests, windows, latency_s)
    first = min((h.t_in for h in hits), default=run.started)
    startup = max(0.0, first - run.started)
    result: dict[str, Any] = {
        "name": name,
        "connector": profile.name,
        "requests": len(hits),
        "min_requests": min_requests,
        "requests_vs_min": round(len(hits) / min_requests, 3) if min_requests else None,
        "http_429": sum(h.status == 429 for h in hits),
        **_run_fields(run),
        # The ceiling is a full-sync target; a no-change incremental sync is judged by its requests.
        "ceiling_ratio": round(forced / run.wall_s, 3) if ceiling and run.wall_s else None,
        "ceiling_ratio_after_startup": round(forced / (run.wall_s - startup), 3)
        if ceiling and run.wall_s > startup
        else None,
        "forced_wall_s": round(forced, 2),
        "startup_s": round(startup, 2),
        "rate_limit": limits.describe(windows),
        "latency_ms": round(latency_s * 1000),
        "settings": settings,
        "streams": streams,
    }
    if windowed:
        result["min_windowed"] = sum(windowed.values()) + sum(
            v for k, v in minimum.items() if k not in windowed
        )
    return result


def sync(
    profile: Profile,
    connector: Connector,
    workdir: Path,
    records: int,
    latency_ms: float,
    real_limits: bool,
    overrides: dict[str, Any],
    timeout: float,
) -> list[Outcome]:
    """A full sync at the real rate limit, then a no-change incremental sync from its state."""
    windows = None if real_limits else []  # None: the API's real windows
    app = registry.create_app(
        profile.name, seed=SEED, scale=profile.scale_for(records), windows=windows, latency_ms=latency_ms
    )
    traffic = Traffic(app)
    latency_s = latency_ms / 1000
    with SandboxServer([app]) as server:
        sandbox_config = app.connector_config(server.url(profile.name))
        if real_limits:
            config = connector.bench_config(sandbox_config, overrides)
        else:
            config = _unlimited(connector, sandbox_config, overrides)
        settings = connector.effective_settings(config)
        catalog = connector.discover(workdir, config)
        streams = [s["name"] for s in catalog["streams"] if s["name"] not in profile.skip_streams]
        configured = configured_catalog(catalog, streams)
        inc = incremental_streams(catalog)
        rereads: dict[str, int] = {}
        _track_rereads(app)
        full, full_hits, full_harness = _measured(
            connector, workdir, "full", traffic, config=config, catalog=configured, timeout=timeout
        )
        rereads["full"] = _track_rereads(app)
        time.sleep(latency_s)
        # _measured resets the rate windows: the next sync of a real schedule comes much later
        state = list(full.states.values())
        incr, incr_hits, incr_harness = _measured(
            connector,
            workdir,
            "incremental",
            traffic,
            config=config,
            catalog=configured,
            state=state,
            timeout=timeout,
        )
        rereads["incremental"] = _track_rereads(app)
    windowed = profile.windowed(app, config) if profile.windowed else {}
    outcomes = []
    for kind, run, hits, incremental, harness in (
        ("full", full, full_hits, False, full_harness),
        ("incremental", incr, incr_hits, True, incr_harness),
    ):
        minimum = profile.minimum(app, incremental, inc)
        result = _summarize(
            f"{profile.name}/sync/{kind}",
            profile,
            app,
            run,
            hits,
            minimum,
            {} if incremental else windowed,
            latency_s,
            settings,
            with_truth=not incremental,
        )
        result["size"] = {profile.size_unit: app.truth().get(profile.size_unit)}
        result["harness_cpu_s"] = round(harness, 2)
        if rereads.get(kind) is not None:
            result["reread_requests"] = rereads[kind]
        if incremental:
            result["state_streams"] = len(state)
        outcomes.append(Outcome(result, hits, run.started, tuple(app.windows), latency_s))
    return outcomes


def _track_rereads(app: Any) -> int | None:
    """Re-read requests the sandbox counted since the last call (None if it can't count them),
    and starts a new count: each run is counted on its own."""
    if not hasattr(app, "rereads"):
        return None
    count = app.rereads
    app.rereads, app.served = 0, set()
    return count


def _unlimited(
    connector: Connector, sandbox_config: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """Spec defaults for concurrency, but the sandbox's (high) client-side rate settings: no limit."""
    config = connector.bench_config(sandbox_config, overrides)
    for key, value in sandbox_config.items():
        if TUNING.match(key) and key.startswith("requests_per_") and key not in overrides:
            config[key] = value
    return config


def cpu(
    profile: Profile,
    connector: Connector,
    workdir: Path,
    records: int,
    overrides: dict[str, Any],
    rounds: int = 3,
) -> list[Outcome]:
    """The baseline stream through the connector, the bare manifest and the raw loop: no latency,
    no limit. ``rounds`` times, interleaved, keeping each runner's median-CPU run: on a shared
    machine a single run of each varies by ±20%."""
    spec = profile.baseline
    app = registry.create_app(profile.name, seed=SEED, scale=profile.scale_for(records), windows=[])
    traffic = Traffic(app)
    runs: dict[str, list[tuple[RunResult, list[Hit]]]] = {
        "connector": [],
        "bare-manifest": [],
        "raw-requests": [],
    }
    with SandboxServer([app]) as server:
        config = _unlimited(connector, app.connector_config(server.url(profile.name)), overrides)
        catalog = configured_catalog(connector.discover(workdir, config), [spec.stream])
        params: list[tuple[str, str]] = []
        for _ in range(max(1, rounds)):
            conn, conn_hits, _ = _measured(connector, workdir, "cpu", traffic, config=config, catalog=catalog)
            runs["connector"].append((conn, conn_hits))
            params = params or baselines.shaping_params(spec, conn_hits)
            traffic.reset()
            bare = baselines.run_bare(spec, params, server.url(profile.name), app.token, workdir)
            runs["bare-manifest"].append((bare, traffic.snapshot()))
            traffic.reset()
            raw = baselines.run_raw(spec, params, server.url(profile.name), app.token)
            runs["raw-requests"].append((raw, traffic.snapshot()))
    median = {
        kind: sorted(items, key=lambda item: item[0].cpu_s)[len(items) // 2] for kind, items in runs.items()
    }
    (conn, conn_hits), (bare, bare_hits), (raw, raw_hits) = (
        median["connector"],
        median["bare-manifest"],
        median["raw-requests"],
    )
    # Fixed cost of each runner (startup: interpreter, imports, manifest parse), measured apart
    # so the marginal per-record cost can be compared too: `discover` for the two CDK runners.
    # The least of two runs: the fixed cost without most of the noise of a shared machine.
    # Skipped in a single-round (quick) run, where the marginal columns stay empty.
    n = min(2, rounds)
    startup: dict[str, float | None] = {"connector": None, "bare-manifest": None, "raw-requests": None}
    if n > 1:
        startup = {
            "connector": min(
                connector.run("discover", workdir, config, tag="startup").cpu_s for _ in range(n)
            ),
            "bare-manifest": min(baselines.bare_startup(workdir).cpu_s for _ in range(n)),
            "raw-requests": min(baselines.raw_startup().cpu_s for _ in range(n)),
        }
    group = profile.group_of(spec.path)
    minimum = profile.minimum(app, False, set()).get(group, 0)

    def baseline_minimum(run: RunResult) -> int:
        """The baselines read one list (e.g. Helena's ACTIVE contacts): its own minimum."""
        n, size = run.total_records, spec.page_size
        return max(1, -(-n // size)) if spec.more_flag else n // size + 1

    def per_record(run: RunResult) -> float | None:
        return run.cpu_s / run.total_records if run.total_records else None

    def marginal(run: RunResult, kind: str) -> float | None:
        fixed = startup[kind]
        if fixed is None or not run.total_records:
            return None
        return max(run.cpu_s - fixed, 0.0) / run.total_records

    out = []
    for kind, run, hits in (
        ("connector", conn, conn_hits),
        ("bare-manifest", bare, bare_hits),
        ("raw-requests", raw, raw_hits),
    ):
        result = {
            "name": f"{profile.name}/cpu/{spec.stream}/{kind}",
            "connector": profile.name,
            "stream": spec.stream,
            "runner": kind,
            "requests": len(hits),
            "min_requests": minimum if kind == "connector" else baseline_minimum(run),
            "http_429": sum(h.status == 429 for h in hits),
            **_run_fields(run),
            "ceiling_ratio": None,
            "cpu_us_per_record": round(per_record(run) * 1e6, 1) if per_record(run) else None,
            "startup_cpu_s": None if startup[kind] is None else round(startup[kind], 2),
            "marginal_cpu_us_per_record": round(marginal(run, kind) * 1e6, 1)
            if marginal(run, kind)
            else None,
            "shaping_params": params,
            "cpu_s_rounds": [round(r.cpu_s, 2) for r, _ in runs[kind]],
        }
        if kind == "connector":
            conn_pr, bare_pr, raw_pr = per_record(conn), per_record(bare), per_record(raw)
            result["cpu_ratio_vs_bare"] = round(conn_pr / bare_pr, 3) if conn_pr and bare_pr else None
            result["cpu_ratio_vs_raw"] = round(conn_pr / raw_pr, 3) if conn_pr and raw_pr else None
            conn_m, bare_m, raw_m = (
                marginal(conn, kind),
                marginal(bare, "bare-manifest"),
                marginal(raw, "raw-requests"),
            )
            result["marginal_cpu_ratio_vs_bare"] = round(conn_m / bare_m, 3) if conn_m and bare_m else None
            result["marginal_cpu_ratio_vs_raw"] = round(conn_m / raw_m, 3) if conn_m and raw_m else None
            result["settings"] = connector.effective_settings(config)
        out.append(Outcome(result))
    return out


def memory(
    profile: Profile, connector: Connector, workdir: Path, sizes: list[int], overrides: dict[str, Any]
) -> list[Outcome]:
    """Full sync of the size stream alone at each size: no latency, no limit; peak RSS and growth."""
    stream = profile.size_unit
    out: list[Outcome] = []
    first_peak: float | None = None
    for size in sizes:
        app = registry.create_app(profile.name, seed=SEED, scale=profile.scale_for(size), windows=[])
        traffic = Traffic(app)
        with SandboxServer([app]) as server:
            config = _unlimited(connector, app.connector_config(server.url(profile.name)), overrides)
            catalog = configured_catalog(connector.discover(workdir, config), [stream])
            run, hits, _ = _measured(
                connector, workdir, f"memory-{size}", traffic, config=config, catalog=catalog
            )
        group = profile.group_of(profile.baseline.path)
        minimum = profile.minimum(app, False, set()).get(group, 0)
        result = {
            "name": f"{profile.name}/memory/{stream}/{size}",
            "connector": profile.name,
            "stream": stream,
            "size": size,
            "requests": len(hits),
            "min_requests": minimum,
            "http_429": sum(h.status == 429 for h in hits),
            **_run_fields(run),
            "ceiling_ratio": None,
            "records_per_s": round(run.total_records / run.wall_s) if run.wall_s else None,
            "cpu_us_per_record": round(run.cpu_s / run.total_records * 1e6, 1) if run.total_records else None,
            "rss_mb_at": _rss_quartiles(run),
            "settings": connector.effective_settings(config),
        }
        if first_peak is None:
            first_peak = run.peak_rss_mb
        else:
            result["growth_vs_first"] = round(run.peak_rss_mb / first_peak - 1, 3)
            result["growth_base"] = sizes[0]
        out.append(Outcome(result))
    return out


def _rss_quartiles(run: RunResult) -> dict[str, float]:
    """RSS at 25/50/75/100% of the run's wall time: flat memory keeps these close."""
    samples = run.rss_samples
    if not samples:
        return {}
    end = samples[-1][0]
    out = {}
    for q in (0.25, 0.5, 0.75, 1.0):
        at = [mb for t, mb in samples if t <= end * q]
        out[f"{int(q * 100)}%"] = round(at[-1], 1) if at else None
    return out
