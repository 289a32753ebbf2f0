"""The Kommo (amoCRM) API v4 emulation: routes, envelopes and the paging quirks of the real API.

Quirks reproduced (see shared/api/kommo.md):
- records sit in ``_embedded.<name>``; ``_links.next`` is sent even on the last page;
- ``limit`` above the maximum (250, events 100) silently gives 50 rows;
- an empty result, and any page past the end, is HTTP 204 with an empty body;
- ``/tasks`` can't be ordered by ``updated_at`` (400);
- 429 is an HTML page without Retry-After; errors are application/problem+json;
- the documented filters and orders any client might send: ``filter[<cursor>][from]/[to]``, the
  single-value ``filter[<cursor>]=<ts>`` and ``=<from>,<to>`` forms, ``filter[id]``, ``filter[type]``
  on events, ``order[updated_at]`` / ``order[id]``, ``with=only_deleted`` (the trash of deleted
  leads, listed only when asked for).

Pessimistic where the evidence is open (each switch below names its evidence): a 204 past a fixed
page depth, ``[]`` for empty objects, rows stamped in the past that appear late; and, switched
off by default, a server that ignores filters and a legacy domain that redirects.
"""

from __future__ import annotations

import random
import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

from sandbox.app import ApiApp
from sandbox.http import BadRequest, Request, Response
from sandbox.kommo.data import ENTITY_TYPES, KommoData
from sandbox.ratelimit import Window

HAL = "application/hal+json"
PROBLEM = "application/problem+json"
START_DATE = "2024-11-01"  # the first day of the seeded data (datagen.EPOCH_START)


