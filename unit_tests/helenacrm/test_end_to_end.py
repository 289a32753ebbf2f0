"""The real entry point (source-declarative-manifest) against the HelenaCRM sandbox."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from unit_tests.helpers.cli import CliOutput, configured_catalog, run_cli
from unit_tests.helpers.connector import Connector

pytestmark = pytest.mark.e2e

CONNECTOR = Connector("helenacrm")
NAME = "helenacrm"
INCREMENTAL = {"contacts", "portfolios", "templates", "sessions", "messages", "cards"} | {
    "chatbots",
    "sequences",
    "sequence_contacts",
    "scheduled_messages",
    "session_notes",
    "card_notes",
    "lost_reasons",
}
# Incremental streams whose state is kept per partition: the boundary instant is per partition too.
PARTITION_OF = {"contacts": "status", "cards": "panelId", "templates": "archived"}


@pytest.fixture(scope="module")
def catalog(sandbox) -> dict[str, Any]:
    """The discovered catalog; its streams and schemas are the same for every sandbox."""
    output = run_cli(CONNECTOR, "discover", sandbox.config(NAME))
    assert output.returncode == 0, output.stderr[-2000:]
    return output.catalog


def read(
    config: dict[str, Any], catalog: dict[str, Any], mode: str, state: list[dict[str, Any]] | None = None
) -> CliOutput:
    output = run_cli(CONNECTOR, "read", config, configured_catalog(catalog, mode=mode), state)
    assert output.returncode == 0, output.stderr[-2000:]
    assert not output.errors
    assert not output.logs("ERROR")
    # the sandbox prints 7 fractional digits on some timestamps: every one must parse as a cursor
    assert not [m for m in output.logs("WARN") if "cursor field" in m]
    return output


def test_given_spec_when_requested_then_every_setting_is_documented_and_the_key_is_secret() -> None:
    spec = CONNECTOR.spec().spec_messages[0].spec.connectionSpecification

    assert spec["required"] == ["api_key"]
    assert spec["properties"]["api_key"]["airbyte_secret"] is True
    for name, prop in spec["properties"].items():
        assert {"title", "description", "order", "examples"} <= set(prop), name
        if name != "api_key":
            assert "default" in prop, name


def test_given_good_and_bad_keys_when_check_then_succeeded_and_failed_with_a_clear_sentence(sandbox) -> None:
    config = sandbox.config(NAME)

    good = run_cli(CONNECTOR, "check", config)
    bad = run_cli(CONNECTOR, "check", {**config, "api_key": "not-the-token"})

    assert good.connection_status["status"] == "SUCCEEDED"
    assert bad.connection_status["status"] == "FAILED"
    assert "API key was rejected" in bad.connection_status["message"]
    assert "not-the-token" not in bad.stdout + bad.stderr


def test_given_sandbox_when_discover_then_twenty_streams_with_keys_and_cursors(catalog) -> None:
    streams = {s["name"]: s for s in catalog["streams"]}

    assert len(streams) == 20
    assert {n for n, s in streams.items() if "incremental" in s["supported_sync_modes"]} == INCREMENTAL
    assert all(s["source_defined_primary_key"] == [["id"]] for s in streams.values())
    assert all(streams[n]["default_cursor_field"] == ["updatedAt"] for n in INCREMENTAL)


# Fields the API fills only when the request names them (IncludeDetails and the like); the
# sandbox leaves each empty unless asked, so a field never filled means the request forgot it.
ASKED_FOR = {
    "contacts": ("tagIds", "customFields", "portfolioIds"),
    "portfolios": ("contactsCount", "departments"),
    "templates": ("params",),
    "sessions": (
        "agentDetails",
        "contactDetails",
        "departmentDetails",
        "channelDetails",
        "channelType",
        "classification",
    ),
    "panels": ("steps", "tags", "overdueCardCount"),
    "cards": (
        "panelTitle",
        "stepTitle",
        "stepPhase",
        "responsibleUser",
        "contacts",
        "customFields",
        "lostReason",
    ),
    "sequences": ("contactExecutingCount",),
    "sequence_contacts": ("contactDetails",),
    "scheduled_messages": ("contact", "user", "channel", "department", "template", "chatbot"),
}


def test_given_sandbox_when_full_read_then_every_stream_matches_the_truth(sandbox, catalog) -> None:
    truth = sandbox.app(NAME).truth()

    output = read(sandbox.config(NAME), catalog, "full_refresh")

    assert dict(output.record_counts) == truth
    contacts = output.records_of("contacts")
    assert {c["status"] for c in contacts} == {"ACTIVE", "ARCHIVED", "BLOCKED"}
    assert all(c["customFields"] for c in contacts)  # IncludeDetails reached the API
    assert len({c["id"] for c in contacts}) == len(contacts)
    schemas = {s["name"]: s["json_schema"] for s in catalog["streams"]}
    validators = {name: jsonschema.Draft7Validator(schema) for name, schema in schemas.items()}
    for record in output.records:
        validators[record["stream"]].validate(record["data"])
    for stream, schema in schemas.items():  # every top-level field the API sends is declared
        sent = set().union(*(r.keys() for r in output.records_of(stream)))
        assert sent <= set(schema["properties"]), (stream, sent - set(schema["properties"]))
    for stream, fields in ASKED_FOR.items():  # and every field behind a detail is asked for
        records = output.records_of(stream)
        never = [f for f in fields if not any(r.get(f) not in (None, [], {}) for r in records)]
        assert not never, (stream, never)
    steps = [s for p in output.records_of("panels") for s in p["steps"]]
    assert all(isinstance(s["cardCount"], int) for s in steps)  # StepsCardCount


def instant(value: str) -> datetime:
    """Timestamps carry 3 or 7 fractional digits: compare instants, not strings."""
    return datetime.fromisoformat(value)


def boundary_ids(records: list[dict[str, Any]], partition: str | None) -> set[str]:
    """Records sitting on the last instant of their partition: a re-read of them is expected."""
    latest: dict[Any, datetime] = defaultdict(lambda: datetime.fromisoformat("1970-01-01T00:00:00Z"))
    for r in records:
        key = r.get(partition) if partition else None
        latest[key] = max(latest[key], instant(r["updatedAt"]))
    return {
        r["id"] for r in records if instant(r["updatedAt"]) == latest[r.get(partition) if partition else None]
    }


@pytest.mark.parametrize("inclusive", [False, True], ids=["strict-filters", "inclusive-filters"])
def test_given_changes_when_incremental_read_then_only_changed_records_and_their_messages_come_back(
    fresh_sandbox, catalog, inclusive: bool
) -> None:
    app, config = fresh_sandbox.app(NAME), fresh_sandbox.config(NAME)
    app.inclusive_bounds = inclusive  # whether UpdatedAt.After/Before include their bound is unverified
    first = read(config, catalog, "incremental")
    assert dict(first.record_counts) == app.truth()

    states = {
        m["stream"]["stream_descriptor"]["name"]: m["stream"]["stream_state"]
        for m in first.last_state_per_stream()
    }
    for stream in ("sessions", "portfolios"):  # a real record's updatedAt, 7 digits or 3, is the state
        latest = max(instant(r["updatedAt"]) for r in first.records_of(stream))
        assert instant(states[stream]["updatedAt"]) == latest, stream

    changed = app.mutate()
    app.stats.reset()
    second = read(config, catalog, "incremental", first.last_state_per_stream())

    for stream in ("contacts", "sessions", "cards", "portfolios", "templates"):
        got = {r["id"] for r in second.records_of(stream)}
        allowed = set(changed[stream]) | boundary_ids(first.records_of(stream), PARTITION_OF.get(stream))
        assert set(changed[stream]) <= got, stream
        assert got <= allowed, stream
    archived = {
        r["id"]: r["status"] for r in second.records_of("contacts") if r["id"] in changed["archived_contacts"]
    }
    assert archived and set(archived.values()) == {"ARCHIVED"}  # found in its new status partition
    # New messages arrive in sessions whose updatedAt does not move (the sandbox's pessimistic
    # reading): the messages' parent follows lastInteractionDate, so they come all the same, and
    # only sessions with an interaction since the first sync (or on its boundary) are visited.
    sessions = first.records_of("sessions")
    last_talk = max(instant(r["lastInteractionDate"]) for r in sessions)
    on_boundary = {r["id"] for r in sessions if instant(r["lastInteractionDate"]) == last_talk}
    visited = set(changed["sessions"]) | set(changed["message_sessions"]) | on_boundary
    assert not set(changed["message_sessions"]) & {r["id"] for r in second.records_of("sessions")}
    messages = second.records_of("messages")
    assert set(changed["messages"]) <= {m["id"] for m in messages}
    assert {m["sessionId"] for m in messages} <= visited
    assert app.stats.as_dict()["by_route"]["/chat/v1/message"] <= len(visited)
    assert all(
        second.records_of(s) for s in ("agents", "tags", "office_hours")
    )  # full refresh streams re-read


def test_given_a_server_error_when_read_then_retried_and_nothing_lost(fresh_sandbox, catalog) -> None:
    app = fresh_sandbox.app(NAME)
    app.faults.set([{"kind": "status", "status": 500, "path": "/core/v1/agent", "times": 1}])
    config = fresh_sandbox.config(NAME)

    output = run_cli(CONNECTOR, "read", config, configured_catalog(catalog, streams=["agents"]))

    assert output.record_counts["agents"] == app.truth()["agents"]
    assert app.stats.as_dict()["by_route"]["/core/v1/agent"] == 2


def test_given_a_sync_that_dies_midway_when_rerun_with_its_state_then_it_resumes_and_nothing_is_lost(
    fresh_sandbox, catalog
) -> None:
    app = fresh_sandbox.app(NAME)
    # 30-day windows over two years, 3 statuses: 81 contact requests in all; the token dies after 60
    config = {**fresh_sandbox.config(NAME), "window_in_days": 30, "num_workers": 2}
    contacts_only = configured_catalog(catalog, streams=["contacts"], mode="incremental")
    app.faults.set([{"kind": "expire_token", "path": "/core/v1/contact", "after": 60}])

    broken = run_cli(CONNECTOR, "read", config, contacts_only)
    assert broken.returncode != 0 and broken.states  # it failed, but checkpointed finished windows first
    app.faults.clear()
    app.stats.reset()
    resumed = run_cli(CONNECTOR, "read", config, contacts_only, broken.last_state_per_stream())

    assert resumed.returncode == 0
    ids = {r["id"] for r in broken.records_of("contacts")} | {r["id"] for r in resumed.records_of("contacts")}
    assert len(ids) == app.truth()["contacts"]
    assert app.stats.as_dict()["by_route"]["/core/v1/contact"] < 40  # resumed, not started over
    assert len(resumed.records_of("contacts")) < app.truth()["contacts"] // 4
