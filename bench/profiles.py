"""What the harness knows about each connector: its streams' routes, data sizes, baselines and
— in one place per connector — the formula for the minimum number of requests its data needs.

Minimum requests ("min_requests") are computed from the sandbox's ground truth at the API's
maximum page size, with no redundant call: one request series per endpoint and partition the API
forces, each ending as early as the API lets a client know it has ended. They ignore the
connector's own choices (window size, concurrency); ``min_windowed`` adds back what the
connector's default incremental windows cost, to tell the two apart.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.baselines import BaselineSpec
from sandbox.app import ApiApp


@dataclass(frozen=True)
class Group:
    """One row of a per-stream table: the connector stream(s) and the API route(s) they read."""

    name: str
    streams: tuple[str, ...]
    routes: tuple[str, ...]  # regexes over the request path below the API's mount

    def matches(self, path: str) -> bool:
        return any(re.fullmatch(route, path.rstrip("/")) for route in self.routes)


@dataclass
class Profile:
    name: str  # sandbox mount name = connector folder suffix
    groups: list[Group]
    # (app, incremental run?, incremental streams) -> minimum requests per group
    minimum: Callable[[ApiApp, bool, set[str]], dict[str, int]]
    baseline: BaselineSpec
    sync_records: int  # default data size for the rate-limited sync (in ``size_unit``)
    quick_records: int
    cpu_records: int  # records of the baseline stream in the CPU runs
    size_unit: str  # the stream whose record count sets the sandbox scale
    base_size: int  # records of ``size_unit`` at scale 1
    windowed: Callable[[ApiApp, dict[str, Any]], dict[str, int]] | None = None
    notes: list[str] = field(default_factory=list)
    # Streams left out of the syncs: another grain of data a sync already reads (a user picks one).
    skip_streams: tuple[str, ...] = ()

    def scale_for(self, records: int) -> float:
        """The sandbox ``scale`` that gives ``records`` records of ``size_unit``."""
        return records / self.base_size * (1 + 1e-9)

    def group_of(self, path: str) -> str:
        for group in self.groups:
            if group.matches(path):
                return group.name
        return f"other {path}"


def last_page_pages(n: int, size: int) -> int:
    """Requests to list n records when the API never says "last page" (no total, a `next` link
    even on the last page): the full pages, then the short page or empty answer that ends it."""
    return n // size + 1


def flagged_pages(n: int, size: int) -> int:
    """Requests when each page says whether another follows (``hasMorePages``/``totalPages``)."""
    return max(1, -(-n // size))


def window_starts(start_date: str, days: int, now: float) -> list[tuple[int, int]]:
    start = int(datetime.strptime(start_date, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    out, step = [], days * 86400
    while start <= now:
        out.append((start, min(start + step - 1, int(now))))
        start += step
    return out


# --- Kommo --------------------------------------------------------------------------------------
# 250 rows per page (events 100). No totals: every list ends with a short page or a 204, so a list
# of n rows needs n // size + 1 requests. Pipeline statuses are embedded in the pipelines response
# (no call per pipeline). Notes, custom fields and tags have one endpoint per entity type (3 lists).
# A no-change incremental sync needs one request per incremental endpoint (notes: 3).
KOMMO_ENTITIES = ("leads", "contacts", "companies")
KOMMO_TIMED = {"leads": 250, "contacts": 250, "companies": 250, "tasks": 250, "events": 100}


def kommo_minimum(app: Any, incremental: bool, incremental_streams: set[str]) -> dict[str, int]:
    c, d = app.data.collections, app.data
    out = {name: last_page_pages(len(c[name]), size) for name, size in KOMMO_TIMED.items()}
    out["notes"] = sum(last_page_pages(len(c[f"{e}_notes"]), 250) for e in KOMMO_ENTITIES)
    out["pipelines + pipeline_statuses"] = 1
    out["users"] = last_page_pages(len(d.users), 250)
    out["custom_fields"] = sum(last_page_pages(len(d.custom_fields[e]), 250) for e in KOMMO_ENTITIES)
    out["tags"] = sum(last_page_pages(len(d.tags[e]), 250) for e in KOMMO_ENTITIES)
    out["loss_reasons"] = last_page_pages(len(d.loss_reasons), 250)
    if incremental:
        for name in KOMMO_TIMED:
            if name in incremental_streams:
                out[name] = 1
        if "notes" in incremental_streams:
            out["notes"] = len(KOMMO_ENTITIES)
    return out


def kommo_windowed(app: Any, config: dict[str, Any]) -> dict[str, int]:
    """The full sync's minimum when every incremental stream is read in the connector's windows
    (``window_days``, default 180, and events ``events_window_days``, default 7, from
    ``start_date``): each window ends with its own short page."""
    now, start = datetime.now(UTC).timestamp(), config.get("start_date") or "2009-01-01"
    windows = window_starts(start, int(config.get("window_days") or 180), now)
    event_windows = window_starts(start, int(config.get("events_window_days") or 7), now)
    c = app.data.collections

    def pages(collection: str, size: int) -> int:
        timeline = c[collection].timeline
        spans = event_windows if collection == "events" else windows
        return sum(last_page_pages(len(timeline.index_range(lo, hi, True, True)), size) for lo, hi in spans)

    out = {name: pages(name, size) for name, size in KOMMO_TIMED.items()}
    out["notes"] = sum(pages(f"{e}_notes", 250) for e in KOMMO_ENTITIES)
    return out


KOMMO = Profile(
    name="kommo",
    groups=[
        Group("leads", ("leads",), (r"/api/v4/leads",)),
        Group("contacts", ("contacts",), (r"/api/v4/contacts",)),
        Group("companies", ("companies",), (r"/api/v4/companies",)),
        Group("tasks", ("tasks",), (r"/api/v4/tasks",)),
        Group("events", ("events",), (r"/api/v4/events",)),
        Group("notes", ("notes",), (r"/api/v4/(leads|contacts|companies)/notes",)),
        Group(
            "pipelines + pipeline_statuses",
            ("pipelines", "pipeline_statuses"),
            (r"/api/v4/leads/pipelines", r"/api/v4/leads/pipelines/\d+/statuses"),
        ),
        Group("users", ("users",), (r"/api/v4/users",)),
        Group("custom_fields", ("custom_fields",), (r"/api/v4/(leads|contacts|companies)/custom_fields",)),
        Group("tags", ("tags",), (r"/api/v4/(leads|contacts|companies)/tags",)),
        Group("loss_reasons", ("loss_reasons",), (r"/api/v4/leads/loss_reasons",)),
        Group("account (check)", (), (r"/api/v4/account",)),
    ],
    minimum=kommo_minimum,
    windowed=kommo_windowed,
    # custom_field_values reads /leads, /contacts, /companies again, deleted_entities /events and
    # deleted_leads /leads (its trash): the same paths, so they can't have rows of their own here;
    # measured without them, as before.
    skip_streams=("custom_field_values", "deleted_entities", "deleted_leads"),
    baseline=BaselineSpec(
        stream="leads",
        path="/api/v4/leads",
        records_at=("_embedded", "leads"),
        page_param="page",
        size_param="limit",
        page_size=250,
        copy_params=("with", "order[updated_at]"),
    ),
    # Leads are 700 of ~3,080 timed rows at scale 1; 14,000 leads ≈ 62k rows ≈ 380 requests (~55 s at 7/s).
    sync_records=14_000,
    quick_records=210,
    cpu_records=15_100,
    size_unit="leads",
    base_size=700,
    notes=[
        "pipelines and pipeline_statuses both read `/leads/pipelines`; the minimum counts that response once.",
    ],
)


# --- HelenaCRM ----------------------------------------------------------------------------------
# 100 rows per page; every page says ``hasMorePages``, so n rows need ceil(n / 100) requests (one
# for an empty list). Plain-array endpoints: one request. Contacts take one ``Status`` per request
# (ACTIVE, ARCHIVED, BLOCKED: three lists), templates one ``Archived`` value (two lists) and
# scheduled messages one ``Status`` (seven lists). Messages and session notes need a session id:
# one list per session; cards and lost reasons need a panel id (lost reasons: sales panels only),
# card notes a card id, sequence contacts a sequence id. Custom fields: one list per
# ``EntityType`` (2). A no-change incremental sync: one request per incremental list (contacts 3,
# templates 2, scheduled messages 7, cards, lost reasons and sequence contacts one per parent),
# and no message or note request (nothing changed); full-refresh streams are read whole again.
HELENA_STATUSES = ("ACTIVE", "ARCHIVED", "BLOCKED")


def _helena_counts(d: Any) -> dict[str, list[int]]:
    """Rows per list the API forces, for the paged streams."""
    from sandbox.helenacrm.data import LOST_REASONS, PANELS, Extras
    from sandbox.helenacrm.data import SCHEDULED_STATUSES as SCHEDULED

    x = Extras(d)
    per_status = [0, 0, 0]
    for i in range(d.contacts.count):
        per_status[HELENA_STATUSES.index(d.contact_status(i))] += 1
    return {
        "contacts": per_status,
        "portfolios": [d.portfolios.count],
        "templates": [
            sum(1 for i in range(d.templates.count) if i % 5),
            sum(1 for i in range(d.templates.count) if i % 5 == 0),
        ],
        "sessions": [d.sessions.count],
        "messages": [d.message_count(s) for s in range(d.sessions.count)],
        "cards": [c.count for c in d.cards],
        "panels": [len(d.cards)],
        "chatbots": [d.chatbots.count],
        "sequences": [d.sequences.count],
        "sequence_contacts": [c.count for c in d.sequence_contacts],
        "scheduled_messages": [
            sum(1 for i in range(d.scheduled.count) if x.scheduled_status(i) == status)
            for status in SCHEDULED
        ],
        "lost_reasons": [len(LOST_REASONS) for _, kind in PANELS if kind == "SALES"],
        "session_notes": [x.session_note_count(s) for s in range(d.sessions.count)],
        "card_notes": [
            x.card_note_count(p, k) for p in range(len(d.cards)) for k in range(d.cards_per_panel)
        ],
    }


def helena_minimum(app: Any, incremental: bool, incremental_streams: set[str]) -> dict[str, int]:
    d = app.data
    out = {name: 1 for name in ("agents", "channels", "departments", "office_hours", "tags")}
    out["custom_fields"] = 2
    counts = _helena_counts(d)
    for name, lists in counts.items():
        out[name] = sum(flagged_pages(n, 100) for n in lists)
    if incremental:
        lists = {
            "contacts": 3,
            "templates": 2,
            "cards": len(d.cards),
            "scheduled_messages": 7,
            "sequence_contacts": d.sequences.count,
            "lost_reasons": len(counts["lost_reasons"]),
        }
        for name in (
            "contacts", "portfolios", "templates", "sessions", "cards",
            "chatbots", "sequences", "sequence_contacts", "scheduled_messages", "lost_reasons",
        ):  # fmt: skip
            if name in incremental_streams:
                out[name] = lists.get(name, 1)
        for name in ("messages", "session_notes", "card_notes"):
            if name in incremental_streams:
                out[name] = 0
    return out


def _helena_list_of(d: Any, stream: str, i: int) -> Any:
    """Which forced list record ``i`` is in: its contact status, or whether a template is archived."""
    if stream == "contacts":
        return d.contact_status(i)
    if stream == "templates":
        return i % 5 == 0  # the sandbox archives every fifth template
    return None


def helena_windowed(app: Any, config: dict[str, Any]) -> dict[str, int]:
    """Full-sync minimum when contacts, portfolios, templates and sessions are read in the
    connector's ``window_in_days`` windows (default 90) of ``updatedAt`` from ``start_date``."""
    days = int(config.get("window_in_days") or 90)
    windows = window_starts(config.get("start_date") or "2015-01-01", days, datetime.now(UTC).timestamp())
    d = app.data
    out = {}
    for name, coll, lists in (
        ("contacts", d.contacts, HELENA_STATUSES),
        ("portfolios", d.portfolios, (None,)),
        ("templates", d.templates, (False, True)),
        ("sessions", d.sessions, (None,)),
    ):
        counts = {(w, s): 0 for w in range(len(windows)) for s in lists}
        starts = [lo for lo, _ in windows]
        for i in range(coll.count):
            ts = coll.base_ts(i)
            w = max(0, min(len(windows) - 1, bisect.bisect_right(starts, ts) - 1))
            status = _helena_list_of(d, name, i)
            counts[(w, status)] += 1
        out[name] = sum(flagged_pages(n, 100) for n in counts.values())
    return out


