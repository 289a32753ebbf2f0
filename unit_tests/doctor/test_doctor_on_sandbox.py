"""The doctor end to end: ``python -m doctor`` on each sandbox API, through the connector's real entry point.

- Today's connectors against the sandbox: zero problems (whatever the connectors and the sandbox
  are when this runs: nothing here names a stream's fields).
- The ``reshape`` fault serving shapes the connector doesn't handle: exactly those problems.
- The written report holds no value from the sandbox's data and no secret from the config.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

from doctor.report import VOCABULARY
from doctor.shapes import leaves
from sandbox import registry
from sandbox.server import SandboxServer
from unit_tests.doctor.conftest import DoctorRun, run_doctor
from unit_tests.helpers.cli import configured_catalog, run_cli
from unit_tests.helpers.connector import Connector, connectors_with_sandbox

pytestmark = pytest.mark.e2e

MIN_VALUE_LENGTH = 6


@pytest.fixture(scope="module", params=connectors_with_sandbox())
def clean(request, tmp_path_factory) -> Iterator[tuple[DoctorRun, list[str]]]:
    """The doctor (default page limit) on a sandbox, and every value a full read of it returns."""
    name = request.param
    with SandboxServer(registry.create_apps([name], windows=[])) as server:
        run = run_doctor(server, name, tmp_path_factory.mktemp(name))
        connector = Connector(name)
        catalog = run_cli(connector, "discover", config=run.config).catalog
        output = run_cli(connector, "read", config=run.config, catalog=configured_catalog(catalog))
        assert output.returncode == 0 and output.records
        values = {value for record in output.records for value in leaves(record["data"])}
        keys = {key for record in output.records for key in _keys(record["data"])}
        yield run, sorted(v for v in values if len(v) >= MIN_VALUE_LENGTH and v not in keys)


def _keys(value) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from _keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from _keys(child)


def _names(report) -> set[str]:
    names = set(report["streams"])
    for stream in report["streams"].values():
        paths = [*stream["fields"], *stream["http"]["envelope_keys"], *stream["declared_never_filled"]]
        for path in paths + [u["path"] for u in stream["undeclared_fields"]]:
            names.update(part for part in re.split(r"[.\[\]]+", path) if part)
    return names


def test_given_todays_connector_when_doctor_on_the_sandbox_then_zero_problems_and_exit_0(clean):
    run, _ = clean
    assert run.report["problems"] == [], run.markdown
    assert run.returncode == 0, run.stderr[-2000:]
    assert "**No problems found.**" in run.markdown
    assert run.report["check"] == {"status": "SUCCEEDED"}
    assert all(stream["status"] == "complete" for stream in run.report["streams"].values())
    assert sum(stream["records"] for stream in run.report["streams"].values()) > 0
    assert "doctor: " in run.stderr  # progress per stream went to stderr


def test_given_doctor_report_when_searched_then_no_sandbox_value_and_no_config_secret(clean):
    run, values = clean
    text = run.markdown + json.dumps(run.report, ensure_ascii=False)
    secrets = [run.config.get("api_key"), run.config.get("access_token")]
    secrets += [(run.config.get("credentials") or {}).get("api_token")]
    if run.config.get("private_key_jwk"):
        jwk = json.loads(run.config["private_key_jwk"])
        secrets += [run.config["private_key_jwk"], *(v for v in jwk.values() if len(v) >= MIN_VALUE_LENGTH)]
    secrets = [secret for secret in secrets if secret]
    assert secrets
    assert [s for s in secrets if s in text] == []
    assert len(values) > 50
    # A value that is one of the report's own words ("numeric" as in "numeric string") says nothing.
    vocabulary = {word for phrase in VOCABULARY for word in phrase.split()}
    # Names are shapes: a value inside a stream or field name ("contact" in "contacts") is not a leak.
    for name in sorted(_names(run.report), key=len, reverse=True):
        text = text.replace(name, " ")
    # The report's own date (its header) is not a value the run saw, even when a record holds today's
    # date too (a daily snapshot of today, as Conversas' analytics streams emit).
    text = text.replace(run.report["date"], " ")
    leaked = [value for value in values if value in text and value not in vocabulary]
    assert leaked == []


def _parses(connector: str, stream: str, value: str) -> bool:
    """Whether any of the stream's cursor formats (as the manifest on this branch declares them) parses value."""
    manifest = ManifestReferenceResolver().preprocess_manifest(
        yaml.safe_load(Connector(connector).manifest_path.read_text())
    )
    for definition in manifest["streams"]:
        if (definition.get("$parameters") or {}).get("name", definition.get("name")) == stream:
            cursor = definition["incremental_sync"]
            formats = [*(cursor.get("cursor_datetime_formats") or []), cursor["datetime_format"]]
            for fmt in formats:
                try:
                    DatetimeParser().parse(value, fmt)
                    return True
                except ValueError:
                    continue
            return False
    raise AssertionError(f"no stream {stream} in {connector}")


def _object_field(server: SandboxServer, name: str, stream: str, rows: list[dict]) -> str:
    """A top-level field every served row fills with an object and the schema declares object-only."""
    schema = yaml.safe_load(Connector(name).manifest_path.read_text())["schemas"][stream]["properties"]
    for key in rows[0]:
        declared = schema.get(key, {}).get("type")
        declared = {declared} if isinstance(declared, str) else set(declared or [])
        if (
            "object" in declared
            and declared <= {"object", "null"}
            and all(isinstance(r.get(key), dict) for r in rows)
        ):
            return key
    raise AssertionError(f"no object-only field in the sandbox's {stream} rows to serve as []")


