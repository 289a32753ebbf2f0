"""campaigns (/v1/campaigns, {campaigns, has_more, total}) and campaign_stats (/v1/campaigns/{id})."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.utils import error_logs, logs_at, read, records_of

V1 = "https://api.tallos.com.br/v1"


def campaign(n: int) -> dict[str, Any]:
    return {"id": f"c{n}", "name": f"Campanha {n}", "status": "finished", "channel": "whatsapp"}


def campaigns_page(items: list[dict[str, Any]], has_more: bool, total: int) -> HttpResponse:
    return HttpResponse(json.dumps({"campaigns": items, "has_more": has_more, "total": total}), 200)


def campaigns_request(page: int | None = None) -> HttpRequest:
    params = {"limit": "100", **({"page": str(page)} if page else {})}
    return HttpRequest(url=f"{V1}/campaigns", query_params=params)


def test_given_has_more_when_read_then_pages_until_it_is_false() -> None:
    with HttpMocker() as http_mocker:
        http_mocker.get(campaigns_request(), campaigns_page([campaign(1), campaign(2)], True, 3))
        http_mocker.get(campaigns_request(2), campaigns_page([campaign(3)], False, 3))
        output = read(ConfigBuilder().build(), "campaigns")
    assert [r["id"] for r in records_of(output, "campaigns")] == ["c1", "c2", "c3"]
    assert error_logs(output) == []


@pytest.mark.usefixtures("no_budget_pause")
@mock.patch("time.sleep")
def test_given_one_campaign_keeps_answering_500_when_stats_read_then_it_is_skipped_and_the_others_synced(
    sleep: mock.Mock,
) -> None:
    # The live ETL sees /v1/campaigns/{id} answer 500 intermittently: one campaign must not fail the stream.
    with HttpMocker() as http_mocker:
        http_mocker.get(
            campaigns_request(), campaigns_page([campaign(1), campaign(2), campaign(3)], False, 3)
        )
        http_mocker.get(
            HttpRequest(url=f"{V1}/campaigns/c1"),
            HttpResponse(json.dumps({**campaign(1), "stats": {"sent": 10}})),
        )
        http_mocker.get(HttpRequest(url=f"{V1}/campaigns/c2"), rb.error(500))
        http_mocker.get(
            HttpRequest(url=f"{V1}/campaigns/c3"),
            [rb.error(500), HttpResponse(json.dumps({"campaign": {**campaign(3), "stats": {"sent": 7}}}))],
        )
        output = read(ConfigBuilder().build(), "campaign_stats")
    records = records_of(output, "campaign_stats")
    assert sorted((r["campaign_id"], r["stats"]["sent"]) for r in records) == [("c1", 10), ("c3", 7)]
    warnings = [w for w in logs_at(output, "WARN") if "campaign_stats" in w and "skipped" in w]
    assert len(warnings) == 1
    assert output.errors == [] and error_logs(output) == []


def test_given_numeric_campaign_ids_when_read_then_ids_are_text_in_both_streams() -> None:
    # One declared type per column (#13 item 5). Fails before 0.5.0: campaigns kept 42 as a number,
    # and the interpolated campaign_id turned "7" into the number 7.
    numeric = [{**campaign(1), "id": 42}, {**campaign(2), "id": "7"}]
    with HttpMocker() as http_mocker:
        http_mocker.get(campaigns_request(), campaigns_page(numeric, False, 2))
        http_mocker.get(
            HttpRequest(url=f"{V1}/campaigns/42"), HttpResponse(json.dumps({**numeric[0], "stats": {}}))
        )
        http_mocker.get(
            HttpRequest(url=f"{V1}/campaigns/7"), HttpResponse(json.dumps({**numeric[1], "stats": {}}))
        )
        output = read(ConfigBuilder().build(), ["campaigns", "campaign_stats"])
    assert sorted(r["id"] for r in records_of(output, "campaigns")) == ["42", "7"]
    stats = sorted((r["campaign_id"], r["id"]) for r in records_of(output, "campaign_stats"))
    assert stats == [("42", "42"), ("7", "7")]
    assert error_logs(output) == []
