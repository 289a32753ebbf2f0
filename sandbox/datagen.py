"""Deterministic data helpers: record i of a stream is the same for the same seed, at any size.

Records are generated from (seed, stream, index), never from a shared random stream, so an API
can build any record lazily, and a million-row account costs no memory until it is paged.
Timestamps are anchored to a fixed instant, not to "now", so counts never drift between runs.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

# Every generated timestamp lies in [EPOCH_START, EPOCH_END): two years ending 2026-11-01 UTC.
EPOCH_END = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
EPOCH_START = EPOCH_END - 2 * 365 * 86400

FIRST_NAMES = [
    "Ana",
    "João",
    "Maria",
    "Pedro",
    "Lucas",
    "Juliana",
    "Gabriel",
    "Fernanda",
    "Rafael",
    "Beatriz",
    "Mateus",
    "Larissa",
    "Felipe",
    "Camila",
    "Gustavo",
    "Letícia",
    "Bruno",
    "Mariana",
    "Thiago",
    "Aline",
    "Rodrigo",
    "Patrícia",
    "Diego",
    "Vanessa",
    "Leonardo",
    "Carolina",
    "Vinícius",
    "Bruna",
    "André",
    "Débora",
]
LAST_NAMES = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
]
CITIES = [
    ("São Paulo", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Curitiba", "PR"),
    ("Porto Alegre", "RS"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Fortaleza", "CE"),
    ("Florianópolis", "SC"),
    ("Goiânia", "GO"),
    ("Campinas", "SP"),
    ("Manaus", "AM"),
]
AREA_CODES = [11, 21, 31, 41, 51, 71, 81, 85, 48, 62, 19, 92]
COMPANY_WORDS = [
    "Comercial",
    "Soluções",
    "Tecnologia",
    "Distribuidora",
    "Serviços",
    "Indústria",
    "Varejo",
    "Digital",
]


def rng(seed: int, stream: str, index: int) -> random.Random:
    """A private random generator for record ``index`` of ``stream``."""
    digest = hashlib.blake2b(f"{seed}:{stream}:{index}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def person_name(r: random.Random) -> tuple[str, str]:
    return r.choice(
        FIRST_NAMES
    ), f"{r.choice(LAST_NAMES)} {r.choice(LAST_NAMES)}" if r.random() < 0.3 else r.choice(LAST_NAMES)


def company_name(r: random.Random) -> str:
    return f"{r.choice(LAST_NAMES)} {r.choice(COMPANY_WORDS)} Ltda"


def br_mobile(r: random.Random, formatted: bool = False) -> str:
    """A Brazilian mobile number: +55 DDD 9XXXX-XXXX (E.164 digits, or the display format)."""
    ddd = r.choice(AREA_CODES)
    number = f"9{r.randint(1000, 9999)}{r.randint(1000, 9999)}"
    if formatted:
        return f"+55 ({ddd}) {number[:5]}-{number[5:]}"
    return f"55{ddd}{number}"


def email_for(first: str, last: str, index: int, domain: str = "example.com.br") -> str:
    ascii_name = f"{first}.{last.split()[0]}".lower()
    for src, dst in zip("áàâãéêíóôõúç", "aaaaeeiooouc", strict=True):
        ascii_name = ascii_name.replace(src, dst)
    return f"{ascii_name}{index}@{domain}"


def spread(index: int, count: int, start: int = EPOCH_START, end: int = EPOCH_END) -> int:
    """The index-th of ``count`` timestamps spread evenly across [start, end)."""
    return start + (end - start) * index // max(count, 1)


def iso(ts: float) -> str:
    """ISO-8601 UTC with milliseconds and Z, as the .NET and Node APIs here print them."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"
