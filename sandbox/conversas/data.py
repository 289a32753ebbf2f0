"""Seeded RD Station Conversas account: contacts, configuration lists, attendances, message history.

Record i of a stream is built from (seed, stream, i) only, so any page can be generated lazily and
counts never drift. Message histories are plaintext here; ``keys.py`` encrypts them per request.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox import datagen

MESSAGE_TYPES = ["text", "audio", "contact", "document", "image", "interactive", "location", "video"]
SENT_BY = ["customer", "operator", "bot"]
CHANNELS = ["whatsapp", "instagram", "messenger", "webchat"]
# History channels: the official node's options (n8n-nodes-rdsc MessagesDescription.ts), mostly WhatsApp.
MESSAGE_CHANNELS = ["whatsapp"] * 6 + ["instagram", "messenger", "telegram", "email", "megasac"]
# A template whose content carries straight quotes, sent unescaped on some pages (rd-conversas-etl).
QUOTED_TEMPLATE = 'Use o cupom "BEMVINDO10" na sua próxima compra'
# Every 4th attendance stays open for days (5 to 45) before it closes; the rest close within 2 hours.
LONG_OPEN_EVERY = 4
TEXTS = [
    "Olá, bom dia! Gostaria de saber o status do meu pedido.",
    "Boa tarde, posso ajudar em algo mais?",
    "Obrigado pelo retorno, vou verificar aqui.",
    "A nota fiscal já foi emitida e enviada por e-mail.",
    "Vocês fazem entrega em São Paulo?",
    "Segue o código de rastreio: BR123456789.",
    "Perfeito, muito obrigada pela atenção!",
    "Qual a forma de pagamento? Aceitam Pix?",
    "Promoção de aniversário: 15% de desconto até sexta-feira.",
    "Atendimento encerrado. Avalie nossa conversa de 1 a 5.",
]
WALLETS = ["Carteira Sul", "Carteira Sudeste", "Carteira Nordeste", "Grandes Contas"]
DEPARTMENTS = ["Vendas", "Suporte", "Financeiro", "Pós-venda"]


def object_id(seed: int, stream: str, index: int) -> str:
    """A MongoDB-style 24-hex id, as Conversas uses for contacts and employees."""
    return hashlib.blake2b(f"{seed}:{stream}:{index}:id".encode(), digest_size=12).hexdigest()


def parse_day(value: str) -> date:
    return datetime.strptime(value, "%Y-%m-%d").date()


def report_id(seed: int, i: int, shape: int) -> int | str:
    """Attendance i's id in the field ``shape`` picks: an integer ``id``, an ObjectId ``_id``, a string ``report_id``."""
    if shape == 1:
        return object_id(seed, "reports", i)
    return 100_000 + i if shape == 0 else f"R{100_000 + i}"


def _duration(seconds: int, shape: int) -> Any:
    """A duration as clients of the live API see it: seconds, ``HH:MM:SS`` or ``{"value": seconds}``."""
    if shape == 1:
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return {"value": seconds} if shape == 2 else seconds


@dataclass(frozen=True)
class Quirks:
    """How one contact's history is served: which key encrypts it and how the plaintext is mangled."""

    old_kid: bool = False
    latin1: bool = False
    double_encoded: bool = False
    control_chars: bool = False
    raw_quotes: bool = False


