"""Seeded HelenaCRM account: every record is built on demand from (seed, stream, index).

Big collections (contacts, sessions, messages, cards, templates) never exist as lists: record
*i*'s `updatedAt` grows with *i* (two neighbours share an instant, so window boundaries get
exercised), which lets a filter find its index range by bisection. Records touched by
``mutate`` get a new `updatedAt` and are tracked in ``touched``.

Timestamps of odd-numbered records carry 7 fractional digits (.NET ticks), the others 3:
evidence, the vendor's own webhook example (thiagojbs/flwchat-api-kb guides/webhooks-1.md)
prints ``"updatedAt": "2023-08-23T16:15:35.3814324Z"`` next to a 6-digit ``createdAt``.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sandbox.datagen import (
    AREA_CODES,
    CITIES,
    EPOCH_END,
    EPOCH_START,
    company_name,
    email_for,
    iso,
    person_name,
    rng,
    spread,
)

CONTACT_STATUSES = ["ACTIVE"] * 7 + ["ARCHIVED"] * 2 + ["BLOCKED"]  # by index % 10
CARD_STATUSES = ["OPEN"] * 4 + ["WON", "WON", "LOST", "ARCHIVED"]  # by index % 8
SESSION_STATUSES = ["COMPLETED"] * 6 + ["IN_PROGRESS", "PENDING", "STARTED", "HIDDEN"]
MESSAGE_TYPES = ["TEXT"] * 7 + ["IMAGE", "AUDIO", "DOCUMENT"]
TAG_NAMES = [
    "Cliente VIP",
    "Lead quente",
    "Lead frio",
    "Orçamento enviado",
    "Pós-venda",
    "Inadimplente",
    "Indicação",
    "Black Friday",
    "Suporte",
    "Parceiro",
    "Reativação",
    "Evento",
]
DEPARTMENTS = ["Comercial", "Suporte", "Financeiro", "Pós-venda"]
PORTFOLIOS = [
    "Carteira Sudeste",
    "Carteira Sul",
    "Carteira Nordeste",
    "Grandes contas",
    "PMEs",
    "Varejo online",
]
PANELS = [("Funil de vendas", "SALES"), ("Onboarding de clientes", "MANAGEMENT"), ("Renovações", "SALES")]
STEPS = ["Novo lead", "Qualificação", "Proposta", "Negociação", "Fechamento"]
LOST_REASONS = ["Preço", "Concorrência", "Sem retorno", "Sem orçamento"]
PALETTE = ["BLUE_300", "GREEN_400", "RED_500", "YELLOW_200", "PURPLE_300", "GRAY_400", "SKY_500", "PINK_300"]
CLASSIC_COLORS = [
    ("#1E88E5", "#FFFFFF"),
    ("#43A047", "#FFFFFF"),
    ("#FDD835", "#212121"),
    ("#E53935", "#FFFFFF"),
]
CHANNELS = [
    ("CloudAPI_WhatsApp", "CLOUDAPI_WHATSAPP", "whatsapp"),
    ("ZAPI_WhatsApp", "ZAPI_WHATSAPP", "whatsapp"),
    ("Instagram", "INSTAGRAM", "instagram"),
    ("Messenger", "MESSENGER", "messenger"),
]
# Contact custom fields: one of every type (a GROUP holds the address fields).
CONTACT_FIELDS = [
    ("cpf", "CPF", "STRING", None),
    ("observacoes", "Observações", "TEXT", None),
    ("qtd_funcionarios", "Qtd. de funcionários", "INTEGER", None),
    ("faturamento", "Faturamento mensal", "FLOAT", None),
    ("segmento", "Segmento", "SINGLESELECT", ["Varejo", "Indústria", "Serviços", "Saúde"]),
    ("interesses", "Interesses", "MULTISELECT", ["Planos", "Suporte", "Integrações", "Treinamento"]),
    ("data_nascimento", "Data de nascimento", "DATE", None),
    ("melhor_horario", "Melhor horário", "TIME", None),
    ("ultima_compra", "Última compra", "DATETIME", None),
    ("aceita_marketing", "Aceita marketing", "BOOLEAN", None),
    ("endereco", "Endereço", "GROUP", None),
    ("cidade", "Cidade", "STRING", None),
    ("uf", "UF", "SINGLESELECT", ["SP", "RJ", "MG", "PR", "RS", "BA"]),
]
PANEL_FIELDS = [
    ("valor_proposta", "Valor da proposta", "FLOAT", None),
    ("produto", "Produto", "SINGLESELECT", ["Plano Básico", "Plano Pro", "Plano Enterprise"]),
    ("previsao_fechamento", "Previsão de fechamento", "DATE", None),
    ("origem_lead", "Origem do lead", "STRING", None),
]
MESSAGE_TEXTS = [
    "Olá, tudo bem?",
    "Gostaria de um orçamento.",
    "Claro! Vou te enviar a proposta.",
    "Qual o prazo de entrega?",
    "Obrigado pelo atendimento!",
    "Pode me ligar amanhã?",
    "Segue o boleto em anexo.",
    "Perfeito, fechado então.",
]
UTM_SOURCES = [None, "google", "facebook", "instagram", "indicacao"]
CHATBOTS = [
    ("Boas-vindas", "Reactive"),
    ("Triagem comercial", "Reactive"),
    ("Pesquisa de satisfação", "Automation"),
    ("Lembrete de boleto", "Automation"),
    ("Reengajamento", "Automation"),
]
SEQUENCES = ["Onboarding 7 dias", "Recuperação de carrinho", "Nutrição de leads"]
SCHEDULED_STATUSES = ["SCHEDULED", "PROCESSED", "SENT", "DELIVERED", "READ", "CANCELED", "FAILED"]
NOTE_TEXTS = [
    "Cliente pediu retorno na sexta.",
    "Enviar proposta revisada com desconto de 5%.",
    "Contrato assinado, aguardando pagamento.",
    "Ligar para o financeiro antes de fechar.",
]


def iso_ticks(ts: float) -> str:
    """ISO-8601 UTC with 7 fractional digits (100 ns ticks) and Z, as .NET prints a DateTime."""
    ticks = round(ts * 10_000_000)
    return (
        datetime.fromtimestamp(ticks // 10_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{ticks % 10_000_000:07d}Z"
    )


def stamp(ts: float, index: int) -> str:
    """Odd-numbered records print ticks, the others milliseconds (see the module docstring)."""
    return iso_ticks(ts) if index % 2 else iso(ts)


def make_uuid(seed: int, stream: str, index: int) -> str:
    """A stable UUID whose last 12 hex digits are the index, so a route can find the record."""
    digest = hashlib.blake2b(f"{seed}:{stream}:id".encode(), digest_size=10).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[12:15]}-8{digest[15:18]}-{index:012x}"


def index_of(seed: int, stream: str, value: str | None) -> int | None:
    try:
        index = int((value or "")[-12:], 16)
    except ValueError:
        return None
    return index if make_uuid(seed, stream, index) == value else None


def phone(r: random.Random) -> tuple[str, str]:
    """E.164 digits and the display form Helena prints: +55 (11) 98765-4321."""
    ddd, number = r.choice(AREA_CODES), f"9{r.randint(1000, 9999)}{r.randint(1000, 9999)}"
    return f"55{ddd}{number}", f"+55 ({ddd}) {number[:5]}-{number[5:]}"


class Collection:
    """``count`` records whose base `updatedAt` grows with the index; touched ones move to "now"."""

    def __init__(self, name: str, count: int, start: int = EPOCH_START, end: int = EPOCH_END) -> None:
        self.name = name
        self.count = count
        self.start = start
        self.end = end
        self.touched: dict[int, float] = {}

    def base_ts(self, index: int) -> float:
        return spread(index - index % 2, self.count, self.start, self.end)  # pairs share an instant

    def updated_ts(self, index: int) -> float:
        return self.touched.get(index, self.base_ts(index))

    def select(
        self, after: float | None, before: float | None, keep: Callable[[int], bool], inclusive: bool
    ) -> list[int]:
        """Indices with after < updatedAt < before (or <=, >=), oldest first."""
        indices = range(self.count)
        if after is None:
            lo = 0
        elif inclusive:
            lo = bisect.bisect_left(indices, after, key=self.base_ts)
        else:
            lo = bisect.bisect_right(indices, after, key=self.base_ts)
        if before is None:
            hi = self.count
        elif inclusive:
            hi = bisect.bisect_right(indices, before, key=self.base_ts)
        else:
            hi = bisect.bisect_left(indices, before, key=self.base_ts)
        chosen = [i for i in range(lo, hi) if i not in self.touched and keep(i)]
        moved = sorted(
            (ts, i) for i, ts in self.touched.items() if keep(i) and within(ts, after, before, inclusive)
        )
        return chosen + [i for _, i in moved]


def within(ts: float, after: float | None, before: float | None, inclusive: bool) -> bool:
    if inclusive:
        return (after is None or ts >= after) and (before is None or ts <= before)
    return (after is None or ts > after) and (before is None or ts < before)


class HelenaData:
    """The whole account. Small lists are built eagerly; big ones through ``Collection``."""

    def __init__(self, seed: int, scale: float) -> None:
        self.seed = seed
        self.company_id = make_uuid(seed, "company", 1)
        size = max(scale, 0.01)
        self.contacts = Collection("contact", max(10, int(330 * size)))
        self.sessions = Collection("session", max(4, int(220 * size)))
        self.templates = Collection("template", max(4, int(130 * size)))
        self.portfolios = Collection("portfolio", len(PORTFOLIOS))
        self.cards_per_panel = max(4, int(110 * size))
        self.cards = [Collection(f"card{p}", self.cards_per_panel) for p in range(len(PANELS))]
        self.chatbots = Collection("chatbot", len(CHATBOTS))
        self.sequences = Collection("sequence", len(SEQUENCES))
        self.sequence_contacts = [
            Collection(f"sequencecontact{q}", max(3, int(40 * size)) + 7 * q) for q in range(len(SEQUENCES))
        ]
        self.scheduled = Collection("scheduledmessage", max(7, int(60 * size)))
        self.extra_messages: dict[int, list[float]] = {}  # session index -> timestamps of added messages
        self.archived: set[int] = set()  # contacts moved from ACTIVE to ARCHIVED by ``mutate``
        self.agents = [self._agent(i) for i in range(8)]
        self.channels = [self._channel(i) for i in range(len(CHANNELS))]
        self.departments = [self._department(i) for i in range(len(DEPARTMENTS))]
        self.tags = [self._tag(i) for i in range(len(TAG_NAMES))]
        self.custom_fields = [self._custom_field(i, "CONTACT", f) for i, f in enumerate(CONTACT_FIELDS)] + [
            self._custom_field(100 + i, "PANEL", f) for i, f in enumerate(PANEL_FIELDS)
        ]

    # --- helpers -----------------------------------------------------------------------------
    def id(self, stream: str, index: int) -> str:
        return make_uuid(self.seed, stream, index)

    def r(self, stream: str, index: int) -> random.Random:
        return rng(self.seed, stream, index)

    def _stamps(
        self, stream: str, index: int, created: float, updated: float | None = None
    ) -> dict[str, Any]:
        return {
            "id": self.id(stream, index),
            "createdAt": stamp(created, index),
            "updatedAt": stamp(updated or created, index),
        }

    # --- small lists -------------------------------------------------------------------------
    def _agent(self, i: int) -> dict[str, Any]:
        r = self.r("agent", i)
        first, last = person_name(r)
        digits, formatted = phone(r)
        created = EPOCH_START - 86400 * (30 + i)
        departments = [i % len(DEPARTMENTS)] + ([3] if i % 3 == 0 and i % len(DEPARTMENTS) != 3 else [])
        return {
            **self._stamps("agent", i, created, created + 86400 * r.randint(1, 300)),
            "companyId": self.company_id,
            "userId": self.id("user", i),
            "name": f"{first} {last}",
            "shortName": first,
            "email": email_for(first, last, i, "helena-demo.com.br"),
            "phoneNumber": digits,
            "phoneNumberFormatted": formatted,
            "profile": "ADMIN" if i == 0 else ("SUPERVISOR" if i < 3 else "AGENT"),
            "isOwner": i == 0,
            "availability": "AVAILABLE" if r.random() < 0.7 else "UNAVAILABLE",
            "departments": [
                {
                    "agentId": self.id("agent", i),
                    "userId": self.id("user", i),
                    "departmentId": self.id("department", d),
                    "isAgent": True,
                    "isSupervisor": i < 3,
                }
                for d in departments
            ],
        }

    def _department(self, i: int) -> dict[str, Any]:
        created = EPOCH_START - 86400 * 60
        return {
            "id": self.id("department", i),
            "companyId": self.company_id,
            "createdAt": iso(created),
            "directLinks": {"whatsapp": f"https://wa.me/55119{4000 + i:04d}0000?text={DEPARTMENTS[i]}"},
            "updatedAt": iso(created + 86400 * (i + 1)),
            "name": DEPARTMENTS[i],
            "isDefault": i == 0,
            "distribuitionEnabled": i != 2,  # sic: the API's spelling
            "restrictionType": ["NONE", "DEPARTMENT_RESTRICTION", "USER_RESTRICTION", "NONE"][i],
            "distributionConfig": {
                "expirationIsEnabled": i % 2 == 0,
                "maximumDurationInMinutes": 60 * (i + 1),
                "inactivityTimeInMinutes": 15 * (i + 1),
            },
            "agents": [
                {
                    "userId": a["userId"],
                    "departmentId": self.id("department", i),
                    "isAgent": True,
                    "isSupervisor": any(d["isSupervisor"] for d in a["departments"]),
                }
                for a in self.agents
                if any(d["departmentId"] == self.id("department", i) for d in a["departments"])
            ],
            "channels": [
                {
                    "id": c["id"],
                    "number": c["number"],
                    "name": c["identity"]["displayName"],
                    "type": c["type"],
                }
                for c in self.channels[: 2 if i else 4]
            ],
        }

    def _channel(self, i: int) -> dict[str, Any]:
        r = self.r("channel", i)
        kind, _, platform = CHANNELS[i]
        digits, formatted = phone(r)
        is_whatsapp = platform == "whatsapp"
        created = EPOCH_START - 86400 * 90
        return {
            **self._stamps("channel", i, created, created + 86400 * 10),
            "active": i != 1,
            "type": kind,
            "number": digits if is_whatsapp else None,
            "numberFormatted": formatted if is_whatsapp else None,
            "identity": {
                "humanId": formatted if is_whatsapp else f"@{company_name(r).split()[0].lower()}",
                "platform": platform,
                "provider": kind.split("_")[0].lower(),
                "providerVariable": None,
                "pictureUrl": f"https://files.helena.run/channel/{i}.png",
                "displayName": ["Atendimento", "Vendas", "Instagram Loja", "Facebook Loja"][i],
            },
        }

    def _tag(self, i: int) -> dict[str, Any]:
        created = EPOCH_START - 86400 * (20 - i)
        tag = {**self._stamps("tag", i, created, created + 3600 * i), "name": TAG_NAMES[i]}
        if i % 3 == 2:  # older tags carry the bgColor/textColor shape
            tag["bgColor"], tag["textColor"] = CLASSIC_COLORS[i % len(CLASSIC_COLORS)]
        else:
            tag["color"] = PALETTE[i % len(PALETTE)]
        return tag

    def _custom_field(self, i: int, entity: str, spec: tuple) -> dict[str, Any]:
        key, name, kind, extra = spec
        created = EPOCH_START - 86400 * 40 + i * 600
        parent = self.id("customfield", 10) if key in ("cidade", "uf") else None  # members of "endereco"
        options = extra if isinstance(extra, list) else []
        return {
            **self._stamps("customfield", i, created, created + 86400),
            "parentId": parent,
            "type": kind,
            "entityType": entity,
            "scopeId": self.id("panel", 0) if entity == "PANEL" else None,
            "companyId": self.company_id,
            "name": name,
            "key": key,
            "position": i % 100,
            "required": key == "cpf",
            "visible": True,
            "isValueRange": kind in ("INTEGER", "FLOAT") and i % 2 == 0,
            "options": [{"id": self.id("option", i * 100 + n), "name": o} for n, o in enumerate(options)],
            "children": [],
        }

    def office_hours(self) -> dict[str, Any]:
        names = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
        days = []
        for n, day in enumerate(names):
            weekday = 0 < n < 6
            periods = (
                [{"startTime": "08:00", "endTime": "12:00"}, {"startTime": "13:00", "endTime": "18:00"}]
                if weekday
                else ([{"startTime": "09:00", "endTime": "13:00"}] if n == 6 else [])
            )
            days.append({"id": self.id("officeday", n), "dayWeek": day, "active": n != 0, "periods": periods})
        return {
            "limitHours": True,
            "offlineResponse": "Olá! Nosso horário de atendimento é de segunda a sábado. "
            "Responderemos assim que possível.",
            "timezoneDiff": -3.0,
            "days": days,
        }

    def portfolio(self, i: int, details: set[str]) -> dict[str, Any]:
        created = self.portfolios.base_ts(i) - 86400 * 30
        return {
            **self._stamps("portfolio", i, created, self.portfolios.updated_ts(i)),
            "active": i != 5,
            "companyId": self.company_id,
            "name": PORTFOLIOS[i],
            "description": None,
            "automaticAttribution": i % 2 == 0,
            "expirationDurationInMonths": 6 + i,
            "contactsCount": (self.contacts.count - i + 5) // 6 if "ContactCount" in details else 0,
            "type": "MULTIPLE" if i % 3 else "SINGLE",
            # PublicPortfolioDepartmentDTO in the OpenAPI: the department's id and its agents' user ids.
            "departments": [self._portfolio_department(self.departments[i % 4]["id"])]
            if "Departments" in details
            else [],
        }

    def _portfolio_department(self, department_id: str) -> dict[str, Any]:
        users = [
            a["userId"]
            for a in self.agents
            if any(d["departmentId"] == department_id for d in a["departments"])
        ]
        return {"departmentId": department_id, "userIds": users}

    # --- contacts ------------------------------------------------------------------------------
    def contact_status(self, i: int) -> str:
        return "ARCHIVED" if i in self.archived else CONTACT_STATUSES[i % 10]

    def contact(self, i: int, details: set[str]) -> dict[str, Any]:
        r = self.r("contact", i)
        first, last = person_name(r)
        digits, formatted = phone(r)
        updated = self.contacts.updated_ts(i)
        created = self.contacts.base_ts(i) - 86400 * r.randint(0, 60)
        city, uf = r.choice(CITIES)
        origin = r.choice(["CREATED_BY_USER", "CREATED_FROM_HUB", "CREATED_FROM_HUB", "IMPORTED"])
        source = r.choice(UTM_SOURCES)
        tags = sorted(r.sample(range(len(TAG_NAMES)), r.randint(0, 3)))
        portfolios = [i % len(PORTFOLIOS)] if r.random() < 0.6 else []
        on_instagram = r.random() < 0.3
        return {
            **self._stamps("contact", i, created, updated),
            "companyId": self.company_id,
            "name": f"{first} {last}",
            "nameWhatsapp": first if r.random() < 0.8 else None,
            "nameInstagram": f"{first.lower()}.{last.split()[0].lower()}" if on_instagram else None,
            "nameMessenger": None,
            "phoneNumber": digits,
            "phoneNumberFormatted": formatted,
            "email": email_for(first, last, i) if r.random() < 0.7 else None,
            "instagram": f"@{first.lower()}{i}" if on_instagram else None,
            "messengerId": None,
            "annotation": "Prefere contato pelo WhatsApp." if r.random() < 0.2 else None,
            "tagIds": [self.tags[t]["id"] for t in tags] if "Tags" in details else [],
            "tagNames": [TAG_NAMES[t] for t in tags] if "Tags" in details else [],
            "status": self.contact_status(i),
            "origin": origin,
            "importedAt": iso(created + 60) if origin == "IMPORTED" else None,
            "utm": {
                "sourceId": None,
                "source": source,
                "clid": None,
                "medium": "cpc" if source else None,
                "campaign": "black-friday" if source else None,
                "content": None,
                "headline": None,
                "term": None,
                "referralUrl": f"https://www.{source}.com/" if source else None,
            },
            "customFields": self.contact_custom_fields(r, city, uf) if "CustomFields" in details else {},
            "portfolioIds": [self.id("portfolio", p) for p in portfolios] if "Portfolios" in details else [],
            "portfolioNames": [PORTFOLIOS[p] for p in portfolios] if "Portfolios" in details else [],
            "metadata": {"crm_externo_id": f"EXT-{i:06d}"} if i % 4 == 0 else None,
        }

    @staticmethod
    def contact_custom_fields(r: random.Random, city: str, uf: str) -> dict[str, Any]:
        return {
            "cpf": f"{r.randint(100, 999)}.{r.randint(100, 999)}.{r.randint(100, 999)}-{r.randint(10, 99)}",
            "observacoes": "Cliente desde a feira de 2024.\nPrefere boleto.",
            "qtd_funcionarios": r.randint(1, 500),
            "faturamento": round(r.uniform(5_000, 900_000), 2),
            "segmento": r.choice(["Varejo", "Indústria", "Serviços", "Saúde"]),
            "interesses": r.sample(["Planos", "Suporte", "Integrações", "Treinamento"], 2),
            "data_nascimento": f"19{r.randint(60, 99)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "melhor_horario": f"{r.randint(8, 17):02d}:{r.choice(['00', '30'])}",
            "ultima_compra": iso(EPOCH_START + r.randint(0, EPOCH_END - EPOCH_START)),
            "aceita_marketing": r.random() < 0.5,
            "cidade": city,
            "uf": uf,
        }

    # --- templates -------------------------------------------------------------------------------
    def template(self, i: int, details: set[str]) -> dict[str, Any]:
        r = self.r("template", i)
        quick = i % 3 == 0
        created = self.templates.base_ts(i) - 86400 * r.randint(0, 20)
        name = f"{'resposta_rapida' if quick else 'modelo'}_{i:04d}"
        return {
            **self._stamps("template", i, created, self.templates.updated_ts(i)),
            "active": i % 7 != 0,
            "archived": i % 5 == 0,
            "channelId": None if quick else self.channels[0]["id"],
            "name": name,
            "text": "Olá {{1}}, sua proposta {{2}} está pronta!"
            if not quick
            else "Obrigado pelo contato, já retornamos.",
            "footerText": None if quick else "Equipe Comercial",
            "status": "Approved" if i % 6 else "InRevision",
            "channelType": None if quick else "CLOUDAPI_WHATSAPP",
            "type": ["QUICKREPLY"] if quick else ["TEMPLATE", "TEMPLATE_CAMPAIGN"],
            "params": (
                [
                    {"name": "1", "templateId": self.id("template", i)},
                    {"name": "2", "templateId": self.id("template", i)},
                ]
                if not quick and ("Params" in details or "All" in details)
                else []
            ),
            "internalName": name,
            "fileType": None if quick else ("IMAGE" if i % 4 == 1 else "UNDEFINED"),
            "quickReplyAlias": f"/obrigado{i}" if quick else None,
            "rejectedDescription": None,
            "categoryId": None if quick else self.id("templatecategory", i % 3),
            "categoryName": None if quick else ["MARKETING", "UTILITY", "AUTHENTICATION"][i % 3],
        }

    # --- sessions and messages -----------------------------------------------------------------
    def interaction_ts(self, i: int) -> float:
        """A new message moves its session's lastInteractionDate, never its updatedAt (see App.mutate)."""
        return max([self.sessions.updated_ts(i), *self.extra_messages.get(i, [])])

    def session_status(self, i: int) -> str:
        return SESSION_STATUSES[i % len(SESSION_STATUSES)]

    def session_start(self, i: int) -> float:
        return self.sessions.base_ts(i) - 3600 * (1 + i % 5)

    def base_message_count(self, i: int) -> int:
        return self.r("session-messages", i).randint(0, 8)

    def message_count(self, i: int) -> int:
        return self.base_message_count(i) + len(self.extra_messages.get(i, []))

    def session(self, i: int, details: set[str]) -> dict[str, Any]:
        r = self.r("session", i)
        start = self.session_start(i)
        status = self.session_status(i)
        contact = r.randrange(self.contacts.count)
        agent = self.agents[r.randrange(len(self.agents))]
        channel = self.channels[i % 3]
        department = r.randrange(len(DEPARTMENTS))
        source = r.choice(UTM_SOURCES)
        last_in = start + 60 * r.randint(1, 30)
        category = r.choice(["WON", "LOST", "INFO", "OTHER"])
        return {
            "id": self.id("session", i),
            "createdAt": stamp(start, i),
            "updatedAt": stamp(self.sessions.updated_ts(i), i),
            "startAt": iso(start),
            "endAt": iso(self.sessions.base_ts(i)) if status == "COMPLETED" else None,
            "status": status,
            "companyId": self.company_id,
            "contactId": self.id("contact", contact),
            "channelId": channel["id"],
            "departmentId": self.departments[department]["id"],
            "userId": agent["userId"],
            "previewUrl": f"https://app.helena.run/chat/{self.id('session', i)}",
            "title": None,
            "number": f"{i + 1:06d}",
            "utm": {
                "sourceId": None,
                "source": source,
                "clid": None,
                "medium": "social" if source else None,
                "campaign": None,
                "content": None,
                "headline": None,
                "term": None,
                "referralUrl": None,
            },
            "origin": r.choice(["CONTACT", "AGENT", "CAMPAIGN", "BOT"]),
            # Each *Details block is filled only when IncludeDetails names it (OpenAPI enum:
            # AgentDetails, DepartmentsDetails, ContactDetails, ChannelTypeDetails,
            # ClassificationDetails, ChannelDetails), as contacts' details are.
            "contactDetails": self.session_contact(contact) if "ContactDetails" in details else None,
            "agentDetails": {
                "id": agent["id"],
                "userId": agent["userId"],
                "name": agent["name"],
                "shortName": agent["shortName"],
                "phoneNumber": agent["phoneNumber"],
                "email": agent["email"],
                "pictureFileId": None,
                "pictureUrl": None,
            }
            if "AgentDetails" in details
            else None,
            "channelDetails": channel["identity"] if "ChannelDetails" in details else None,
            "departmentDetails": {
                "id": self.departments[department]["id"],
                "companyId": self.company_id,
                "name": DEPARTMENTS[department],
                "description": None,
                "isDefault": department == 0,
                "isSupervisor": False,
            }
            if "DepartmentsDetails" in details
            else None,
            "classification": {
                "id": self.id("classification", i),
                "category": category,
                "categoryDescription": None,
                "amount": round(r.uniform(100, 20_000), 2) if category == "WON" else 0.0,
                "categoryName": {"WON": "Venda", "LOST": "Perdido", "INFO": "Dúvida", "OTHER": "Outros"}[
                    category
                ],
            }
            if "ClassificationDetails" in details and status == "COMPLETED"
            else None,
            "statusDescription": None,
            "timeService": f"00:{r.randint(1, 59):02d}:{r.randint(0, 59):02d}",
            "timeWait": f"00:{r.randint(0, 20):02d}:{r.randint(0, 59):02d}",
            "firstResponseAt": iso(last_in + 120),
            "botId": None,
            "unreadCount": 0 if status == "COMPLETED" else r.randint(0, 4),
            "lastMessageText": MESSAGE_TEXTS[i % len(MESSAGE_TEXTS)],
            "lastInteractionDate": stamp(self.interaction_ts(i), i),
            "lastMessageOut": iso(last_in + 120),
            "lastMessageIn": iso(last_in),
            "windowStatus": "EXPIRED" if status == "COMPLETED" else "ACTIVE",
            "metadata": {"pedido": f"PED-{i:05d}"} if i % 6 == 0 else None,
            # UNVERIFIED which field ChannelTypeDetails fills; by its name, channelType: the
            # pessimistic choice is to leave it empty unless asked.
            "channelType": CHANNELS[i % 3][1] if "ChannelTypeDetails" in details else None,
            "type": "INDIVIDUAL",
        }

    def session_contact(self, i: int) -> dict[str, Any]:
        """A session's ``contactDetails`` (PublicContactDataDTO: note the lower-case ``phonenumber``)."""
        r = self.r("contact", i)
        first, last = person_name(r)
        digits, formatted = phone(r)
        tags = [t for t in range(len(TAG_NAMES)) if (i + t) % 5 == 0]
        return {
            "id": self.id("contact", i),
            "name": f"{first} {last}",
            "pictureUrl": None,
            "phonenumber": digits,
            "instagram": None,
            "phonenumberFormatted": formatted,
            "tagsId": [self.tags[t]["id"] for t in tags],
            "tagsName": [TAG_NAMES[t] for t in tags],
            "status": self.contact_status(i),
        }

    def message_ts(self, session: int, j: int) -> float:
        base = self.base_message_count(session)
        if j >= base:
            return self.extra_messages[session][j - base]
        start, end = self.session_start(session), self.sessions.base_ts(session)
        return start + (end - start) * (j + 1) / (base + 1)

    def message(self, session: int, j: int) -> dict[str, Any]:
        r = self.r("message", session * 1000 + j)
        ts = self.message_ts(session, j)
        inbound = j % 2 == 0
        kind = r.choice(MESSAGE_TYPES)
        return {
            "id": self.id("message", session * 1000 + j),
            "createdAt": stamp(ts, j),
            "updatedAt": stamp(ts, j),
            "timestamp": iso(ts),
            "type": kind,
            "senderId": None if inbound else self.agents[session % len(self.agents)]["userId"],
            "sessionId": self.id("session", session),
            "templateId": None,
            "userId": None if inbound else self.agents[session % len(self.agents)]["userId"],
            "direction": "TO_HUB" if inbound else "FROM_HUB",
            "status": "READ" if r.random() < 0.8 else "DELIVERED",
            "origin": "DEFAULT" if inbound or r.random() < 0.8 else "API",
            "text": r.choice(MESSAGE_TEXTS) if kind == "TEXT" else None,
            "fileId": self.id("file", session * 1000 + j) if kind != "TEXT" else None,
            "refId": None,
            "readContactAt": None if inbound else iso(ts + 30),
            "details": {
                "file": {"publicUrl": f"https://files.helena.run/{session}/{j}", "mimeType": "image/jpeg"}
            }
            if kind != "TEXT"
            else None,
            "failedReason": None,
            "filesIds": [self.id("file", session * 1000 + j)] if kind != "TEXT" else [],
        }

    # --- CRM -------------------------------------------------------------------------------------
    def panel(self, p: int, details: set[str]) -> dict[str, Any]:
        title, kind = PANELS[p]
        created = EPOCH_START - 86400 * 10 * (p + 1)
        panel_id = self.id("panel", p)
        steps = [
            {
                **self._stamps("step", p * 10 + s, created, created + 60),
                "companyId": self.company_id,
                "panelId": panel_id,
                "archived": False,
                "position": float(s),
                "title": step,
                "isInitial": s == 0,
                "isFinal": s == len(STEPS) - 1,
                # filled only with IncludeDetails=StepsCardCount (an enum value of /crm/v2/panel)
                "cardCount": self.step_card_count(s) if "StepsCardCount" in details else None,
                "overdueCardCount": (s % 2) if "StepsCardCount" in details else None,
                "monetaryAmount": round(1500.5 * self.step_card_count(s), 2)
                if "StepsCardCount" in details
                else None,
                "fields": [],
            }
            for s, step in enumerate(STEPS)
        ]
        tags = [
            {
                **self._stamps("paneltag", p * 10 + t, created, created),
                "companyId": self.company_id,
                "panelId": panel_id,
                "name": name,
                "nameColor": "#FFFFFF",
                "bgColor": color,
            }
            for t, (name, color) in enumerate([("Prioridade", "#E53935"), ("Renovação", "#43A047")])
        ]
        return {
            **self._stamps("panel", p, created, created + 86400 * 5),
            "companyId": self.company_id,
            "archived": False,
            "scope": "COMPANY" if p != 1 else "DEPARTMENT",
            "departmentIds": [self.departments[0]["id"]] if p == 1 else [],
            "userId": None,
            "title": title,
            "description": f"Quadro {title.lower()}",
            "thumbnailId": None,
            "thumbnailFile": None,
            "key": f"P{p + 1}",
            # filled only with IncludeDetails=PanelCardOverdueCount
            "overdueCardCount": (p + 1) if "PanelCardOverdueCount" in details else None,
            "stepTitles": list(STEPS),
            "tags": tags if "Tags" in details else [],
            "steps": steps if "Steps" in details else [],
            "type": kind,
            "autoLossDays": 30 if kind == "SALES" else None,
        }

    def step_card_count(self, s: int) -> int:
        return self.cards_per_panel // len(STEPS) + (1 if s < self.cards_per_panel % len(STEPS) else 0)

    def card_status(self, k: int) -> str:
        return CARD_STATUSES[k % len(CARD_STATUSES)]

    def card(self, p: int, k: int, details: set[str]) -> dict[str, Any]:
        index = p * 100_000 + k
        r = self.r("card", index)
        coll = self.cards[p]
        status = self.card_status(k)
        step = len(STEPS) - 1 if status in ("WON", "LOST") else r.randrange(len(STEPS) - 1)
        created = coll.base_ts(k) - 86400 * r.randint(0, 30)
        responsible = self.agents[r.randrange(len(self.agents))]
        contact_index = r.randrange(self.contacts.count)
        contact = self.id("contact", contact_index)
        lost = LOST_REASONS[k % len(LOST_REASONS)] if status == "LOST" else None
        return {
            **self._stamps("card", index, created, coll.updated_ts(k)),
            "companyId": self.company_id,
            "panelId": self.id("panel", p),
            "panelTitle": PANELS[p][0] if "PanelTitle" in details else None,
            "stepId": self.id("step", p * 10 + step),
            "stepTitle": STEPS[step] if "StepTitle" in details else None,
            "stepPhase": ("INITIAL" if step == 0 else "FINAL" if step == len(STEPS) - 1 else "NONE")
            if "StepPhase" in details
            else None,
            "position": float(k),
            "title": f"{company_name(r)} — {r.choice(['Plano Pro', 'Plano Básico', 'Plano Enterprise'])}",
            "description": None,
            "key": f"P{p + 1}-{k + 1}",
            "number": k + 1,
            "dueDate": iso(coll.base_ts(k) + 86400 * 7) if r.random() < 0.5 else None,
            "isOverdue": False,
            "tagIds": [self.id("paneltag", p * 10)] if k % 5 == 0 else [],
            "sessionId": self.id("session", k % self.sessions.count) if k % 3 == 0 else None,
            "monetaryAmount": round(r.uniform(500, 50_000), 2),
            "responsibleUserId": responsible["userId"],
            "responsibleUser": {"id": responsible["userId"], "name": responsible["name"]}
            if "ResponsibleUser" in details
            else None,
            "contactIds": [contact],
            "contacts": [{"id": contact, "name": self.session_contact(contact_index)["name"]}]
            if "Contacts" in details
            else None,
            "customFields": {
                "valor_proposta": round(r.uniform(500, 50_000), 2),
                "produto": "Plano Pro",
                "previsao_fechamento": "2026-12-15",
                "origem_lead": r.choice(["Site", "Indicação", "Evento"]),
            }
            if "CustomFields" in details
            else None,
            "metadata": None,
            "status": status,
            "lostReason": {"id": self.id("lostreason", LOST_REASONS.index(lost)), "name": lost}
            if lost and "LostReason" in details
            else None,
        }

    def all_messages(self) -> Iterable[tuple[int, int]]:
        for s in range(self.sessions.count):
            for j in range(self.message_count(s)):
                yield s, j


