"""doctor.completeness: pages and emitted records against the totals the API reports."""

from __future__ import annotations

import pytest

from doctor.completeness import analyse, is_problem


def page(series, number, rows, total, size=100, own=True, status=200, **extra):
    envelope = {"rows": rows, "total": total, "page": number, "size": size, **extra}
    return {"e": "http", "stream": "s", "own": own, "series": series, "status": status, "envelope": envelope}


@pytest.mark.parametrize(
    ("events", "emitted", "limit", "verdict"),
    [
        pytest.param([page("a", 1, 100, 150), page("a", 2, 50, 150)], 150, None, "ok", id="two-full-pages"),
        pytest.param(
            [page("a", 1, 100, 150), page("a", 2, 49, 150)],
            149,
            None,
            "pages hold a different number of rows than the total promises",
            id="short-last-page",
        ),
        pytest.param(
            [page("a", 1, 99, 150)],
            99,
            None,
            "paging stopped before the API's last page",
            id="connector-stopped-early",
        ),
        pytest.param(
            [page("a", 1, 100, 150)],
            100,
            1,
            "bounded read: pages checked, totals not compared",
            id="page-limit",
        ),
        pytest.param(
            [page("a", 1, 100, 150), page("a", 2, 50, 150)],
            140,
            None,
            "fewer records emitted than the pages held",
            id="connector-dropped-rows",
        ),
        pytest.param(
            [page("a", 1, 3, 3, size=None)],
            18,
            None,
            "records are built from rows nested in the pages; totals not compared",
            id="nested-rows",
        ),
        pytest.param(
            [page("a", 1, None, 7, pages=1)],
            1,
            None,
            "every page read; the totals count something other than the page's rows",
            id="encrypted-page",
        ),
        pytest.param(
            [page("a", 1, 100, 150, own=False)],
            0,
            None,
            "no totals reported by the API",
            id="parent-pages-ignored",
        ),
    ],
)
def test_given_pages_when_analysed_then_verdict(events, emitted, limit, verdict):
    result = analyse(events, emitted, limit, stopped=False)
    assert result["verdict"] == verdict
    assert is_problem(result) == (
        verdict
        in {
            "pages hold a different number of rows than the total promises",
            "paging stopped before the API's last page",
            "fewer records emitted than the pages held",
        }
    )


def test_given_same_page_read_twice_when_analysed_then_counted_once():
    events = [page("a", 1, 100, 150), page("a", 1, 100, 150), page("a", 2, 50, 150)]
    result = analyse(events, 150, None, stopped=False)
    assert (result["verdict"], result["rows_in_pages"], result["reported"]) == ("ok", 150, 150)


def test_given_two_series_when_analysed_then_totals_add_up_per_series():
    events = [page("a", 1, 10, 10), page("b", 1, 5, 5)]
    assert analyse(events, 15, None, stopped=False)["reported"] == 15
