"""doctor.probe: what the hooks record about a page, and the per-stream time limit."""

from __future__ import annotations

import json

import pytest

from doctor.probe import DoctorLimitReached, Recorder, envelope, series_of


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"pageNumber": 2, "pageSize": 100, "items": [{}] * 3, "totalItems": 103, "hasMorePages": False},
            {
                "rows_key": "items",
                "rows": 3,
                "total_key": "totalItems",
                "total": 103,
                "page": 2,
                "size": 100,
                "more": False,
            },
            id="helenacrm",
        ),
        pytest.param(
            {"docs": [{}] * 2, "total": 51, "limit": 49, "page": 2, "pages": 2},
            {
                "rows_key": "docs",
                "rows": 2,
                "total_key": "total",
                "total": 51,
                "page": 2,
                "size": 49,
                "pages": 2,
            },
            id="conversas-reports",
        ),
        pytest.param(
            {"messages": "eyJhbGciOi.x.y.z.w", "total": 7, "page": 1, "pages": 1, "limit": 100},
            {"rows_key": None, "rows": None, "total": 7, "pages": 1},
            id="conversas-history-encrypted",
        ),
        pytest.param(
            {"_total_items": 3, "_links": {}, "_embedded": {"pipelines": [{}] * 3}},
            {"rows_key": "_embedded.pipelines", "rows": 3, "total_key": "_total_items", "total": 3},
            id="kommo-pipelines",
        ),
        pytest.param([{}, {}], {"rows_key": "", "rows": 2, "keys": []}, id="bare-array"),
    ],
)
def test_given_a_page_when_its_envelope_is_read_then_rows_and_totals_but_no_values(body, expected):
    info = envelope(body)
    assert {key: info.get(key) for key in expected} == expected
    assert "eyJhbGciOi" not in json.dumps(info)


def test_given_paged_urls_when_keyed_then_one_series_per_url_without_its_page():
    first, page_1 = series_of("https://h/core/v1/contact?Status=ACTIVE&PageNumber=1&PageSize=100")
    second, page_2 = series_of("https://h/core/v1/contact?PageSize=100&PageNumber=2&Status=ACTIVE")
    other, _ = series_of("https://h/core/v1/contact?Status=ARCHIVED&PageSize=100")
    assert first == second != other and (page_1, page_2) == (1, 2)
    assert "ACTIVE" not in first


def test_given_a_stream_past_its_time_budget_when_it_asks_again_then_the_doctor_stops_it_once(tmp_path):
    events = tmp_path / "events.jsonl"
    recorder = Recorder(str(events), stream_seconds=-1)  # any elapsed time is over budget
    for _ in range(2):
        with pytest.raises(DoctorLimitReached, match="leads"):
            recorder.before_request("leads")
    Recorder(str(events), stream_seconds=None).before_request("leads")  # no budget: never stops
    recorder.close()
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [line for line in lines if line["e"] == "limit"] == [
        {"e": "limit", "stream": "leads", "kind": "time"}
    ]
