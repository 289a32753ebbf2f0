"""RD Station Conversas (formerly Tallos) as the connector sees it: v2 lists, v4 reports, JWE history.

Quirks emulated (see shared/api/rd-station-conversas.md and shared/reviews/helenacrm-conversas-2026-12.md):
contacts and WhatsApp integrations are bare JSON arrays with no total; employees come bare or as
``{"employees": [...]}``, keyed ``_id``; wallets are plain strings; reports need
``start_date``/``end_date`` at most 90 days apart (400 otherwise), page with ``page``/``limit``
(limit capped at 49), come as ``{docs, pages}`` or ``{reports}``, are listed by opening day while
attendances close later; history answers one JWE per page (RSA-OAEP-256 + A256GCM), only text,
WhatsApp, customer and operator messages unless ``type``/``channel``/``sent_by`` ask for more, in an
envelope without ``page``/``pages``, some contacts under the previous key's ``kid``, some Latin-1,
double-encoded or with unescaped quotes, raw control characters in bot messages; custom fields and
history answer 403 when the account's plan lacks them.

Pessimistic by default: where the evidence leaves the real behaviour open, the least convenient
plausible variant is on, and each says which evidence it stands on.
"""

from __future__ import annotations

import json
import math
import re
import time
from datetime import date, timedelta
from typing import Any

from sandbox.app import ApiApp, Handler
from sandbox.conversas.data import WALLETS, ConversasData, Quirks, parse_day
from sandbox.conversas.keys import KeyRing
from sandbox.datagen import EPOCH_END, iso
from sandbox.http import BadRequest, Request, Response
from sandbox.ratelimit import Window

# The connector asks for this many messages per history page; truth() needs it to count pages.
CONNECTOR_HISTORY_PAGE_SIZE = 100
CONNECTOR_START_DATE = "2025-01-01"
REPORTS_MAX_LIMIT = 49
ANALYTICS_DAYS = 14
ANALYTICS_STREAMS = ("attendances_summary", "attendances_retention", "contacts_origin")
# rd-conversas-etl run.ts asks 89 days back to today ("respeita o limite de 90 dias do /v4/reports"),
# so a 90-day range (89 days apart) is accepted; wider ranges answer 400.
REPORTS_MAX_DAYS_APART = 89
# Defaults the official node applies (n8n-nodes-rdsc MessagesDescription.ts: channel ['whatsapp'],
# sentBy ['customer','operator'], type ['text']); the API documents type's default as text, so the
# least convenient reading is that the API applies all three when a filter is absent.
HISTORY_DEFAULT_TYPES = {"text"}
HISTORY_DEFAULT_CHANNELS = {"whatsapp"}
HISTORY_DEFAULT_SENDERS = {"customer", "operator"}