class App(ApiApp):
    name = "kommo"
    default_windows = (Window(7, 1),)
    unlimited_client_settings = {"requests_per_second": 100, "num_workers": 4}
    # Whether filter[...][from/to] include their bound. The real API's answer is unverified, so
    # tests can flip this to False and prove the connector loses no boundary-second record.
    inclusive_bounds = True
    # A token without admin rights gets 403 on /users.
    users_forbidden = False
    # {entity: n}: right after serving the first full page of a filtered /<entity> request, update
    # its first n records "now" (once), as users do while a sync pages through a window.
    updates_while_paging: dict[str, int] = {}
    # Pages past this number answer 204 even when rows remain (None: no limit). Evidence: the
    # production amoCRM sync log in Kotstantin108/Airbyte-AmoCRM-connector ends windows on a 204
    # right after 19 full pages of leads (18 of contacts), and its author moved to short windows to
    # stop "premature sync termination". Whether it is a real depth limit is open: assume it is.
    page_depth: int | None = 19
    # Answer every list as if no filter[...] had been sent. Evidence: amoCRM's "Filters API" pages
    # call filtering an alpha feature available on some accounts only. Off by default (nothing
    # could sync); the connector's guard test switches it on.
    ignore_filters = False
    # Redirect every request that reaches the server as 127.0.0.1 to "localhost" (another host):
    # legacy amocrm.com accounts were moved to kommo.com (review 2.5), and requests drops the
    # Authorization header on a cross-host redirect, so the redirected request is a 401.
    legacy_redirect = False
    # /customers is plan-gated: 402 unless the account's plan has periodic purchases. Evidence:
    # Krukov/amocrm_api treats 402 as "the plan doesn't allow this"; most accounts don't have it.
    customers_enabled = False
    # mutate() stamps its changes this many seconds in the past: rows that appear late.
    late_seconds = 30
    # The bench counts re-read requests (Kommo restricts an IP that asks for the same data again):
    # with ``served`` a set, a request returning a row already sent counts in ``rereads``.
    served: set[tuple[Any, ...]] | None = None
    rereads = 0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = KommoData(self.seed, self.scale)
        self._lock = threading.Lock()
        self._mutations = 0
        self.updates_while_paging = dict(self.updates_while_paging)

    # --- routing -----------------------------------------------------------------------------
    def routes(self):
        v4 = "/api/v4"
        entities = "(?P<entity>leads|contacts|companies)"
        return [
            ("GET", f"{v4}/account", self._account),
            ("GET", f"{v4}/leads/unsorted", self._unsorted),
            ("GET", f"{v4}/catalogs", self._catalogs),
            ("GET", rf"{v4}/catalogs/(?P<catalog_id>\d+)/elements", self._catalog_elements),
            ("GET", f"{v4}/roles", self._roles),
            ("GET", f"{v4}/customers", self._customers),
            ("GET", f"{v4}/leads/pipelines", self._pipelines),
            ("GET", rf"{v4}/leads/pipelines/(?P<pipeline_id>\d+)/statuses", self._statuses),
            ("GET", f"{v4}/leads/loss_reasons", self._loss_reasons),
            ("GET", f"{v4}/{entities}/custom_fields", self._custom_fields),
            ("GET", f"{v4}/{entities}/tags", self._tags),
            ("GET", f"{v4}/{entities}/notes", self._notes),
            ("GET", f"{v4}/users", self._users),
            ("GET", f"{v4}/{entities}", self._entities),
            ("GET", f"{v4}/tasks", self._tasks),
            ("GET", f"{v4}/events", self._events),
        ]

    # --- errors in Kommo's shapes ------------------------------------------------------------
    def problem(self, status: int, title: str, detail: str) -> Response:
        payload = {
            "title": title,
            "type": "https://httpstatus.es/" + str(status),
            "status": status,
            "detail": detail,
        }
        return Response.json(payload, status, PROBLEM)

    def unauthorized(self) -> Response:
        return self.problem(401, "Unauthorized", "Access token is invalid or expired")

    def too_many_requests(self) -> Response:
        return Response.html(
            "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>",
            429,
        )

    def error(self, status: int, message: str) -> Response:
        titles = {400: "Bad Request", 402: "Payment Required", 403: "Forbidden", 404: "Not Found"}
        return self.problem(status, titles.get(status, "Internal Server Error"), message)

    # --- paging and filters --------------------------------------------------------------------
    def _page(self, request: Request, max_limit: int) -> tuple[int, int]:
        limit = request.int_arg("limit", 50) or 50
        page = request.int_arg("page", 1) or 1
        if limit > max_limit or limit < 1:
            limit = 50  # Kommo silently falls back to 50 rows
        if page < 1:
            raise BadRequest("page must be >= 1")
        return page, limit

    def _range(self, request: Request, field: str) -> tuple[int | None, int | None]:
        if self.ignore_filters:
            return None, None
        single = request.arg(f"filter[{field}]")
        if single:  # documented single-value forms: `=<ts>` and `=<from>,<to>` (amocrm-api-php)
            parts = [int(p) for p in single.split(",") if p.strip().lstrip("-").isdigit()]
            if len(parts) == 1:
                return parts[0], parts[0]
            if len(parts) == 2:
                return parts[0], parts[1]
            raise BadRequest(f"filter[{field}] must be a timestamp or from,to")
        return request.int_arg(f"filter[{field}][from]"), request.int_arg(f"filter[{field}][to]")

    def _envelope(
        self, request: Request, key: str, rows: list[dict[str, Any]], page: int | None = None
    ) -> Response:
        if not rows:
            return Response.empty(204)
        if self.served is not None:
            keys = {(key, row.get("id"), row.get("updated_at", row.get("created_at"))) for row in rows}
            with self._lock:
                self.rereads += not keys.isdisjoint(self.served)
                self.served |= keys
        base = f"https://sandbox.kommo.com/api/v4{request.path.removeprefix('/api/v4')}"
        links: dict[str, Any] = {"self": {"href": f"{base}?page={page or 1}"}}
        if page is not None:
            links["next"] = {"href": f"{base}?page={page + 1}"}  # sent on the last page too
        body = (
            {"_page": page or 1, "_links": links, "_embedded": {key: rows}}
            if page
            else {"_links": links, "_embedded": {key: rows}}
        )
        return Response.json(body, 200, HAL)

    def _select(
        self, request: Request, collection: str, cursor: str, max_limit: int = 250
    ) -> tuple[list[dict[str, Any]], int]:
        page, limit = self._page(request, max_limit)
        if self.page_depth is not None and page > self.page_depth:
            return [], page  # see page_depth: a 204 although rows remain
        lo, hi = self._range(request, cursor)
        ids = {int(v) for v in request.args("filter[id]") if v.isdigit()} or None
        types = set(request.args("filter[type]")) or None
        by_id = request.arg("order[id]")
        data = self.data.collections[collection]
        offset = (page - 1) * limit
        if ids is None and types is None and by_id is None:
            return data.select(lo, hi, self.inclusive_bounds, offset, limit), page
        rows = data.select_where(lo, hi, self.inclusive_bounds, ids, types)
        if by_id is not None:
            rows.sort(key=lambda row: row["id"], reverse=by_id == "desc")
        return rows[offset : offset + limit], page

    # --- handlers ----------------------------------------------------------------------------
    def handle(self, request: Request) -> tuple[Response, str | None]:
        host = request.headers.get("host", "")
        if self.legacy_redirect and host.startswith("127.0.0.1"):
            port = host.partition(":")[2]
            query = urlencode([(k, v) for k, values in request.query.items() for v in values])
            location = f"http://localhost:{port}/{self.name}{request.path}" + (f"?{query}" if query else "")
            return Response(301, b"", {"Location": location}), None
        return super().handle(request)

    def _account(self, request: Request, match: re.Match[str]) -> Response:
        account = dict(self.data.account)
        withs = set(request.args("with"))
        embedded = {k: v for k, v in self.data.account_embedded.items() if k in withs}
        if embedded:
            account["_embedded"] = embedded
        return Response.json(account, 200, HAL)

    def _unsorted(self, request: Request, match: re.Match[str]) -> Response:
        return self._paged_list(request, "unsorted", self.data.unsorted)

    def _catalogs(self, request: Request, match: re.Match[str]) -> Response:
        return self._paged_list(request, "catalogs", self.data.catalogs)

    def _catalog_elements(self, request: Request, match: re.Match[str]) -> Response:
        elements = self.data.catalog_elements.get(int(match["catalog_id"]))
        if elements is None:
            return self.error(404, "catalog not found")
        return self._paged_list(request, "elements", elements)

    def _roles(self, request: Request, match: re.Match[str]) -> Response:
        if self.users_forbidden:
            return self.error(403, "The token does not have admin rights")
        return self._paged_list(request, "roles", self.data.roles)

    def _customers(self, request: Request, match: re.Match[str]) -> Response:
        if not self.customers_enabled:
            return self.error(402, "Customers are not available on the account's plan")
        return self._paged_list(request, "customers", self.data.customers)

    def _entities(self, request: Request, match: re.Match[str]) -> Response:
        entity = match["entity"]
        order = {k: v for k, v in request.query.items() if k.startswith("order[")}
        if any(k not in ("order[updated_at]", "order[id]", "order[created_at]") for k in order):
            raise BadRequest(f"unsupported order {sorted(order)}")
        withs = set(request.args("with"))
        if "only_deleted" in withs:
            return self._trash(request, entity)
        rows, page = self._select(request, entity, "updated_at")
        if request.arg("order[updated_at]") == "desc":
            rows.reverse()
        response = self._envelope(request, entity, [_shape(entity, row, withs) for row in rows], page)
        if self.updates_while_paging.get(entity) and len(rows) == self._page(request, 250)[1]:
            self._touch(entity, [row["id"] for row in rows[: self.updates_while_paging.pop(entity)]])
        return response

    def _trash(self, request: Request, entity: str) -> Response:
        """``with=only_deleted``: only the deleted records still restorable, never the live ones
        (and a deleted lead never appears without it). Evidence: Kommo's leads-list reference
        ("will return only the deleted leads that are still restorable"); amocrm-api-php accepts
        ``only_deleted`` on contacts and companies too (CanReturnDeletedInterface, PR #295), which
        Kommo's reference doesn't document: their trash is empty here (204). Filters, orders and
        paging apply as on the live list: nothing says they don't, and a client that relies on
        them fails loudly (the filter guard) rather than silently if the real API differs."""
        collection = f"{entity}_trash"
        if collection not in self.data.collections:
            return Response.empty(204)
        rows, page = self._select(request, collection, "updated_at")
        if request.arg("order[updated_at]") == "desc":
            rows.reverse()
        return self._envelope(request, entity, [dict(row) for row in rows], page)

    def _touch(self, entity: str, ids: list[int]) -> None:
        base = {"leads": 3000001, "contacts": 4000001, "companies": 5000001}[entity]
        with self._lock:
            for record_id in ids:
                self.data.collections[entity].overlay[record_id - base] = int(time.time())

    def _tasks(self, request: Request, match: re.Match[str]) -> Response:
        if request.arg("order[updated_at]") is not None:
            raise BadRequest("tasks can only be ordered by created_at, complete_till or id")
        rows, page = self._select(request, "tasks", "updated_at")
        return self._envelope(request, "tasks", rows, page)

    def _events(self, request: Request, match: re.Match[str]) -> Response:
        rows, page = self._select(request, "events", "created_at", max_limit=100)
        return self._envelope(request, "events", rows, page)

    def _notes(self, request: Request, match: re.Match[str]) -> Response:
        rows, page = self._select(request, f"{match['entity']}_notes", "updated_at")
        return self._envelope(request, "notes", rows, page)

    def _pipelines(self, request: Request, match: re.Match[str]) -> Response:
        body = {
            "_total_items": len(self.data.pipelines),
            "_links": {"self": {"href": "https://sandbox.kommo.com/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": self.data.pipelines},
        }
        return Response.json(body, 200, HAL)

    def _statuses(self, request: Request, match: re.Match[str]) -> Response:
        for pipeline in self.data.pipelines:
            if pipeline["id"] == int(match["pipeline_id"]):
                return self._envelope(request, "statuses", pipeline["_embedded"]["statuses"])
        return self.error(404, "pipeline not found")

    def _loss_reasons(self, request: Request, match: re.Match[str]) -> Response:
        return self._paged_list(request, "loss_reasons", self.data.loss_reasons)

    def _custom_fields(self, request: Request, match: re.Match[str]) -> Response:
        return self._paged_list(request, "custom_fields", self.data.custom_fields[match["entity"]])

    def _tags(self, request: Request, match: re.Match[str]) -> Response:
        return self._paged_list(request, "tags", self.data.tags[match["entity"]])

    def _users(self, request: Request, match: re.Match[str]) -> Response:
        if self.users_forbidden:
            return self.error(403, "The token does not have admin rights")
        return self._paged_list(request, "users", self.data.users)

    def _paged_list(self, request: Request, key: str, rows: list[dict[str, Any]]) -> Response:
        page, limit = self._page(request, 250)
        return self._envelope(request, key, rows[(page - 1) * limit : page * limit], page)

    # --- ground truth and changes --------------------------------------------------------------
    def truth(self) -> dict[str, int]:
        c = self.data.collections
        return {
            "leads": len(c["leads"]),
            "contacts": len(c["contacts"]),
            "companies": len(c["companies"]),
            "tasks": len(c["tasks"]),
            "events": len(c["events"]),
            "notes": sum(len(c[f"{e}_notes"]) for e in ENTITY_TYPES),
            "pipelines": len(self.data.pipelines),
            "pipeline_statuses": sum(len(p["_embedded"]["statuses"]) for p in self.data.pipelines),
            "users": len(self.data.users),
            "custom_fields": sum(len(v) for v in self.data.custom_fields.values()),
            "tags": sum(len(v) for v in self.data.tags.values()),
            "loss_reasons": len(self.data.loss_reasons),
            "custom_field_values": self._count_custom_field_values(),
            "unsorted": len(self.data.unsorted),
            "catalogs": len(self.data.catalogs),
            "catalog_elements": sum(len(v) for v in self.data.catalog_elements.values()),
            "account": 1,
            "user_groups": len(self.data.account_embedded["users_groups"]),
            "roles": len(self.data.roles),
            "customers": len(self.data.customers) if self.customers_enabled else 0,
            "deleted_entities": self._count_deleted(),
            "deleted_leads": len(c["leads_trash"]),
        }

    def _count_custom_field_values(self) -> int:
        c = self.data.collections
        return sum(
            len(field["values"] or [])
            for entity in ENTITY_TYPES
            for i in range(len(c[entity].timeline))
            for field in c[entity].build(i, c[entity].value(i))["custom_fields_values"] or []
        )

    def _count_deleted(self) -> int:
        events = self.data.collections["events"]
        kinds = {"lead_deleted", "contact_deleted", "company_deleted"}
        return sum(1 for r in events.select_where(None, None, True, None, kinds))

    def mutate(
        self,
        leads: int = 5,
        contacts: int = 3,
        companies: int = 2,
        tasks: int = 2,
        notes: int = 2,
        stamped_at: int | None = None,
    ) -> dict[str, list[Any]]:
        """Update records (spread over each collection) and log an event per changed lead.

        The changes are stamped ``late_seconds`` before now, or at ``stamped_at``: they become
        visible after their own timestamp, as rows do on the real API. Evidence: a production
        amoCRM connector raised its overlap from 60 s to 600 s "so as not to lose records to the
        API's eventual consistency". ``stamped_at`` must lie after the seeded data (2026-11-01).
        Returns the ids that changed per stream: exactly what an incremental sync must return next.
        """
        now = int(time.time()) - self.late_seconds if stamped_at is None else int(stamped_at)
        changed: dict[str, list[Any]] = {}
        with self._lock:
            self._mutations += 1
            r = random.Random(f"{self.seed}:mutate:{self._mutations}")
            for name, count in (
                ("leads", leads),
                ("contacts", contacts),
                ("companies", companies),
                ("tasks", tasks),
                ("leads_notes", notes),
            ):
                collection = self.data.collections[name]
                n = len(collection.timeline)
                picks = sorted({((k * n) // max(count, 1) + self._mutations) % n for k in range(count)})
                for i in picks:
                    collection.overlay[i] = now
                stream = "notes" if name.endswith("_notes") else name
                changed.setdefault(stream, []).extend(collection.build(i, now)["id"] for i in picks)
            events = self.data.collections["events"]
            for lead_id in changed["leads"]:
                seq = len(events.timeline) + len(events.extra)
                event = self.data.event("name_changed", r, now, f"sandbox{seq:018x}", entity_id=lead_id)
                events.extra.append((now, seq, event))
                changed.setdefault("events", []).append(event["id"])
        return changed

    # --- how the connector and the demo use it -----------------------------------------------
    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {
            "subdomain": "sandbox",
            "domain": "kommo.com",
            "credentials": {"auth_type": "api_token", "api_token": self.token},
            "start_date": START_DATE,
            "api_base_url": base_url,
            **self.client_rate_settings(),
        }

    def demo_queries(self) -> list[tuple[str, str]]:
        return [
            (
                "Leads and value per pipeline stage",
                "SELECT p.name AS pipeline, s.name AS stage, count(*) AS leads, sum(l.price) AS value "
                "FROM leads l JOIN pipeline_statuses s ON s.id = l.status_id AND s.pipeline_id = l.pipeline_id "
                "JOIN pipelines p ON p.id = l.pipeline_id GROUP BY 1, 2, s.sort ORDER BY 1, s.sort",
            ),
            (
                "Leads won per responsible user",
                "SELECT u.name, count(*) AS won FROM leads l JOIN users u ON u.id = l.responsible_user_id "
                "WHERE l.status_id = 142 GROUP BY 1 ORDER BY 2 DESC",
            ),
            ("Events by type", "SELECT type, count(*) AS events FROM events GROUP BY 1 ORDER BY 2 DESC"),
        ]


def _shape(entity: str, row: dict[str, Any], withs: set[str]) -> dict[str, Any]:
    """Apply ``with=`` to a stored record: linked entities and extra fields only when asked for."""
    out = {k: v for k, v in row.items() if not k.startswith("_") or k in ("_links", "_embedded")}
    embedded = dict(out.get("_embedded") or {})
    if entity == "leads":
        if "contacts" in withs:
            embedded["contacts"] = row["_contacts"]
        if "loss_reason" in withs and row["_loss_reason"]:
            embedded["loss_reason"] = [row["_loss_reason"]]
        if "source_id" in withs:
            out["source_id"] = row["_source_id"]
        if "is_price_modified_by_robot" in withs:
            out["is_price_modified_by_robot"] = row["_robot"]
    if entity in ("contacts", "companies") and "leads" in withs:
        embedded["leads"] = row["_leads"]
    if entity == "companies" and "contacts" in withs:
        embedded["contacts"] = row["_contacts"]
    out["_embedded"] = embedded
    return out
