"""Custom components for source-kommo: only what the declarative language cannot say."""

import threading
import weakref
from collections.abc import Generator, Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.page_increment import PageIncrement
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.types import Config, Record, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


@dataclass
class KommoJsonDecoder(JsonDecoder):
    """JSON decoder that reads Kommo's HTTP 204 "no content" pages as an empty page, quietly.

    Kommo answers an empty result, and any page past the last one, with ``204 No Content`` and an
    empty body instead of an empty ``_embedded`` list. The stock ``JsonDecoder`` logs an ERROR
    ("Failed to parse JSON data") for every such page before falling back to ``{}``, so a normal
    sync of an account with an empty stream would be full of error lines. This decoder yields the
    same ``{}`` without trying to parse, so the selector finds no records; whether that is the end
    is the paginators' call (a 204 right after a full page is asked for once more).

    Example: ``GET /api/v4/leads?page=4&limit=250`` after 3 pages -> ``HTTP/1.1 204`` with ``b""``.
    """

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters=parameters)

    def decode(self, response: requests.Response) -> Generator[MutableMapping[str, Any], None, None]:
        if response.status_code == 204 or not response.content.strip():
            yield {}
            return
        yield from super().decode(response)


@dataclass
class KommoEmbeddedFlattener(RecordTransformation):
    """Lifts the ``_embedded`` lists Kommo wraps linked data in to top-level fields; drops HAL links.

    Kommo returns tags and linked entities inside ``_embedded`` and a ``_links`` object on the
    record and on each linked item. Users expect ``tags``, ``contacts``, ... as plain fields::

        {"id": 1, "_links": {"self": {...}}, "_embedded": {"tags": [{"id": 5, "name": "hot"}],
         "contacts": [{"id": 9, "is_main": true, "_links": {"self": {...}}}]}}
        -> {"id": 1, "tags": [{"id": 5, "name": "hot"}], "contacts": [{"id": 9, "is_main": true}]}

    AddFields + RemoveFields can say this, but their per-record Jinja and dpath wildcards cost
    ~1.8 ms per lead, more than the API's pace leaves (7 pages of 250 per second: 0.57 ms).
    ``fields`` names the ``_embedded`` keys to lift (missing ones become ``[]``).
    """

    parameters: InitVar[Mapping[str, Any]]
    fields: list[str] = field(default_factory=list)

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        embedded = record.pop("_embedded", None) or {}
        record.pop("_links", None)
        for name in self.fields:
            record[name] = [
                {key: value for key, value in item.items() if key != "_links"}
                if isinstance(item, dict)
                else item
                for item in embedded.get(name) or []
            ]


class _AskedAgain(int):
    """A page number requested a second time, to confirm that its empty answer is the end."""


@dataclass
class KommoPageIncrement(PageIncrement):
    """Pages by number (``page``/``limit``) and never takes one empty answer after a full page as the end.

    Kommo ends paging with ``204 No Content``, but a 204 can also be spurious (a proxy, a hiccup):
    taken at its word in the middle of paging, the rest of the window would be skipped in silence
    while its state still advances. A page past the first is only asked for after a full one, so
    an empty answer there is asked once more (same page) and only a second one ends the window.
    A 204 on a window's first page ends it quietly, as before. A page whose echoed ``_page`` is not
    the page asked for (a server answering every page number with page 1) fails the stream with one
    sentence instead of being read forever.

    Example: page 2 full, page 3 -> 204, page 3 again -> 100 rows: paging goes on at page 4.
    """

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._stream = str(parameters.get("name") or "a stream")

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> Any | None:
        asked = self.start_from_page if last_page_token_value is None else int(last_page_token_value)
        echoed, rows = _read_page(response)
        _check_echoed_page(echoed, asked, self._stream)
        if not rows:
            if asked > self.start_from_page and not isinstance(last_page_token_value, _AskedAgain):
                return _AskedAgain(asked)
            return None
        if self._page_size and len(rows) < int(self._page_size):
            return None
        return asked + 1


