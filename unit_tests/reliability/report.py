"""Render docs/reliability.md from the measured results (unit_tests/reliability/results.json).

    RELIABILITY_RECORD=1 .venv/bin/python -m pytest unit_tests/reliability   # measure (--soak: full matrix)
    .venv/bin/python -m unit_tests.reliability.report            # write docs/reliability.md

Every number in the document comes from the last run of each test; nothing is typed by hand.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
DOC = HERE.parents[1] / "docs" / "reliability.md"

NAMES = {"kommo": "Kommo", "helenacrm": "HelenaCRM", "rd-station-conversas": "Conversas"}
FAULT_ORDER = [
    "429",
    "5xx",
    "reset",
    "hang",
    "truncate",
    "invalid_json",
    "empty_200",
    "no_content",
    "429_forever",
    "5xx_forever",
]
COLUMN_ORDER = [
    ("kommo", "events"),
    ("kommo", "leads"),
    ("helenacrm", "contacts"),
    ("helenacrm", "messages"),
    ("rd-station-conversas", "contacts"),
    ("rd-station-conversas", "messages_history"),
]


def _cell(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _verdict(row: dict[str, Any]) -> str:
    return "known defect (xfail)" if row.get("defect") else "pass"


def _mark(row: dict[str, Any]) -> str:
    if row.get("defect"):
        return "✗"
    return "✓"


def _short_outcome(row: dict[str, Any]) -> str:
    outcome = row["outcome"]
    if outcome == "complete":
        text = f"complete {row['delivered']}/{row['expected']}"
        return text + (f", {row['duplicates']} dup" if row.get("duplicates") else "")
    if outcome == "silent_loss":
        return f"silent loss: {row['missing']} of {row['expected']} missing"
    if outcome == "failed":
        resumed = row.get("missing_after_resume")
        tail = "" if resumed is None else f", resume loses {resumed}"
        return f"failed clearly{tail}"
    if outcome == "hung":
        return f"stuck, killed after {row['seconds']} s"
    return outcome


def matrix(rows: list[dict[str, Any]]) -> list[str]:
    cells = {(r["fault"], r["connector"], r["stream"]): r for r in rows}
    faults = [f for f in FAULT_ORDER if any(k[0] == f for k in cells)]
    columns = [c for c in COLUMN_ORDER if any(k[1:] == c for k in cells)]
    labels = {r["fault"]: r["fault_label"] for r in rows}
    out = [
        "| fault | " + " | ".join(f"{NAMES[c]} {s}" for c, s in columns) + " |",
        "| --- | " + " | ".join("---" for _ in columns) + " |",
    ]
    for fault in faults:
        line = [labels[fault]]
        for connector, stream in columns:
            row = cells.get((fault, connector, stream))
            line.append("—" if row is None else f"{_mark(row)} {_short_outcome(row)}")
        out.append("| " + " | ".join(_cell(x) for x in line) + " |")
    return out


def matrix_detail(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| connector | stream | fault | fired | outcome | expected | delivered | duplicated | missing | "
        "states before error | error | seconds | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    order = {f: i for i, f in enumerate(FAULT_ORDER)}
    cols = {c: i for i, c in enumerate(COLUMN_ORDER)}
    for r in sorted(
        rows, key=lambda r: (cols.get((r["connector"], r["stream"]), 99), order.get(r["fault"], 99))
    ):
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    NAMES[r["connector"]],
                    r["stream"],
                    r["fault_label"],
                    r["fired"],
                    r["outcome"],
                    r["expected"],
                    r["delivered"],
                    r["duplicates"],
                    r["missing"],
                    r["states_before_error"],
                    r.get("error") or "",
                    r["seconds"],
                    _verdict(r),
                )
            )
            + " |"
        )
    return out


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> list[str]:
    out = ["| " + " | ".join(title for title, _ in columns) + " |", "|" + " --- |" * len(columns)]
    for r in rows:
        values = []
        for _, key in columns:
            value = r.get(key)
            if key == "connector":
                value = NAMES.get(value, value)
            if key == "verdict":
                value = _verdict(r)
            if isinstance(value, bool):
                value = "yes" if value else "no"
            values.append(_cell(value))
        out.append("| " + " | ".join(values) + " |")
    return out


def defects(results: dict[str, dict[str, Any]]) -> list[str]:
    seen: dict[str, list[str]] = defaultdict(list)
    for key, row in sorted(results.items()):
        if row.get("defect"):
            where = row.get("connector", "")
            label = key.split("::", 1)[1]
            seen[row["defect"]].append(f"{NAMES.get(where, where)}: `{label}`")
    out = []
    for reason, tests in seen.items():
        out.append(f"- {reason}.")
        out.append(f"  Cells: {', '.join(tests)}.")
    return out or ["- None: every cell passes."]


def render(payload: dict[str, Any]) -> str:
    results: dict[str, dict[str, Any]] = payload["results"]
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in sorted(results):
        by[results[key]["section"]].append(results[key])
    m = by["matrix"]
    soak_ran = any(r.get("soak") for r in results.values())
    lines = [
        "# Reliability and security",
        "",
        "<!-- Generated by `python -m unit_tests.reliability.report` from "
        "unit_tests/reliability/results.json. Do not edit by hand. -->",
        "",
        f"Measured {payload['updated']}"
        + (" (default run plus soak cells)" if soak_ran else " (default run; soak cells not included)")
        + ". Every sync runs the real entry point (`source-declarative-manifest`) against a sandbox",
        "of its own (`sandbox/`), which knows exactly which records exist: *expected* is the",
        "sandbox's truth, *delivered* the distinct expected records the sync emitted, *duplicated*",
        "the extra copies, *missing* what never arrived. A cell passes when the sync delivers",
        "exactly the sandbox's records, or fails with one clear error after a state the next sync",
        "can resume from without loss (checked by resuming). ✗ marks a known connector defect,",
        "kept as a strict xfail with its reason until the connector is fixed.",
        "",
        "## How to run",
        "",
        "- `make test` runs the default cells (about three minutes of the suite: the syncs run in",
        "  parallel, each with its own sandbox; most of their time is the connectors' own backoff).",
        "- The soak variant adds longer storms and storms that outlast every retry (up to ten minutes",
        "  of backoff per connector): `.venv/bin/python -m pytest unit_tests/reliability --soak`, or",
        "  `RELIABILITY_SOAK=1 make test` (the flag only exists when pytest is pointed at",
        "  `unit_tests/reliability`; the variable works from anywhere).",
        "- A test run merges its measurements into `unit_tests/reliability/last-run.json` (not",
        "  tracked). To regenerate this page on purpose, run with `RELIABILITY_RECORD=1` (the",
        "  measurements then go to the tracked `unit_tests/reliability/results.json`), then",
        "  `.venv/bin/python -m unit_tests.reliability.report`.",
        "",
        "Faults are the sandbox's own (`sandbox/faults.py`), aimed at one request in the middle of",
        "paging: the second page of a window or partition, or the first page of one child",
        "partition (`unit_tests/reliability/harness.py`, `TargetedFaults`). 429s come in each",
        "API's own shape (Kommo's HTML page without Retry-After, HelenaCRM's and Conversas' JSON).",
        "",
        "## Fault matrix",
        "",
        *matrix(m),
        "",
        "<details><summary>Every cell in detail</summary>",
        "",
        *matrix_detail(m),
        "",
        "</details>",
        "",
        "## Resume after SIGKILL",
        "",
        "A long incremental sync (sandbox latency on every request) is killed with SIGKILL once it",
        "has emitted the given number of states or records, then resumed from the last state it",
        "emitted. *Re-read* counts records both runs delivered.",
        "",
        *table(
            by["resume"],
            [
                ("connector", "connector"),
                ("stream", "stream"),
                ("killed", "kill_point"),
                ("expected", "expected"),
                ("first run", "first_run_records"),
                ("states emitted", "first_run_states"),
                ("second run", "second_run_records"),
                ("re-read", "re_read"),
                ("missing", "missing"),
            ],
        ),
        "",
        "Kommo's windows are one cursor, checkpointed window by window, so a resume re-reads at most",
        "the boundary second. HelenaCRM contacts (a partition per status) and Conversas history (a",
        "partition per contact) keep per-partition state, which the CDK's",
        "`ConcurrentPerPartitionCursor` emits at most once every 600 seconds: in these seconds-long",
        "test syncs a resume therefore re-reads nearly everything (nothing is lost); in a real",
        "multi-hour sync it re-reads at most about ten minutes of work.",
        "",
        "## Records changing while the sync pages",
        "",
        "Sync 1 runs while the sandbox updates records on a page it has already read (at the",
        "request for the next page); sync 2 starts from sync 1's state. The destination keeps the",
        "latest version of each record (sync 2 over sync 1).",
        "",
        *table(
            by["consistency"],
            [
                ("connector", "connector"),
                ("stream", "stream"),
                ("scenario", "scenario"),
                ("changed", "changed_mid_sync"),
                ("expected", "expected"),
                ("sync 1", "first_sync_records"),
                ("sync 2", "second_sync_records"),
                ("missing", "missing"),
                ("stale", "stale"),
                ("verdict", "verdict"),
            ],
        ),
        "",
        "## Token revoked mid-sync",
        "",
        *table(
            by["revoked"],
            [
                ("connector", "connector"),
                ("stream", "stream"),
                ("revoked after", "revoked_after_requests"),
                ("failure type", "failure_type"),
                ("message", "error"),
                ("states before the error", "states_before_error"),
                ("requests answered 401", "requests_answered_401"),
                ("401s retried", "retried_401"),
            ],
        ),
        "",
        "Every request answered 401 is never sent again; the other 401s are the first request of",
        "partitions that were already queued when the token was revoked.",
        "",
        "## Conversas history that can't be decrypted",
        "",
        *table(
            by["history"],
            [
                ("scenario", "scenario"),
                ("outcome", "outcome"),
                ("pages expected", "pages_expected"),
                ("pages delivered", "pages_delivered"),
                ("kept encrypted", "encrypted_kept"),
                ("expected encrypted", "encrypted_expected"),
                ("decrypted", "decrypted"),
                ("reasons", "reasons"),
                ("message content in logs", "content_in_logs"),
            ],
        ),
        "",
        "## Endless responses",
        "",
        "The sandbox stops answering normally after `guard` requests to the stream; a connector",
        "must stop by itself before that.",
        "",
        *table(
            by["size_bounds"],
            [
                ("connector", "connector"),
                ("stream", "stream"),
                ("server behaviour", "behaviour"),
                ("requests", "requests"),
                ("guard", "guard"),
                ("outcome", "outcome"),
                ("duplicated", "duplicates"),
                ("verdict", "verdict"),
            ],
        ),
        "",
        "## Bad configs",
        "",
        "`check` through the entry point (the rows marked `cli` in a process of their own, the rest",
        "through the same `AirbyteEntrypoint` in-process). Where a value could redirect the token,",
        "the would-be host is a local listener: *connections* counts what reached it.",
        "",
        *table(
            by["bad_config"],
            [
                ("connector", "connector"),
                ("config", "case"),
                ("runner", "runner"),
                ("stage", "stage"),
                ("status", "status"),
                ("message", "message"),
                ("connections", "listener_connections"),
                ("verdict", "verdict"),
            ],
        ),
        "",
        "## Secrets",
        "",
        *table(
            by["secrets"],
            [
                ("outputs scanned", "outputs_scanned"),
                ("bytes", "bytes_scanned"),
                ("secret values looked for", "secrets_looked_for"),
                ("message contents looked for", "message_contents_looked_for"),
                ("outputs with a secret", "outputs_with_a_secret"),
                (
                    "outputs with message content outside records",
                    "outputs_with_message_content_outside_records",
                ),
            ],
        ),
        "",
        "Every sync in the suite runs with a recognisable token and each Conversas sandbox's own",
        "private key; the scan covers stdout (records, states, logs, traces) and stderr of every",
        "run, including reads with `--debug`, retries, a revoked token and secrets of the wrong",
        "type in the config.",
        "",
        "## Known defects",
        "",
        *defects(results),
        "",
        "## Closing note",
        "",
        "The matrix as measured:",
        "",
        *[f"> {line}" for line in matrix(m)],
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    payload = json.loads(RESULTS.read_text())
    DOC.write_text(render(payload))
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
