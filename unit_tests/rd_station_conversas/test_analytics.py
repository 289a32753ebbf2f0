"""analytics_*: /v1/analytics/…, one snapshot per day (start_date = end_date), incremental by day."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse

from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.utils import error_logs, last_state, read, records_of

V1 = "https://api.tallos.com.br/v1"
DAYS = ["2026-01-13", "2026-01-14", "2026-01-15"]  # analytics_start_date .. the frozen today


@pytest.mark.parametrize(
    ("stream", "path"),
    [
        pytest.param("analytics_attendances_summary", "analytics/attendances/summary", id="summary"),
        pytest.param("analytics_attendances_retention", "analytics/attendances/retention", id="retention"),
        pytest.param("analytics_contacts_origin", "analytics/contacts/origin", id="contacts-origin"),
    ],
)
def test_given_start_day_when_read_incrementally_then_one_snapshot_per_day_and_state_is_the_last_day(
    stream: str, path: str
) -> None:
    with HttpMocker() as http_mocker:
        for n, day in enumerate(DAYS):
            params = {"start_date": day, "end_date": day, "timezone": "America/Sao_Paulo"}
            http_mocker.get(
                HttpRequest(url=f"{V1}/{path}", query_params=params), HttpResponse(json.dumps({"total": n}))
            )
        config = ConfigBuilder().with_setting("analytics_start_date", DAYS[0]).build()
        output = read(config, stream, SyncMode.incremental)
    records = records_of(output, stream)
    assert sorted((r["date"], r["data"]["total"], r["timezone"]) for r in records) == [
        (day, n, "America/Sao_Paulo") for n, day in enumerate(DAYS)
    ]
    assert last_state(output) == {"date": DAYS[-1]}
    assert error_logs(output) == []


@pytest.mark.parametrize(
    ("answer", "data"),
    [
        pytest.param({"total": 3}, {"total": 3}, id="object-as-sent"),
        pytest.param(
            [{"origin": "whatsapp", "count": 3}, {"origin": "instagram", "count": 1}],
            {"items": [{"origin": "whatsapp", "count": 3}, {"origin": "instagram", "count": 1}]},
            id="bare-array-kept-whole",
        ),
    ],
)
def test_given_an_answer_of_any_shape_when_read_then_one_snapshot_whose_data_is_one_object(
    answer: object, data: dict
) -> None:
    # `data` has one declared type (#13 item 5). Fails before 0.5.0 for a bare array: the JSON
    # decoder split it into one record per element, every one keyed by the same day.
    day = DAYS[-1]
    with HttpMocker() as http_mocker:
        params = {"start_date": day, "end_date": day, "timezone": "America/Sao_Paulo"}
        http_mocker.get(
            HttpRequest(url=f"{V1}/analytics/contacts/origin", query_params=params),
            HttpResponse(json.dumps(answer)),
        )
        config = ConfigBuilder().with_setting("analytics_start_date", day).build()
        output = read(config, "analytics_contacts_origin", SyncMode.incremental)
    assert [(r["date"], r["data"]) for r in records_of(output, "analytics_contacts_origin")] == [(day, data)]
    assert error_logs(output) == []
