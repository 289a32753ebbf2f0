"""The ``reshape`` fault: any API's successful answer, post-processed into a shape connectors may not expect."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.faults import FaultRule
from sandbox.http import Response
from sandbox.reshape import apply, with_fraction
from sandbox.server import SandboxServer
from unit_tests.sandbox.test_core import AUTH, EchoApp  # noqa: F401 - the fixture's app


def rule(shape, field=None, **extra):
    return FaultRule(kind="reshape", shape=shape, field=field, **extra)


PAGE = {
    "items": [{"id": 1, "owner": {"id": 7}, "updatedAt": "2024-11-01T10:00:00.123Z"}, {"id": 2}],
    "totalItems": 2,
}


@pytest.mark.parametrize(
    ("body", "fault", "expected"),
    [
        pytest.param(
            PAGE,
            rule("extra_field", "surprise"),
            [["id", "owner", "updatedAt", "surprise"], ["id", "surprise"]],
            id="extra-field-on-every-row",
        ),
        pytest.param(PAGE, rule("empty_array", "owner"), [[]], id="php-empty-object"),
        pytest.param(
            PAGE, rule("fraction_digits", "updatedAt"), ["2024-11-01T10:00:00.1470369Z"], id="seven-digits"
        ),
        pytest.param(
            PAGE, rule("fraction_digits", "*"), ["2024-11-01T10:00:00.1470369Z"], id="every-timestamp"
        ),
        pytest.param(PAGE, rule("short_page"), [1], id="short-page"),
        pytest.param(
            {"_embedded": {"leads": [{"id": 1}, {"id": 2}]}}, rule("short_page"), [1], id="kommo-embedded"
        ),
        pytest.param(
            [{"id": 1}, {"id": 2}], rule("extra_field", "x"), [["id", "x"], ["id", "x"]], id="bare-array"
        ),
    ],
)
def test_given_reshape_rule_when_applied_then_rows_change_and_envelope_stays(body, fault, expected):
    reshaped = json.loads(apply(Response.json(body), fault).body)
    rows = reshaped if isinstance(reshaped, list) else reshaped.get("items") or reshaped["_embedded"]["leads"]
    if fault.shape in ("extra_field",):
        assert [list(row) for row in rows] == expected
    elif fault.shape == "empty_array":
        assert [rows[0]["owner"]] == expected and "owner" not in rows[1]
    elif fault.shape == "fraction_digits":
        assert [rows[0]["updatedAt"]] == expected
    else:
        assert [row["id"] for row in rows] == expected
    if isinstance(body, dict) and "totalItems" in body:
        assert reshaped["totalItems"] == body["totalItems"]


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(Response.empty(204), id="kommo-204"),
        pytest.param(Response.json({"error": "x"}, 500), id="error"),
        pytest.param(Response.html("<html></html>", 200), id="not-json"),
    ],
)
def test_given_answer_without_json_rows_when_reshaped_then_unchanged(response):
    assert apply(response, rule("short_page")) is response


def test_given_unknown_shape_when_rule_built_then_rejected():
    with pytest.raises(ValueError, match="unknown reshape"):
        rule("sideways")


def test_given_offset_timestamp_when_seven_digits_then_offset_kept():
    assert with_fraction("2024-11-01T10:00:00-03:00", 7) == "2024-11-01T10:00:00.1470369-03:00"


def test_given_reshape_and_status_rules_when_served_then_status_fault_still_fires_and_reshape_counts_apart():
    with SandboxServer([EchoApp(windows=[])]) as server:
        server.app("echo").faults.set(
            [
                {"kind": "reshape", "shape": "short_page", "times": -1},
                {"kind": "status", "status": 503},
            ]
        )
        first = requests.get(server.url("echo") + "/items", headers=AUTH, timeout=5)
        second = requests.get(server.url("echo") + "/items", headers=AUTH, timeout=5)
    assert first.status_code == 503
    assert second.json() == {"items": [1, 2]}


@pytest.mark.parametrize(
    ("rule_path", "request_path", "fires"),
    [
        pytest.param("/crm/v2/panel", "/crm/v2/panel/card", True, id="substring"),
        pytest.param("/crm/v2/panel$", "/crm/v2/panel/card", False, id="anchored-skips-longer-path"),
        pytest.param("/crm/v2/panel$", "/crm/v2/panel", True, id="anchored-matches-end"),
    ],
)
def test_given_rule_path_when_matched_then_trailing_dollar_anchors_it(rule_path, request_path, fires):
    assert FaultRule(kind="status", path=rule_path).matches(request_path) is fires
