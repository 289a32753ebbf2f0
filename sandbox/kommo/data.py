"""Seeded Kommo account data, generated lazily: record i of a collection comes from (seed, stream, i).

Each time-ordered collection (leads, contacts, companies, tasks, notes, events) keeps only its size
and a :class:`Timeline` (the cursor value is a monotonic function of the index), plus a small
overlay of records changed by ``mutate``. A range filter is a binary search, a page is a slice,
so a million-lead account costs no memory until it is paged.

Each timeline has a *burst*: a CSV import that stamped hundreds of records with the same second,
placed on the last second of a 30-day window counted from the data's first day. It makes the
connector page through one second (more than one page of 250) on a window boundary.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import datagen

ACCOUNT_ID = 31727418
WINDOW = 30 * 86400
BURST_TS = datagen.EPOCH_START + 10 * WINDOW - 1  # the last second of the 10th 30-day window
ENTITY_TYPES = ("leads", "contacts", "companies")
WON, LOST = 142, 143


@dataclass
class Timeline:
    """Non-decreasing timestamps for indices 0..n-1 over [start, end), with ``burst`` at one second."""

    n: int
    burst: int = 0
    start: int = datagen.EPOCH_START
    end: int = datagen.EPOCH_END
    burst_ts: int = BURST_TS

    def __post_init__(self) -> None:
        self.burst = min(self.burst, self.n)
        rest = self.n - self.burst
        self.before = rest * (self.burst_ts - self.start) // (self.end - self.start)
        self.after = rest - self.before

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if i < self.before:
            return self.start + (self.burst_ts - self.start) * i // self.before
        i -= self.before
        if i < self.burst:
            return self.burst_ts
        i -= self.burst
        return self.burst_ts + 1 + (self.end - self.burst_ts - 1) * i // max(self.after, 1)

    def index_range(self, lo: int | None, hi: int | None, lo_inclusive: bool, hi_inclusive: bool) -> range:
        """Indices whose timestamp lies within the bounds (None = open)."""
        first = 0 if lo is None else (bisect.bisect_left if lo_inclusive else bisect.bisect_right)(self, lo)
        last = (
            self.n if hi is None else (bisect.bisect_right if hi_inclusive else bisect.bisect_left)(self, hi)
        )
        return range(first, max(first, last))


@dataclass
class Collection:
    """One time-ordered stream: base records from a timeline, changed records in an overlay.

    ``order`` is the API's natural order (base by index, then changed records by change time),
    which is also ascending by the cursor while every change happens after the seeded data.
    """

    name: str
    timeline: Timeline
    build: Callable[[int, int], dict[str, Any]]  # (index, cursor value) -> record
    overlay: dict[int, int] = field(default_factory=dict)  # index -> new cursor value
    extra: list[tuple[int, int, dict[str, Any]]] = field(
        default_factory=list
    )  # (ts, seq, record) added later
    _where_cache: dict[Any, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.timeline) + len(self.extra)

    def value(self, i: int) -> int:
        return self.overlay.get(i, self.timeline[i])

    def select(
        self, lo: int | None, hi: int | None, inclusive: bool, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        base = self.timeline.index_range(lo, hi, inclusive, inclusive)
        changed = sorted(self.overlay)
        excluded = changed[bisect.bisect_left(changed, base.start) : bisect.bisect_left(changed, base.stop)]
        out: list[dict[str, Any]] = []
        if offset < len(base) - len(excluded):
            index = base.start + offset  # walk to the offset-th base index that is not overlaid
            while (moved := base.start + offset + bisect.bisect_right(excluded, index)) != index:
                index = moved
            skip = set(excluded)
            while len(out) < limit and index < base.stop:
                if index not in skip:
                    out.append(self.build(index, self.timeline[index]))
                index += 1
        tail = sorted(
            [(ts, i, None) for i, ts in self.overlay.items()] + self.extra, key=lambda t: (t[0], t[1])
        )
        tail = [t for t in tail if _within(t[0], lo, hi, inclusive)]
        start = max(0, offset - (len(base) - len(excluded)))
        for ts, i, record in tail[start : start + limit - len(out)]:
            out.append(record if record is not None else self.build(i, ts))
        return out

    def select_where(
        self, lo: int | None, hi: int | None, inclusive: bool, ids: set[int] | None, types: set[str] | None
    ) -> list[dict[str, Any]]:
        """Every record in the range (natural order) whose id / ``type`` is among those given.

        For the rarer filters (``filter[id]``, ``filter[type]``) and ``order[id]``: builds the whole
        range, which is fine for a sandbox but not for a million-row window.
        """
        key = (
            lo,
            hi,
            inclusive,
            frozenset(ids or ()),
            frozenset(types or ()),
            len(self.extra),
            tuple(self.overlay.items()),
        )
        if key in self._where_cache:
            return list(self._where_cache[key])
        out, offset = [], 0
        while batch := self.select(lo, hi, inclusive, offset, 1000):
            out.extend(
                r
                for r in batch
                if (ids is None or r["id"] in ids) and (types is None or r.get("type") in types)
            )
            offset += len(batch)
        if len(self._where_cache) > 64:
            self._where_cache.clear()
        self._where_cache[key] = out
        return list(out)


def _within(ts: int, lo: int | None, hi: int | None, inclusive: bool) -> bool:
    if lo is not None and (ts < lo or (not inclusive and ts == lo)):
        return False
    return not (hi is not None and (ts > hi or (not inclusive and ts == hi)))


def link(path: str) -> dict[str, Any]:
    return {"self": {"href": f"https://sandbox.kommo.com/api/v4/{path}"}}


class KommoData:
    """The whole seeded account. ``scale`` multiplies the per-stream volumes (1 = test size)."""

    def __init__(self, seed: int = 42, scale: float = 1.0) -> None:
        self.seed = seed

        def size(n: int) -> int:
            return max(1, int(n * scale))

        self.users = [self._user(i) for i in range(8)]
        self.pipelines = [self._pipeline(i) for i in range(3)]
        self.loss_reasons = [
            {
                "id": 9001 + i,
                "name": name,
                "sort": (i + 1) * 10,
                "created_at": datagen.EPOCH_START,
                "updated_at": datagen.EPOCH_START + i * 86400,
                "_links": link(f"leads/loss_reasons/{9001 + i}"),
            }
            for i, name in enumerate(
                ["Price too high", "Chose a competitor", "No budget", "Stopped answering"]
            )
        ]
        self.custom_fields = {entity: self._custom_fields(entity) for entity in ENTITY_TYPES}
        self._reference_data()
        self.tags = {entity: self._tags(entity) for entity in ENTITY_TYPES}
        n_leads, n_contacts, n_companies = size(700), size(450), size(150)
        self.sizes = {"leads": n_leads, "contacts": n_contacts, "companies": n_companies}
        self.collections: dict[str, Collection] = {
            "leads": Collection("leads", Timeline(n_leads, burst=min(300, n_leads // 2)), self._lead),
            "contacts": Collection(
                "contacts", Timeline(n_contacts, burst=min(260, n_contacts * 2 // 3)), self._contact
            ),
            "companies": Collection("companies", Timeline(n_companies), self._company),
            "tasks": Collection("tasks", Timeline(size(400), burst=min(120, size(400) // 3)), self._task),
            "events": Collection(
                "events", Timeline(size(1000), burst=min(150, size(1000) // 3)), self._event
            ),
        }
        # Deleted leads still in the trash (restorable), listed only by /leads?with=only_deleted.
        self.collections["leads_trash"] = Collection("leads_trash", Timeline(size(40)), self._deleted_lead)
        for entity, n in (("leads", 200), ("contacts", 120), ("companies", 60)):
            self.collections[f"{entity}_notes"] = Collection(
                f"{entity}_notes", Timeline(size(n)), lambda i, ts, entity=entity: self._note(entity, i, ts)
            )

    # --- reference data ----------------------------------------------------------------------
    def _user(self, i: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "users", i)
        first, last = datagen.person_name(r)
        admin = i == 0
        level = "A" if admin else r.choice(["A", "M", "G"])
        entity_rights = {
            "view": level,
            "edit": level,
            "add": "A",
            "delete": "A" if admin else "D",
            "export": "A" if admin else "D",
        }
        return {
            "id": 10998074 + i,
            "name": f"{first} {last}",
            "email": datagen.email_for(first, last, i, "sandbox-kommo.com"),
            "lang": r.choice(["en", "pt", "es"]),
            "rights": {
                "leads": entity_rights,
                "contacts": entity_rights,
                "companies": entity_rights,
                "tasks": {"edit": "A", "delete": "A" if admin else "D"},
                "mail_access": True,
                "catalog_access": admin,
                "status_rights": [
                    {
                        "entity_type": "leads",
                        "pipeline_id": 7000001,
                        "status_id": 58000001,
                        "rights": {"view": "A", "edit": "A", "delete": "D"},
                    }
                ],
                "is_admin": admin,
                "is_free": False,
                "is_active": i != 7,
                "group_id": None if admin else 1 + i % 2,
                "role_id": None,
            },
            "_links": link(f"users/{10998074 + i}"),
        }

    def _reference_data(self) -> None:
        """Account, user groups, roles, unsorted leads, catalogs and customers: small fixed lists."""
        r = datagen.rng(self.seed, "reference", 0)
        start = datagen.EPOCH_START
        self.account = {
            "id": ACCOUNT_ID, "name": "Sandbox", "subdomain": "sandbox", "created_at": start,
            "created_by": self.users[0]["id"], "updated_at": start, "updated_by": self.users[0]["id"],
            "current_user_id": self.users[0]["id"], "country": "BR", "currency": "BRL",
            "currency_symbol": "R$", "customers_mode": "disabled", "is_unsorted_on": True,
            "is_loss_reason_enabled": True, "is_helpbot_enabled": False, "is_technical_account": False,
            "contact_name_display_order": 1, "_links": link("account"),
        }  # fmt: skip
        self.account_embedded = {
            "users_groups": [
                {"id": 0, "name": "Отдел продаж", "uuid": None},
                {"id": 1, "name": "Inbound", "uuid": None},
                {"id": 2, "name": "Outbound", "uuid": None},
            ],
            "task_types": [
                {"id": 1, "name": "Follow-up", "color": None, "icon_id": None, "code": "FOLLOW_UP"},
                {"id": 2, "name": "Meeting", "color": None, "icon_id": None, "code": "MEETING"},
                {"id": 3, "name": "Call WhatsApp", "color": "#25D366", "icon_id": 5, "code": None},
            ],
            # PHP's empty object: an account without custom date settings (pessimistic reading).
            "datetime_settings": [],
        }
        self.roles = [
            {
                "id": 100 + k,
                "name": name,
                "rights": {"leads": {"view": "A", "edit": level, "add": "A", "delete": "D", "export": "D"}},
                "_links": link(f"roles/{100 + k}"),
                "_embedded": {"users": [{"id": u["id"]} for u in self.users[1 + k :: 3]]},
            }
            for k, (name, level) in enumerate([("Sales", "A"), ("Support", "M"), ("Interns", "D")])
        ]
        pipeline = self.pipelines[0]
        self.unsorted = [
            {
                "uid": f"{r.getrandbits(128):032x}",
                "source_uid": f"form-{k}",
                "source_name": ["Site form", "WhatsApp", "Calls", "Mail"][k % 4],
                "category": ["forms", "chats", "sip", "mail"][k % 4],
                "pipeline_id": pipeline["id"],
                "created_at": start + k * 86400,
                "account_id": ACCOUNT_ID,
                # mail and chats carry no form data: PHP's [] (pessimistic reading)
                "metadata": {"form_id": k, "form_name": "Contact us", "ip": "203.0.113.7"}
                if k % 4 == 0
                else [],
                "_links": link(f"leads/unsorted/{k}"),
                "_embedded": {
                    "leads": [{"id": 3000001 + k}],
                    "contacts": [{"id": 4000001 + k}],
                    "companies": [],
                },
            }
            for k in range(12)
        ]
        self.catalogs = [
            {
                "id": 5001 + k,
                "name": name,
                "created_by": self.users[0]["id"],
                "updated_by": self.users[0]["id"],
                "created_at": start,
                "updated_at": start + k,
                "sort": 10 * (k + 1),
                "type": kind,
                "can_add_elements": True,
                "can_show_in_cards": k == 0,
                "can_link_multiple": True,
                "can_be_deleted": kind == "regular",
                "sdk_widget_code": None,
                "account_id": ACCOUNT_ID,
                "_links": link(f"catalogs/{5001 + k}"),
            }  # fmt: skip
            for k, (name, kind) in enumerate([("Products", "regular"), ("Invoices", "invoices")])
        ]
        self.catalog_elements = {
            catalog["id"]: [
                {
                    "id": catalog["id"] * 1000 + j,
                    "name": f"{catalog['name'][:-1]} {j}",
                    "created_by": self.users[0]["id"],
                    "updated_by": self.users[0]["id"],
                    "created_at": start + j,
                    "updated_at": start + j,
                    "is_deleted": False,
                    "custom_fields_values": None,
                    "catalog_id": catalog["id"],
                    "account_id": ACCOUNT_ID,
                    "_links": link(f"catalogs/{catalog['id']}/elements/{catalog['id'] * 1000 + j}"),
                }  # fmt: skip
                for j in range(count)
            ]
            for catalog, count in zip(self.catalogs, (30, 5), strict=True)
        }
        self.customers = [
            {
                "id": 6000001 + k,
                "name": f"Subscriber {k}",
                "next_price": 99,
                "next_price_with_minor_units": 99.9,
                "next_date": start + 30 * 86400,
                "responsible_user_id": self.users[0]["id"],
                "status_id": 1,
                "periodicity": 30,
                "created_by": self.users[0]["id"],
                "updated_by": self.users[0]["id"],
                "created_at": start,
                "updated_at": start + k,
                "closest_task_at": None,
                "is_deleted": False,
                "custom_fields_values": None,
                "ltv": 299.7,
                "purchases_count": 3,
                "average_check": 99.9,
                "account_id": ACCOUNT_ID,
                "_links": link(f"customers/{6000001 + k}"),
                "_embedded": {
                    "tags": [],
                    "contacts": [{"id": 4000001 + k, "is_main": True}],
                    "companies": [],
                },
            }  # fmt: skip
            for k in range(10)
        ]

    def user_id(self, r: random.Random) -> int:
        return self.users[r.randrange(len(self.users))]["id"]

    def _pipeline(self, p: int) -> dict[str, Any]:
        pipeline_id = 7000001 + p
        names = ["Incoming leads", "Initial contact", "Discussions", "Decision making", "Contract discussion"]
        statuses = [
            {
                "id": 58000001 + p * 100 + k,
                "name": name,
                "sort": 10 * (k + 1),
                "is_editable": k > 0,
                "pipeline_id": pipeline_id,
                "color": ["#c1c1c1", "#99ccff", "#ffff99", "#ffcc66", "#ff8f92"][k],
                "type": 1 if k == 0 else 0,
                "account_id": ACCOUNT_ID,
                "descriptions": [],
                "_links": link(f"leads/pipelines/{pipeline_id}/statuses/{58000001 + p * 100 + k}"),
            }
            for k, name in enumerate(names[: 3 + p])
        ]
        statuses += [
            {
                "id": WON,
                "name": "Closed - won",
                "sort": 10000,
                "is_editable": False,
                "pipeline_id": pipeline_id,
                "color": "#CCFF66",
                "type": 0,
                "account_id": ACCOUNT_ID,
                "descriptions": [],
                "_links": link(f"leads/pipelines/{pipeline_id}/statuses/{WON}"),
            },
            {
                "id": LOST,
                "name": "Closed - lost",
                "sort": 11000,
                "is_editable": False,
                "pipeline_id": pipeline_id,
                "color": "#D5D8DB",
                "type": 0,
                "account_id": ACCOUNT_ID,
                "descriptions": [],
                "_links": link(f"leads/pipelines/{pipeline_id}/statuses/{LOST}"),
            },
        ]
        return {
            "id": pipeline_id,
            "name": ["Sales", "Partners", "Renewals"][p],
            "sort": p + 1,
            "is_main": p == 0,
            "is_unsorted_on": p == 0,
            "is_archive": p == 2,
            "account_id": ACCOUNT_ID,
            "_links": link(f"leads/pipelines/{pipeline_id}"),
            "_embedded": {"statuses": statuses},
        }

    def _custom_fields(self, entity: str) -> list[dict[str, Any]]:
        base = {"leads": 921001, "contacts": 922001, "companies": 923001}[entity]
        specs = {
            "leads": [
                ("stack", "select", None),
                ("Budget", "numeric", None),
                ("Deadline", "date", None),
                ("Channels", "multiselect", None),
                ("Qualified", "checkbox", None),
                ("Notes", "textarea", None),
            ],
            "contacts": [
                ("Phone", "multitext", "PHONE"),
                ("Email", "multitext", "EMAIL"),
                ("Position", "text", "POSITION"),
                ("City", "text", None),
                ("Birthday", "birthday", None),
            ],
            "companies": [
                ("Phone", "multitext", "PHONE"),
                ("Web", "url", "WEB"),
                ("Address", "textarea", "ADDRESS"),
                ("Segment", "select", None),
            ],
        }[entity]
        fields = []
        for k, (name, kind, code) in enumerate(specs):
            enums = None
            if kind in ("select", "multiselect"):
                enums = [
                    {"id": base * 10 + k * 10 + j, "value": v, "sort": (j + 1) * 10}
                    for j, v in enumerate(
                        ["frontend", "backend", "mobile"]
                        if kind == "select"
                        else ["whatsapp", "instagram", "site"]
                    )
                ]
            elif kind == "multitext":
                enums = [
                    {"id": base * 10 + k * 10 + j, "value": v, "sort": (j + 1) * 2}
                    for j, v in enumerate(["WORK", "MOB", "HOME"])
                ]
            fields.append(
                {
                    "id": base + k,
                    "name": name,
                    "type": kind,
                    "account_id": ACCOUNT_ID,
                    "code": code,
                    "sort": 500 + k,
                    "is_api_only": False,
                    "enums": enums,
                    "group_id": None,
                    "required_statuses": [],
                    "is_deletable": code is None,
                    "is_predefined": code is not None,
                    "entity_type": entity,
                    "remind": None,
                    "nested": None,
                    "_links": link(f"{entity}/custom_fields/{base + k}"),
                }
            )
        return fields

    def _tags(self, entity: str) -> list[dict[str, Any]]:
        names = {
            "leads": [
                "hot",
                "cold",
                "referral",
                "webinar",
                "whatsapp",
                "instagram",
                "vip",
                "renewal",
                "inbound",
            ],
            "contacts": ["decision-maker", "newsletter", "partner", "blocked", "vip"],
            "companies": ["enterprise", "smb", "partner"],
        }[entity]
        base = {"leads": 50001, "contacts": 60001, "companies": 70001}[entity]
        colors = [None, "#FF8F92", "#99CCFF", "#CCFF66"]
        return [{"id": base + k, "name": n, "color": colors[k % 4]} for k, n in enumerate(names)]

    def pick_tags(self, r: random.Random, entity: str) -> list[dict[str, Any]]:
        tags = self.tags[entity]
        return [dict(t) for t in r.sample(tags, r.choice([0, 0, 1, 2]))]

    def custom_values(self, r: random.Random, entity: str) -> list[dict[str, Any]] | None:
        if r.random() < 0.25:
            return None  # Kommo sends null, not [], when a record has no custom field values
        out = []
        for f in self.custom_fields[entity]:
            if r.random() < 0.4:
                continue
            kind = f["type"]
            if kind in ("select", "multiselect"):
                chosen = r.sample(f["enums"], 1 if kind == "select" else r.randint(1, 2))
                values = [{"value": e["value"], "enum_id": e["id"], "enum_code": None} for e in chosen]
            elif kind == "multitext":
                enum = f["enums"][r.randrange(2)]
                value = (
                    datagen.br_mobile(r)
                    if f["code"] == "PHONE"
                    else f"contato{r.randint(1, 9999)}@example.com.br"
                )
                values = [{"value": value, "enum_id": enum["id"], "enum_code": enum["value"]}]
            elif kind == "numeric":
                values = [{"value": str(r.randint(1, 500) * 100)}]
            elif kind in ("date", "birthday"):
                values = [{"value": datagen.EPOCH_START + r.randint(0, 700) * 86400}]
            elif kind == "checkbox":
                values = [{"value": r.random() < 0.5}]
            else:
                values = [
                    {
                        "value": r.choice(datagen.CITIES)[0]
                        if f["name"] == "City"
                        else f"{f['name']} {r.randint(1, 999)}"
                    }
                ]
            out.append(
                {
                    "field_id": f["id"],
                    "field_name": f["name"],
                    "field_code": f["code"],
                    "field_type": kind,
                    "values": values,
                }
            )
        return out

    # --- time-ordered records ----------------------------------------------------------------
    def _lead(self, i: int, updated_at: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "leads", i)
        lead_id = 3000001 + i
        pipeline = self.pipelines[r.choice([0, 0, 0, 1, 2])]
        statuses = pipeline["_embedded"]["statuses"]
        status = statuses[r.randrange(len(statuses))]["id"]
        created_at = max(datagen.EPOCH_START, updated_at - r.randint(0, 20 * 86400))
        closed = status in (WON, LOST)
        lost_reason = (
            self.loss_reasons[r.randrange(len(self.loss_reasons))]
            if status == LOST and r.random() < 0.8
            else None
        )
        n_contacts = self.sizes["contacts"]
        contacts = [
            {"id": 4000001 + (i * 7 + k) % n_contacts, "is_main": k == 0}
            for k in range(r.choice([0, 1, 1, 2]))
        ]
        company = [{"id": 5000001 + i % self.sizes["companies"]}] if r.random() < 0.5 else []
        return {
            "id": lead_id,
            "name": f"Deal #{lead_id}",
            "price": r.choice([0, 500, 1200, 4990, 15000, 89000]),
            "responsible_user_id": self.user_id(r),
            "group_id": 0,
            "status_id": status,
            "pipeline_id": pipeline["id"],
            "loss_reason_id": lost_reason["id"] if lost_reason else None,
            "created_by": self.user_id(r),
            "updated_by": self.user_id(r),
            "created_at": created_at,
            "updated_at": updated_at,
            "closed_at": updated_at if closed else None,
            "closest_task_at": None if closed or r.random() < 0.5 else updated_at + r.randint(1, 14) * 86400,
            "is_deleted": False,
            "custom_fields_values": self.custom_values(r, "leads"),
            "score": r.choice([None, None, 10, 55, 90]),
            "account_id": ACCOUNT_ID,
            "labor_cost": r.choice([None, None, 3600]),
            "is_price_computed": False,
            "_source_id": r.choice([None, 12001, 12002]),
            "_robot": r.random() < 0.1,
            "_contacts": contacts,
            "_loss_reason": lost_reason,
            "_links": link(f"leads/{lead_id}"),
            "_embedded": {"tags": self.pick_tags(r, "leads"), "companies": company},
        }

    def _deleted_lead(self, i: int, updated_at: int) -> dict[str, Any]:
        """A lead in the trash as ``with=only_deleted`` lists it: only its id, when it was changed
        (deleted) and by whom, ``is_deleted``; every other field null. Evidence: Kommo's leads-list
        reference ("lead models with ... id, modification date and is_deleted = true") and the
        answer quoted in amocrm-api-php #254. Ids follow the live leads' (a deleted lead is gone
        from ``/leads``)."""
        r = datagen.rng(self.seed, "leads_trash", i)
        lead_id = 3000001 + self.sizes["leads"] + i
        nulls = ("name", "price", "responsible_user_id", "group_id", "status_id", "pipeline_id")
        more = ("loss_reason_id", "created_by", "created_at", "closed_at", "closest_task_at")
        return {
            **dict.fromkeys(nulls + more),
            "id": lead_id,
            "updated_by": self.user_id(r),
            "updated_at": updated_at,
            "is_deleted": True,
            "custom_fields_values": None,
            "score": None,
            "account_id": ACCOUNT_ID,
            "_links": link(f"leads/{lead_id}"),
        }

    def _contact(self, i: int, updated_at: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "contacts", i)
        contact_id = 4000001 + i
        first, last = datagen.person_name(r)
        return {
            "id": contact_id,
            "name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "responsible_user_id": self.user_id(r),
            "group_id": 0,
            "created_by": self.user_id(r),
            "updated_by": self.user_id(r),
            "created_at": max(datagen.EPOCH_START, updated_at - r.randint(0, 30 * 86400)),
            "updated_at": updated_at,
            "closest_task_at": None,
            "is_deleted": False,
            "is_unsorted": r.random() < 0.05,
            "custom_fields_values": self.custom_values(r, "contacts"),
            "account_id": ACCOUNT_ID,
            "_links": link(f"contacts/{contact_id}"),
            "_embedded": {
                "tags": self.pick_tags(r, "contacts"),
                "companies": [{"id": 5000001 + i % self.sizes["companies"]}] if r.random() < 0.4 else [],
            },
            "_leads": [{"id": 3000001 + (i * 3) % self.sizes["leads"]}] if r.random() < 0.7 else [],
        }

    def _company(self, i: int, updated_at: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "companies", i)
        company_id = 5000001 + i
        return {
            "id": company_id,
            "name": datagen.company_name(r),
            "responsible_user_id": self.user_id(r),
            "group_id": 0,
            "created_by": self.user_id(r),
            "updated_by": self.user_id(r),
            "created_at": max(datagen.EPOCH_START, updated_at - r.randint(0, 60 * 86400)),
            "updated_at": updated_at,
            "closest_task_at": None,
            "is_deleted": False,
            "custom_fields_values": self.custom_values(r, "companies"),
            "account_id": ACCOUNT_ID,
            "_links": link(f"companies/{company_id}"),
            "_embedded": {"tags": self.pick_tags(r, "companies")},
            "_leads": [{"id": 3000001 + i % self.sizes["leads"]}],
            "_contacts": [{"id": 4000001 + i % self.sizes["contacts"]}],
        }

    def _task(self, i: int, updated_at: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "tasks", i)
        task_id = 56001 + i
        entity = r.choice(["leads", "leads", "contacts", "companies"])
        done = r.random() < 0.6
        return {
            "id": task_id,
            "created_by": self.user_id(r),
            "updated_by": self.user_id(r),
            "created_at": max(datagen.EPOCH_START, updated_at - r.randint(0, 10 * 86400)),
            "updated_at": updated_at,
            "responsible_user_id": self.user_id(r),
            "group_id": 0,
            "entity_id": {"leads": 3000001, "contacts": 4000001, "companies": 5000001}[entity]
            + i % self.sizes[entity],
            "entity_type": entity,
            "duration": r.choice([0, 0, 1800, 3600]),
            "is_completed": done,
            "task_type_id": r.choice([1, 2, 3]),
            "text": r.choice(["Call back", "Send proposal", "Follow up on WhatsApp"]),
            # PHP serialises an open task's empty result object as [] (review 2.4; amocrm-api-php
            # types it object|null): the pessimistic reading.
            "result": {"text": r.choice(["Done", "Client asked for a discount", "No answer"])}
            if done
            else [],
            "complete_till": updated_at + r.randint(1, 7) * 86400,
            "account_id": ACCOUNT_ID,
            "_links": link(f"tasks/{task_id}"),
        }

    def _note(self, entity: str, i: int, updated_at: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, f"{entity}_notes", i)
        note_id = {"leads": 81000001, "contacts": 82000001, "companies": 83000001}[entity] + i
        kind = r.choice(["common", "call_in", "call_out", "service_message"])
        params = (
            {"text": "Client prefers WhatsApp"}
            if kind == "common"
            else (
                {
                    "uniq": f"call-{note_id}",
                    "duration": r.randint(10, 900),
                    "source": "sandbox-telephony",
                    "phone": datagen.br_mobile(r),
                }
                if kind.startswith("call")
                else {"service": "Robot", "text": "Stage changed automatically"}
            )
        )
        if note_id % 9 == 0:
            # Mail notes carry no params in amocrm-api-php (AmoMailMessageNote has a no-params base
            # class), and PHP serialises the empty object as [] (review 2.4): pessimistic reading.
            kind, params = "amomail_message", []
        return {
            "id": note_id,
            "entity_id": {"leads": 3000001, "contacts": 4000001, "companies": 5000001}[entity]
            + i % self.sizes[entity],
            "created_by": self.user_id(r),
            "updated_by": self.user_id(r),
            "created_at": updated_at,
            "updated_at": updated_at,
            "responsible_user_id": self.user_id(r),
            "group_id": 0,
            "note_type": kind,
            "params": params,
            "account_id": ACCOUNT_ID,
            "_links": link(f"{entity}/notes/{note_id}"),
        }

    def _event(self, i: int, created_at: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "events", i)
        kind = r.choice(
            [
                "lead_added",
                "lead_status_changed",
                "lead_status_changed",
                "contact_added",
                "entity_tag_added",
                "custom_field_value_changed",
                "incoming_chat_message",
                "task_added",
                "lead_deleted",
            ]
        )
        if kind == "lead_deleted" and i % 3:  # some deletions are of contacts and companies
            kind = ("contact_deleted", "company_deleted")[i % 3 - 1]
        return self.event(kind, r, created_at, f"{r.getrandbits(80):020x}{i:06x}"[:26])

    def event(
        self, kind: str, r: random.Random, created_at: int, event_id: str, entity_id: int | None = None
    ) -> dict[str, Any]:
        entity = {"contact_added": "contact", "contact_deleted": "contact", "company_deleted": "company"}.get(
            kind, "lead"
        )
        base, size = {"contact": (4000001, "contacts"), "company": (5000001, "companies")}.get(
            entity, (3000001, "leads")
        )
        entity_id = entity_id or base + r.randrange(self.sizes[size])
        pipeline = self.pipelines[0]
        statuses = pipeline["_embedded"]["statuses"]
        before, after = {
            "lead_added": ([], [{"lead_status": {"id": statuses[0]["id"], "pipeline_id": pipeline["id"]}}]),
            "lead_status_changed": (
                [{"lead_status": {"id": statuses[0]["id"], "pipeline_id": pipeline["id"]}}],
                [
                    {
                        "lead_status": {
                            "id": r.choice([WON, LOST, statuses[1]["id"]]),
                            "pipeline_id": pipeline["id"],
                        }
                    }
                ],
            ),
            "contact_added": ([], [{"contact": {"id": entity_id}}]),
            "entity_tag_added": ([], [{"tag": {"name": r.choice(self.tags["leads"])["name"]}}]),
            "custom_field_value_changed": (
                [{"custom_field_value": {"field_id": 921002, "field_type": 2, "text": "100"}}],
                [{"custom_field_value": {"field_id": 921002, "field_type": 2, "text": "250"}}],
            ),
            "incoming_chat_message": (
                [],
                [{"message": {"id": f"msg-{event_id}", "origin": "whatsapp", "talk_id": r.randint(1, 9999)}}],
            ),
            "task_added": ([], [{"task": {"id": 56001 + r.randrange(400)}}]),
            "lead_deleted": ([], []),
            "contact_deleted": ([], []),
            "company_deleted": ([], []),
            "name_changed": (
                [{"name_field_value": {"name": "Old name"}}],
                [{"name_field_value": {"name": "New name"}}],
            ),
        }[kind]
        return {
            "id": event_id,
            "type": kind,
            "entity_id": entity_id,
            "entity_type": entity,
            "created_by": self.user_id(r) if r.random() < 0.7 else 0,
            "created_at": created_at,
            "value_after": after,
            "value_before": before,
            "account_id": ACCOUNT_ID,
            "_links": link(f"events/{event_id}"),
            "_embedded": {"entity": {"id": entity_id}},
        }
