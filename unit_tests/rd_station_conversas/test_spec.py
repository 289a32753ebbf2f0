"""spec: every property documented; secrets hidden; the base URL cannot send the token in clear text elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from unit_tests.rd_station_conversas.utils import CONNECTOR


def spec_properties() -> dict[str, Any]:
    return CONNECTOR.spec().spec_messages[0].spec.connectionSpecification["properties"]


def test_given_spec_when_read_then_every_property_has_title_description_order_examples() -> None:
    properties = spec_properties()
    assert set(properties) == {
        "access_token",
        "start_date",
        "private_key_jwk",
        "api_base_url",
        "requests_per_minute",
        "num_workers",
        "reports_lookback_days",
        "analytics_start_date",
        "analytics_timezone",
        "progress_log_seconds",
    }
    for name, prop in properties.items():
        assert {"title", "description", "order", "examples"} <= prop.keys(), name
    assert sorted(p["order"] for p in properties.values()) == list(range(len(properties)))


def test_given_spec_when_read_then_secrets_hidden_and_optional_fields_defaulted() -> None:
    properties = spec_properties()
    assert properties["access_token"]["airbyte_secret"] and properties["private_key_jwk"]["airbyte_secret"]
    assert properties["private_key_jwk"]["multiline"]
    assert properties["requests_per_minute"]["default"] <= 48  # the observed sustained ceiling
    for name in (
        "private_key_jwk",
        "api_base_url",
        "requests_per_minute",
        "num_workers",
        "reports_lookback_days",
        "progress_log_seconds",
    ):
        assert "default" in properties[name], name
    # The API serves ranges of at most 90 days: a longer lookback could not be asked in one window.
    assert properties["reports_lookback_days"]["maximum"] <= 89


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        pytest.param("2024-01-01", True, id="date"),
        pytest.param("2024-01-01T00:00:00Z", True, id="datetime-utc"),
        pytest.param("2024-01-01T00:00:00-03:00", True, id="datetime-offset"),
        pytest.param("01/02/2024", False, id="ambiguous-slashes"),
        pytest.param("2024-02-30", False, id="impossible"),
    ],
)
def test_given_start_date_when_validated_then_iso_forms_pass(value: str, accepted: bool) -> None:
    components = CONNECTOR.components()
    if accepted:
        components.StartDateValidation().validate(value)
        return
    with pytest.raises(
        components.ConfigError, match="^Start Date .* is not a calendar date: set Start Date as YYYY-MM-DD"
    ):
        components.StartDateValidation().validate(value)


def test_given_date_time_as_analytics_start_date_when_validated_then_the_sentence_names_that_setting() -> (
    None
):
    components = CONNECTOR.components()
    validation = components.StartDateValidation(setting="Analytics Start Date", date_only=True)

    validation.validate("2026-01-01")
    with pytest.raises(components.ConfigError, match="^Analytics Start Date 2026-01-01T00:00:00Z is not"):
        validation.validate("2026-01-01T00:00:00Z")


def test_given_spec_when_read_then_no_property_has_a_pattern() -> None:
    # The CDK answers a spec `pattern` mismatch with the raw regex; shapes are config validations.
    assert [name for name, prop in spec_properties().items() if "pattern" in prop] == []
