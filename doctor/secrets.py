"""The last gate before a report is written: no config secret and no seen value may be in it.

Secrets are the config values the spec marks ``airbyte_secret`` (and, when such a value is a JSON
document like a JWK, every string inside it). Seen values are every scalar the connector's records
and the API's pages carried, from ``MIN_LENGTH`` characters up, except the words the schema itself
publishes (field names, enum members). A hit names where the value came from, never the value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

MIN_LENGTH = 6
MIN_SECRET_LENGTH = 4


class LeakFound(Exception):
    """The report would have contained a secret or a seen value; nothing was written."""


def secret_values(config: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Every value under a property the spec marks ``airbyte_secret``, and the strings inside it."""
    found: list[str] = []

    def properties(node: dict[str, Any]) -> dict[str, Any]:
        out = dict(node.get("properties") or {})
        for branch in node.get("oneOf") or node.get("anyOf") or []:
            out.update(branch.get("properties") or {})
        return out

    def visit(value: Any, node: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            return
        props = properties(node)
        for key, child in value.items():
            child_node = props.get(key) or {}
            if child_node.get("airbyte_secret"):
                found.extend(_strings(child))
            else:
                visit(child, child_node)

    visit(config, spec)
    return [value for value in dict.fromkeys(found) if len(value) >= MIN_SECRET_LENGTH]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        out = [value]
        try:
            inner = json.loads(value)
        except ValueError:
            return out
        if isinstance(inner, (dict, list)):
            out += _strings(inner)
        return out
    if isinstance(value, dict):
        return [s for child in value.values() for s in _strings(child)]
    if isinstance(value, list):
        return [s for child in value for s in _strings(child)]
    return [str(value)] if value is not None and not isinstance(value, bool) else []


def schema_words(schemas: Iterable[dict[str, Any]]) -> set[str]:
    """Words a schema publishes: property names and enum members (not data, safe to print)."""
    words: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                if key == "properties" and isinstance(child, dict):
                    words.update(child)
                if key == "enum" and isinstance(child, list):
                    words.update(str(v) for v in child)
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    for schema in schemas:
        visit(schema)
    return words


def scan(text: str, secrets: Iterable[str], seen: Iterable[str], allowed: set[str]) -> list[str]:
    """Where the report text contains a secret or a seen value (descriptions only, no values).

    Seen values are looked for in the text with the allowed words (field names, enum members, the
    report's own vocabulary) blanked out, so a record value that happens to be part of a field name
    is not a leak, while the same value anywhere else is.
    """
    hits = []
    for index, secret in enumerate(secrets):
        if secret in text:
            hits.append(f"config secret #{index + 1}")
    scrubbed = text
    for word in sorted((w for w in allowed if w), key=len, reverse=True):
        scrubbed = scrubbed.replace(word, " ")
    windows = {scrubbed[i : i + MIN_LENGTH] for i in range(max(0, len(scrubbed) - MIN_LENGTH + 1))}
    count = 0
    for value in seen:
        if len(value) < MIN_LENGTH or value in allowed or value[:MIN_LENGTH] not in windows:
            continue
        if value in scrubbed:
            count += 1
    if count:
        hits.append(f"{count} value(s) seen in the API's answers")
    return hits
