"""doctor.shapes: the format classes a report may print instead of values."""

from __future__ import annotations

import pytest

from doctor.shapes import json_type, shape, string_format, walk


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2023-08-23T16:15:35.3814324Z", "date-time (7 fractional digits, Z)", id="dotnet-ticks"),
        pytest.param("2024-11-01T10:00:00.123Z", "date-time (3 fractional digits, Z)", id="millis"),
        pytest.param("2024-11-01T10:00:00-03:00", "date-time (no fraction, offset)", id="offset"),
        pytest.param("2024-11-01 10:00:00", "date-time (no fraction, no zone)", id="naive"),
        pytest.param("2024-11-01", "date", id="date"),
        pytest.param("0b1d4b3e-8f3a-4c1e-9d2a-7e6f5a4b3c2d", "uuid", id="uuid"),
        pytest.param("64b7f0c2a1e4d3b2c1a09f8e", "24-hex id", id="mongo-id"),
        pytest.param("5511987654321", "numeric string", id="numeric"),
        pytest.param("ana.souza@example.com.br", "e-mail-like", id="email"),
        pytest.param("+55 (11) 98765-4321", "phone-like", id="phone"),
        pytest.param("https://example.com/x", "url-like", id="url"),
        pytest.param("", "empty", id="empty"),
        pytest.param("Ana Souza", "text", id="text"),
    ],
)
def test_given_a_string_when_classified_then_its_format_class_and_not_its_value(value, expected):
    assert string_format(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "null", id="null"),
        pytest.param(True, "boolean", id="bool-before-int"),
        pytest.param(3, "integer", id="int"),
        pytest.param(3.0, "integer", id="whole-float"),
        pytest.param(3.5, "number", id="float"),
        pytest.param([], "array", id="php-empty-object"),
        pytest.param({}, "object", id="object"),
    ],
)
def test_given_a_value_when_typed_then_json_schema_type(value, expected):
    assert json_type(value) == expected


def test_given_nested_record_when_walked_then_paths_use_dots_and_brackets():
    record = {"a": {"b": [{"c": 1}]}}
    assert [path for path, _ in walk(record)] == ["a", "a.b", "a.b[]", "a.b[].c"]
    assert shape("2024-11-01") == "string: date"
