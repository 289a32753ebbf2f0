"""Records against the stream's discovered schema: types, undeclared fields, unfilled fields, keys.

Only shapes are kept: per field path the JSON types and string format classes seen, enum members
for fields the schema declares as enums, and counts. Primary keys are kept as hashes, only to
count duplicates inside the run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from typing import Any

from doctor.shapes import json_type, string_format

MAX_PATHS = 400  # per stream: a record keyed by data (ids as keys) must not grow the report forever
MAX_DEPTH = 6


def allowed_types(node: dict[str, Any] | None) -> set[str] | None:
    """The JSON types a schema node accepts; None when it accepts anything."""
    if not isinstance(node, dict):
        return None
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        union: set[str] = set()
        for branch in branches:
            types = allowed_types(branch)
            if types is None:
                return None
            union |= types
        return union
    return None


def accepts(types: set[str] | None, observed: str) -> bool:
    return types is None or observed in types or (observed == "integer" and "number" in types)


def branch_for(node: dict[str, Any], observed: str) -> dict[str, Any]:
    """The anyOf/oneOf branch that describes a value of the observed type (the node itself otherwise)."""
    for branch in node.get("anyOf") or node.get("oneOf") or []:
        if accepts(allowed_types(branch), observed):
            return branch
    return node


def declared_paths(node: dict[str, Any] | None, path: str = "", depth: int = 0) -> list[str]:
    """Every property path a schema declares (objects' properties, arrays' items)."""
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return []
    out: list[str] = []
    for branch in [node, *(node.get("anyOf") or node.get("oneOf") or [])]:
        for key, child in (branch.get("properties") or {}).items():
            child_path = f"{path}.{key}" if path else key
            out.append(child_path)
            out += declared_paths(child, child_path, depth + 1)
        if isinstance(branch.get("items"), dict):
            out += declared_paths(branch["items"], f"{path}[]", depth + 1)
    return list(dict.fromkeys(out))


class StreamProfile:
    """Everything the doctor learns from one stream's records."""

    def __init__(
        self, schema: dict[str, Any], primary_key: list[list[str]] | None, cursor_field: list[str] | None
    ) -> None:
        self.schema = schema
        self.primary_key = primary_key or []
        self.cursor_field = cursor_field or []
        self.records = 0
        self.types: dict[str, Counter[str]] = defaultdict(Counter)
        self.formats: dict[str, Counter[str]] = defaultdict(Counter)
        self.enum_seen: dict[str, set[str]] = defaultdict(set)
        self.enum_outside: Counter[str] = Counter()
        self.filled: set[str] = set()
        self.violations: dict[tuple[str, str], int] = Counter()
        self.declared_for: dict[str, list[str]] = {}
        self.undeclared: dict[str, Counter[str]] = defaultdict(Counter)
        self.cursor_shapes: Counter[str] = Counter()
        self._keys: Counter[str] = Counter()
        self.paths_dropped = 0

    # --- feeding ----------------------------------------------------------------------------------
    def add(self, record: dict[str, Any]) -> None:
        self.records += 1
        self._visit(record, self.schema, "", declared=True, depth=0)
        if self.primary_key:
            key = [_get(record, path) for path in self.primary_key]
            self._keys[hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()] += 1
        if self.cursor_field:
            value = _get(record, self.cursor_field)
            self.cursor_shapes[_shape(value)] += 1

    def _note(self, path: str, value: Any) -> None:
        if path not in self.types and len(self.types) >= MAX_PATHS:
            self.paths_dropped += 1
            return
        kind = json_type(value)
        self.types[path][kind] += 1
        if kind == "string":
            self.formats[path][string_format(value)] += 1
        if kind != "null":
            self.filled.add(path)

    def _visit(self, value: Any, node: dict[str, Any] | None, path: str, declared: bool, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        kind = json_type(value)
        if path:
            self._note(path, value)
            if declared and isinstance(node, dict):
                types = allowed_types(node)
                if not accepts(types, kind):
                    self.violations[(path, kind)] += 1
                    self.declared_for[path] = sorted(types or [])
                    node = None  # its children can't be checked against the wrong type's schema
                else:
                    node = branch_for(node, kind)
                    if "enum" in node and kind != "null":
                        if value in node["enum"]:
                            self.enum_seen[path].add(str(value))
                        else:
                            self.enum_outside[path] += 1
        if isinstance(value, dict):
            properties = node.get("properties") if isinstance(node, dict) else None
            for key, child in value.items():
                child_path = f"{path}.{key}" if path else str(key)
                if declared and properties is not None and key not in properties:
                    self.undeclared[child_path][json_type(child)] += 1
                    self._visit(child, None, child_path, declared=False, depth=depth + 1)
                else:
                    child_node = properties.get(key) if properties is not None else None
                    self._visit(child, child_node, child_path, declared and child_node is not None, depth + 1)
        elif isinstance(value, list):
            items = node.get("items") if isinstance(node, dict) else None
            for child in value:
                self._visit(child, items, f"{path}[]", declared and isinstance(items, dict), depth + 1)

    # --- results ----------------------------------------------------------------------------------
    @property
    def duplicates(self) -> int:
        """Records whose primary key an earlier record of the run already had."""
        return sum(n - 1 for n in self._keys.values() if n > 1)

    def never_filled(self) -> list[str]:
        """Declared fields no record filled (only the outermost of an unfilled branch)."""
        out = []
        for path in declared_paths(self.schema):
            if path in self.filled:
                continue
            parent = path.rsplit(".", 1)[0] if "." in path else ""  # "tags[]" for "tags[].id": items seen
            if parent and parent not in self.filled:
                continue
            out.append(path)
        return out

    def fields(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for path in sorted(self.types):
            entry: dict[str, Any] = {"types": dict(self.types[path])}
            if self.formats.get(path):
                entry["formats"] = dict(self.formats[path])
            if path in self.enum_seen:
                entry["enum_members_seen"] = sorted(self.enum_seen[path])
            if self.enum_outside.get(path):
                entry["values_outside_enum"] = self.enum_outside[path]
            out[path] = entry
        return out


def _get(record: dict[str, Any], path: list[str]) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _shape(value: Any) -> str:
    kind = json_type(value)
    return f"string: {string_format(value)}" if kind == "string" else kind
