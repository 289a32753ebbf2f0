"""doctor.secrets: the scan that stands between a report and the disk."""

from __future__ import annotations

import json

import pytest

from doctor.report import write
from doctor.run import Connector, Limits, RunResult
from doctor.secrets import LeakFound, scan, secret_values

SPEC = {
    "type": "object",
    "properties": {
        "subdomain": {"type": "string"},
        "private_key_jwk": {"type": "string", "airbyte_secret": True},
        "credentials": {
            "oneOf": [
                {"properties": {"auth_type": {"const": "api_token"}, "api_token": {"airbyte_secret": True}}},
                {"properties": {"auth_type": {"const": "oauth"}, "client_secret": {"airbyte_secret": True}}},
            ]
        },
    },
}
JWK = {"kty": "RSA", "kid": "key-2025", "d": "c2VjcmV0LWV4cG9uZW50LXZhbHVl", "p": "cHJpbWUtb25lLXZhbHVl"}
CONFIG = {
    "subdomain": "mycompany",
    "private_key_jwk": json.dumps(JWK),
    "credentials": {"auth_type": "api_token", "api_token": "tok-abc-123"},
}


def test_given_spec_secrets_when_collected_then_each_secret_and_the_strings_inside_a_json_secret():
    secrets = secret_values(CONFIG, SPEC)
    assert "tok-abc-123" in secrets and json.dumps(JWK) in secrets
    assert JWK["d"] in secrets and JWK["p"] in secrets and "key-2025" in secrets
    assert "mycompany" not in secrets and "api_token" not in secrets


def test_given_report_with_a_jwk_part_when_scanned_then_hit_names_no_value():
    hits = scan(f"report … {JWK['d'][:20]}{JWK['d'][20:]} …", secret_values(CONFIG, SPEC), [], set())
    assert hits == ["config secret #4"] or (len(hits) == 1 and hits[0].startswith("config secret"))
    assert JWK["d"] not in hits[0]


def test_given_report_with_a_seen_value_when_scanned_then_hit():
    assert scan("| name | Ana Souza |", [], ["Ana Souza"], set()) == ["1 value(s) seen in the API's answers"]


def test_given_seen_value_that_is_part_of_a_field_name_when_scanned_then_no_hit():
    assert (
        scan("| sessions.updatedAt | string |", [], ["ession", "updatedAt"], {"sessions", "updatedAt"}) == []
    )


def test_given_short_values_when_scanned_then_ignored():
    assert scan("| 12345 records |", [], ["12345"], set()) == []


def test_given_a_report_that_would_hold_a_seen_value_when_written_then_nothing_is_written(tmp_path):
    result = RunResult(Connector.named("kommo"), Limits())
    result.check = {"status": "FAILED", "reason": "Account Ana Souza is locked."}
    result.seen = {"Ana Souza"}
    with pytest.raises(LeakFound, match="1 value"):
        write(result, tmp_path, secrets=[])
    assert list(tmp_path.iterdir()) == []

    result.seen = set()
    report, md_path, json_path = write(result, tmp_path, secrets=["tok-abc-123"])
    assert [p["kind"] for p in report["problems"]] == ["check"]
    assert md_path.exists() and json_path.exists()
