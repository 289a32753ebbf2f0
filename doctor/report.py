"""Findings, and the report in Markdown and JSON: shapes and counts, never values.

The JSON holds everything; the Markdown is what a user reads and attaches to an issue. Both are
built in memory, scanned (``doctor.secrets``) and only then written; a hit writes nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from doctor import completeness
from doctor.run import RunResult, describe_limits
from doctor.secrets import LeakFound, scan, schema_words

VOCABULARY = {
    "null", "boolean", "integer", "number", "string", "object", "array", "empty", "text", "date",
    "date-time", "uuid", "24-hex id", "numeric string", "e-mail-like", "phone-like", "url-like",
    "fractional", "digits", "no fraction", "no zone", "offset",
}  # fmt: skip
FIELD_ROWS_IN_MARKDOWN = 80
SYNC_FAILED = "did not sync successfully"


def build(result: RunResult) -> dict[str, Any]:
    """The whole report as a JSON-ready dict, with its list of problems."""
    connector = result.connector
    report: dict[str, Any] = {
        "source": f"source-{connector.name}",
        "version": connector.version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "limits": {
            "pages_per_slice": result.limits.pages_per_slice,
            "seconds_per_stream": result.limits.stream_seconds,
            "seconds_in_all": result.limits.total_seconds,
        },
        "seconds": round(result.seconds, 1),
        "stopped_at_the_run_time_limit": result.timed_out,
        "check": result.check,
        "problems": [],
        "streams": {},
    }
    problems: list[dict[str, Any]] = report["problems"]
    if result.config_problem:
        problems.append({"stream": None, "kind": "config", "detail": result.config_problem})
        return report
    if result.check and result.check.get("status") != "SUCCEEDED":
        problems.append({"stream": None, "kind": "check", "detail": result.check.get("reason")})
        return report
    for error in result.global_errors:
        if SYNC_FAILED not in (error.get("message") or "") + (error.get("internal_message") or ""):
            problems.append(
                {"stream": None, "kind": "sync_failed", "detail": f"{error.get('failure_type')} error"}
            )
    limited = {e["stream"] for e in result.events if e.get("e") == "limit"}
    unparsed: dict[str, Counter[str]] = {}
    for event in result.events:
        if event.get("e") == "cursor_unparsed":
            unparsed.setdefault(event["stream"], Counter())[event["shape"]] += 1
    for name, stream in result.streams.items():
        profile = stream.profile
        http_events = [e for e in result.events if e.get("e") == "http" and e.get("stream") == name]
        stopped = name in limited or result.timed_out
        if "COMPLETE" in stream.statuses:
            status = "complete"
        elif name in limited:
            status = "stopped at the doctor's time limit"
        elif result.timed_out:
            status = "stopped at the run's time limit"
        elif stream.errors:
            status = "failed"
        else:
            status = "incomplete"
        complete = completeness.analyse(http_events, profile.records, result.limits.pages_per_slice, stopped)
        entry: dict[str, Any] = {
            "status": status,
            "sync_mode": stream.sync_mode,
            "records": profile.records,
            "primary_key": profile.primary_key,
            "cursor_field": profile.cursor_field,
            "completeness": complete,
            "http": completeness.http_summary(http_events),
            "duplicates_by_primary_key": profile.duplicates,
            "cursor": {
                "shapes": dict(profile.cursor_shapes),
                "unparsed_by_the_connector": dict(unparsed.get(name, {})),
            },
            "schema_violations": [
                {"path": path, "observed": kind, "declared": profile.declared_for.get(path, []), "count": n}
                for (path, kind), n in sorted(profile.violations.items())
            ],
            "undeclared_fields": [
                {"path": path, "types": dict(types), "count": sum(types.values())}
                for path, types in sorted(profile.undeclared.items())
            ],
            "declared_never_filled": profile.never_filled() if profile.records else [],
            "fields": profile.fields(),
            "field_paths_not_profiled": profile.paths_dropped,
        }
        report["streams"][name] = entry
        problems.extend(_stream_problems(name, entry, stream.errors, stopped))
    return report


def _stream_problems(
    name: str, entry: dict[str, Any], errors: list[dict[str, Any]], stopped: bool
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if entry["status"] in ("failed", "incomplete") and not stopped:
        kinds = sorted({str(e.get("failure_type")) for e in errors}) or ["no"]
        out.append(
            {
                "stream": name,
                "kind": "stream_failed",
                "detail": f"ended {entry['status']} ({', '.join(kinds)} error)",
            }
        )
    for violation in entry["schema_violations"]:
        declared = " or ".join(violation["declared"]) or "something else"
        out.append(
            {
                "stream": name,
                "kind": "schema_violation",
                "path": violation["path"],
                "detail": f"{violation['count']} record(s) hold {violation['observed']} where the schema declares {declared}",
            }
        )
    for path, field in entry["fields"].items():
        if field.get("values_outside_enum"):
            out.append(
                {
                    "stream": name,
                    "kind": "enum_violation",
                    "path": path,
                    "detail": f"{field['values_outside_enum']} value(s) outside the schema's enum",
                }
            )
    for undeclared in entry["undeclared_fields"]:
        types = ", ".join(sorted(undeclared["types"]))
        out.append(
            {
                "stream": name,
                "kind": "undeclared_field",
                "path": undeclared["path"],
                "detail": f"in {undeclared['count']} record(s) as {types}; the schema does not declare it",
            }
        )
    for shape, count in sorted(entry["cursor"]["unparsed_by_the_connector"].items()):
        out.append(
            {
                "stream": name,
                "kind": "cursor_unparsed",
                "path": ".".join(entry["cursor_field"] or []),
                "detail": f"{count} record(s) whose cursor value ({shape}) none of the stream's cursor formats parses",
            }
        )
    if completeness.is_problem(entry["completeness"]):
        c = entry["completeness"]
        out.append(
            {
                "stream": name,
                "kind": "completeness",
                "detail": f"{c['verdict']}: {_numbers(c)}",
            }
        )
    if entry["duplicates_by_primary_key"]:
        out.append(
            {
                "stream": name,
                "kind": "duplicates",
                "detail": f"{entry['duplicates_by_primary_key']} record(s) repeat a primary key already read in this run",
            }
        )
    return out


def _numbers(c: dict[str, Any]) -> str:
    parts = []
    if c.get("reported") is not None:
        parts.append(f"the API reported {c['reported']}")
    if c.get("rows_in_pages") is not None:
        parts.append(f"its pages held {c['rows_in_pages']}")
    parts.append(f"the connector emitted {c['emitted']}")
    if c.get("pages_with_totals"):
        parts.append(f"{c['pages_not_adding_up']} of {c['pages_with_totals']} page(s) do not add up")
    if c.get("series_stopped_early"):
        parts.append(f"{c['series_stopped_early']} request series stopped before its last page")
    return "; ".join(parts)


# --- Markdown -------------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{key} ×{n}" for key, n in counter.items()) or "none"


def markdown(report: dict[str, Any], limits_text: str) -> str:
    problems = report["problems"]
    lines = [
        f"# Doctor report: {report['source']} {report['version']}, {report['date']}",
        "",
        f"**{'No problems found.' if not problems else f'{len(problems)} problem(s) found.'}**",
        "",
        f"A read-only, bounded run through the connector's own entry point ({limits_text}; it took "
        f"{report['seconds']} s{', and stopped at the run time limit' if report['stopped_at_the_run_time_limit'] else ''}). "
        "This report holds shapes and counts only: keys, JSON types, string formats, counts. It was scanned "
        "for the config's secrets and for every value the run saw before it was written.",
        "",
    ]
    if report.get("check"):
        lines += [f"Check: {report['check'].get('status')}.", ""]
    if problems:
        lines += [
            "## Problems",
            "",
            "| # | stream | kind | field | detail |",
            "| --- | --- | --- | --- | --- |",
        ]
        for i, problem in enumerate(problems, 1):
            lines.append(
                f"| {i} | {_cell(problem.get('stream') or '—')} | {problem['kind']} | "
                f"{_cell(problem.get('path') or '—')} | {_cell(problem['detail'])} |"
            )
        lines.append("")
    if not report["streams"]:
        return "\n".join(lines)
    lines += [
        "## Streams",
        "",
        "| stream | mode | status | records | completeness | requests | HTTP statuses | retries | 429s | duplicates |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in report["streams"].items():
        http = s["http"]
        lines.append(
            f"| {name} | {s['sync_mode']} | {s['status']} | {s['records']} | {s['completeness']['verdict']} | "
            f"{http['requests']} | {_cell(_counts(http['statuses']))} | {http['retries']} | {http['http_429']} | "
            f"{s['duplicates_by_primary_key']} |"
        )
    lines.append("")
    for name, s in report["streams"].items():
        c, http = s["completeness"], s["http"]
        lines += [f"### {name}", ""]
        lines.append(
            f"- Primary key: {_path_list(s['primary_key'])}; cursor: {'.'.join(s['cursor_field']) or '—'}."
        )
        lines.append(
            f"- Completeness: {c['verdict']} ({_numbers(c)}; {c['series']} request series, "
            f"{c['series_with_totals']} with totals)."
        )
        lines.append(
            f"- Envelope keys: {', '.join(http['envelope_keys']) or '— (a bare list)'}; rows in: "
            f"{', '.join(http['rows_keys']) or '—'}; totals in: {', '.join(http['total_keys']) or '—'}."
        )
        if s["cursor_field"]:
            lines.append(
                f"- Cursor value shapes: {_counts(s['cursor']['shapes'])}; not parsed by the connector: "
                f"{_counts(s['cursor']['unparsed_by_the_connector'])}."
            )
        if s["declared_never_filled"]:
            lines.append(
                f"- Declared but never filled in this run ({len(s['declared_never_filled'])}, often normal for "
                f"optional fields): {', '.join(s['declared_never_filled'])}."
            )
        fields = list(s["fields"].items())
        if fields:
            lines += [
                "",
                "<details><summary>Field shapes</summary>",
                "",
                "| field | types | string formats |",
                "| --- | --- | --- |",
            ]
            for path, field in fields[:FIELD_ROWS_IN_MARKDOWN]:
                lines.append(
                    f"| {_cell(path)} | {_cell(_counts(field['types']))} | {_cell(_counts(field.get('formats', {})) if field.get('formats') else '—')} |"
                )
            if len(fields) > FIELD_ROWS_IN_MARKDOWN:
                lines.append(f"| … {len(fields) - FIELD_ROWS_IN_MARKDOWN} more in the JSON report | | |")
            lines += ["", "</details>"]
        lines.append("")
    lines += [
        "## Attaching this report",
        "",
        "Read it first: it should hold no name, e-mail, phone, id or token of yours. Then attach the `.md` "
        "(and the `.json`, which holds the same findings in full) to an issue about the connector.",
        "",
    ]
    return "\n".join(lines)


def _path_list(paths: list[list[str]] | None) -> str:
    return ", ".join(".".join(p) for p in paths or []) or "—"


# --- writing --------------------------------------------------------------------------------------
def allowed_words(result: RunResult, report: dict[str, Any]) -> set[str]:
    """Words a report may contain although a record also held them: names, not data."""
    words = set(VOCABULARY) | set(report["streams"])
    if result.catalog:
        words |= schema_words(s.get("json_schema") or {} for s in result.catalog["streams"])
    for stream in report["streams"].values():
        for path in stream["fields"]:
            words.update(p for p in re.split(r"[.\[\]]+", path) if p)
        words.update(stream["http"]["envelope_keys"])
    return words


def write(result: RunResult, out_dir: Path, secrets: list[str]) -> tuple[dict[str, Any], Path, Path]:
    """Build, scan and write ``doctor-<source>-<date>.md`` and ``.json``; raise LeakFound on a hit."""
    report = build(result)
    text_md = markdown(report, describe_limits(result.limits))
    text_json = json.dumps(report, indent=2, ensure_ascii=False)
    allowed = allowed_words(result, report)
    hits = scan(text_md + "\n" + text_json, secrets, result.seen, allowed)
    if hits:
        raise LeakFound("; ".join(hits))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"doctor-{result.connector.name}-{report['date']}"
    md_path, json_path = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md_path.write_text(text_md)
    json_path.write_text(text_json + "\n")
    return report, md_path, json_path
