"""Inside the connector's process: the real entry point, plus hooks that observe its HTTP traffic.

``python -m doctor.probe read --config … --catalog … --manifest-path … --components-path …``
is ``source-declarative-manifest`` (the same ``run()`` its console script and the image call),
after three hooks are installed on the pinned CDK:

- ``HttpClient._send`` (one call per attempt, retries included): the stream name the requester
  carries, the status, and the envelope of the answer (top-level keys, the row list's length,
  the totals the API reports) go to the events file, never a body. It also enforces the
  per-stream time limit by failing the stream's next request with :class:`DoctorLimitReached`.
- ``PartitionReader.process_partition``: which stream's partition a thread is reading, so a
  parent's pages read again to slice a substream are not counted twice as the parent's rows.
- ``ConcurrentCursor.observe``: a record whose cursor value none of the stream's formats parses
  (the connector logs it once and ignores the value) is counted with the value's shape.

The page limit is the CDK's own: ``ModelToComponentFactory(limit_pages_fetched_per_slice=N)``,
the limit the Connector Builder's test reads use, with its counter kept per thread (see
``_per_thread_page_limit``). The connector, its config and its requests are
unchanged. Events are JSON lines in the file named by ``DOCTOR_EVENTS``.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from doctor.shapes import leaves, shape

# Query parameters that move through a series' pages; everything else names the series.
PAGING_PARAMETERS = {"page", "pagenumber", "skip", "offset", "_page"}
# Envelope keys that carry the API's own totals or paging position.
TOTAL_KEYS = ("totalItems", "total", "_total_items", "totalCount", "total_count", "count")
PAGE_NUMBER_KEYS = ("pageNumber", "page", "_page")
PAGE_SIZE_KEYS = ("pageSize", "limit", "per_page")
PAGES_KEYS = ("totalPages", "pages")
MORE_KEYS = ("hasMorePages", "has_more")
MIN_SEEN_LENGTH = 6


class DoctorLimitReached(Exception):
    """Raised in a stream's request once the stream has used its time budget."""


