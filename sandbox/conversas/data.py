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


@dataclass(frozen=True)
class Quirks:
    """How one contact's history is served: which key encrypts it and how the plaintext is mangled."""

    old_kid: bool = False
    latin1: bool = False
    double_encoded: bool = False
    control_chars: bool = False


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
                    "id": object_id(self.seed, "employees", i),
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

    # --- reports (attendances) --------------------------------------------------------------------
    def report(self, i: int) -> dict[str, Any]:
        r = datagen.rng(self.seed, "reports", i)
        opened = datagen.spread(i, self.report_count)
        closed = opened + r.randint(300, 7200)
        employee = self.employees()[i % self.employee_count]
        contact = self.contact(i % self.contact_count)
        return {
            "id": 100_000 + i,
            "protocol": f"{2024_000_000 + i}",
            "title": f"Atendimento {100_000 + i}",
            "description": r.choice(["Dúvida sobre pedido", "Troca", "Orçamento", "Suporte técnico"]),
            "employee": {"id": employee["id"], "name": employee["name"]},
            "channel": r.choice(CHANNELS),
            "to_tabulation": r.choice(["Resolvido", "Sem resposta", "Venda realizada"]),
            "to_department": r.choice(DEPARTMENTS),
            "total_send_messages": r.randint(1, 40),
            "total_receive_messages": r.randint(1, 40),
            "tme": r.randint(5, 900),
            "tma": r.randint(60, 7200),
            "closed": True,
            "opened_at": datagen.iso(opened),
            "closed_at": datagen.iso(closed),
            "transferred": r.random() < 0.2,
            "company_id": "empresa-demo",
            "created_at": datagen.iso(opened),
            "createdAt": datagen.iso(opened),
            "updatedAt": datagen.iso(closed),
            "initiation_info": {"initiated_by": r.choice(["customer", "operator"])},
            "customer": {
                "_id": contact["_id"],
                "full_name": contact["full_name"],
                "cel_phone": contact["cel_phone"],
            },
        }

    def reports_between(self, start: date, end: date) -> list[dict[str, Any]]:
        """Attendances opened on a day in [start, end], oldest first."""
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
                out.append(self.report(i))
        return out

    # --- message history --------------------------------------------------------------------------
    def quirks(self, i: int) -> Quirks:
        return Quirks(
            old_kid=i % 17 == 3, latin1=i % 13 == 5, double_encoded=i % 11 == 7, control_chars=i % 19 == 2
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
            content = r.choice(TEXTS) if kind == "text" else f"https://media.example.com.br/{kind}/{i}-{n}"
            if quirks.control_chars and sent_by == "bot":
                content = "Transferência\x0bautomática\x01 para a fila"
            messages.append(self._message(kind, sent_by, content, ts, r.random() < 0.1, r.random() < 0.15))
        with self._lock:
            messages.extend(self._extra.get(i, []))
        return messages

    @staticmethod
    def _message(
        kind: str, sent_by: str, content: str, ts: float, template: bool, reply: bool
    ) -> dict[str, Any]:
        return {
            "sent_by": sent_by,
            "type": kind,
            "content": content,
            "created_at": datagen.iso(ts),
            "status": "read" if sent_by == "customer" else "delivered",
            "is_template_message": template,
            "is_reply": reply,
            "channel": "whatsapp",
        }

    def history_since(self, i: int, start: date, types: set[str] | None = None) -> list[dict[str, Any]]:
        day = start.isoformat()
        return [
            m
            for m in self.history(i)
            if m["created_at"][:10] >= day and (types is None or m["type"] in types)
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