class ConversasData:
    """Everything one seeded account holds. ``scale`` multiplies the test-size volume."""

    HISTORY_START = datetime(2025, 1, 1, tzinfo=UTC)

    def __init__(self, seed: int, scale: float) -> None:
        self.seed = seed
        self.contact_count = max(1, int(150 * scale))
        self.report_count = max(1, int(400 * scale))
        self.employee_count = 12
        self._extra: dict[int, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._index = {object_id(seed, "contacts", i): i for i in range(self.contact_count)}

    # --- contacts -----------------------------------------------------------------------------
    def contact(self, i: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "contacts", i)
        first, last = datagen.person_name(r)
        city, state = r.choice(datagen.CITIES)
        company = datagen.company_name(r)
        return {
            "_id": object_id(self.seed, "contacts", i),
            "full_name": f"{first} {last}",
            "email": datagen.email_for(first, last, i),
            "cel_phone": datagen.br_mobile(r),
            "cel_phone_secondary0": datagen.br_mobile(r) if r.random() < 0.3 else "",
            "cel_phone_secondary1": "",
            "whatsapp_name": first,
            "cpf": f"{r.randint(100, 999)}.{r.randint(100, 999)}.{r.randint(100, 999)}-{r.randint(10, 99)}",
            "rg": str(r.randint(10_000_000, 99_999_999)),
            "cnpj": "",
            "code": f"CLI-{i:05d}",
            "description": "",
            "birth_date": f"{r.randint(1960, 2004)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "tags": r.sample(["lead", "cliente", "vip", "inadimplente", "pix"], r.randint(0, 2)),
            "customizable_field": [] if r.random() < 0.7 else [{"key": "origem", "value": "instagram"}],
            "address": {
                "city": city,
                "complement": r.choice(["", "Apto 12", "Sala 301"]),
                "country": "Brasil",
                "district": r.choice(["Centro", "Jardim América", "Vila Nova", "Boa Vista"]),
                "number": str(r.randint(1, 2500)),
                "state": state,
                "street": f"Rua {r.choice(datagen.LAST_NAMES)}",
                "zip_code": f"{r.randint(10000, 99999)}-{r.randint(100, 999)}",
            },
            "job": {
                "cnpj": f"{r.randint(10, 99)}.{r.randint(100, 999)}.{r.randint(100, 999)}/0001-{r.randint(10, 99)}",
                "company": company,
                "department": r.choice(DEPARTMENTS),
                "email": f"contato@{company.split()[0].lower()}.com.br",
                "occupation_area": r.choice(["Varejo", "Serviços", "Indústria"]),
                "phone": datagen.br_mobile(r, formatted=True),
                "site": f"https://www.{company.split()[0].lower()}.com.br",
                "title": r.choice(["Comprador", "Gerente", "Analista", "Diretor"]),
            },
            "current_wallet": r.choice(WALLETS),
            "created_at": datagen.iso(datagen.spread(i, self.contact_count)),
        }

    def contact_ids(self) -> list[str]:
        return [object_id(self.seed, "contacts", i) for i in range(self.contact_count)]

    def contact_index(self, customer_id: str) -> int | None:
        return self._index.get(customer_id)

    # --- configuration lists --------------------------------------------------------------------
    def employees(self) -> list[dict[str, Any]]:
        out = []
        for i in range(self.employee_count):
            r = datagen.rng(self.seed, "employees", i)
            first, last = datagen.person_name(r)
            out.append(
                {
                    # The live ETL reads `e._id ?? e.id`: the least convenient variant, `_id` only.
                    "_id": object_id(self.seed, "employees", i),
                    "name": f"{first} {last}",
                    "email": datagen.email_for(first, last, i, "atendimento.com.br"),
                    "department": r.choice(DEPARTMENTS),
                    "status": r.choice(["online", "offline", "paused"]),
                }
            )
        return out

    def custom_fields(self) -> list[dict[str, Any]]:
        names = [
            ("origem", "Origem"),
            ("plano", "Plano contratado"),
            ("vendedor", "Vendedor"),
            ("cupom", "Cupom"),
        ]
        return [
            {
                "id": object_id(self.seed, "custom_fields", i),
                "key": key,
                "label": label,
                "info": f"{{{{{key}}}}}",
            }
            for i, (key, label) in enumerate(names)
        ]

    def flows(self) -> list[dict[str, Any]]:
        titles = ["Boas-vindas", "Segunda via de boleto", "Rastreio de pedido", "Pesquisa NPS", "Agendamento"]
        return [
            {"id": object_id(self.seed, "flows", i), "title": t, "active": i % 4 != 3, "channel": "whatsapp"}
            for i, t in enumerate(titles)
        ]

    def workflows(self) -> list[dict[str, Any]]:
        return [
            {
                "title": "Funil de vendas",
                "company": "empresa-demo",
                "stages": ["Novo", "Qualificado", "Proposta", "Ganho"],
            },
            {
                "title": "Pós-venda",
                "company": "empresa-demo",
                "stages": ["Entregue", "Pesquisa", "Fidelizado"],
            },
            # Seen live: a workflow without a title that carries its wallet instead of stages.
            {"company": "empresa-demo", "wallet": "Grandes Contas"},
        ]

    def templates(self) -> list[dict[str, Any]]:
        out = []
        for i, text in enumerate(TEXTS[:8]):
            out.append(
                {
                    "id": object_id(self.seed, "templates", i),
                    "title": f"modelo_{i + 1:02d}",
                    "channel": "whatsapp" if i % 3 else "email",
                    "content": text,
                    "content_media": "text" if i % 4 else "image",
                    "status": "APPROVED",
                }
            )
        return out

    def whatsapp_integrations(self) -> list[dict[str, Any]]:
        return [
            {
                "_id": object_id(self.seed, "wa", i),
                "phone": f"55119{8000 + i}0000",
                "name": name,
                "status": "connected",
                "settings": {"auto_reply": i == 0, "queue": DEPARTMENTS[i]},
            }
            for i, name in enumerate(["Loja Centro", "SAC"])
        ]

    def whatsapp_official_integrations(self) -> list[dict[str, Any]]:
        return [
            {
                "key": object_id(self.seed, "waba", i),
                "label": label,
                "phone_number": f"5511390{i}0000",
                "verified": True,
            }
            for i, label in enumerate(["WABA Vendas", "WABA Suporte"])
        ]

    # --- campaigns ---------------------------------------------------------------------------------
    def campaigns(self) -> list[dict[str, Any]]:
        names = ["Black Friday", "Boas-vindas", "Recompra", "Pesquisa NPS", "Aniversário", "Carrinho"]
        return [
            {
                "id": object_id(self.seed, "campaigns", i),
                "name": f"{names[i % len(names)]} {2025 + i // len(names)}",
                "status": "finished" if i % 3 else "scheduled",
                "channel": "whatsapp",
                "created_at": datagen.iso(datagen.spread(i, 12)),
            }
            for i in range(12)
        ]

    def failing_campaign_id(self) -> str:
        return object_id(self.seed, "campaigns", 5)

    def flaky_campaign_id(self) -> str:
        return object_id(self.seed, "campaigns", 2)

    def campaign_stats(self, campaign_id: str) -> dict[str, int]:
        r = datagen.rng(self.seed, "campaign_stats", int(campaign_id[:6], 16))
        sent = r.randint(100, 5000)
        delivered = sent - r.randint(0, sent // 10)
        read = delivered - r.randint(0, delivered // 3)
        return {"sent": sent, "delivered": delivered, "read": read, "failed": sent - delivered}

    # --- reports (attendances) --------------------------------------------------------------------
    def report(self, i: int, now: float = datagen.EPOCH_END) -> dict[str, Any]:
        """Attendance i as the API shows it at ``now``: open (no close time, no tma) until it closes.

        Shapes vary the way clients of the live API see them (rd-conversas-etl, dadm_tallos): the id
        as ``id``, ``_id`` or ``report_id``; tme/tma as seconds, ``HH:MM:SS`` or ``{"value": n}``;
        some timestamps without a zone; only ``opened_at`` for the opening (no created_at).
        """
        r = datagen.rng(self.seed, "reports", i)
        opened = datagen.spread(i, self.report_count)
        long_open = i % LONG_OPEN_EVERY == 2
        closed = opened + (r.randint(5, 45) * 86400 if long_open else r.randint(300, 7200))
        employee = self.employees()[i % self.employee_count]
        contact = self.contact(i % self.contact_count)
        is_closed = closed <= now
        tme, tma = r.randint(5, 900), int(closed - opened)
        stamp = (lambda ts: datagen.iso(ts)[:19]) if i % 4 == 3 else datagen.iso
        shape = i % 3
        record: dict[str, Any] = {
            ("id", "_id", "report_id")[shape]: report_id(self.seed, i, shape),
            "protocol": f"{2024_000_000 + i}",
            "employee": {"id": employee["_id"], "name": employee["name"]},
            "channel": r.choice(CHANNELS),
            "to_tabulation": r.choice(["Resolvido", "Sem resposta", "Venda realizada"])
            if is_closed
            else None,
            "to_department": r.choice(DEPARTMENTS),
            "total_send_messages": r.randint(1, 40),
            "total_receive_messages": r.randint(1, 40),
            "tme": _duration(tme, shape),
            "tma": _duration(tma, shape) if is_closed else None,
            "opened": not is_closed,
            "closed": is_closed,
            "opened_at": stamp(opened),
            "started_at": stamp(opened + tme),
            "finished_at": stamp(closed) if is_closed else None,
            "closed_at": stamp(closed) if is_closed else None,
            "transferred": r.random() < 0.2,
            "redistribution_count": r.choice([0, 0, 0, 1, 2]),
            "valid_business_period": r.random() < 0.8,
            "sessions_opened": r.randint(1, 3),
            "level": r.choice([None, 3, 4, 5]) if is_closed else None,
            "operational_metrics": {"tmro": _duration(r.randint(5, 300), shape), "tmrc": r.randint(5, 300)},
            "company_id": "empresa-demo",
            "initiation_info": {"initiated_by": r.choice(["customer", "operator"])},
            "customer": {
                "id": contact["_id"],
                "full_name": contact["full_name"],
                "cel_phone": contact["cel_phone"],
            },
        }
        return record

    def reports_between(self, start: date, end: date, now: float = datagen.EPOCH_END) -> list[dict[str, Any]]:
        """Attendances opened on a day in [start, end], oldest first, as seen at ``now``.

        The API filters by the opening (creation) day (rd-conversas-etl: "filtra por created_at
        (abertura)"), so an attendance that closes later stays in the window of its opening day.
        """
        lo = datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()
        hi = (datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)).timestamp()
        first = max(
            0,
            math.ceil(
                (lo - datagen.EPOCH_START) * self.report_count / (datagen.EPOCH_END - datagen.EPOCH_START)
            )
            - 1,
        )
        out = []
        for i in range(first, self.report_count):
            ts = datagen.spread(i, self.report_count)
            if ts >= hi:
                break
            if ts >= lo:
                out.append(self.report(i, now))
        return out

    # --- message history --------------------------------------------------------------------------
    def quirks(self, i: int) -> Quirks:
        return Quirks(
            old_kid=i % 17 == 3,
            latin1=i % 13 == 5,
            double_encoded=i % 11 == 7,
            control_chars=i % 19 == 2,
            raw_quotes=i % 7 == 1,
        )

    def history(self, i: int) -> list[dict[str, Any]]:
        """Contact i's whole history, oldest first: seeded messages plus any added by ``mutate``."""
        r = datagen.rng(self.seed, "history", i)
        count = r.choice([0, 0, 2, 4, 6, 9, 12]) if i % 10 else r.randint(60, 130)  # every 10th contact pages
        start = int(self.HISTORY_START.timestamp())
        times = sorted(r.randint(start, datagen.EPOCH_END - 1) for _ in range(count))
        quirks = self.quirks(i)
        messages = []
        for n, ts in enumerate(times):
            kind = r.choice(MESSAGE_TYPES) if r.random() < 0.3 else "text"
            sent_by = r.choice(SENT_BY)
            channel = r.choice(MESSAGE_CHANNELS)
            content = r.choice(TEXTS) if kind == "text" else f"https://media.example.com.br/{kind}/{i}-{n}"
            template = r.random() < 0.1
            if quirks.control_chars and sent_by == "bot":
                content = "Transferência\x0bautomática\x01 para a fila"
            if quirks.raw_quotes and template:
                content = QUOTED_TEMPLATE
            messages.append(self._message(kind, sent_by, content, ts, template, r.random() < 0.15, channel))
        with self._lock:
            messages.extend(self._extra.get(i, []))
        return messages

    @staticmethod
    def _message(
        kind: str,
        sent_by: str,
        content: str,
        ts: float,
        template: bool,
        reply: bool,
        channel: str = "whatsapp",
    ) -> dict[str, Any]:
        return {
            "sent_by": sent_by,
            "type": kind,
            "content": content,
            "created_at": datagen.iso(ts),
            "status": "read" if sent_by == "customer" else "delivered",
            "is_template_message": template,
            "is_reply": reply,
            "channel": channel,
        }

    def history_since(
        self,
        i: int,
        start: date,
        types: set[str] | None = None,
        channels: set[str] | None = None,
        senders: set[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Contact i's messages from ``start`` on, of the given types, channels and senders (None: all)."""
        day = start.isoformat()
        return [
            m
            for m in self.history(i)
            if m["created_at"][:10] >= day
            and (types is None or m["type"] in types)
            and (channels is None or m["channel"] in channels)
            and (senders is None or m["sent_by"] in senders)
        ]

    def add_messages(self, i: int, count: int, now: float) -> list[dict[str, Any]]:
        added = [
            self._message(
                "text",
                SENT_BY[n % 3],
                f"Nova mensagem {n + 1} às {datagen.iso(now)[11:16]}",
                now + n / 1000,
                False,
                False,
            )
            for n in range(count)
        ]
        with self._lock:
            self._extra.setdefault(i, []).extend(added)
        return added
