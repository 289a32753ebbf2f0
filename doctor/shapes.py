"""Shapes of JSON values: their JSON type and, for strings, a format class. Never the value itself.

A format class is what a user can safely publish and what a developer needs to fix a parser:
``date-time (7 fractional digits, Z)`` says why a cursor format failed without saying when.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,](?P<fraction>\d+))?(?P<zone>Z|z|[+-]\d{2}:?\d{2})?$"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]{8,20}$")
_NUMERIC = re.compile(r"^-?\d+(?:\.\d+)?$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_HEX_ID = re.compile(r"^[0-9a-fA-F]{24}$")


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def string_format(value: str) -> str:
    """The format class of a string, e.g. ``date``, ``date-time (3 fractional digits, Z)``, ``uuid``."""
    if value == "":
        return "empty"
    match = _DATE_TIME.match(value)
    if match:
        fraction = match["fraction"]
        digits = f"{len(fraction)} fractional digits" if fraction else "no fraction"
        zone = match["zone"]
        zone_shape = "no zone" if not zone else "Z" if zone in ("Z", "z") else "offset"
        return f"date-time ({digits}, {zone_shape})"
    if _DATE.match(value):
        return "date"
    if _UUID.match(value):
        return "uuid"
    if _HEX_ID.match(value):
        return "24-hex id"
    if _NUMERIC.match(value):
        return "numeric string"
    if _EMAIL.match(value):
        return "e-mail-like"
    if _PHONE.match(value) and sum(c.isdigit() for c in value) >= 8:
        return "phone-like"
    if _URL.match(value):
        return "url-like"
    return "text"


def shape(value: Any) -> str:
    """Type, plus the format class for strings: ``string: uuid``, ``integer``, ``array``."""
    kind = json_type(value)
    return f"string: {string_format(value)}" if kind == "string" else kind


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) inside a record; object keys join with ``.``, array items add ``[]``."""
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            yield child_path, child
            yield from walk(child, child_path)
    elif isinstance(value, list):
        item_path = f"{path}[]"
        for child in value:
            yield item_path, child
            yield from walk(child, item_path)


def leaves(value: Any) -> Iterator[str]:
    """Every scalar inside a value, as the text it would have in a report (for the leak scan)."""
    if isinstance(value, dict):
        for child in value.values():
            yield from leaves(child)
    elif isinstance(value, list):
        for child in value:
            yield from leaves(child)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, float) and value.is_integer():
        yield str(int(value))
        yield str(value)
    else:
        yield str(value)
