"""employees: /v2/employees, answered as a bare array or wrapped in {"employees": [...]}."""

from __future__ import annotations

from unittest import TestCase, mock

import pytest
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "employees"
EMPLOYEES = [rb.record(STREAM, id="e1"), rb.record(STREAM, id="e2")]


class TestEmployeesFullRefresh(TestCase):
    @HttpMocker()
    def test_given_wrapped_envelope_when_read_then_records(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("employees").build(), rb.wrapped("employees", EMPLOYEES)
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert [r["id"] for r in records_of(output, STREAM)] == ["e1", "e2"]
        assert {"id", "name", "email"} <= records_of(output, STREAM)[0].keys()
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_bare_array_when_read_then_same_records(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(ConversasRequestBuilder.list_endpoint("employees").build(), rb.array(EMPLOYEES))

        output = read(ConfigBuilder().build(), STREAM)

        assert [r["id"] for r in records_of(output, STREAM)] == ["e1", "e2"]

    @HttpMocker()
    def test_given_empty_wrapped_list_when_read_then_no_records(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("employees").build(), rb.wrapped("employees", [])
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert records_of(output, STREAM) == []
        assert error_logs(output) == []


def test_given_employees_keyed_by_underscore_id_when_read_then_id_is_filled_from_it() -> None:
    # The live ETL reads `e._id ?? e.id`: a real account may send `_id` only (fails before 0.2.0: id null).
    both = rb.record(STREAM, id="e3", _id="ignored-when-id-present")
    only_underscore = {k: v for k, v in rb.record(STREAM, _id="e4").items() if k != "id"}
    with HttpMocker() as http_mocker:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("employees").build(), rb.array([only_underscore, both])
        )
        output = read(ConfigBuilder().build(), STREAM)
    records = records_of(output, STREAM)
    assert [r["id"] for r in records] == ["e4", "e3"]
    assert records[0]["_id"] == "e4"


def test_given_empty_array_when_read_then_no_records_no_errors() -> None:
    with HttpMocker() as http_mocker:
        http_mocker.get(ConversasRequestBuilder.list_endpoint("employees").build(), HttpResponse("[]", 200))
        output = read(ConfigBuilder().build(), STREAM)
    assert records_of(output, STREAM) == []
    assert error_logs(output) == []


@pytest.mark.usefixtures("no_budget_pause")
@pytest.mark.parametrize(
    ("broken", "status"),
    [
        pytest.param("", 200, id="empty-200"),
        pytest.param('{"employees": [{"id": "e1"', 200, id="truncated-json"),
        pytest.param("<html>502 Bad Gateway</html>", 200, id="html-200"),
        pytest.param("", 204, id="spurious-204"),
    ],
)
@mock.patch("time.sleep")
def test_given_broken_body_once_when_read_then_retried_not_taken_as_empty(
    sleep: mock.Mock, broken: str, status: int
) -> None:
    with HttpMocker() as http_mocker:
        http_mocker.get(
            ConversasRequestBuilder.list_endpoint("employees").build(),
            [HttpResponse(broken, status), rb.wrapped("employees", EMPLOYEES)],
        )
        output = read(ConfigBuilder().build(), STREAM)
    assert [r["id"] for r in records_of(output, STREAM)] == ["e1", "e2"]
    assert output.errors == []
