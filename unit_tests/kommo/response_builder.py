"""Responses shaped like the real API, from templates in resource/http/response/<stream>.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airbyte_cdk.test.mock_http import HttpResponse
from airbyte_cdk.test.mock_http.response_builder import (
    FieldPath,
    HttpResponseBuilder,
    NestedPath,
    PaginationStrategy,
    RecordBuilder,
    create_record_builder,
    create_response_builder,
)


class KommoNextLinkPaginationStrategy(PaginationStrategy):
    """Kommo sends `_links.next` on every page (the last one too); the connector must not trust it."""

    def update(self, response: dict[str, Any]) -> None:
        page = response.get("_page", 1)
        response["_links"]["next"] = {"href": f"https://acme.kommo.com/api/v4/x?page={page + 1}"}


TEMPLATES = Path(__file__).parent / "resource" / "http" / "response"


def _template(resource: str) -> dict[str, Any]:
    # find_template() looks in the top unit_tests/ folder; these templates live beside this file.
    return json.loads((TEMPLATES / f"{resource}.json").read_text())


def response(resource: str, records_key: str | None = None, page: int = 1) -> HttpResponseBuilder:
    """A page of ``resource``; Kommo echoes the requested page number in ``_page``."""
    template = _template(resource)
    if "_page" in template:
        template["_page"] = page
    return create_response_builder(
        template,
        NestedPath(["_embedded", records_key or resource]),
        KommoNextLinkPaginationStrategy(),
    )


def record(resource: str, records_key: str | None = None, cursor: str | None = "updated_at") -> RecordBuilder:
    return create_record_builder(
        _template(resource),
        NestedPath(["_embedded", records_key or resource]),
        record_id_path=FieldPath("id"),
        record_cursor_path=FieldPath(cursor) if cursor else None,
    )


def page_of(
    resource: str, count: int, first_id: int = 1, cursor_value: int | None = None, page: int = 1
) -> HttpResponse:
    """Page ``page``: ``count`` records with ids first_id.. (and the same cursor value when given)."""
    builder = response(resource, page=page).with_pagination()
    for offset in range(count):
        rec = record(resource, cursor="updated_at" if cursor_value is not None else None).with_id(
            first_id + offset
        )
        if cursor_value is not None:
            rec = rec.with_cursor(cursor_value)
        builder = builder.with_record(rec)
    return builder.build()


def no_content() -> HttpResponse:
    """Kommo's answer to an empty result or a page past the end: 204 with an empty body."""
    return HttpResponse("", 204)


def problem(status: int, detail: str) -> HttpResponse:
    body = (
        f'{{"title":"Error","type":"https://httpstatus.es/{status}","status":{status},"detail":"{detail}"}}'
    )
    return HttpResponse(body, status, {"Content-Type": "application/problem+json"})


def too_many_requests() -> HttpResponse:
    """429 as Kommo sends it: an HTML page and no Retry-After header."""
    return HttpResponse(
        "<html><body><h1>429 Too Many Requests</h1></body></html>", 429, {"Content-Type": "text/html"}
    )
