"""The real entry point (source-declarative-manifest) against the sandbox's Kommo emulation.

The sandbox knows exactly which records exist (``truth()``) and which ones changed
(``mutate()``), so these tests prove that nothing is lost and nothing unchanged is re-read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.kommo import App
from sandbox.server import SandboxServer
from unit_tests.helpers.cli import CliOutput, configured_catalog, run_cli
from unit_tests.helpers.connector import Connector

pytestmark = pytest.mark.e2e

CONNECTOR = Connector("kommo")
STREAMS = {
    "leads", "contacts", "companies", "tasks", "events", "notes", "pipelines",
    "pipeline_statuses", "users", "custom_fields", "tags", "loss_reasons", "custom_field_values",
    "deleted_entities", "deleted_leads", "unsorted", "catalogs", "catalog_elements", "account", "user_groups",
    "roles",
}  # fmt: skip
INCREMENTAL = {"leads": "updated_at", "contacts": "updated_at", "companies": "updated_at", "tasks": "updated_at",
               "events": "created_at", "notes": "updated_at"}  # fmt: skip


def _key(stream: str, record: dict[str, Any]) -> tuple:
    if stream == "unsorted":
        return (record["uid"],)
    if stream == "catalog_elements":
        return (record["catalog_id"], record["id"])
    if stream == "custom_field_values":
        return (record["entity_type"], record["entity_id"], record["field_id"], record["value_index"])
    if stream in ("notes", "custom_fields", "tags"):
        return (record["entity_type"], record["id"])
    if stream == "pipeline_statuses":
        return (record["pipeline_id"], record["id"])
    return (record["id"],)


SPLIT = {
    "tasks",
    "events",
    "deleted_entities",
}  # a window split after a 204 re-reads, and emits again, what it had read


def _assert_matches_truth(
    output: CliOutput, app: App, streams: list[str] | set[str], splits: bool = False
) -> None:
    """Every record exactly once (with ``splits``, tasks and events may repeat rows of a split window)."""
    truth = app.truth()
    assert set(output.record_counts) == set(streams)
    for stream in streams:
        records = output.records_of(stream)
        assert len({_key(stream, r) for r in records}) == truth[stream], stream
        if not (splits and stream in SPLIT):
            assert len(records) == truth[stream], stream


def _assert_clean(output: CliOutput) -> None:
    assert output.returncode == 0, output.stderr[-2000:]
    assert output.errors == []
    assert output.logs("ERROR") == [] and output.logs("FATAL") == []


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxServer) -> dict[str, Any]:
    return run_cli(CONNECTOR, "discover", config=sandbox.config("kommo")).catalog


@pytest.fixture()
def kommo(fresh_sandbox: SandboxServer) -> Iterator[tuple[SandboxServer, App]]:
    yield fresh_sandbox, fresh_sandbox.app("kommo")


def test_spec_lists_the_settings() -> None:
    spec = CONNECTOR.spec().spec_messages[0].spec.connectionSpecification
    assert list(spec["properties"]) == [
        "subdomain", "domain", "credentials", "start_date", "requests_per_second", "num_workers", "window_days", "api_base_url",
        "lookback_minutes", "progress_log_seconds", "events_window_days",
    ]  # fmt: skip


def test_given_sandbox_token_when_check_then_succeeded(sandbox: SandboxServer) -> None:
    output = run_cli(CONNECTOR, "check", config=sandbox.config("kommo"))
    assert output.connection_status["status"] == "SUCCEEDED"


def test_given_wrong_token_when_check_then_failed_with_one_sentence(sandbox: SandboxServer) -> None:
    config = {
        **sandbox.config("kommo"),
        "credentials": {"auth_type": "api_token", "api_token": "tok-3f9a-revoked"},
    }

    output = run_cli(CONNECTOR, "check", config=config)

    assert output.connection_status["status"] == "FAILED"
    assert "the token is invalid or expired" in output.connection_status["message"]
    assert "tok-3f9a-revoked" not in output.stdout + output.stderr  # the token never reaches the output


def test_discover_lists_every_stream_with_modes_cursors_and_keys(catalog: dict[str, Any]) -> None:
    streams = {s["name"]: s for s in catalog["streams"]}
    assert set(streams) == STREAMS | {"customers"}  # customers: 402 on the sandbox's plan, so no records
    for name, cursor in INCREMENTAL.items():
        assert streams[name]["supported_sync_modes"] == ["full_refresh", "incremental"]
        assert streams[name]["default_cursor_field"] == [cursor]
    assert streams["deleted_leads"]["default_cursor_field"] == ["updated_at"]  # the trash, incremental
    assert streams["pipelines"]["supported_sync_modes"] == ["full_refresh"]
    assert streams["pipeline_statuses"]["source_defined_primary_key"] == [["pipeline_id"], ["id"]]
    assert streams["notes"]["source_defined_primary_key"] == [["entity_type"], ["id"]]
    assert streams["leads"]["json_schema"]["properties"]["custom_fields_values"]["type"] == ["array", "null"]


def test_given_full_refresh_when_read_then_every_stream_matches_the_sandbox_truth(
    sandbox: SandboxServer, catalog: dict[str, Any]
) -> None:
    output = run_cli(CONNECTOR, "read", config=sandbox.config("kommo"), catalog=configured_catalog(catalog))

    _assert_clean(output)
    _assert_matches_truth(output, sandbox.app("kommo"), STREAMS)


def test_given_state_when_incremental_read_then_only_changed_records_and_the_state_second(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo
    config, incremental = (
        server.config("kommo"),
        configured_catalog(catalog, list(INCREMENTAL), "incremental"),
    )
    first = run_cli(CONNECTOR, "read", config=config, catalog=incremental)
    _assert_clean(first)
    _assert_matches_truth(first, app, INCREMENTAL)

    changed = app.mutate(leads=5, contacts=3, companies=2, tasks=2, notes=2)
    second = run_cli(
        CONNECTOR, "read", config=config, catalog=incremental, state=first.last_state_per_stream()
    )

    _assert_clean(second)
    for stream, cursor in INCREMENTAL.items():
        # The 10 minutes before the state are re-read by design (a record that became visible late
        # must not be lost), so besides the changes only records of that lookback may return.
        lookback_from = min(_state_seconds(first, stream)) - 600
        in_lookback = {r["id"] for r in first.records_of(stream) if r[cursor] >= lookback_from}
        returned = {r["id"] for r in second.records_of(stream)}
        assert set(changed[stream]) <= returned, stream
        assert returned - set(changed[stream]) <= in_lookback, stream


def test_given_rows_that_became_visible_after_the_last_sync_passed_them_when_incremental_read_then_read(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo
    leads = configured_catalog(catalog, ["leads"], "incremental")
    app.mutate(leads=2)  # lift the state past the seeded data, to about now
    first = run_cli(CONNECTOR, "read", config=server.config("kommo"), catalog=leads)
    state = max(_state_seconds(first, "leads"))
    # Rows stamped 2 minutes before the state the first sync saved, visible only now.
    late = set(
        app.mutate(leads=3, contacts=0, companies=0, tasks=0, notes=0, stamped_at=state - 120)["leads"]
    )

    without = run_cli(
        CONNECTOR,
        "read",
        config={**server.config("kommo"), "lookback_minutes": 0},
        catalog=leads,
        state=first.last_state_per_stream(),
    )
    default = run_cli(
        CONNECTOR, "read", config=server.config("kommo"), catalog=leads, state=first.last_state_per_stream()
    )

    _assert_clean(default)
    assert late.isdisjoint(r["id"] for r in without.records_of("leads"))  # lost for good without lookback
    assert late <= {r["id"] for r in default.records_of("leads")}


def test_given_server_answering_204_past_a_page_depth_when_read_then_every_record_read(
    catalog: dict[str, Any],
) -> None:
    # Two pages at most per request (the production log's windows ended after 19): asking the
    # same page again can't help; keyset streams go on by value, tasks and events split windows.
    app = App(windows=[], scale=3)
    app.page_depth = 2
    streams = ["leads", "contacts", "companies", "tasks", "events", "notes"]
    with SandboxServer([app]) as server:
        config = {**server.config("kommo"), "window_days": 365}

        output = run_cli(CONNECTOR, "read", config=config, catalog=configured_catalog(catalog, streams))

    _assert_clean(output)
    _assert_matches_truth(output, app, streams)  # each record once, split windows included


def test_given_server_ignoring_the_filter_when_read_then_stream_fails_with_one_sentence(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo
    app.ignore_filters = True
    config = {**server.config("kommo"), "window_days": 30}

    output = run_cli(
        CONNECTOR, "read", config=config, catalog=configured_catalog(catalog, ["leads"], "incremental")
    )

    messages = [e["message"] for e in output.errors]
    assert messages and messages[0].startswith("Kommo returned a leads row with updated_at ")
    assert "outside the requested range" in messages[0] and "ignores filter[updated_at]" in messages[0]


def test_given_legacy_domain_redirecting_to_another_host_when_check_then_fails_naming_the_domain(
    kommo: tuple[SandboxServer, App],
) -> None:
    server, app = kommo
    app.legacy_redirect = True

    output = run_cli(CONNECTOR, "check", config=server.config("kommo"))

    assert output.connection_status["status"] == "FAILED"
    message = output.connection_status["message"]
    assert "Kommo moved this account from 127.0.0.1 to localhost" in message, message
    assert "invalid or expired" not in message


def _state_seconds(output: CliOutput, stream: str) -> set[int]:
    state = next(
        s for s in output.last_state_per_stream() if s["stream"]["stream_descriptor"]["name"] == stream
    )
    blob = state["stream"]["stream_state"]
    if "states" in blob:  # notes: one cursor per entity type
        return {int(s["cursor"]["updated_at"]) for s in blob["states"]}
    return {int(v) for v in blob.values()}


def test_given_exclusive_filter_bounds_when_read_then_no_boundary_second_record_is_lost(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    # The seeded data holds a CSV-import burst of hundreds of records on the last second of a
    # 30-day window; with exclusive from/to an unwidened window would drop all of them.
    server, app = kommo
    app.inclusive_bounds = False

    output = run_cli(
        CONNECTOR,
        "read",
        config=server.config("kommo"),
        catalog=configured_catalog(catalog, list(INCREMENTAL)),
    )

    _assert_clean(output)
    _assert_matches_truth(output, app, INCREMENTAL)


def test_given_429_5xx_and_resets_when_read_then_retried_and_nothing_lost(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo
    app.faults.set(
        [
            {"kind": "status", "status": 429, "path": "/leads", "after": 3},
            {"kind": "status", "status": 502, "path": "/events", "after": 2},
            {"kind": "reset", "path": "/contacts", "after": 1},
        ]
    )
    streams = ["leads", "events", "contacts"]

    output = run_cli(
        CONNECTOR, "read", config=server.config("kommo"), catalog=configured_catalog(catalog, streams)
    )

    assert output.returncode == 0 and output.errors == []
    _assert_matches_truth(output, app, streams)
    assert [f["fired"] for f in app.faults.describe()] == [1, 1, 1]


def test_given_plan_without_customers_when_read_then_customers_skipped_with_a_warning_and_sync_succeeds(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo

    output = run_cli(
        CONNECTOR,
        "read",
        config=server.config("kommo"),
        catalog=configured_catalog(catalog, ["customers", "account"]),
    )

    _assert_clean(output)
    assert dict(output.record_counts) == {"account": 1}
    assert any("Skipping stream customers: Kommo answered 402" in line for line in output.logs())
    app.customers_enabled = True
    enabled = run_cli(
        CONNECTOR, "read", config=server.config("kommo"), catalog=configured_catalog(catalog, ["customers"])
    )
    assert dict(enabled.record_counts) == {"customers": app.truth()["customers"]}


def test_given_token_without_admin_rights_when_read_then_users_skipped_and_sync_succeeds(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo
    app.users_forbidden = True

    output = run_cli(
        CONNECTOR,
        "read",
        config=server.config("kommo"),
        catalog=configured_catalog(catalog, ["users", "pipelines"]),
    )

    _assert_clean(output)
    assert dict(output.record_counts) == {"pipelines": app.truth()["pipelines"]}
    assert any("Skipping stream users" in line for line in output.logs())


def test_given_sync_dies_midway_when_resumed_from_its_state_then_it_continues_without_gaps(
    kommo: tuple[SandboxServer, App], catalog: dict[str, Any]
) -> None:
    server, app = kommo
    # 30-day windows: many checkpoints within the 12 requests that succeed
    config = {**server.config("kommo"), "window_days": 30}
    leads = configured_catalog(catalog, ["leads"], "incremental")
    _assert_clean(run_cli(CONNECTOR, "read", config=config, catalog=leads))
    full_run_requests = app.stats.requests  # what a sync from scratch costs
    app.stats.reset()
    app.faults.set([{"kind": "expire_token", "path": "/leads", "after": 12}])  # every call 401 from the 13th

    died = run_cli(CONNECTOR, "read", config=config, catalog=leads)

    assert died.returncode != 0 and died.states, "the failed sync must have checkpointed finished windows"
    app.faults.clear()
    app.stats.reset()
    resumed = run_cli(CONNECTOR, "read", config=config, catalog=leads, state=died.last_state_per_stream())

    _assert_clean(resumed)
    ids = {r["id"] for r in died.records_of("leads")} | {r["id"] for r in resumed.records_of("leads")}
    assert len(ids) == app.truth()["leads"]  # no gap between what the dead sync emitted and the resumed one
    assert app.stats.requests < full_run_requests - 8  # it did not start over


def test_given_records_updated_while_paging_a_window_when_read_then_no_unread_record_is_skipped(
    catalog: dict[str, Any],
) -> None:
    # After page 1 of a window is served, 5 of its leads are updated: they leave the window and
    # every later lead moves up 5 places. Paging by page number would then skip 5 leads.
    app = App(windows=[], scale=3)
    app.updates_while_paging = {"leads": 5}
    with SandboxServer([app]) as server:
        config = {**server.config("kommo"), "window_days": 365}

        output = run_cli(CONNECTOR, "read", config=config, catalog=configured_catalog(catalog, ["leads"]))

    _assert_clean(output)
    assert app.updates_while_paging == {}, "the sandbox updated records mid-window"
    records = output.records_of("leads")
    assert len({r["id"] for r in records}) == app.truth()["leads"]
    # no exact copy; only the 5 updated leads may come twice, as two versions (before and after the
    # update: the second when the update lands inside the sync's last window)
    versions = {(r["id"], r["updated_at"]) for r in records}
    assert len(records) == len(versions) <= app.truth()["leads"] + 5