# Ids of rows a stretch of pages already emitted while KommoKeysetPagination reads it again, per
# window being read (the slice object itself, so no other read of the same window is affected):
# KommoWindowFilter drops them, so a check that finds nothing changed emits nothing twice.
_REREADING: dict[int, tuple[weakref.ref[StreamSlice], set[Any]]] = {}
_REREADING_LOCK = threading.Lock()


def _emitted_ids(stream_slice: StreamSlice) -> set[Any] | None:
    with _REREADING_LOCK:
        entry = _REREADING.get(id(stream_slice))
    return entry[1] if entry is not None and entry[0]() is stream_slice else None


@dataclass
class KommoWindowFilter(RecordFilter):
    """Keeps the records whose cursor lies inside the slice's window, compared as integers.

    Each window's request asks one second more on both sides (whether Kommo's ``filter[...][from/to]``
    include their bound is unverified), so the edge seconds arrive twice; this drops the copies
    outside the window, as a Jinja ``RecordFilter`` condition would, without rendering a template
    per record (that render was ~10% of the CPU of a sync). While KommoKeysetPagination reads a
    stretch of pages again to check it, rows that stretch already emitted are dropped too.
    Example: window 1767225600..1769903999, a row with ``updated_at`` 1769904000 is dropped.
    """

    cursor_field: str = "updated_at"

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        start = stream_slice.get("start_time") if stream_slice else None
        if start is None:
            yield from records
            return
        low, high, key = int(start), int(stream_slice["end_time"]), self.cursor_field
        emitted = _emitted_ids(stream_slice)
        for record in records:
            if low <= (record.get(key) or 0) <= high and (emitted is None or record.get("id") not in emitted):
                yield record


@dataclass
class _StretchEnd:
    """Where a page leaves a stretch read by position: its token, paging start, number, size, ids."""

    token: Mapping[str, Any]
    start: int | None
    page: int
    limit: int
    ids: list[Any]
    stream_slice: StreamSlice | None


