"""Completeness: do the rows add up to the totals the API reports for the same requests?

Each request series (one URL with only its page moving) that carries a total — HelenaCRM's
``totalItems``, Conversas' ``total``/``pages``, Kommo's ``_total_items`` — is checked twice: each
page holds the rows its position promises (``min(size, total - (page - 1) * size)``), and a series
read to its end gives the stream that many records. Only the stream's own reads count: a parent's
pages read again to slice a substream are the parent's traffic, not more parent rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Series:
    pages: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def total(self) -> int | None:
        totals = [p["total"] for p in self.pages.values() if p.get("total") is not None]
        return int(totals[-1]) if totals else None

    @property
    def countable(self) -> bool:
        return all(p.get("rows") is not None for p in self.pages.values())

    def complete(self) -> bool:
        """Whether the last page the API has was read."""
        last = self.pages[max(self.pages)]
        number = max(self.pages)
        if last.get("more") is False:
            return True
        if last.get("pages") is not None:
            return number >= int(last["pages"])
        size, total = last.get("size"), last.get("total")
        if size and total is not None:
            return number * int(size) >= int(total)
        if last.get("more") is None and len(self.pages) == 1 and total is not None:
            return (last.get("rows") or 0) >= int(total)  # one page, no paging keys
        return False

    def short_pages(self) -> int:
        """Pages whose row count is not what the total and the page's position promise."""
        bad = 0
        for number, page in self.pages.items():
            total, rows, size = page.get("total"), page.get("rows"), page.get("size")
            if total is None or rows is None:
                continue
            if size:
                expected = max(0, min(int(size), int(total) - (number - 1) * int(size)))
            elif len(self.pages) == 1 and number == 1:
                expected = int(total)
            else:
                continue
            if rows != expected:
                bad += 1
        return bad


def http_summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Statuses, retries, 429s and envelope keys over every request a stream made."""
    statuses: Counter[str] = Counter()
    keys: set[str] = set()
    rows_keys: set[str] = set()
    total_keys: set[str] = set()
    retries = 0
    for event in events:
        status = event.get("status")
        statuses[str(status) if status is not None else f"no response ({event.get('error')})"] += 1
        if event.get("attempt", 1) > 1:
            retries += 1
        envelope = event.get("envelope") or {}
        keys.update(envelope.get("keys") or [])
        if envelope.get("rows_key") is not None:
            rows_keys.add(envelope["rows_key"] or "(the body is the list)")
        if envelope.get("total_key"):
            total_keys.add(envelope["total_key"])
    return {
        "requests": len(events),
        "statuses": dict(sorted(statuses.items())),
        "retries": retries,
        "http_429": statuses.get("429", 0),
        "envelope_keys": sorted(keys),
        "rows_keys": sorted(rows_keys),
        "total_keys": sorted(total_keys),
    }


def analyse(
    events: list[dict[str, Any]], emitted: int, page_limit: int | None, stopped: bool
) -> dict[str, Any]:
    """The completeness verdict of one stream from its own page events and its record count."""
    series: dict[str, Series] = {}
    for event in events:
        envelope = event.get("envelope")
        if not event.get("own") or not envelope or not (200 <= (event.get("status") or 0) < 300):
            continue
        number = envelope.get("page") or event.get("asked_page") or 1
        series.setdefault(event["series"], Series()).pages[int(number)] = envelope
    with_totals = [s for s in series.values() if s.total is not None]
    result: dict[str, Any] = {
        "emitted": emitted,
        "series": len(series),
        "series_with_totals": len(with_totals),
        "pages_with_totals": sum(len(s.pages) for s in with_totals),
        "pages_not_adding_up": sum(s.short_pages() for s in with_totals),
        "reported": None,
        "rows_in_pages": None,
        "series_stopped_early": 0,
        "series_at_page_limit": 0,
    }
    if not with_totals:
        result["verdict"] = "no totals reported by the API"
        return result
    for s in with_totals:
        if not s.complete():
            if stopped or (page_limit and len(s.pages) >= page_limit):
                result["series_at_page_limit"] += 1
            else:
                result["series_stopped_early"] += 1
    countable = all(s.countable for s in with_totals) and len(with_totals) == len(series)
    bounded = bool(result["series_at_page_limit"] or stopped)
    if countable:
        result["reported"] = sum(s.total or 0 for s in with_totals)
        result["rows_in_pages"] = sum(p["rows"] for s in with_totals for p in s.pages.values())
    if result["series_stopped_early"]:
        result["verdict"] = "paging stopped before the API's last page"
    elif result["pages_not_adding_up"]:
        result["verdict"] = "pages hold a different number of rows than the total promises"
    elif bounded:
        result["verdict"] = "bounded read: pages checked, totals not compared"
    elif not countable:
        result["verdict"] = "every page read; the totals count something other than the page's rows"
    elif result["rows_in_pages"] != result["reported"]:
        result["verdict"] = "pages hold a different number of rows than the total promises"
    elif emitted < result["rows_in_pages"]:
        result["verdict"] = "fewer records emitted than the pages held"
    elif emitted > result["rows_in_pages"]:
        result["verdict"] = "records are built from rows nested in the pages; totals not compared"
    else:
        result["verdict"] = "ok"
    return result


PROBLEM_VERDICTS = {
    "paging stopped before the API's last page",
    "pages hold a different number of rows than the total promises",
    "fewer records emitted than the pages held",
}


def is_problem(result: dict[str, Any]) -> bool:
    return result.get("verdict") in PROBLEM_VERDICTS
