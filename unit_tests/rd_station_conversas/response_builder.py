"""Conversas responses built from the JSON templates in resource/http/response/<stream>.json.

Contacts and WhatsApp integrations are bare arrays; most lists are wrapped (``{"flows": [...]}``);
reports are ``{"docs": [...], "pages": n}`` or ``{"reports": [...]}``; history is one JWE per page.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from airbyte_cdk.test.mock_http import HttpResponse

TEMPLATES = Path(__file__).parent / "resource" / "http" / "response"
WRAPPERS = {
    "employees": "employees",
    "flows": "flows",
    "workflows": "workflows",
    "templates": "templates",
    "reports": "docs",
}


def template(name: str) -> Any:
    return json.loads((TEMPLATES / f"{name}.json").read_text())


def record(stream: str, **fields: Any) -> dict[str, Any]:
    """The template's first record of ``stream`` with ``fields`` overridden."""
    body = template(stream)
    first = body[WRAPPERS[stream]][0] if stream in WRAPPERS else body[0]
    return {**copy.deepcopy(first), **fields}


def array(records: list[Any]) -> HttpResponse:
    """A bare JSON array, as /v2/customers answers."""
    return HttpResponse(json.dumps(records), 200)


def wrapped(key: str, records: list[Any]) -> HttpResponse:
    return HttpResponse(json.dumps({key: records}), 200)


def reports_docs(records: list[dict[str, Any]], page: int = 1, pages: int = 1) -> HttpResponse:
    body = template("reports")
    body.update(docs=records, total=len(records), page=page, pages=pages)
    return HttpResponse(json.dumps(body), 200)


def reports_legacy(records: list[dict[str, Any]]) -> HttpResponse:
    """The other envelope clients of the live API report: ``{"reports": [...]}``."""
    return HttpResponse(json.dumps({"reports": records}), 200)


def history_page(token: str, page: int = 1, pages: int = 1, total: int = 2) -> HttpResponse:
    body = template("messages_history")
    body.update(messages=token, page=page, pages=pages, total=total)
    return HttpResponse(json.dumps(body), 200)


def history_bare(token: str) -> HttpResponse:
    """The envelope as live clients read it: only ``messages``, no ``page``/``pages``/``total``."""
    return HttpResponse(json.dumps({"messages": token}), 200)


def error(status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(json.dumps(template(f"error_{status}")), status, headers or {})
