"""doctor.schema: records against the discovered schema, shapes only."""

from __future__ import annotations

from doctor.schema import StreamProfile

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "updatedAt": {"type": ["null", "string"]},
        "price": {"type": ["null", "number"]},
        "owner": {
            "type": ["null", "object"],
            "properties": {"id": {"type": ["null", "string"]}, "name": {"type": ["null", "string"]}},
        },
        "tags": {
            "type": ["null", "array"],
            "items": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
        "kind": {"type": ["null", "string"], "enum": ["A", "B"]},
        "free": {"type": ["null", "object"]},
        "never": {"type": ["null", "string"]},
    },
}


def profile_of(*records):
    profile = StreamProfile(SCHEMA, [["id"]], ["updatedAt"])
    for record in records:
        profile.add(record)
    return profile


def test_given_matching_records_when_profiled_then_no_violation_and_integers_count_as_numbers():
    profile = profile_of(
        {"id": 1, "updatedAt": "2024-01-01T00:00:00Z", "price": 10, "owner": {"id": "x"}, "kind": "A"},
        {"id": 2, "updatedAt": None, "price": 1.5, "owner": None, "tags": [{"id": 3}], "free": {"any": 1}},
    )
    assert dict(profile.violations) == {}
    assert dict(profile.undeclared) == {}
    assert profile.duplicates == 0
    assert profile.cursor_shapes == {"string: date-time (no fraction, Z)": 1, "null": 1}
    assert profile.fields()["kind"]["enum_members_seen"] == ["A"]


def test_given_php_empty_array_for_an_object_when_profiled_then_one_violation_at_its_path():
    profile = profile_of({"id": 1, "owner": []}, {"id": 2, "owner": []})
    assert dict(profile.violations) == {("owner", "array"): 2}
    assert profile.declared_for["owner"] == ["null", "object"]


def test_given_fields_the_schema_lacks_when_profiled_then_only_the_outermost_path_is_undeclared():
    profile = profile_of({"id": 1, "extra": {"deep": 1}, "owner": {"id": "x", "email": "a@b.co"}})
    assert {path: dict(types) for path, types in profile.undeclared.items()} == {
        "extra": {"object": 1},
        "owner.email": {"string": 1},
    }


def test_given_free_form_object_when_profiled_then_its_keys_are_not_undeclared():
    assert dict(profile_of({"id": 1, "free": {"a": {"b": 2}}}).undeclared) == {}


def test_given_value_outside_enum_when_profiled_then_counted_without_the_value():
    fields = profile_of({"id": 1, "kind": "C"}).fields()
    assert fields["kind"]["values_outside_enum"] == 1
    assert "enum_members_seen" not in fields["kind"]


def test_given_repeated_primary_key_when_profiled_then_duplicates_counted():
    assert profile_of({"id": 1}, {"id": 1}, {"id": 1}, {"id": 2}).duplicates == 2


def test_given_unfilled_fields_when_profiled_then_outermost_unfilled_declared_paths_listed():
    never = profile_of({"id": 1, "owner": {"id": "x"}, "tags": []}).never_filled()
    assert "never" in never and "owner.name" in never and "updatedAt" in never
    assert "tags[].id" not in never  # its array was never filled with items: only the parent counts
    assert "owner.id" not in never