HELENA = Profile(
    name="helenacrm",
    groups=[
        Group("agents", ("agents",), (r"/core/v1/agent",)),
        Group("channels", ("channels",), (r"/chat/v1/channel",)),
        Group("custom_fields", ("custom_fields",), (r"/core/v1/custom-field",)),
        Group("departments", ("departments",), (r"/core/v2/department",)),
        Group("office_hours", ("office_hours",), (r"/core/v1/company/officehours",)),
        Group("tags", ("tags",), (r"/core/v1/tag",)),
        Group("panels", ("panels",), (r"/crm/v2/panel",)),
        Group("contacts", ("contacts",), (r"/core/v1/contact",)),
        Group("portfolios", ("portfolios",), (r"/core/v1/portfolio",)),
        Group("templates", ("templates",), (r"/chat/v1/template",)),
        Group("sessions", ("sessions",), (r"/chat/v2/session",)),
        Group("messages", ("messages",), (r"/chat/v1/message",)),
        Group("cards", ("cards",), (r"/crm/v2/panel/card",)),
        Group("chatbots", ("chatbots",), (r"/chat/v1/chatbot",)),
        Group("sequences", ("sequences",), (r"/chat/v1/sequence",)),
        Group("sequence_contacts", ("sequence_contacts",), (r"/chat/v2/sequence/[^/]+/contact",)),
        Group("scheduled_messages", ("scheduled_messages",), (r"/chat/v1/scheduled-message",)),
        Group("session_notes", ("session_notes",), (r"/chat/v1/session/[^/]+/note",)),
        Group("card_notes", ("card_notes",), (r"/crm/v1/panel/card/[^/]+/note",)),
        Group("lost_reasons", ("lost_reasons",), (r"/crm/v1/panel/[^/]+/lost-reason",)),
    ],
    minimum=helena_minimum,
    windowed=helena_windowed,
    baseline=BaselineSpec(
        stream="contacts",
        path="/core/v1/contact",
        records_at=("items",),
        page_param="PageNumber",
        size_param="PageSize",
        page_size=100,
        more_flag="hasMorePages",
        copy_params=("IncludeDetails",),
        fixed_params=(("Status", "ACTIVE"),),
    ),
    # Sessions each need a message request: 825 contacts (scale 2.5) ≈ 650 requests, well
    # under the 1,000 per 5 minutes (client default 900) that would stall the sync for the rest of the window.
    sync_records=825,
    quick_records=330,
    cpu_records=15_000,
    size_unit="contacts",
    base_size=330,
    notes=[
        "sessions are read twice in a sync: as a stream and as the parent of messages (the CDK re-reads a parent).",
    ],
)