@dataclass
class KommoKeysetPagination(PaginationStrategy):
    """Pages through one time window by cursor value instead of page number (leads, contacts, companies).

    Kommo pages by position (``page``/``limit``). When a record on an already-read page is
    updated mid-sync, it leaves the window (its ``updated_at`` becomes "now") and every later row
    moves up one place: page 2 then starts one row late, and that row is never read, not even by
    the next sync, whose state is already past it. For streams ordered by ``updated_at``, the next
    request instead restarts at the last row's second with ``page=1``: it starts at a value, which
    doesn't move. Rows of that second are read again (duplicates, never gaps). A row past the
    window's end (the window is requested one second wider) means the window is done.

    When most of a page shares its last second (a CSV import stamps hundreds of rows alike),
    restarting there would re-read the whole page forever, so paging goes on by position: a
    *stretch* of pages 1, 2, ... from one ``from``. A stretch can lose rows to the shift above, so
    when one of two pages or more ends, it is read again from its page 1 until two readings in a
    row count the same number of rows before the point where paging moves on. Rows only ever
    leave a past second (an update moves them to "now"), so an unchanged count means no row left
    during the second reading, which therefore missed none. Bursts are requested twice, but a row
    is emitted once: the first reading's ids are kept (token ``seen``, then ``_REREADING``) and
    KommoWindowFilter drops them from the later readings. This assumes, as any paging by position
    does, that Kommo orders rows of one second the same way on every request.

    The rows are counted and read from the response itself: the record filter may have dropped
    the widened seconds' rows from ``last_record``.

    Token: ``{"from": <first second to read>, "page": <n>}``; the requester sends
    ``filter[updated_at][from]=from-1`` (the window's start when there is no token) and ``page``.
    A stretch read by position carries the ids read so far (``"seen"``); one being read again
    carries ``"check": [<boundary second or null>, <rows before it>]`` and ``"passes"``; a page
    asked again after an empty answer adds ``"again"``.
    Example: rows 1..250 end at second 1767312250 -> ``{"from": 1767312250, "page": 1}``.
    """

    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 250
    cursor_field: str = "updated_at"
    max_passes: int = 5

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = str(parameters.get("name") or "a stream")

    @property
    def initial_token(self) -> Any | None:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> Any | None:
        limit = page_size_override or self.page_size
        token = dict(last_page_token_value or {})
        asked_again = token.pop("again", False)
        page = int(token.get("page", 1))
        echoed, rows = _read_page(response)
        _check_echoed_page(echoed, page, self._stream)
        start = token.get("from")
        if start is None and stream_slice is not None and stream_slice.get("start_time") is not None:
            start = int(stream_slice["start_time"])
        ends = _StretchEnd(token, start, page, limit, [row.get("id") for row in rows], stream_slice)
        if not rows:
            # Only a full page leads to a token: an empty answer now may be spurious, ask once more.
            if last_page_token_value and not asked_again:
                return {**token, "again": True}
            return self._stretch_end(ends, None, 0, None)
        if len(rows) < limit:
            return self._stretch_end(ends, None, len(rows), None)
        if start is None:
            return {"page": page + 1}
        key = self.cursor_field
        last = rows[-1].get(key)
        end = stream_slice.get("end_time") if stream_slice is not None else None
        if isinstance(last, int) and end is not None and last > int(end):
            inside = sum(1 for row in rows if (row.get(key) or 0) <= int(end))
            return self._stretch_end(ends, int(end) + 1, inside, None)
        if isinstance(last, int) and last > start:
            same_second = sum(1 for row in rows if row.get(key) == last)
            if same_second <= limit // 10:
                return self._stretch_end(ends, last, limit - same_second, {"from": last, "page": 1})
        following: dict[str, Any] = {"from": start, "page": page + 1}
        if "check" in token:  # reading the stretch again: what it reads is emitted at most once
            following.update(check=token["check"], passes=token.get("passes", 1))
            self._remember(stream_slice, ends.ids)
        else:
            following["seen"] = [*token.get("seen", []), *ends.ids]
        return following

    def _stretch_end(
        self, ends: _StretchEnd, boundary: int | None, before_boundary: int, then: Mapping[str, Any] | None
    ) -> Mapping[str, Any] | None:
        """``then`` once this stretch's reading is known to be complete; else read it again from page 1.

        ``boundary`` is the second paging moves on from (None: the window's end); the rows before
        it, ``(page - 1) * limit + before_boundary``, must equal the previous reading's count.
        """
        token, rereading = ends.token, "check" in ends.token
        if ends.page < 2 or ends.start is None:
            if rereading:
                self._forget(ends.stream_slice)
            return then  # one page is one answer: nothing could shift under it
        check = [boundary, (ends.page - 1) * ends.limit + before_boundary]
        if token.get("check") == check:
            self._forget(ends.stream_slice)
            return then
        passes = int(token.get("passes", 0)) + 1
        if passes > self.max_passes:
            self._forget(ends.stream_slice)
            raise AirbyteTracedException(
                message=(
                    f"Kommo's {self._stream} kept changing while {check[1]} rows sharing their update "
                    f"seconds were read by position ({self.max_passes} readings); the sync stopped rather "
                    "than risk missing rows, and the next attempt resumes from the last saved window."
                ),
                failure_type=FailureType.transient_error,
            )
        self._remember(ends.stream_slice, ends.ids if rereading else [*token.get("seen", []), *ends.ids])
        return {"from": ends.start, "page": 1, "check": check, "passes": passes}

    @staticmethod
    def _remember(stream_slice: StreamSlice | None, ids: list[Any]) -> None:
        if stream_slice is None:
            return
        with _REREADING_LOCK:
            for key in [k for k, (ref, _) in _REREADING.items() if ref() is None]:
                del _REREADING[key]  # windows whose reading ended without a verdict (a failed read)
            entry = _REREADING.get(id(stream_slice))
            if entry is None or entry[0]() is not stream_slice:
                entry = _REREADING[id(stream_slice)] = (weakref.ref(stream_slice), set())
            entry[1].update(ids)

    @staticmethod
    def _forget(stream_slice: StreamSlice | None) -> None:
        if stream_slice is not None:
            with _REREADING_LOCK:
                _REREADING.pop(id(stream_slice), None)

    def get_page_size(self) -> int | None:
        return self.page_size


