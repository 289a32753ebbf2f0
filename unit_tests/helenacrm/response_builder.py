"""HelenaCRM responses built from the JSON templates in resource/http/response/<stream>.json.

Paged endpoints answer the ``{pageNumber, ..., items, hasMorePages}`` envelope; the others a
plain array (office hours: one object).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from airbyte_cdk.test.mock_http import HttpResponse

TEMPLATES = Path(__file__).parent / "resource" / "http" / "response"


def template(name: str) -> Any:
    return json.loads((TEMPLATES / f"{name}.json").read_text())


def record(stream: str, **fields: Any) -> dict[str, Any]:
    """The template's first record of ``stream`` with ``fields`` overridden."""
    body = template(stream)
    first = body["items"][0] if isinstance(body, dict) and "items" in body else body[0]
    return {**copy.deepcopy(first), **fields}


def page(
    stream: str,
    records: list[dict[str, Any]],
    page_number: int = 1,
    has_more: bool = False,
    total_items: int | None = None,
) -> HttpResponse:
    """``total_items`` is the whole query's count (all pages); by default the records of this page."""
    body = template(stream)
    body.update(
        pageNumber=page_number,
        items=records,
        totalItems=len(records) if total_items is None else total_items,
        totalPages=page_number + (1 if has_more else 0),
        hasMorePages=has_more,
    )
    return HttpResponse(json.dumps(body), 200)


def array(records: list[dict[str, Any]]) -> HttpResponse:
    return HttpResponse(json.dumps(records), 200)


def raw(name: str, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(template(name)), status)


def error(status: int) -> HttpResponse:
    return HttpResponse(json.dumps(template(f"error_{status}")), status)
