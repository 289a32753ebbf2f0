"""The spec: complete property metadata, secrets, and the config rules that keep the token on Kommo's hosts."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.utils import CONNECTOR


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return CONNECTOR.spec().spec_messages[0].spec.connectionSpecification


def _properties(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, prop in schema.get("properties", {}).items():
        out.append((prefix + name, prop))
        for option in prop.get("oneOf", []):
            out += _properties(option, f"{prefix}{name}.{option['properties']['auth_type']['const']}.")
    return out


def test_every_property_has_title_description_order_examples(spec: dict[str, Any]) -> None:
    missing = [
        (name, key)
        for name, prop in _properties(spec)
        for key in ("title", "description", "order", "examples")
        if key not in prop
    ]
    assert missing == []


def test_secrets_are_marked(spec: dict[str, Any]) -> None:
    props = dict(_properties(spec))
    secrets = {name for name, prop in props.items() if prop.get("airbyte_secret")}
    assert {
        "credentials.api_token.api_token",
        "credentials.oauth2.0.client_secret",
        "credentials.oauth2.0.refresh_token",
        "credentials.oauth2.0.access_token",
    } <= secrets


def test_auth_options_are_a_one_of_with_const_discriminator(spec: dict[str, Any]) -> None:
    options = spec["properties"]["credentials"]["oneOf"]
    assert [o["properties"]["auth_type"]["const"] for o in options] == ["api_token", "oauth2.0"]


def test_start_date_and_knobs(spec: dict[str, Any]) -> None:
    props = spec["properties"]
    assert props["start_date"]["format"] == "date"
    # Shapes are checked by the manifest's config validations, with a sentence: the CDK answers a
    # spec `pattern` mismatch with the raw regex.
    assert [name for name, prop in _properties(spec) if "pattern" in prop] == []
    assert (props["requests_per_second"]["default"], props["num_workers"]["default"]) == (7, 3)
    assert props["window_days"]["default"] == 180
    assert props["events_window_days"]["default"] == 7
    assert props["domain"]["enum"] == ["kommo.com", "amocrm.com", "amocrm.ru"]
    assert spec["required"] == ["subdomain", "credentials"]


def _check_message(**settings: Any) -> tuple[str, str]:
    config = {**ConfigBuilder().build(), **settings}
    output = CONNECTOR.check(config)
    status = output.connection_status_messages[0].connectionStatus
    return status.status.name, status.message or ""


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        pytest.param("mycompany", True, id="plain"),
        pytest.param("my-company2", True, id="hyphen-digit"),
        pytest.param("evil.com/", False, id="other-host"),
        pytest.param("a.evil", False, id="dot"),
        pytest.param("x@evil.com", False, id="userinfo"),
        pytest.param("acme#", False, id="fragment"),
        pytest.param("-acme", False, id="leading-hyphen"),
        pytest.param("Acme", False, id="uppercase"),
        pytest.param("", False, id="empty"),
    ],
)
def test_given_subdomain_when_validated_then_only_a_plain_label_passes(value: str, valid: bool) -> None:
    components = CONNECTOR.components()
    if valid:
        components.SubdomainValidation().validate(value)
        return
    with pytest.raises(
        components.ConfigError, match="^Subdomain must be only your account's name in lowercase"
    ):
        components.SubdomainValidation().validate(value)


def test_given_whole_address_as_subdomain_when_check_then_the_sentence_says_which_part_to_keep() -> None:
    status, message = _check_message(subdomain="mycompany.kommo.com")

    assert status == "FAILED"
    assert "set Subdomain to mycompany." in message and "does not match" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024/01/01", "is not a calendar date: set Start date as YYYY-MM-DD", id="slashes"),
        pytest.param("2024-01-01T00:00:00", "is not a calendar date", id="date-time"),
        pytest.param("2024-13-45", "is not a calendar date", id="impossible"),
        pytest.param("2999-01-01", "is in the future, so nothing would be read: set Start date", id="future"),
    ],
)
def test_given_bad_start_date_when_check_then_one_sentence_naming_the_setting(
    value: str, expected: str
) -> None:
    status, message = _check_message(start_date=value)

    assert status == "FAILED"
    assert expected in message and "does not match" not in message


def test_given_crafted_subdomain_when_check_then_rejected_before_any_request() -> None:
    config = ConfigBuilder().build()
    config["subdomain"] = "evil.com/x#"

    output = CONNECTOR.check(config)

    status = output.connection_status_messages[0].connectionStatus
    assert status.status.name == "FAILED"
    assert "Subdomain must be only your account's name" in status.message


def test_rate_budget_spends_the_limit_per_1_1_seconds() -> None:
    # 7 per 1 s and 7 per 1.05 s drew 429s from a 7/s server (arrival jitter); 7 per 1.1 s none.
    manifest = yaml.safe_load(CONNECTOR.manifest_path.read_text())
    (policy,) = manifest["api_budget"]["policies"]

    assert policy["type"] == "MovingWindowCallRatePolicy" and policy["matchers"] == []
    assert policy["rates"] == [{"limit": "{{ config.get('requests_per_second', 7) }}", "interval": "PT1.1S"}]