# --- RD Station Conversas -----------------------------------------------------------------------
# Contacts: bare arrays with no total, 100 per page (the documented UI maximum; some clients use
# 1,000), so n contacts need n // 100 + 1 requests. Message history needs ``customer_id``: one
# list per contact, 100 messages per page; the envelope may not say ``pages`` (the sandbox's
# default), and then a contact costs its full pages plus the short or empty page that ends it
# (``App.history_requests``; a page under an old key can't be counted: read to the empty page).
# Reports: ``start_date``/``end_date`` at most 90 days apart, windows of 89 days, 49 per page with
# ``pages``; an incremental sync reads again the last ``reports_lookback_days`` (default 30) before
# its state. Eight configuration lists: one request each. A no-change incremental sync still costs
# one history request per contact — the API has no "changed since" for contacts or histories —
# plus the contact list and one reports window.
CONVERSAS_LISTS = (
    "custom_fields",
    "employees",
    "flows",
    "workflows",
    "wallets",
    "templates",
    "whatsapp_integrations",
    "whatsapp_official_integrations",
)
REPORT_WINDOW_DAYS = 89


def _report_windows(start: date, end: date) -> list[tuple[date, date]]:
    out = []
    while start <= end:
        out.append((start, min(end, start + timedelta(days=REPORT_WINDOW_DAYS - 1))))
        start += timedelta(days=REPORT_WINDOW_DAYS)
    return out