def _read_page(response: requests.Response) -> tuple[Any, list[Any]]:
    """A Kommo page's echoed ``_page`` and rows (``_embedded.<name>``, before any filtering).

    ``(None, [])`` for a 204. Parsed with orjson: the stdlib parser cost ~6% of a sync's CPU here.
    """
    if response.status_code == 204 or not response.content.strip():
        return None, []
    body = orjson.loads(response.content)
    if not isinstance(body, dict):
        return None, []
    embedded = body.get("_embedded")
    lists = [value for value in (embedded or {}).values() if isinstance(value, list)]
    return body.get("_page"), lists[0] if lists else []


def _check_echoed_page(echoed: Any, asked: int, stream: str) -> None:
    """Fails when Kommo's envelope names another page than the one asked for.

    Kommo echoes the requested page number in ``_page``. A server (or cache in between) that
    answers every page number with page 1 would otherwise be paged forever, since its pages are
    always full; the stream fails with one sentence instead.
    """
    if isinstance(echoed, int) and not isinstance(echoed, bool) and echoed != asked:
        raise AirbyteTracedException(
            message=(
                f"Kommo answered page {asked} of {stream} with page {echoed}: the server repeats pages, "
                "so paging stopped rather than reading the same records forever."
            ),
            failure_type=FailureType.system_error,
        )


@dataclass
class KommoErrorHandler(DefaultErrorHandler):
    """Retries a 200 whose body is empty or not a whole JSON object, like a 5xx.

    Kommo's empty answer is ``204 No Content`` (the end of the data, see ``KommoJsonDecoder``);
    a ``200`` always carries an object (``{"_page": 2, "_links": {...}, "_embedded": {...}}``).
    A 200 with an empty body, or one cut off or mangled on the way (``{"_page":2,"_embedded":
    {"leads":[{"id":1,"na``), would otherwise decode as ``{}`` (the stock decoder's fallback),
    read as an empty page and end the window early: the rest of it silently skipped while its
    state still advances. Only the body's first and last bytes are looked at, so a page of 250
    leads costs no second parse. Every other response goes through the manifest's rules.
    """

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._stream = str(parameters.get("name") or "a stream")

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None
    ) -> ErrorResolution:
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 200:
            body = response_or_exception.content.strip()
            if body[:1] != b"{" or body[-1:] != b"}":
                return ErrorResolution(
                    response_action=ResponseAction.RETRY,
                    failure_type=FailureType.transient_error,
                    error_message=f"Kommo answered {self._stream} with an empty or unreadable body; retrying.",
                )
        return super().interpret_response(response_or_exception)


@dataclass
class StartDateValidation(ValidationStrategy):
    """``start_date`` must be a real calendar day that is not in the future.

    The spec's ``pattern`` checks only the shape, so ``2024-13-45`` or ``2024-02-30`` pass it and
    surface later as a failed sync; a day in the future passes everything and every incremental
    stream then silently reads nothing. Both fail ``check`` here with one sentence instead.
    Example: ``{"start_date": "2999-01-01"}`` -> "The start date 2999-01-01 is in the future ...".
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or value == "":
            return
        try:
            day = datetime.strptime(str(value)[:10], "%Y-%m-%d").date()
        except ValueError:
            raise AirbyteTracedException(
                message=f"The start date {value} is not a calendar date: use YYYY-MM-DD, e.g. 2024-01-31.",
                failure_type=FailureType.config_error,
            ) from None
        if day > datetime.now(UTC).date():
            raise AirbyteTracedException(
                message=f"The start date {value} is in the future: nothing would be read; use today or an earlier day.",
                failure_type=FailureType.config_error,
            )
