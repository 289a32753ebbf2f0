"""The HelenaCRM API emulation: routes, envelopes and the quirks of the real API.

Quirks reproduced (see shared/api/helenacrm.md):
- the service prefix is part of the path (``/core/v1``, ``/chat/v1``, ``/crm/v2``); without it, 400;
- paged lists answer ``{pageNumber, pageSize, ..., items, totalItems, totalPages, hasMorePages}``
  (``PageNumber`` 1-based, ``PageSize`` 1..100, default 15); other lists are plain arrays and
  office hours is a single object;
- contacts default to ``Status=ACTIVE``; tags, custom fields and portfolios of a contact (and
  template params, panel steps, card titles…) are empty unless ``IncludeDetails`` asks;
- ``UpdatedAt.*``/``CreatedAt.*`` filters; whether they include their bound is unverified, so
  ``inclusive_bounds`` (False: strictly after/before) lets tests try both;
- paged lists come oldest ``updatedAt`` first whatever is asked: ``OrderBy`` is echoed, not
  interpreted, and ``OrderDirection`` is validated but ignored;
- where the evidence leaves a default open, the least convenient variant (each names its
  evidence where it is implemented): sessions without ``Status`` are only the open ones,
  templates without ``Archived`` only the active ones, and some timestamps carry 7 fractional
  digits (see data.py);
- errors are ``{"id": {...}, "httpStatusCode", "error": true, "date", "key", "text", ...}``.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sandbox.app import ApiApp
from sandbox.datagen import iso
from sandbox.helenacrm.data import (
    LOST_REASONS,
    PANELS,
    SCHEDULED_STATUSES,
    SEQUENCES,
    Collection,
    Extras,
    HelenaData,
    index_of,
    within,
)
from sandbox.http import BadRequest, Request, Response
from sandbox.ratelimit import Window

SESSION_STATUSES_ALL = ("UNDEFINED", "STARTED", "PENDING", "IN_PROGRESS", "COMPLETED", "HIDDEN")
OPEN_SESSION_STATUSES = {"STARTED", "PENDING", "IN_PROGRESS"}
START_DATE = "2024-10-01"  # a month before the first seeded record (datagen.EPOCH_START)


class App(ApiApp):
    name = "helenacrm"
    default_windows = (Window(200, 5), Window(1000, 300))
    unlimited_client_settings = {
        "requests_per_5_minutes": 100000,
        "requests_per_5_seconds": 100000,
        "num_workers": 8,
    }
    inclusive_bounds = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = HelenaData(self.seed, self.scale)
        self.extras = Extras(self.data)
        self._lock = threading.Lock()
        self._mutations = 0
        self._last_touch = 0.0

    # --- routing -----------------------------------------------------------------------------
    def routes(self):
        return [
            ("GET", "/core/v1/agent", lambda q, m: Response.json(self.data.agents)),
            ("GET", "/core/v1/company/officehours", lambda q, m: Response.json(self.data.office_hours())),
            ("GET", "/core/v1/contact", self._contacts),
            ("GET", "/core/v1/custom-field", self._custom_fields),
            ("GET", "/core/v2/department", lambda q, m: Response.json(self.data.departments)),
            ("GET", "/core/v1/portfolio", self._portfolios),
            ("GET", "/core/v1/tag", lambda q, m: Response.json(self.data.tags)),
            ("GET", "/core/v1/tag/color", self._tag_colors),
            ("GET", "/chat/v1/channel", self._channels),
            ("GET", "/chat/v1/template", self._templates),
            ("GET", "/chat/v2/session", self._sessions),
            ("GET", "/chat/v1/message", self._messages),
            ("GET", "/crm/v2/panel", self._panels),
            ("GET", "/crm/v2/panel/card", self._cards),
            ("GET", "/chat/v1/chatbot", self._chatbots),
            ("GET", "/chat/v1/sequence", self._sequences),
            ("GET", r"/chat/v2/sequence/(?P<id>[^/]+)/contact", self._sequence_contacts),
            ("GET", "/chat/v1/scheduled-message", self._scheduled_messages),
            ("GET", r"/chat/v1/session/(?P<id>[^/]+)/note", self._session_notes),
            ("GET", r"/crm/v1/panel/card/(?P<id>[^/]+)/note", self._card_notes),
            ("GET", r"/crm/v1/panel/(?P<id>[^/]+)/lost-reason", self._lost_reasons),
            ("GET", r"/v\d+/.*", self._missing_prefix),
        ]

    # --- error shapes ------------------------------------------------------------------------
    def _error_body(self, status: int, key: str, text: str) -> Response:
        error_id = uuid.uuid4().hex
        body = {
            "id": {"value": error_id, "shortValue": error_id[:8]},
            "httpStatusCode": status,
            "error": True,
            "date": iso(time.time()),
            "key": key,
            "text": text,
            "isUnsolvableError": False,
        }
        return Response.json(body, status)

    def unauthorized(self) -> Response:
        return self._error_body(401, "ERROR_UNAUTHORIZED", "Unauthorized")

    def too_many_requests(self) -> Response:
        return self._error_body(429, "ERROR_TOO_MANY_REQUESTS", "Too many requests, try again later")

    def error(self, status: int, message: str) -> Response:
        keys = {400: "ERROR_BAD_REQUEST", 403: "ERROR_FORBIDDEN", 404: "ERROR_NOT_FOUND"}
        return self._error_body(status, keys.get(status, "ERROR_INTERNAL"), message)

    def _missing_prefix(self, request: Request, match) -> Response:
        raise BadRequest("The service prefix (/core, /chat or /crm) is missing from the path")

    # --- request helpers ---------------------------------------------------------------------
    @staticmethod
    def _instant(request: Request, name: str) -> float | None:
        value = request.arg(name)
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{name} must be an ISO-8601 date-time") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()

    @staticmethod
    def _details(request: Request) -> set[str]:
        return set(request.args("IncludeDetails"))

    def _page(self, request: Request, indices: list[int], build: Callable[[int], dict[str, Any]]) -> Response:
        number = request.int_arg("PageNumber", 1)
        size = request.int_arg("PageSize", 15)
        if number < 1:
            raise BadRequest("PageNumber must be greater than or equal to 1")
        if not 1 <= size <= 100:
            raise BadRequest("PageSize must be between 1 and 100")
        direction = request.arg("OrderDirection") or "ASCENDING"
        if direction not in ("ASCENDING", "DESCENDING"):
            raise BadRequest("OrderDirection must be ASCENDING or DESCENDING")
        # Ignored: a live client's notes say "OrderDirection é ignorado pela Helena: page1=mais
        # antigo, última=mais recente" (the "Helena Sync Local v2" server.js, which pages
        # /chat/v2/session and /core/v1/contact on api.helena.run). Oldest first, always.
        pages = math.ceil(len(indices) / size)
        chunk = indices[(number - 1) * size : number * size]
        return Response.json(
            {
                "pageNumber": number,
                "pageSize": size,
                "orderBy": request.arg("OrderBy"),
                "orderDirection": direction,
                "items": [build(i) for i in chunk],
                "totalItems": len(indices),
                "totalPages": pages,
                "hasMorePages": number < pages,
            }
        )

    def _select(
        self, request: Request, coll: Collection, keep: Callable[[int], bool], created: Callable[[int], float]
    ) -> list[int]:
        indices = coll.select(
            self._instant(request, "UpdatedAt.After"),
            self._instant(request, "UpdatedAt.Before"),
            keep,
            self.inclusive_bounds,
        )
        after, before = self._instant(request, "CreatedAt.After"), self._instant(request, "CreatedAt.Before")
        if after is not None or before is not None:
            indices = [i for i in indices if within(created(i), after, before, self.inclusive_bounds)]
        return indices

    # --- handlers ------------------------------------------------------------------------------
    def _contacts(self, request: Request, match) -> Response:
        status = request.arg("Status") or "ACTIVE"  # the API's default: only active contacts
        if status not in ("ACTIVE", "ARCHIVED", "BLOCKED"):
            raise BadRequest("Status must be ACTIVE, ARCHIVED or BLOCKED")
        details = self._details(request)
        d = self.data
        indices = self._select(
            request,
            d.contacts,
            lambda i: d.contact_status(i) == status,
            lambda i: _ts(d.contact(i, set())["createdAt"]),
        )
        return self._page(request, indices, lambda i: d.contact(i, details))

    def _custom_fields(self, request: Request, match) -> Response:
        entity = request.arg("EntityType")
        fields = [f for f in self.data.custom_fields if entity is None or f["entityType"] == entity]
        if (request.arg("NestedList") or "").lower() == "true":
            fields = [
                {**f, "children": [c for c in fields if c["parentId"] == f["id"]]}
                for f in fields
                if f["parentId"] is None
            ]
        return Response.json(fields)

    def _portfolios(self, request: Request, match) -> Response:
        d = self.data
        details = self._details(request)
        indices = self._select(
            request, d.portfolios, lambda i: True, lambda i: _ts(d.portfolio(i, set())["createdAt"])
        )
        return self._page(request, indices, lambda i: d.portfolio(i, details))

    def _tag_colors(self, request: Request, match) -> Response:
        return Response.json(
            [
                {"color": "BLUE_300", "bgColor": "#90CAF9", "textColor": "#0D47A1"},
                {"color": "GREEN_400", "bgColor": "#66BB6A", "textColor": "#FFFFFF"},
            ]
        )

    def _channels(self, request: Request, match) -> Response:
        kind = request.arg("ChannelType") or "All"
        wanted = {"All": None, "Whatsapp": "whatsapp", "Instagram": "instagram", "Messenger": "messenger"}
        if kind not in wanted:
            raise BadRequest("ChannelType must be All, Whatsapp, Messenger or Instagram")
        platform = wanted[kind]
        return Response.json(
            [c for c in self.data.channels if platform is None or c["identity"]["platform"] == platform]
        )

    def _templates(self, request: Request, match) -> Response:
        d = self.data
        archived = request.arg("Archived")
        if archived is not None and archived.lower() not in ("true", "false"):
            raise BadRequest("Archived must be true or false")
        # Without Archived: active templates only. The OpenAPI's `Archived` (boolean, "Filtro por
        # modelos de mensagem arquivados") states no default; the least convenient reading is
        # the one the API documents for contacts' Status (ACTIVE unless told otherwise).
        wanted = archived is not None and archived.lower() == "true"

        def keep(i: int) -> bool:
            return (i % 5 == 0) == wanted  # data.template: archived = i % 5 == 0

        details = self._details(request)
        indices = self._select(request, d.templates, keep, lambda i: _ts(d.template(i, set())["createdAt"]))
        return self._page(request, indices, lambda i: d.template(i, details))

    def _sessions(self, request: Request, match) -> Response:
        d = self.data
        statuses = set(request.args("Status"))
        if statuses - set(SESSION_STATUSES_ALL):
            raise BadRequest(f"Status must be one of {', '.join(SESSION_STATUSES_ALL)}")
        # Without Status: open sessions only. The OpenAPI lists `Status` (array of UNDEFINED,
        # STARTED, PENDING, IN_PROGRESS, COMPLETED, HIDDEN) without a default, while it documents
        # ACTIVE-only as the default of contacts' Status; the least convenient reading hides
        # completed and hidden sessions (and so their messages) from a client that doesn't ask.
        wanted = statuses or OPEN_SESSION_STATUSES
        details = self._details(request)
        indices = self._select(request, d.sessions, lambda i: d.session_status(i) in wanted, d.session_start)
        after, before = (
            self._instant(request, "LastInteractionAt.After"),
            self._instant(request, "LastInteractionAt.Before"),
        )
        if after is not None or before is not None:
            indices = [
                i for i in indices if within(d.interaction_ts(i), after, before, self.inclusive_bounds)
            ]
        return self._page(request, indices, lambda i: d.session(i, details))

    def _messages(self, request: Request, match) -> Response:
        d = self.data
        session_id = request.arg("SessionId")
        if not session_id:
            raise BadRequest("SessionId is required")
        session = index_of(d.seed, "session", session_id)
        if session is None or session >= d.sessions.count:
            return self.error(404, "Session not found")
        after, before = self._instant(request, "UpdatedAt.After"), self._instant(request, "UpdatedAt.Before")
        indices = [
            j
            for j in range(d.message_count(session))
            if within(d.message_ts(session, j), after, before, self.inclusive_bounds)
        ]
        return self._page(request, indices, lambda j: d.message(session, j))

    def _panels(self, request: Request, match) -> Response:
        details = self._details(request)
        return self._page(request, list(range(len(PANELS))), lambda p: self.data.panel(p, details))

    def _cards(self, request: Request, match) -> Response:
        d = self.data
        if request.arg("PanelId") is None:
            raise BadRequest("PanelId is required")
        panel = index_of(d.seed, "panel", request.arg("PanelId"))
        if panel is None or panel >= len(PANELS):
            return self.error(404, "Panel not found")
        statuses = set(request.args("Statuses"))
        details = self._details(request)
        indices = self._select(
            request,
            d.cards[panel],
            lambda k: not statuses or d.card_status(k) in statuses,
            lambda k: _ts(d.card(panel, k, set())["createdAt"]),
        )
        return self._page(request, indices, lambda k: d.card(panel, k, details))

    def _chatbots(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        indices = self._select(request, d.chatbots, lambda i: True, lambda i: _ts(x.chatbot(i)["createdAt"]))
        return self._page(request, indices, x.chatbot)

    def _sequences(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        details = self._details(request)
        indices = self._select(
            request, d.sequences, lambda i: True, lambda i: _ts(x.sequence(i, set())["createdAt"])
        )
        return self._page(request, indices, lambda q: x.sequence(q, details))

    def _sequence_contacts(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        sequence = index_of(d.seed, "sequence", match["id"])
        if sequence is None or sequence >= len(SEQUENCES):
            return self.error(404, "Sequence not found")
        details = self._details(request)
        coll = d.sequence_contacts[sequence]
        indices = self._select(
            request, coll, lambda k: True, lambda k: _ts(x.sequence_contact(sequence, k, set())["createdAt"])
        )
        return self._page(request, indices, lambda k: x.sequence_contact(sequence, k, details))

    def _scheduled_messages(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        status = request.arg("Status")
        if status is not None and status not in SCHEDULED_STATUSES:
            raise BadRequest(f"Status must be one of {', '.join(SCHEDULED_STATUSES)}")
        # Without Status: the pending ones only. The OpenAPI's `Status` (one value) states no
        # default; the least convenient reading hides sent, failed and canceled messages.
        wanted = status or "SCHEDULED"
        details = self._details(request)
        indices = self._select(
            request,
            d.scheduled,
            lambda i: x.scheduled_status(i) == wanted,
            lambda i: _ts(x.scheduled_message(i, set())["createdAt"]),
        )
        return self._page(request, indices, lambda i: x.scheduled_message(i, details))

    def _session_notes(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        session = index_of(d.seed, "session", match["id"])
        if session is None or session >= d.sessions.count:
            return self.error(404, "Session not found")
        notes = [x.session_note(session, n) for n in range(x.session_note_count(session))]
        return self._page(request, self._filter_built(request, notes), lambda n: notes[n])

    def _card_notes(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        card = index_of(d.seed, "card", match["id"])
        if card is None or card // 100_000 >= len(PANELS) or card % 100_000 >= d.cards_per_panel:
            return self.error(404, "Card not found")
        panel, k = divmod(card, 100_000)
        notes = [x.card_note(panel, k, n) for n in range(x.card_note_count(panel, k))]
        return self._page(request, self._filter_built(request, notes), lambda n: notes[n])

    def _lost_reasons(self, request: Request, match) -> Response:
        d, x = self.data, self.extras
        panel = index_of(d.seed, "panel", match["id"])
        if panel is None or panel >= len(PANELS):
            return self.error(404, "Panel not found")
        # The OpenAPI's path parameter is "ID do painel do tipo Vendas": a MANAGEMENT panel is
        # answered with 400 (UNVERIFIED which error; the least convenient is a failure).
        if PANELS[panel][1] != "SALES":
            raise BadRequest("Lost reasons exist only for panels of type SALES")
        reasons = [x.lost_reason(panel, n) for n in range(len(LOST_REASONS))]
        return self._page(request, self._filter_built(request, reasons), lambda n: reasons[n])

    def _filter_built(self, request: Request, records: list[dict[str, Any]]) -> list[int]:
        """Positions of small, built lists that pass the UpdatedAt.* filters."""
        after, before = self._instant(request, "UpdatedAt.After"), self._instant(request, "UpdatedAt.Before")
        return [
            n
            for n, r in enumerate(records)
            if within(_ts(r["updatedAt"]), after, before, self.inclusive_bounds)
        ]

    # --- ground truth and mutations ------------------------------------------------------------
    def truth(self) -> dict[str, int]:
        d = self.data
        return {
            "agents": len(d.agents),
            "channels": len(d.channels),
            "custom_fields": len(d.custom_fields),
            "departments": len(d.departments),
            "office_hours": 1,
            "tags": len(d.tags),
            "panels": len(PANELS),
            "contacts": d.contacts.count,
            "portfolios": d.portfolios.count,
            "templates": d.templates.count,
            "sessions": d.sessions.count,
            "messages": sum(d.message_count(s) for s in range(d.sessions.count)),
            "cards": sum(c.count for c in d.cards),
            "chatbots": d.chatbots.count,
            "sequences": d.sequences.count,
            "sequence_contacts": sum(c.count for c in d.sequence_contacts),
            "scheduled_messages": d.scheduled.count,
            "lost_reasons": len(LOST_REASONS) * sum(1 for _, kind in PANELS if kind == "SALES"),
            "session_notes": sum(self.extras.session_note_count(s) for s in range(d.sessions.count)),
            "card_notes": sum(
                self.extras.card_note_count(p, k)
                for p in range(len(PANELS))
                for k in range(d.cards_per_panel)
            ),
        }

    def mutate(
        self,
        contacts: int = 3,
        sessions: int = 2,
        new_messages: int = 2,
        cards: int = 3,
        portfolios: int = 1,
        templates: int = 2,
        archive: int = 1,
    ) -> dict[str, list[str]]:
        """Update records "now" (and add messages to other sessions); return their ids by stream.

        Contacts are picked across all three statuses, cards across all panels; ``archive``
        active contacts also move to ARCHIVED (another partition of the connector's contacts).
        """
        d = self.data
        with self._lock:
            m = self._mutations
            self._mutations += 1
            now = max(time.time(), self._last_touch + 0.001)
            self._last_touch = now
            changed: dict[str, list[str]] = {}
            statuses = [i for i in range(d.contacts.count) if i % 10 in (0, 7, 9)]
            picks = [statuses[(m * contacts + k) % len(statuses)] for k in range(contacts)]
            active = [
                i for i in range(d.contacts.count) if d.contact_status(i) == "ACTIVE" and i not in picks
            ]
            moved = active[-archive:] if archive else []
            d.archived.update(moved)
            changed["contacts"] = self._touch(d.contacts, "contact", picks + moved, now)
            changed["archived_contacts"] = [d.id("contact", i) for i in moved]
            picks = [(m * 7 + k * 13) % d.sessions.count for k in range(sessions)]
            changed["sessions"] = self._touch(d.sessions, "session", picks, now)
            # New messages land in other sessions, whose updatedAt does not move: nothing
            # documents that a message moves it (the webhooks list MESSAGE_* apart from
            # SESSION_UPDATE), so the sandbox takes the least convenient reading. They move the
            # session's lastInteractionDate (data.interaction_ts).
            talk = [(m * 7 + k * 13 + 5) % d.sessions.count for k in range(sessions)]
            talk = [s for s in dict.fromkeys(talk) if s not in picks]
            changed["message_sessions"] = [d.id("session", s) for s in talk]
            changed["messages"] = []
            for s in talk:
                for _ in range(new_messages):
                    d.extra_messages.setdefault(s, []).append(now)
                    changed["messages"].append(d.id("message", s * 1000 + d.message_count(s) - 1))
            changed["cards"] = []
            for k in range(cards):
                panel, card = k % len(PANELS), (m * 5 + k * 11) % d.cards_per_panel
                d.cards[panel].touched[card] = now
                changed["cards"].append(d.id("card", panel * 100_000 + card))
            changed["portfolios"] = self._touch(
                d.portfolios, "portfolio", [(m + k) % d.portfolios.count for k in range(portfolios)], now
            )
            picks = [(m * 3 + k * 17) % d.templates.count for k in range(templates)]
            changed["templates"] = self._touch(d.templates, "template", picks, now)
        return changed

    def _touch(self, coll: Collection, stream: str, indices: list[int], now: float) -> list[str]:
        for i in indices:
            coll.touched[i] = now
        return [self.data.id(stream, i) for i in dict.fromkeys(indices)]

    # --- connector wiring ----------------------------------------------------------------------
    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {
            "api_key": self.token,
            "api_base_url": base_url,
            "start_date": START_DATE,
            "window_in_days": 365,  # a few windows, several pages each
            **self.client_rate_settings(),
        }

    def demo_queries(self) -> list[tuple[str, str]]:
        return [
            (
                "Conversations per department and status",
                "SELECT d.name AS department, s.status, count(*) AS sessions FROM sessions s "
                "JOIN departments d ON d.id = s.departmentid GROUP BY 1, 2 ORDER BY 1, 3 DESC",
            ),
            (
                "Contacts per status",
                "SELECT status, count(*) AS contacts FROM contacts GROUP BY 1 ORDER BY 2 DESC",
            ),
            (
                "Won deals per CRM panel",
                "SELECT p.title AS panel, count(*) AS won, round(sum(c.monetaryamount), 2) AS value FROM cards c "
                "JOIN panels p ON p.id = c.panelid WHERE c.status = 'WON' GROUP BY 1 ORDER BY 3 DESC",
            ),
        ]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()