def _first(body: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in body and isinstance(body[key], (int, float, bool)):
            return key, body[key]
    return None, None


def rows_of(body: Any) -> tuple[str | None, list[Any] | None]:
    """The list a page's rows sit in: the body itself, a top-level list, or ``_embedded.<name>``."""
    if isinstance(body, list):
        return "", body
    if not isinstance(body, dict):
        return None, None
    for key, value in body.items():
        if isinstance(value, list):
            return key, value
    embedded = body.get("_embedded")
    if isinstance(embedded, dict):
        for key, value in embedded.items():
            if isinstance(value, list):
                return f"_embedded.{key}", value
    return None, None


def envelope(body: Any) -> dict[str, Any]:
    """What a page says about itself: its keys, where its rows are, how many, and its totals."""
    info: dict[str, Any] = {"body": "array" if isinstance(body, list) else type(body).__name__}
    rows_key, rows = rows_of(body)
    info["rows_key"] = rows_key
    info["rows"] = None if rows is None else len(rows)
    if isinstance(body, dict):
        info["keys"] = sorted(body)
        if isinstance(body.get("_embedded"), dict):
            info["keys"] += sorted(f"_embedded.{key}" for key in body["_embedded"])
        info["total_key"], info["total"] = _first(body, TOTAL_KEYS)
        _, info["page"] = _first(body, PAGE_NUMBER_KEYS)
        _, info["size"] = _first(body, PAGE_SIZE_KEYS)
        _, info["pages"] = _first(body, PAGES_KEYS)
        _, info["more"] = _first(body, MORE_KEYS)
    else:
        info["keys"] = []
    return info


def series_of(url: str) -> tuple[str, int | None]:
    """A hash naming the request series (URL minus its paging parameters) and the page asked for."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    page = None
    kept = []
    for key, value in query:
        if key.lower() in PAGING_PARAMETERS:
            page = int(value) if value.isdigit() else page
        else:
            kept.append((key, value))
    name = parts.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(kept))
    return hashlib.sha256(name.encode()).hexdigest()[:16], page


class Recorder:
    """Writes one JSON line per observation; keeps the values it saw for the leak scan."""

    def __init__(self, path: str, stream_seconds: float | None) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed at exit
        self._lock = threading.Lock()
        self._stream_seconds = stream_seconds
        self._started: dict[str, float] = {}
        self._limited: set[str] = set()
        self._seen: set[str] = set()
        self.local = threading.local()

    def emit(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def see(self, body: Any) -> None:
        values = {v for v in leaves(body) if len(v) >= MIN_SEEN_LENGTH}
        with self._lock:
            self._seen |= values

    def before_request(self, stream: str) -> None:
        now = time.monotonic()
        with self._lock:
            started = self._started.setdefault(stream, now)
            over = self._stream_seconds is not None and now - started > self._stream_seconds
            first = over and stream not in self._limited
            if over:
                self._limited.add(stream)
        if first:
            self.emit({"e": "limit", "stream": stream, "kind": "time"})
        if over:
            raise DoctorLimitReached(f"doctor: the {stream} stream reached its time limit")

    def close(self) -> None:
        with self._lock:
            seen, self._seen = sorted(self._seen), set()
        self.emit({"e": "seen", "values": seen})
        with self._lock:
            self._file.close()


def _per_thread_page_limit() -> type:
    from airbyte_cdk.sources.declarative.requesters.paginators import PaginatorTestReadDecorator

    class PerThreadPageLimit(PaginatorTestReadDecorator):  # type: ignore[misc]
        """The CDK's page limit, counted per thread: one paginator serves every partition of a
        stream, and the concurrent reader reads partitions in parallel threads (each partition
        wholly in one), so the CDK's single counter would let partitions cut each other short."""

        def __init__(self, decorated: Any, maximum_number_of_pages: int = 5) -> None:
            self._local = threading.local()
            super().__init__(decorated, maximum_number_of_pages)

        @property
        def _page_count(self) -> int:
            return getattr(self._local, "count", self._PAGE_COUNT_BEFORE_FIRST_NEXT_CALL)

        @_page_count.setter
        def _page_count(self, value: int) -> None:
            self._local.count = value

    return PerThreadPageLimit


def install(recorder: Recorder, pages_per_slice: int | None) -> None:
    """Patch the CDK in this process only; the connector's code and config are untouched."""
    from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import (
        ModelToComponentFactory,
    )
    from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
    from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader
    from airbyte_cdk.sources.streams.http.http_client import HttpClient

    if pages_per_slice:
        from airbyte_cdk.sources.declarative.parsers import model_to_component_factory

        model_to_component_factory.PaginatorTestReadDecorator = _per_thread_page_limit()
        factory_init = ModelToComponentFactory.__init__

        def limited_init(self: Any, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("limit_pages_fetched_per_slice") is None:  # the source passes None explicitly
                kwargs["limit_pages_fetched_per_slice"] = pages_per_slice
            factory_init(self, *args, **kwargs)

        ModelToComponentFactory.__init__ = limited_init  # type: ignore[method-assign]

    send = HttpClient._send

    def observed_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        stream = self._name
        recorder.before_request(stream)
        attempt = self._request_attempt_count.get(request, 0) + 1
        reading = getattr(recorder.local, "stream", None)
        response, error = None, None
        try:
            response = send(self, request, *args, **kwargs)
            return response
        except Exception as exc:
            error = exc
            response = getattr(exc, "response", None)
            raise
        finally:
            series, page = series_of(request.url or "")
            event: dict[str, Any] = {
                "e": "http",
                "stream": stream,
                "own": reading == stream,
                "attempt": attempt,
                "series": series,
                "asked_page": page,
                "status": getattr(response, "status_code", None),
                "error": None if error is None or response is not None else type(error).__name__,
            }
            if response is not None and getattr(response, "status_code", 0) < 300:
                try:
                    body = response.json() if response.content else None
                except ValueError:
                    body = None
                if body is not None:
                    recorder.see(body)
                    event["envelope"] = envelope(body)
            recorder.emit(event)

    HttpClient._send = observed_send  # type: ignore[method-assign]

    process_partition = PartitionReader.process_partition

    def tracked_partition(self: Any, partition: Any, *args: Any, **kwargs: Any) -> Any:
        recorder.local.stream = partition.stream_name()
        try:
            return process_partition(self, partition, *args, **kwargs)
        finally:
            recorder.local.stream = None

    PartitionReader.process_partition = tracked_partition  # type: ignore[method-assign]

    observe = ConcurrentCursor.observe
    extract = ConcurrentCursor._extract_cursor_value

    def observing(self: Any, record: Any) -> None:
        recorder.local.observing = True
        try:
            observe(self, record)
        finally:
            recorder.local.observing = False

    def checked_extract(self: Any, record: Any) -> Any:
        try:
            return extract(self, record)
        except ValueError:
            if getattr(recorder.local, "observing", False):
                raw = self._cursor_field.extract_value(record)
                recorder.emit({"e": "cursor_unparsed", "stream": self._stream_name, "shape": shape(raw)})
            raise

    ConcurrentCursor.observe = observing  # type: ignore[method-assign]
    ConcurrentCursor._extract_cursor_value = checked_extract  # type: ignore[method-assign]


def main() -> None:
    recorder = Recorder(
        os.environ["DOCTOR_EVENTS"], float(os.environ.get("DOCTOR_STREAM_SECONDS") or 0) or None
    )
    atexit.register(recorder.close)
    install(recorder, int(os.environ.get("DOCTOR_PAGES_PER_SLICE") or 0) or None)

    from airbyte_cdk.cli.source_declarative_manifest import run

    run()


if __name__ == "__main__":
    main()
