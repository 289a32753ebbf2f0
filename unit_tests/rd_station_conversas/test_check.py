"""check: one cheap call to /v2/customers; a bad token or a bad private key fails with one clear sentence."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.jwe_helper import key_pair, private_jwk
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import CONNECTOR


def check(config: dict[str, Any]) -> dict[str, str]:
    status = CONNECTOR.check(config).connection_status_messages[0].connectionStatus
    return {"status": status.status.value, "message": status.message or ""}


def public_only() -> str:
    return key_pair().export_public()


def without_d() -> str:
    key = json.loads(private_jwk())
    key.pop("d")
    return json.dumps(key)


def test_given_valid_token_and_key_when_check_then_succeeds_with_one_request() -> None:
    with HttpMocker() as http_mocker:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array([rb.record("contacts")]))
        status = check(ConfigBuilder().with_private_key(private_jwk()).build())
    assert status["status"] == "SUCCEEDED"


def test_given_rejected_token_when_check_then_fails_saying_so() -> None:
    with HttpMocker() as http_mocker:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.error(401))
        status = check(ConfigBuilder().build())
    assert status["status"] == "FAILED"
    assert "rejected the access token (HTTP 401)" in status["message"]


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param(lambda: "not json at all", id="not-json"),
        pytest.param(lambda: private_jwk()[: len(private_jwk()) // 2], id="truncated-paste"),
        pytest.param(public_only, id="public-half-only"),
        pytest.param(without_d, id="missing-private-exponent"),
        pytest.param(
            lambda: json.dumps({"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"}), id="symmetric-key"
        ),
    ],
)
def test_given_invalid_private_key_when_check_then_fails_clearly_without_echoing_it(bad_key) -> None:
    key = bad_key()
    status = check(ConfigBuilder().with_private_key(key).build())
    assert status["status"] == "FAILED"
    assert "not a valid RSA private key in JWK format" in status["message"]
    for fragment in (key[10:40], key[-30:]):
        assert fragment not in status["message"]
