"""Answers in shapes a connector may not handle: the ``reshape`` fault (see sandbox/faults.py).

Real APIs drift: a field appears that no schema declares, PHP serialises an empty object as
``[]``, a .NET backend sends seven fractional digits, a page holds fewer rows than its total
promises. Each shape here post-processes the JSON body of any API's successful answer, so a test
can show what the connector (and the doctor) make of it without touching an API's emulation.

The rows are found the way the three APIs carry them: the body itself when it is an array, else
``items`` / ``docs`` / ``reports`` / ``_embedded.<name>``, else the body's first array.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.http import Response

EXTRA_FIELD_VALUE = "reshaped"
_FRACTION = re.compile(
    r"^(?P<head>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


def rows(body: Any) -> list[Any] | None:
    """The list holding a page's rows, or None when the body has none."""
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        return None
    for key in ("items", "docs", "reports"):
        if isinstance(body.get(key), list):
            return body[key]
    embedded = body.get("_embedded")
    if isinstance(embedded, dict):
        for value in embedded.values():
            if isinstance(value, list):
                return value
    return next((value for value in body.values() if isinstance(value, list)), None)


def _parent(row: dict[str, Any], field: str) -> tuple[dict[str, Any] | None, str]:
    *path, last = field.split(".")
    node: Any = row
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return (node if isinstance(node, dict) else None), last


def with_fraction(value: str, digits: int) -> str:
    """The same instant written with ``digits`` fractional digits (zeros padded, ticks invented)."""
    match = _FRACTION.match(value)
    if not match:
        return value
    fraction = "".join(str((i * 3 + 1) % 10) for i in range(digits))
    return f"{match['head']}.{fraction}{match['zone'] or 'Z'}"


def reshape_row(row: Any, shape: str, field: str, digits: int) -> None:
    if not isinstance(row, dict):
        return
    if field == "*" and shape == "fraction_digits":  # every top-level timestamp, whatever its name
        for key, value in row.items():
            if isinstance(value, str) and _FRACTION.match(value):
                row[key] = with_fraction(value, digits)
        return
    parent, key = _parent(row, field)
    if parent is None:
        return
    if shape == "extra_field":
        parent[key] = EXTRA_FIELD_VALUE
    elif shape == "empty_array" and key in parent:
        parent[key] = []
    elif shape == "fraction_digits" and isinstance(parent.get(key), str):
        parent[key] = with_fraction(parent[key], digits)


def apply(response: Response, rule: Any) -> Response:
    """The response with the rule's shape applied to its rows (unchanged when it has no JSON rows)."""
    if not 200 <= response.status < 300 or not response.body:
        return response
    try:
        body = json.loads(response.body)
    except ValueError:
        return response
    found = rows(body)
    if not found:
        return response
    if rule.shape == "short_page":
        found.pop()
    else:
        for row in found:
            reshape_row(row, rule.shape, rule.field or "reshapedField", rule.digits)
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(response.status, payload, dict(response.headers))