def conversas_minimum(app: Any, incremental: bool, incremental_streams: set[str]) -> dict[str, int]:
    d = app.data
    start = datetime.strptime(app.connector_config("")["start_date"][:10], "%Y-%m-%d").date()
    out = {name: 1 for name in CONVERSAS_LISTS}
    out["contacts"] = last_page_pages(d.contact_count, 100)
    if incremental and "messages_history" in incremental_streams:
        out["messages_history"] = d.contact_count
    else:
        out["messages_history"] = sum(app.history_requests(i) for i in range(d.contact_count))
    if incremental and "reports" in incremental_streams:
        out["reports"] = 1
    else:
        windows = _report_windows(start, date.today())
        out["reports"] = sum(flagged_pages(len(d.reports_between(lo, hi)), 49) for lo, hi in windows)
    return out


CONVERSAS = Profile(
    name="rd-station-conversas",
    groups=[
        Group("contacts", ("contacts",), (r"/v2/customers",)),
        Group("messages_history", ("messages_history",), (r"/v2/messages/history",)),
        Group("reports", ("reports",), (r"/v4/reports",)),
        Group("custom_fields", ("custom_fields",), (r"/v2/custom-fields",)),
        Group("employees", ("employees",), (r"/v2/employees",)),
        Group("flows", ("flows",), (r"/v2/flows",)),
        Group("workflows", ("workflows",), (r"/v2/workflows",)),
        Group("wallets", ("wallets",), (r"/v2/wallets",)),
        Group("templates", ("templates",), (r"/v2/template/all",)),
        Group("whatsapp_integrations", ("whatsapp_integrations",), (r"/v2/whatsapp/integrations",)),
        Group(
            "whatsapp_official_integrations",
            ("whatsapp_official_integrations",),
            (r"/v2/whatsapp/integrations/official",),
        ),
    ],
    minimum=conversas_minimum,
    baseline=BaselineSpec(
        stream="contacts",
        path="/v2/customers",
        records_at=(),
        page_param="page",
        size_param="limit",
        page_size=100,
    ),
    # One history request per contact at ~48/min: 60 contacts ≈ 85 requests ≈ 1.6 minutes
    # (and the no-change incremental sync still needs one per contact). At this size the ceiling
    # ratio depends on where the last request falls in the minute windows: see FINDINGS.md.
    sync_records=60,
    quick_records=15,
    cpu_records=15_000,
    size_unit="contacts",
    base_size=150,
    notes=[
        "contacts are read twice in a sync: as a stream and as the parent of messages_history (the CDK re-reads a parent).",
        "messages (one row per message) is left out: it reads the same history as messages_history again.",
        "campaigns, campaign_stats and the analytics streams are left out: the sync figures stay comparable.",
    ],
    skip_streams=(
        "messages",
        "campaigns",
        "campaign_stats",
        "analytics_attendances_summary",
        "analytics_attendances_retention",
        "analytics_contacts_origin",
    ),
)

PROFILES: dict[str, Profile] = {"kommo": KOMMO, "helenacrm": HELENA, "rd-station-conversas": CONVERSAS}