class Extras:
    """Streams beyond the reference page: chatbots, sequences and their contacts, scheduled
    messages, lost reasons, session notes and card notes (DTOs of the OpenAPI export)."""

    def __init__(self, data: HelenaData) -> None:
        self.d = data

    # --- chat -----------------------------------------------------------------------------------
    def chatbot(self, i: int) -> dict[str, Any]:
        d = self.d
        name, kind = CHATBOTS[i]
        created = d.chatbots.base_ts(i) - 86400 * 40
        return {
            **d._stamps("chatbot", i, created, d.chatbots.updated_ts(i)),
            "key": d.id("chatbotkey", i),
            "companyId": d.company_id,
            "archived": i == 4,
            "name": name,
            "type": kind,
            "channelIds": [d.channels[i % 2]["id"]],
            "defaultDepartmentId": d.departments[i % len(DEPARTMENTS)]["id"],
            "publishStatus": "READY" if i != 3 else "NOT_PUBLISHED",
            "automationUsage": ["Api", "Sequence"] if kind == "Automation" else [],
        }

    def sequence(self, q: int, details: set[str]) -> dict[str, Any]:
        d = self.d
        created = d.sequences.base_ts(q) - 86400 * 20
        return {
            **d._stamps("sequence", q, created, d.sequences.updated_ts(q)),
            "active": q != 2,
            "companyId": d.company_id,
            "name": SEQUENCES[q],
            "enabled": q != 2,
            # filled only with IncludeDetails=ContactExecutingCount (an enum value of /chat/v1/sequence)
            "contactExecutingCount": d.sequence_contacts[q].count // 3
            if "ContactExecutingCount" in details
            else None,
        }

    def sequence_contact(self, q: int, k: int, details: set[str]) -> dict[str, Any]:
        d = self.d
        coll = d.sequence_contacts[q]
        contact = (q * 97 + k * 31) % d.contacts.count
        created = coll.base_ts(k) - 3600
        detail = d.session_contact(contact)
        return {
            **d._stamps("sequencecontact", q * 100_000 + k, created, coll.updated_ts(k)),
            "active": k % 3 == 0,
            "companyId": d.company_id,
            "sequenceId": d.id("sequence", q),
            "contactId": d.id("contact", contact),
            "contactName": detail["name"],
            "origin": ["USER_SINGLE", "USER_FILTER", "CHATBOT", "API"][k % 4],
            "addedByUserId": d.agents[k % len(d.agents)]["userId"] if k % 4 < 2 else None,
            "addedByChatbotId": d.id("chatbot", 3) if k % 4 == 2 else None,
            "lastAddedAt": stamp(created, k),
            # filled only with IncludeDetails=ContactDetails
            "contactDetails": {
                "id": detail["id"],
                "name": detail["name"],
                "phonenumber": detail["phonenumber"],
                "phonenumberFormatted": detail["phonenumberFormatted"],
                "instagram": None,
                "email": None,
                "pictureUrl": None,
            }
            if "ContactDetails" in details
            else None,
        }

    def scheduled_status(self, i: int) -> str:
        return SCHEDULED_STATUSES[i % len(SCHEDULED_STATUSES)]

    def scheduled_message(self, i: int, details: set[str]) -> dict[str, Any]:
        d = self.d
        r = d.r("scheduledmessage", i)
        created = d.scheduled.base_ts(i) - 86400 * 2
        contact = r.randrange(d.contacts.count)
        agent = d.agents[i % len(d.agents)]
        channel = d.channels[0]
        department = i % len(DEPARTMENTS)
        is_bot = i % 4 == 3
        detail = d.session_contact(contact)
        template = i % d.templates.count
        return {
            **d._stamps("scheduledmessage", i, created, d.scheduled.updated_ts(i)),
            "active": self.scheduled_status(i) == "SCHEDULED",
            "companyId": d.company_id,
            "sessionId": d.id("session", i % d.sessions.count) if i % 2 else None,
            "contactId": d.id("contact", contact),
            "userId": agent["userId"],
            "channelId": channel["id"],
            "departmentId": d.departments[department]["id"],
            "status": self.scheduled_status(i),
            "type": "CHATBOT" if is_bot else "TEMPLATE",
            "templateId": None if is_bot else d.id("template", template),
            "botId": d.id("chatbotkey", 3) if is_bot else None,
            "scheduling": stamp(created + 86400 * 3, i),
            "hiddenSession": i % 5 == 0,
            "failureReason": "Número inválido" if self.scheduled_status(i) == "FAILED" else None,
            # each block filled only when IncludeDetails names it (Contact, Channel, User,
            # Department, Template, Chatbot)
            "contact": {
                "id": detail["id"],
                "name": detail["name"],
                "phonenumberFormatted": detail["phonenumberFormatted"],
                "instagram": None,
                "pictureUrl": None,
            }
            if "Contact" in details
            else None,
            "user": {"id": agent["userId"], "name": agent["name"]} if "User" in details else None,
            "channel": {
                "id": channel["id"],
                "humanId": channel["identity"]["humanId"],
                "type": channel["type"],
            }
            if "Channel" in details
            else None,
            "department": {"id": d.departments[department]["id"], "name": DEPARTMENTS[department]}
            if "Department" in details
            else None,
            "chatbot": {"id": d.id("chatbotkey", 3), "botId": d.id("chatbot", 3), "name": CHATBOTS[3][0]}
            if is_bot and "Chatbot" in details
            else None,
            "template": {
                "id": d.id("template", template),
                "name": f"modelo_{template:04d}",
                "templateParams": None,
            }
            if not is_bot and "Template" in details
            else None,
        }

    # --- notes and lost reasons -------------------------------------------------------------------
    def session_note_count(self, session: int) -> int:
        return session % 3 if session % 2 == 0 else 0

    def session_note(self, session: int, n: int) -> dict[str, Any]:
        """Session notes are PublicMessageDTOs (the OpenAPI's response type for the note list)."""
        d = self.d
        start, end = d.session_start(session), d.sessions.base_ts(session)
        ts = start + (end - start) * (n + 1) / (self.session_note_count(session) + 1)
        index = session * 1000 + n
        agent = d.agents[session % len(d.agents)]
        return {
            "id": d.id("sessionnote", index),
            "createdAt": stamp(ts, n),
            "updatedAt": stamp(ts, n),
            "timestamp": stamp(ts, n),
            "type": "TEXT",
            "senderId": agent["userId"],
            "sessionId": d.id("session", session),
            "templateId": None,
            "userId": agent["userId"],
            "direction": "NONE",
            "status": "SENT",
            "origin": "DEFAULT",
            "text": NOTE_TEXTS[index % len(NOTE_TEXTS)],
            "fileId": None,
            "refId": None,
            "readContactAt": None,
            "details": None,
            "failedReason": None,
            "filesIds": [],
        }

    def card_note_count(self, panel: int, card: int) -> int:
        return 1 + card % 2 if card % 3 == 0 else 0

    def card_note(self, panel: int, card: int, n: int) -> dict[str, Any]:
        d = self.d
        coll = d.cards[panel]
        index = (panel * 100_000 + card) * 10 + n
        ts = coll.base_ts(card) - 3600 * (n + 1)
        return {
            **d._stamps("cardnote", index, ts, ts),
            "companyId": d.company_id,
            "panelId": d.id("panel", panel),
            "cardId": d.id("card", panel * 100_000 + card),
            "userId": d.agents[card % len(d.agents)]["userId"],
            "text": NOTE_TEXTS[index % len(NOTE_TEXTS)],
            "files": [],
            "isFromPublicApi": n == 1,
        }

    def lost_reason(self, panel: int, n: int) -> dict[str, Any]:
        d = self.d
        created = EPOCH_START - 86400 * 10 * (panel + 1) + 600 * n
        return {
            **d._stamps("lostreason", panel * 10 + n, created, created + 3600),
            "companyId": d.company_id,
            "panelId": d.id("panel", panel),
            "description": LOST_REASONS[n],
        }