class App(ApiApp):
    name = "rd-station-conversas"
    # Observed: about 48 requests/minute sustained; bursts of ~30 pass.
    default_windows = (Window(30, 30), Window(48, 60))
    unlimited_client_settings = {"requests_per_minute": 6000, "num_workers": 4}

    def __init__(
        self,
        *,
        history_enabled: bool = True,
        custom_fields_enabled: bool = True,
        employees_envelope: str = "wrapped",
        reports_envelope: str = "docs",
        history_envelope: str = "bare",
        now: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.data = ConversasData(self.seed, self.scale)
        self.keys = KeyRing(self.seed)
        self.history_enabled = history_enabled
        self.custom_fields_enabled = custom_fields_enabled
        self.employees_envelope = employees_envelope  # "wrapped" | "bare"
        self.reports_envelope = reports_envelope  # "docs" | "reports"
        # "bare": {"messages": JWE} only, as live clients read it (no public client reads page/pages;
        # both page "até a página vazia"); "paged": also page, pages, limit, total (the reference).
        self.history_envelope = history_envelope
        # The instant attendances are seen at: those that close after it are still open. Data ends at
        # EPOCH_END, so by default the last weeks' long attendances are open; tests move it forward.
        self.now = float(now if now is not None else EPOCH_END)
        self._campaign_hits: dict[str, int] = {}

    # --- routes -----------------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", r"/v2/customers", self._customers),
            ("GET", r"/v2/custom-fields", self._custom_fields),
            ("GET", r"/v2/employees", self._employees),
            ("GET", r"/v2/flows", lambda req, m: Response.json({"flows": self.data.flows()})),
            ("GET", r"/v2/workflows", lambda req, m: Response.json({"workflows": self.data.workflows()})),
            ("GET", r"/v2/wallets", lambda req, m: Response.json({"wallets": list(WALLETS)})),
            ("GET", r"/v2/template/all", lambda req, m: Response.json({"templates": self.data.templates()})),
            (
                "GET",
                r"/v2/whatsapp/integrations/official",
                lambda req, m: Response.json(self.data.whatsapp_official_integrations()),
            ),
            (
                "GET",
                r"/v2/whatsapp/integrations",
                lambda req, m: Response.json(self.data.whatsapp_integrations()),
            ),
            ("GET", r"/v2/messages/history", self._history),
            ("GET", r"/v4/reports", self._reports),
            ("GET", r"/v1/campaigns", self._campaigns),
            ("GET", r"/v1/campaigns/([^/]+)", self._campaign),
            ("GET", r"/v1/analytics/attendances/summary", self._analytics_summary),
            ("GET", r"/v1/analytics/attendances/retention", self._analytics_retention),
            ("GET", r"/v1/analytics/contacts/origin", self._analytics_origin),
        ]

    def _customers(self, request: Request, _: re.Match[str]) -> Response:
        page, limit = _page_args(request, default_limit=10, max_limit=1000)
        start = (page - 1) * limit
        indexes = range(start, min(start + limit, self.data.contact_count))
        return Response.json([self.data.contact(i) for i in indexes])

    def _custom_fields(self, request: Request, _: re.Match[str]) -> Response:
        if not self.custom_fields_enabled:
            return self.error(403, "Recurso não habilitado para esta conta.")
        return Response.json(self.data.custom_fields())

    def _employees(self, request: Request, _: re.Match[str]) -> Response:
        employees = self.data.employees()
        return Response.json(employees if self.employees_envelope == "bare" else {"employees": employees})

    def _reports(self, request: Request, _: re.Match[str]) -> Response:
        start_arg, end_arg = request.arg("start_date"), request.arg("end_date")
        if not start_arg or not end_arg:
            raise BadRequest("start_date and end_date are required")
        try:
            start, end = parse_day(start_arg[:10]), parse_day(end_arg[:10])
        except ValueError:
            raise BadRequest("start_date and end_date must be dates (YYYY-MM-DD)") from None
        if end < start or (end - start).days > REPORTS_MAX_DAYS_APART:
            raise BadRequest("The period between start_date and end_date must be at most 90 days")
        items = self.data.reports_between(start, end, self.now)
        if request.arg("take") is not None:
            take = min(request.int_arg("take") or REPORTS_MAX_LIMIT, REPORTS_MAX_LIMIT)
            skip = request.int_arg("skip", 0) or 0
            page_items, page, limit = items[skip : skip + take], skip // take + 1, take
        else:
            page, limit = _page_args(request, default_limit=10, max_limit=REPORTS_MAX_LIMIT)
            page_items = items[(page - 1) * limit : page * limit]
        if self.reports_envelope == "reports":
            return Response.json({"reports": page_items, "total": len(items)})
        pages = max(1, math.ceil(len(items) / limit))
        return Response.json(
            {"docs": page_items, "total": len(items), "limit": limit, "page": page, "pages": pages}
        )

    def _history(self, request: Request, _: re.Match[str]) -> Response:
        if not self.history_enabled:
            return self.error(403, "Histórico de mensagens disponível apenas no plano Advanced.")
        customer_id, start_arg = request.arg("customer_id"), request.arg("start_date")
        if not customer_id or not start_arg:
            raise BadRequest("customer_id and start_date are required")
        index = self.data.contact_index(customer_id)
        if index is None:
            return self.error(404, "Cliente não encontrado.")
        try:
            start = parse_day(start_arg[:10])
        except ValueError:
            raise BadRequest("start_date must be a date (YYYY-MM-DD)") from None
        messages = self.data.history_since(
            index,
            start,
            set(request.args("type")) or HISTORY_DEFAULT_TYPES,
            set(request.args("channel")) or HISTORY_DEFAULT_CHANNELS,
            set(request.args("sent_by")) or HISTORY_DEFAULT_SENDERS,
        )
        end_arg = request.arg("end_date")
        if end_arg:
            messages = [m for m in messages if m["created_at"][:10] <= end_arg[:10]]
        page, limit = _page_args(request, default_limit=20, max_limit=100)
        page_messages = messages[(page - 1) * limit : page * limit]
        quirks = self.data.quirks(index)
        token = self.keys.encrypt(_plaintext(page_messages, quirks), old=quirks.old_kid)
        if self.history_envelope == "bare":
            return Response.json({"messages": token})
        pages = max(1, math.ceil(len(messages) / limit))
        return Response.json(
            {"messages": token, "page": page, "pages": pages, "limit": limit, "total": len(messages)}
        )

    def _campaigns(self, request: Request, _: re.Match[str]) -> Response:
        # {campaigns, has_more, total} as the live ETL reads it; page/limit are our guess (unverified).
        page, limit = _page_args(request, default_limit=20, max_limit=100)
        campaigns = self.data.campaigns()
        items = campaigns[(page - 1) * limit : page * limit]
        return Response.json(
            {"campaigns": items, "has_more": page * limit < len(campaigns), "total": len(campaigns)}
        )

    def _campaign(self, request: Request, match: re.Match[str]) -> Response:
        # The live ETL sees /v1/campaigns/{id} answer 500 intermittently. Least convenient variant:
        # one campaign always fails, another fails on its first request and then answers.
        campaign_id = match.group(1)
        campaign = next((c for c in self.data.campaigns() if c["id"] == campaign_id), None)
        if campaign is None:
            return self.error(404, "Campanha não encontrada.")
        hits = self._campaign_hits[campaign_id] = self._campaign_hits.get(campaign_id, 0) + 1
        if campaign_id == self.data.failing_campaign_id() or (
            campaign_id == self.data.flaky_campaign_id() and hits == 1
        ):
            return self.error(500, "Internal server error")
        return Response.json({**campaign, "stats": self.data.campaign_stats(campaign_id)})

    def _analytics_range(self, request: Request, needs_timezone: bool = True) -> tuple[date, date]:
        # The official node sends start_date, end_date and (except for contacts origin) timezone.
        start_arg, end_arg = request.arg("start_date"), request.arg("end_date")
        if not start_arg or not end_arg or (needs_timezone and not request.arg("timezone")):
            raise BadRequest("start_date, end_date and timezone are required")
        try:
            return parse_day(start_arg[:10]), parse_day(end_arg[:10])
        except ValueError:
            raise BadRequest("start_date and end_date must be dates (YYYY-MM-DD)") from None

    def _analytics_summary(self, request: Request, _: re.Match[str]) -> Response:
        start, end = self._analytics_range(request)
        reports = self.data.reports_between(start, end, self.now)
        closed = [r for r in reports if r["closed"]]
        return Response.json(
            {"total": len(reports), "closed": len(closed), "opened": len(reports) - len(closed)}
        )

    def _analytics_retention(self, request: Request, _: re.Match[str]) -> Response:
        start, end = self._analytics_range(request)
        reports = self.data.reports_between(start, end, self.now)
        customers = {r["customer"]["id"] for r in reports}
        return Response.json({"customers": len(customers), "returning": len(reports) - len(customers)})

    def _analytics_origin(self, request: Request, _: re.Match[str]) -> Response:
        start, end = self._analytics_range(request, needs_timezone=False)
        reports = self.data.reports_between(start, end, self.now)
        origins: dict[str, int] = {}
        for r in reports:
            origins[r["channel"]] = origins.get(r["channel"], 0) + 1
        return Response.json({"origins": [{"origin": k, "count": v} for k, v in sorted(origins.items())]})

    # --- error shapes -----------------------------------------------------------------------------
    def unauthorized(self) -> Response:
        return Response.json({"auth": False, "message": "Failed to authenticate token."}, 401)

    def too_many_requests(self) -> Response:
        # Whether the real 429 carries Retry-After is unverified: this one does not.
        return Response.json({"message": "Too many requests, please try again later."}, 429)

    def error(self, status: int, message: str) -> Response:
        return Response.json({"status": status, "message": message}, status)

    # --- ground truth -----------------------------------------------------------------------------
    def truth(self) -> dict[str, int]:
        return {
            "contacts": self.data.contact_count,
            "custom_fields": len(self.data.custom_fields()) if self.custom_fields_enabled else 0,
            "employees": self.data.employee_count,
            "flows": len(self.data.flows()),
            "workflows": len(self.data.workflows()),
            "wallets": len(WALLETS),
            "templates": len(self.data.templates()),
            "whatsapp_integrations": len(self.data.whatsapp_integrations()),
            "whatsapp_official_integrations": len(self.data.whatsapp_official_integrations()),
            "reports": len(
                self.data.reports_between(parse_day(CONNECTOR_START_DATE), date.today(), self.now)
            ),
            "messages_history": sum(self._history_records(i) for i in range(self.data.contact_count))
            if self.history_enabled
            else 0,
            "campaigns": len(self.data.campaigns()),
            "campaign_stats": len(self.data.campaigns()) - 1,  # one campaign always answers 500
            **{f"analytics_{name}": self.analytics_days() for name in ANALYTICS_STREAMS},
            # One row per message the connector can decrypt (pages under the old key yield none).
            "messages": sum(len(msgs) for msgs in self.history_plaintext().values())
            if self.history_enabled
            else 0,
        }

    def _history_records(self, index: int, start: str = CONNECTOR_START_DATE) -> int:
        """Pages the connector emits for one contact: none for an empty page."""
        return math.ceil(len(self.data.history_since(index, parse_day(start))) / CONNECTOR_HISTORY_PAGE_SIZE)

    def history_requests(self, index: int, start: str = CONNECTOR_START_DATE) -> int:
        """History requests the connector needs for one contact, as its paging reads the envelope.

        With ``pages`` it stops at the last page (one request for an empty history). Without, it
        stops on a short or empty page; a page it can't decrypt (old key) can't be counted, so that
        contact is read until the empty page.
        """
        count = len(self.data.history_since(index, parse_day(start)))
        full, rest = divmod(count, CONNECTOR_HISTORY_PAGE_SIZE)
        if self.history_envelope != "bare":
            return max(1, full + (1 if rest else 0))
        if self.data.quirks(index).old_kid:
            return full + (1 if rest else 0) + 1
        return full + 1

    def history_plaintext(self, start: str = CONNECTOR_START_DATE) -> dict[str, list[dict[str, Any]]]:
        """customer_id -> every message since ``start`` (all types), as the connector must decrypt them.

        Contacts whose history is under the previous key are left out: nobody can decrypt them.
        """
        out = {}
        for i, customer_id in enumerate(self.data.contact_ids()):
            if not self.data.quirks(i).old_kid:
                out[customer_id] = self.data.history_since(i, parse_day(start))
        return out

    def old_kid_customers(self) -> list[str]:
        return [cid for i, cid in enumerate(self.data.contact_ids()) if self.data.quirks(i).old_kid]

    def private_jwk(self) -> str:
        return self.keys.private_jwk()

    def mutate(self, contacts: int = 3, messages: int = 2, **_: Any) -> dict[str, Any]:
        """New messages "now" for the first ``contacts`` decryptable contacts; returns what was added."""
        now = time.time()
        changed: dict[str, list[str]] = {}
        for i, customer_id in enumerate(self.data.contact_ids()):
            if len(changed) >= contacts:
                break
            if self.data.quirks(i).old_kid:
                continue
            added = self.data.add_messages(i, messages, now)
            changed[customer_id] = [m["created_at"] for m in added]
        return {"now": iso(now), "messages_history": changed}

    def analytics_days(self) -> int:
        """Daily analytics snapshots the connector reads: from its analytics start date to today."""
        return ANALYTICS_DAYS + 1

    # --- how clients reach this account -----------------------------------------------------------
    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {
            "access_token": self.token,
            "start_date": CONNECTOR_START_DATE,
            # Analytics cost one request per day and endpoint: two weeks keep the sandbox syncs short.
            "analytics_start_date": (date.today() - timedelta(days=ANALYTICS_DAYS)).isoformat(),
            "private_key_jwk": self.private_jwk(),
            "api_base_url": f"{base_url}/v2",
            **self.client_rate_settings(),
        }

    def demo_queries(self) -> list[tuple[str, str]]:
        return [
            (
                "Contacts with the most decrypted messages",
                "SELECT c.full_name, SUM(json_array_length(h.messages)) AS messages "
                "FROM messages_history h JOIN contacts c ON c._id = h.customer_id "
                "WHERE NOT h.encrypted GROUP BY c.full_name ORDER BY messages DESC LIMIT 5",
            ),
            (
                "History pages by key (encrypted = kept as received)",
                "SELECT kid, encrypted, COUNT(*) AS pages FROM messages_history GROUP BY kid, encrypted ORDER BY pages DESC",
            ),
            (
                "Attendances per channel",
                "SELECT channel, COUNT(*) AS attendances, ROUND(AVG(tma_seconds)) AS avg_tma_s FROM reports "
                "GROUP BY channel ORDER BY attendances DESC",
            ),
        ]


def _page_args(request: Request, default_limit: int, max_limit: int) -> tuple[int, int]:
    page = max(1, request.int_arg("page", 1) or 1)
    limit = min(max(1, request.int_arg("limit", default_limit) or default_limit), max_limit)
    return page, limit


def _plaintext(messages: list[dict[str, Any]], quirks: Quirks) -> bytes:
    text = json.dumps(messages, ensure_ascii=False)
    if quirks.control_chars:
        # Live system messages carry raw control characters inside JSON strings.
        text = text.replace("\\u000b", "\x0b").replace("\\u0001", "\x01")
    if quirks.raw_quotes:
        # rd-conversas-etl decryptMessages needs escapeContentQuotes: "templates usam aspas retas de
        # conteúdo não escapadas".
        text = text.replace('\\"', '"')
    if quirks.double_encoded:
        text = json.dumps(text, ensure_ascii=False)
    return text.encode("latin-1" if quirks.latin1 else "utf-8")