def test_given_shapes_conversas_does_not_handle_when_doctor_then_exactly_those_problems(tmp_path: Path):
    name = "rd-station-conversas"
    seven_digits = "2025-01-02T10:00:00.1470369Z"
    assert not _parses(name, "reports", seven_digits), (
        "the connector now parses 7 fractional digits in reports: pick a stream that doesn't for this test"
    )
    with SandboxServer(registry.create_apps([name], windows=[])) as server:
        token = server.config(name)["access_token"]
        page = requests.get(
            f"{server.url(name)}/v4/reports",
            params={"start_date": "2025-01-01", "end_date": "2025-03-31", "limit": 49},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        target = _object_field(server, name, "reports", page.get("docs") or page["reports"])
        server.app(name).faults.set(
            [
                {
                    "kind": "reshape",
                    "shape": "empty_array",
                    "field": target,
                    "path": "/v4/reports",
                    "times": -1,
                },
                # Every timestamp of a report, so whichever one the connector takes as its cursor.
                {
                    "kind": "reshape",
                    "shape": "fraction_digits",
                    "field": "*",
                    "path": "/v4/reports",
                    "times": -1,
                },
                {
                    "kind": "reshape",
                    "shape": "extra_field",
                    "field": "doctorProbe",
                    "path": "/v2/flows",
                    "times": -1,
                },
            ]
        )
        run = run_doctor(server, name, tmp_path, "--pages", "0")
    cursor = ".".join(run.report["streams"]["reports"]["cursor_field"])
    assert run.problems == sorted(
        [
            ("flows", "undeclared_field", "doctorProbe"),
            ("reports", "cursor_unparsed", cursor),
            ("reports", "schema_violation", target),
        ]
    ), run.markdown
    assert run.returncode == 1
    unparsed = run.report["streams"]["reports"]["cursor"]["unparsed_by_the_connector"]
    assert list(unparsed) == ["string: date-time (7 fractional digits, Z)"]
    violation = run.report["streams"]["reports"]["schema_violations"][0]
    assert (violation["observed"], "object" in violation["declared"]) == ("array", True)


def test_given_a_page_short_of_total_items_when_doctor_then_exactly_that_completeness_problem(tmp_path: Path):
    faults = [{"kind": "reshape", "shape": "short_page", "path": "/crm/v2/panel$", "times": -1}]
    with SandboxServer(registry.create_apps(["helenacrm"], windows=[])) as server:
        server.app("helenacrm").faults.set(faults)
        run = run_doctor(server, "helenacrm", tmp_path, "--pages", "0")
    assert run.problems == [("panels", "completeness", None)], run.markdown
    completeness = run.report["streams"]["panels"]["completeness"]
    assert completeness["pages_not_adding_up"] == 1
    assert completeness["rows_in_pages"] == completeness["reported"] - 1
    assert run.returncode == 1


def test_given_a_page_limit_when_doctor_then_read_is_bounded_and_not_a_problem(tmp_path: Path):
    with SandboxServer(registry.create_apps(["helenacrm"], windows=[])) as server:
        truth = server.app("helenacrm").truth()
        run = run_doctor(server, "helenacrm", tmp_path, "--pages", "1")
    contacts = run.report["streams"]["contacts"]
    assert contacts["completeness"]["verdict"] == "bounded read: pages checked, totals not compared"
    assert contacts["records"] < truth["contacts"]
    assert contacts["http"]["requests"] == contacts["completeness"]["series"]  # one page per series
    assert run.returncode == 0 and run.report["problems"] == []


def test_given_a_wrong_token_when_doctor_then_one_sentence_from_check_and_exit_1(tmp_path: Path):
    with SandboxServer(registry.create_apps(["kommo"], windows=[])) as server:
        config = server.config("kommo")
        config["credentials"]["api_token"] = "wrong-token-for-the-doctor"
        run = run_doctor(server, "kommo", tmp_path, config=config)
    assert run.problems == [(None, "check", None)]
    assert run.returncode == 1
    assert run.report["check"]["status"] == "FAILED" and run.report["check"]["reason"]
    assert "wrong-token-for-the-doctor" not in run.markdown + json.dumps(run.report)
    assert run.report["streams"] == {}


def test_given_a_config_the_spec_rejects_when_doctor_then_named_setting_and_no_connector_run(tmp_path: Path):
    with SandboxServer(registry.create_apps(["helenacrm"], windows=[])) as server:
        config = {k: v for k, v in server.config("helenacrm").items() if k != "api_key"}
        run = run_doctor(server, "helenacrm", tmp_path, config=config)
        assert server.app("helenacrm").stats.requests == 0
    assert run.problems == [(None, "config", None)]
    assert "api_key" in run.report["problems"][0]["detail"]
    assert run.returncode == 1


def test_given_a_429_and_a_503_when_doctor_then_statuses_and_retries_counted_and_no_problem(tmp_path: Path):
    faults = [
        {"kind": "status", "status": 429, "path": "/core/v1/tag$", "after": 1},  # after check's request
        {"kind": "status", "status": 503, "path": "/core/v2/department$"},
    ]
    with SandboxServer(registry.create_apps(["helenacrm"], windows=[])) as server:
        server.app("helenacrm").faults.set(faults)
        run = run_doctor(server, "helenacrm", tmp_path)
    tags, departments = run.report["streams"]["tags"]["http"], run.report["streams"]["departments"]["http"]
    assert (tags["statuses"], tags["retries"], tags["http_429"]) == ({"200": 1, "429": 1}, 1, 1)
    assert (departments["statuses"], departments["retries"]) == ({"200": 1, "503": 1}, 1)
    assert run.report["problems"] == [] and run.returncode == 0
