"""The real entry point (source-declarative-manifest) against the sandbox: spec, check, discover, reads."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from sandbox.server import SandboxServer
from unit_tests.helpers.cli import CliOutput, configured_catalog, run_cli
from unit_tests.rd_station_conversas.utils import CONNECTOR

pytestmark = pytest.mark.e2e
API = "rd-station-conversas"
STREAMS = [
    "contacts",
    "custom_fields",
    "employees",
    "flows",
    "workflows",
    "wallets",
    "templates",
    "whatsapp_integrations",
    "whatsapp_official_integrations",
    "reports",
    "messages_history",
    "messages",
    "campaigns",
    "campaign_stats",
    "analytics_attendances_summary",
    "analytics_attendances_retention",
    "analytics_contacts_origin",
]


_CATALOG: dict[str, Any] = {}


def discover(config: dict[str, Any]) -> dict[str, Any]:
    """The catalog does not depend on the account (schemas are inline): discover once, through the CLI."""
    if not _CATALOG:
        _CATALOG.update(run_cli(CONNECTOR, "discover", config).catalog)
    return _CATALOG


def read(
    server: SandboxServer,
    streams: list[str] | None = None,
    mode: str = "full_refresh",
    state: Any = None,
    timeout: float = 300,
    **overrides: Any,
) -> CliOutput:
    config = {**server.config(API), **overrides}
    catalog = configured_catalog(discover(server.config(API)), streams, mode)
    return run_cli(CONNECTOR, "read", config, catalog, state, timeout=timeout)


def history_by_customer(output: CliOutput) -> dict[str, list[dict[str, Any]]]:
    pages: dict[str, list[tuple[int, list[dict[str, Any]]]]] = defaultdict(list)
    for record in output.records_of("messages_history"):
        if not record["encrypted"]:
            pages[record["customer_id"]].append((record["page"], record["messages"]))
    return {cid: [m for _, batch in sorted(p, key=lambda x: x[0]) for m in batch] for cid, p in pages.items()}


def without_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "message_id"} for m in messages]


def test_spec_in_process_documents_the_decryption_key() -> None:
    spec = CONNECTOR.spec().spec_messages[0].spec
    assert spec.connectionSpecification["required"] == ["access_token"]
    assert "Gerar Chave" in spec.connectionSpecification["properties"]["private_key_jwk"]["description"]


@pytest.mark.parametrize(
    ("overrides", "status", "phrase"),
    [
        pytest.param({}, "SUCCEEDED", None, id="good-token-and-key"),
        pytest.param(
            {"access_token": "expired"}, "FAILED", "rejected the access token (HTTP 401)", id="bad-token"
        ),
        pytest.param(
            {"private_key_jwk": '{"kty":"RSA","n":"x","e":"AQAB"}'},
            "FAILED",
            "not a valid RSA private key",
            id="bad-jwk",
        ),
    ],
)
def test_check(sandbox: SandboxServer, overrides: dict[str, Any], status: str, phrase: str | None) -> None:
    output = run_cli(CONNECTOR, "check", {**sandbox.config(API), **overrides})
    assert output.connection_status["status"] == status
    if phrase:
        assert phrase in output.connection_status["message"]
    assert sandbox.config(API)["access_token"] not in output.stdout + output.stderr


def test_discover_lists_every_stream_with_its_sync_modes(sandbox: SandboxServer) -> None:
    streams = {s["name"]: s for s in discover(sandbox.config(API))["streams"]}
    assert sorted(streams) == sorted(STREAMS)
    assert streams["messages_history"]["default_cursor_field"] == ["window_end"]
    assert streams["messages_history"]["source_defined_primary_key"] == [
        ["customer_id"],
        ["window_start"],
        ["page"],
    ]
    assert streams["messages"]["source_defined_primary_key"] == [["message_id"]]
    assert streams["messages"]["default_cursor_field"] == ["window_end"]
    assert streams["reports"]["default_cursor_field"] == ["created_at"]
    assert "incremental" in streams["reports"]["supported_sync_modes"]
    assert streams["contacts"]["supported_sync_modes"] == ["full_refresh"]


def test_full_read_counts_equal_truth_and_history_equals_plaintext(sandbox: SandboxServer) -> None:
    app = sandbox.app(API)

    output = read(sandbox)

    assert output.returncode == 0, output.stderr[-2000:]
    assert dict(output.record_counts) == {k: v for k, v in app.truth().items() if v}
    decrypted = history_by_customer(output)
    expected = {cid: msgs for cid, msgs in app.history_plaintext().items() if msgs}
    assert decrypted.keys() == expected.keys()
    assert all(without_ids(decrypted[cid]) == expected[cid] for cid in expected)
    kept = [r for r in output.records_of("messages_history") if r["encrypted"]]
    assert kept and {r["customer_id"] for r in kept} <= set(app.old_kid_customers())
    assert {r["decrypt_error"] for r in kept} == {"kid_mismatch"}
    warned = sorted(w.split(":")[0] for w in output.logs("WARN") if "kept encrypted" in w)
    assert warned == ["messages", "messages_history"]  # once per stream
    assert output.logs("ERROR") == [] and output.errors == []
    assert all(m["content"] not in output.stderr for msgs in list(expected.values())[:5] for m in msgs)


def test_messages_stream_has_one_keyed_row_per_decryptable_message(sandbox: SandboxServer) -> None:
    app = sandbox.app(API)

    output = read(sandbox, ["messages"])

    assert output.returncode == 0, output.stderr[-2000:]
    rows = output.records_of("messages")
    expected = app.history_plaintext()
    assert len(rows) == sum(len(m) for m in expected.values()) == app.truth()["messages"]
    assert len({r["message_id"] for r in rows}) == len(rows)
    fields = list(next(m for msgs in expected.values() for m in msgs))
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_customer[r["customer_id"]].append({k: r[k] for k in fields})
    assert {cid: msgs for cid, msgs in by_customer.items()} == {
        cid: msgs for cid, msgs in expected.items() if msgs
    }
    assert {r["channel"] for r in rows} >= {"whatsapp", "instagram", "telegram", "email"}
    assert {r["sent_by"] for r in rows} == {"bot", "customer", "operator"}
    assert any('"BEMVINDO10"' in r["content"] for r in rows)  # a template with unescaped quotes, repaired
    assert len([w for w in output.logs("WARN") if "kept encrypted" in w]) == 1
    assert output.logs("ERROR") == [] and output.errors == []


def test_campaign_stats_skip_the_campaign_that_keeps_failing_and_analytics_are_daily_snapshots(
    fresh_sandbox: SandboxServer,
) -> None:
    app = fresh_sandbox.app(API)
    analytics = [
        f"analytics_{name}" for name in ("attendances_summary", "attendances_retention", "contacts_origin")
    ]

    output = read(fresh_sandbox, ["campaigns", "campaign_stats", *analytics], "incremental")

    assert output.returncode == 0, output.stderr[-2000:]
    stats = {r["campaign_id"] for r in output.records_of("campaign_stats")}
    assert stats == {c["id"] for c in app.data.campaigns()} - {app.data.failing_campaign_id()}
    assert app.data.flaky_campaign_id() in stats  # answered 500 once, then its stats
    assert len([w for w in output.logs("WARN") if "campaign_stats" in w and "skipped" in w]) == 1
    for stream in analytics:
        days = sorted(r["date"] for r in output.records_of(stream))
        assert len(days) == len(set(days)) == app.analytics_days(), stream
    assert output.errors == [] and output.logs("ERROR") == []


def test_incremental_history_asks_each_contact_only_for_new_messages(fresh_sandbox: SandboxServer) -> None:
    app = fresh_sandbox.app(API)
    first = read(fresh_sandbox, ["messages_history"], "incremental")
    assert (
        first.returncode == 0 and first.record_counts["messages_history"] == app.truth()["messages_history"]
    )
    changed = app.mutate(contacts=3, messages=2)["messages_history"]
    app.stats.reset()

    second = read(fresh_sandbox, ["messages_history"], "incremental", state=first.last_state_per_stream())

    assert second.returncode == 0, second.stderr[-2000:]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    had_history = {r["customer_id"] for r in first.records_of("messages_history")}
    records = second.records_of("messages_history")
    assert {r["customer_id"] for r in records} == set(changed)
    # A contact is asked from its own state (today); one with no history yet from the start date.
    assert {r["customer_id"]: r["window_start"] for r in records} == {
        cid: today if cid in had_history else app.connector_config("")["start_date"] for cid in changed
    }
    assert {r["customer_id"]: [m["created_at"] for m in r["messages"]] for r in records} == changed
    assert app.stats.by_route[r"/v2/messages/history"] == app.data.contact_count  # one page per contact


def test_plan_without_history_or_custom_fields_skips_them_and_syncs_the_rest(
    fresh_sandbox: SandboxServer,
) -> None:
    app = fresh_sandbox.app(API)
    app.history_enabled = app.custom_fields_enabled = False

    output = read(fresh_sandbox)

    assert output.returncode == 0 and output.errors == [] and output.logs("ERROR") == []
    assert dict(output.record_counts) == {k: v for k, v in app.truth().items() if v}
    assert "messages_history" not in output.record_counts and "custom_fields" not in output.record_counts
    assert "messages" not in output.record_counts
    skipped = {w.split()[1] for w in output.logs("WARN") if "is not available for this account" in w}
    # The two history streams share the contacts that feed them: the first 403 of either stops both,
    # so the other may never ask (and never warn).
    assert "custom_fields" in skipped and skipped & {"messages_history", "messages"}
    assert skipped <= {"custom_fields", "messages_history", "messages"}


def test_other_envelopes_and_no_key_still_sync_everything(fresh_sandbox: SandboxServer) -> None:
    app = fresh_sandbox.app(API)
    app.employees_envelope, app.reports_envelope = "bare", "reports"

    output = read(fresh_sandbox, ["employees", "reports", "messages_history"], private_key_jwk="")

    truth = app.truth()
    assert output.record_counts["employees"] == truth["employees"]
    assert output.record_counts["reports"] == truth["reports"]
    history = output.records_of("messages_history")
    assert len(history) == truth["messages_history"]
    assert all(r["encrypted"] and r["data"].count(".") == 4 for r in history)
    assert json.loads(app.private_jwk())["kid"] in {r["kid"] for r in history}


def test_interrupted_history_sync_resumes_without_loss_or_repeats(fresh_sandbox: SandboxServer) -> None:
    app = fresh_sandbox.app(API)
    app.faults.set([{"kind": "expire_token", "path": "/v2/messages/history", "after": 80}])
    first = read(fresh_sandbox, ["messages_history"], "incremental")
    assert first.returncode != 0 and first.record_counts["messages_history"] > 0
    app.faults.clear()

    second = read(fresh_sandbox, ["messages_history"], "incremental", state=first.last_state_per_stream())

    assert second.returncode == 0
    [state] = first.last_state_per_stream()
    start = app.connector_config("")["start_date"]
    checkpointed = {
        s["partition"]["customer_id"]
        for s in state["stream"]["stream_state"]["states"]
        if s["cursor"]["window_end"][:10] > start
    }
    done = {(r["customer_id"], r["page"]) for r in first.records_of("messages_history")}
    rest = {(r["customer_id"], r["page"]) for r in second.records_of("messages_history")}
    assert checkpointed and {cid for cid, _ in done} >= checkpointed
    assert (
        not {cid for cid, _ in rest} & checkpointed
    )  # contacts checkpointed before the failure are not read again
    assert len(done | rest) == app.truth()["messages_history"]  # and nothing is lost


def test_attendance_open_at_sync_n_and_closed_before_sync_n_plus_1_arrives_closed(
    fresh_sandbox: SandboxServer,
) -> None:
    # /v4/reports lists attendances by opening day; they close later (rd-conversas-etl). Fails before
    # 0.2.0: sync N+1 started at the state's day and never read these attendances again.
    app = fresh_sandbox.app(API)
    first = read(fresh_sandbox, ["reports"], "incremental")
    assert first.returncode == 0, first.stderr[-2000:]
    [state] = first.last_state_per_stream()
    state_day = date.fromisoformat(state["stream"]["stream_state"]["created_at"])
    lookback = state_day - timedelta(days=30)  # reports_lookback_days' default
    open_then = {
        r["id"]: r
        for r in first.records_of("reports")
        if not r["closed"] and lookback.isoformat() <= r["created_at"][:10]
    }
    assert any(r["created_at"][:10] < state_day.isoformat() for r in open_then.values())
    app.now += 46 * 86400  # every attendance open at sync N has closed since
    app.stats.reset()

    second = read(fresh_sandbox, ["reports"], "incremental", state=first.last_state_per_stream())

    assert second.returncode == 0, second.stderr[-2000:]
    now_seen = {r["id"]: r for r in second.records_of("reports")}
    assert open_then.keys() <= now_seen.keys()
    assert all(
        now_seen[i]["closed"] and now_seen[i]["closed_at"] and now_seen[i]["tma_seconds"] for i in open_then
    )
    assert app.stats.by_route[r"/v4/reports"] == 1  # the cost: one window, one page here


def test_broken_contacts_page_is_retried_not_replayed_from_cache(fresh_sandbox: SandboxServer) -> None:
    app = fresh_sandbox.app(API)
    app.faults.set([{"kind": "invalid_json", "path": "/v2/customers", "after": 1}])

    output = read(fresh_sandbox, ["messages_history"], timeout=120)  # a replayed page retries for ~20 min

    assert output.returncode == 0
    assert output.record_counts["messages_history"] == app.truth()["messages_history"]
    assert app.faults.describe()[0]["fired"] == 1
