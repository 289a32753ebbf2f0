"""Custom components for source-kommo: only what the declarative language cannot say."""

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


@dataclass
class KommoWindowFilter(RecordFilter):
    """Keeps the records whose cursor lies inside the slice's window, compared as integers.

    Each window's request asks one second more on both sides (whether Kommo's ``filter[...][from/to]``
    include their bound is unverified), so the edge seconds arrive twice; this drops the copies
    outside the window, as a Jinja ``RecordFilter`` condition would, without rendering a template
    per record (that render was ~10% of the CPU of a sync).
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
        for record in records:
            if low <= (record.get(key) or 0) <= high:
                yield record


@dataclass
class KommoKeysetPagination(PaginationStrategy):
    """Pages through one time window by cursor value instead of page number (leads, contacts, companies).

    Kommo pages by position (``page``/``limit``). When a record on an already-read page is
    updated mid-sync, it leaves the window (its ``updated_at`` becomes "now") and every later row
    moves up one place: page 2 then starts one row late, and that row is never read, not even by
    the next sync, whose state is already past it. For streams ordered by ``updated_at``, the next
    request instead restarts at the last row's second with ``page=1``: it starts at a value, which
    doesn't move. Rows of that second are read again (duplicates, never gaps). When most of the
    page shares that second (a CSV import stamps hundreds of rows alike), restarting would re-read
    them all, so paging goes on by position within it. A row past the window's end (the window is
    requested one second wider) means the window is done.

    The rows are counted and read from the response itself: the record filter may have dropped
    the widened seconds' rows from ``last_record``.

    Token: ``{"from": <first second to read>, "page": <n>}``; the requester sends
    ``filter[updated_at][from]=from-1`` (the window's start when there is no token) and ``page``.
    Example: rows 1..250 end at second 1767312250 -> ``{"from": 1767312250, "page": 1}``.
    """

    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 250
    cursor_field: str = "updated_at"

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
        if not rows:
            # Only a full page leads to a token: an empty answer now may be spurious, ask once more.
            if last_page_token_value and not asked_again:
                return {**token, "again": True}
            return None
        if len(rows) < limit:
            return None
        start = token.get("from")
        if start is None and stream_slice is not None and stream_slice.get("start_time") is not None:
            start = int(stream_slice["start_time"])
        if start is None:
            return {"page": page + 1}
        last = rows[-1].get(self.cursor_field)
        end = stream_slice.get("end_time") if stream_slice is not None else None
        if isinstance(last, int) and end is not None and last > int(end):
            return None
        if isinstance(last, int) and last > start:
            same_second = sum(1 for row in rows if row.get(self.cursor_field) == last)
            if same_second <= limit // 10:
                return {"from": last, "page": 1}
        return {"from": start, "page": page + 1}

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
