"""Custom components for source-kommo: only what the declarative language cannot say."""

import hashlib
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson
import requests
from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, FailureType, Level, Type
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.interpolation import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.page_increment import PageIncrement
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.streams.http.request_window_split_exception import (
    RequestWindowSplitRequiredException,
)
from airbyte_cdk.sources.types import Config, Record, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

# --- progress of long reads ---------------------------------------------------------------------

_PROGRESS_LOGGER = logging.getLogger("airbyte")


@dataclass
class ProgressLog(RecordTransformation):
    """Logs each stream's record count so far at most every ``interval_seconds``, at INFO.

    ``source-declarative-manifest read`` (the image's entry point) logs a stream's start and its
    end ("Read 170000 records from leads stream") and nothing between, so a long read looks hung;
    the platform's UI shows running counts, a CLI or container log doesn't. The CDK has no
    periodic progress log and a manifest reaches records only through components, so every
    stream's ``transformations`` end with this one (transformations run after the record filter,
    in the worker threads: one instance per stream, shared by its partitions, hence the lock)::

        leads: 12,500 records so far

    The first line comes one interval after the stream's first record, so a read shorter than
    the interval logs nothing new. Only the stream's name and a count are logged, never a value.
    A stream read as another's parent (``$parameters: {read_as_parent: true}`` on the
    ParentStreamConfig) stays quiet: its records are not the sync's, and the stream's own read
    keeps its own count. ``interval_seconds`` <= 0 turns the lines off. ``clock`` is the tests'
    injection point (a simulated clock instead of wall-clock timing).

    The same class is in each connector's components.py: the manifest-only runtime loads each
    file on its own, so connectors cannot share Python code.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config
    interval_seconds: float | str = 30
    clock: ClassVar[Callable[[], float]] = time.monotonic

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        interval = InterpolatedString.create(str(self.interval_seconds), parameters=parameters)
        self._interval = float(interval.eval(self.config) or 0)
        self._stream = str(parameters.get("name") or "")
        self._quiet = self._interval <= 0 or bool(parameters.get("read_as_parent"))
        self._lock = threading.Lock()
        self._count = 0
        self._due: float | None = None

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        if self._quiet:
            return
        with self._lock:
            self._count += 1
            now = self.clock()
            if self._due is None:
                self._due = now + self._interval
                return
            if now < self._due:
                return
            self._due = now + self._interval
            # Under the lock, so the lines of one stream come in order (one line an interval).
            _PROGRESS_LOGGER.info("%s: %s records so far", self._stream, f"{self._count:,}")


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

    It is also the one place that undoes PHP's serialisation of an empty object as ``[]``: each
    field named in ``objects`` (object-typed in the schema: ``tasks.result`` of an open task,
    ``notes.params`` of chat and mail notes, ...) that arrives as ``[]`` becomes ``{}``, so a typed
    destination keeps it instead of nulling it with an error. ``"result": []`` -> ``"result": {}``.
    """

    parameters: InitVar[Mapping[str, Any]]
    fields: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)

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
            if isinstance(embedded.get(name), dict):  # an embedded object (account's datetime_settings)
                record[name] = embedded[name]
                continue
            record[name] = [
                {key: value for key, value in item.items() if key != "_links"}
                if isinstance(item, dict)
                else item
                for item in embedded.get(name) or []
            ]
        for name in self.objects:
            if record.get(name) == []:
                record[name] = {}


class _AskedAgain(int):
    """A page number requested a second time, to confirm that its empty answer is the end."""


@dataclass
class KommoPageIncrement(PageIncrement):
    """Pages by number (``page``/``limit``) and never takes one empty answer after a full page as the end.

    Kommo ends paging with ``204 No Content``, but a 204 after a full page is not proof of the end:
    the production amoCRM log shows windows ending on a 204 right after 19 full pages of leads and
    18 of contacts (round totals), and asking the same page again doesn't help when the server
    stops at a fixed depth. Taken at its word, the rest of the window would be skipped in silence
    while its state still advances. So in a time window (tasks, events) such a 204 splits the
    window in two (the stream's ``request_window_splitting``), each half read from its page 1, until
    every part ends on a short page. The rows read before the split are read again but not emitted
    again (``_SPLITS``: the ids of up to ``_SPLIT_MEMORY`` rows per window being read).
    A 204 at a page number the server has already answered with rows in this sync is the real
    end (a depth limit would have stopped that page too), so splits happen only past the deepest
    page seen. Lists without a window (custom fields, tags, users) ask that page once more instead.
    A 204 on a window's first page ends it quietly. A page whose echoed ``_page`` is not the page
    asked for (a server answering every page number with page 1) fails the stream with one
    sentence instead of being read forever.

    Example: tasks window 1767225600..1772323199, page 19 full, page 20 -> 204: the window is read
    again as 1767225600..1769774399 and 1769774400..1772323199.
    """

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._stream = str(parameters.get("name") or "a stream")
        self._served = _ServedDepth()
        _window_split_notice_filter().streams.add(self._stream)

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
        self._served.saw(asked, bool(rows))
        windowed = stream_slice is not None and stream_slice.get("start_time") is not None
        if windowed and rows:
            _SPLITS.read(self._stream, stream_slice, [row.get("id") for row in rows])
        if not rows:
            if asked > self.start_from_page and windowed and not self._served.reached(asked):
                _SPLITS.split(self._stream, stream_slice)
                raise RequestWindowSplitRequiredException(
                    stream_name=self._stream,
                    error_message=f"Kommo answered page {asked} with 204 after a full page, which is not proof of the end",
                    failure_type=FailureType.transient_error,
                )
            if asked > self.start_from_page and not isinstance(last_page_token_value, _AskedAgain):
                return _AskedAgain(asked)
            return None
        if self._page_size and len(rows) < int(self._page_size):
            return None
        return asked + 1


_FACTORY_LOGGER = "airbyte.model_to_component_factory"


class _WindowSplitTriggerNotice(logging.Filter):
    """Drops the CDK's build-time WARN that a stream's ``request_window_splitting`` has no trigger,
    for the streams whose trigger is KommoPageIncrement.

    The CDK (7.39.1, ``_create_request_window_splitting``) looks for a ``SPLIT_REQUEST_WINDOW``
    response filter on the stream's error handler; it can't look inside a custom paginator, so on
    every spec/check/discover/read it logs "Stream tasks defines `request_window_splitting` but no
    response filter with the SPLIT_REQUEST_WINDOW action was found on its requester ..." for tasks,
    events and deleted_entities. Their splits come from KommoPageIncrement raising
    ``RequestWindowSplitRequiredException`` (the CDK's documented path for custom code): a 204
    after a full page can't be judged from the response alone (it depends on the pages already
    read), so no response filter could say it. The warning is therefore false on a healthy run.
    A stream that defines the block without KommoPageIncrement still gets the warning.
    ``streams``: the streams whose KommoPageIncrement the CDK has built (filled as it builds them).
    """

    def __init__(self) -> None:
        super().__init__()
        self.streams: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "defines `request_window_splitting` but no response filter" not in message:
            return True
        return not any(message.startswith(f"Stream {name} defines ") for name in self.streams)


def _window_split_notice_filter() -> _WindowSplitTriggerNotice:
    """The one filter on the CDK factory's logger, shared by every copy of this module that the
    process loads (the CDK, the Builder and tests each may load components.py again)."""
    logger = logging.getLogger(_FACTORY_LOGGER)
    for installed in logger.filters:
        if type(installed).__name__ == _WindowSplitTriggerNotice.__name__:
            return installed  # type: ignore[return-value]
    notice = _WindowSplitTriggerNotice()
    logger.addFilter(notice)
    return notice


_window_split_notice_filter()


_SPLIT_MEMORY = (
    20_000  # ids remembered per window being read (20 MB at most; a split past it may repeat rows)
)


class _SplitWindows:
    """The ids a windowed, number-paged stream read in each window, so a window split after a 204
    doesn't emit again what the window had already emitted (see KommoPageIncrement).

    Ids are kept per window being read, up to ``_SPLIT_MEMORY`` each, and dropped with the window's
    slice; a split window's ids stay while the CDK reads its halves (it holds the split slice
    until then), and the record filter drops rows of a half whose id the split window emitted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reading: dict[int, tuple[weakref.ref[StreamSlice], set[Any] | None]] = {}
        # (the split window's slice, stream, partition, start, end, ids): an entry lives as long as
        # the split window's slice, which the CDK holds while it reads the halves
        self._split: list[tuple[weakref.ref[StreamSlice], str, Any, int, int, set[Any]]] = []

    def read(self, stream: str, stream_slice: StreamSlice, ids: list[Any]) -> None:
        with self._lock:
            for key in [k for k, (ref, _) in self._reading.items() if ref() is None]:
                del self._reading[key]
            entry = self._reading.get(id(stream_slice))
            if entry is None or entry[0]() is not stream_slice:
                entry = self._reading[id(stream_slice)] = (weakref.ref(stream_slice), set())
            seen = entry[1]
            if seen is not None:
                seen.update(ids)
                if len(seen) > _SPLIT_MEMORY:
                    self._reading[id(stream_slice)] = (entry[0], None)

    def split(self, stream: str, stream_slice: StreamSlice) -> None:
        with self._lock:
            entry = self._reading.pop(id(stream_slice), None)
            if entry is None or entry[0]() is not stream_slice or entry[1] is None:
                return
            start, end = int(stream_slice["start_time"]), int(stream_slice["end_time"])
            self._split = [e for e in self._split if e[0]() is not None]
            self._split.insert(0, (entry[0], stream, _partition_key(stream_slice), start, end, entry[1]))

    def emitted(self, stream: str, stream_slice: StreamSlice) -> set[Any]:
        """Ids already emitted by split windows that contain this one."""
        start, end = int(stream_slice["start_time"]), int(stream_slice["end_time"])
        partition = _partition_key(stream_slice)
        with self._lock:
            found = [
                ids
                for ref, s, p, lo, hi, ids in self._split
                if ref() is not None and s == stream and p == partition and lo <= start and end <= hi
            ]
        return set().union(*found) if found else set()


def _partition_key(stream_slice: StreamSlice) -> Any:
    partition = getattr(stream_slice, "partition", None) or {}
    return tuple(sorted((str(k), str(v)) for k, v in partition.items()))


_SPLITS = _SplitWindows()


class _ServedDepth:
    """The deepest page number the server has answered with rows in this sync (thread-safe)."""

    def __init__(self) -> None:
        self._deepest = 0
        self._lock = threading.Lock()

    def saw(self, page: int, with_rows: bool) -> None:
        if with_rows:
            with self._lock:
                self._deepest = max(self._deepest, page)

    def reached(self, page: int) -> bool:
        """Whether a page this deep was answered with rows before: a 204 there is the real end."""
        return self._deepest >= page


# Ids of rows a stretch of pages already emitted while KommoKeysetPagination reads it again, per
# window being read (the slice object itself, so no other read of the same window is affected):
# KommoWindowFilter drops them, so a check that finds nothing changed emits nothing twice.
_REREADING: dict[int, tuple[weakref.ref[StreamSlice], set[Any]]] = {}
_REREADING_LOCK = threading.Lock()


# The keyset token the next request of each window being read uses: the CDK hands the record
# filter no paging token, so KommoKeysetPagination publishes it here for KommoWindowFilter.
_NEXT_REQUEST: dict[int, tuple[weakref.ref[StreamSlice], Mapping[str, Any]]] = {}


def _publish(stream_slice: StreamSlice | None, token: Mapping[str, Any] | None) -> None:
    if stream_slice is None:
        return
    with _REREADING_LOCK:
        for key in [k for k, (ref, _) in _NEXT_REQUEST.items() if ref() is None]:
            del _NEXT_REQUEST[key]
        if token is None:
            _NEXT_REQUEST.pop(id(stream_slice), None)
        else:
            _NEXT_REQUEST[id(stream_slice)] = (weakref.ref(stream_slice), token)


def _published(stream_slice: StreamSlice) -> Mapping[str, Any]:
    with _REREADING_LOCK:
        entry = _NEXT_REQUEST.get(id(stream_slice))
    return entry[1] if entry is not None and entry[0]() is stream_slice else {}


def _emitted_ids(stream_slice: StreamSlice) -> set[Any] | None:
    with _REREADING_LOCK:
        entry = _REREADING.get(id(stream_slice))
    return entry[1] if entry is not None and entry[0]() is stream_slice else None


@dataclass
class KommoWindowFilter(RecordFilter):
    """Keeps the records whose cursor lies inside the slice's window, each once, and checks the server filtered.

    Each window's request asks one second more on both sides (whether Kommo's ``filter[...][from/to]``
    include their bound is unverified), so the edge seconds arrive twice; this drops the copies
    outside the window, as a Jinja ``RecordFilter`` condition would, without rendering a template
    per record (that render was ~10% of the CPU of a sync). When KommoKeysetPagination restarts at
    a second (token ``from``), rows before it and the rows of that second it already emitted
    (token ``skip``) are dropped too, as are rows a stretch read again had already emitted.

    amoCRM's filter docs call filtering an alpha feature on some accounts. A row whose cursor lies
    outside the range the request asked for (``from - 1`` .. ``end + 1``) means the server ignored
    the filter, and then no window can be trusted: the stream fails with one sentence.
    Example: window 1767225600..1769903999, a row with ``updated_at`` 1769904000 is dropped; one
    with ``updated_at`` 1700000000 fails the stream.
    """

    cursor_field: str = "updated_at"
    id_field: str = "id"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._stream = str(parameters.get("name") or "a stream")

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
        token = (next_page_token or {}).get("next_page_token") or _published(stream_slice)
        low, high, key, id_key = int(start), int(stream_slice["end_time"]), self.cursor_field, self.id_field
        since = int(token.get("from", low)) if isinstance(token, Mapping) else low
        skip = set(token.get("skip") or ()) if isinstance(token, Mapping) else set()
        emitted = _emitted_ids(stream_slice)
        before_split = _SPLITS.emitted(self._stream, stream_slice)
        for record in records:
            value = record.get(key)
            if isinstance(value, int) and not since - 1 <= value <= high + 1:
                raise AirbyteTracedException(
                    message=(
                        f"Kommo returned a {self._stream} row with {key} {value}, outside the requested range "
                        f"{since - 1}..{high + 1}: the account ignores filter[{key}], so the sync stopped "
                        "rather than trust its windows."
                    ),
                    failure_type=FailureType.system_error,
                )
            value = value or 0
            if value < max(low, since) or value > high:
                continue
            row_id = record.get(id_key)
            if (value == since and row_id in skip) or (emitted is not None and row_id in emitted):
                continue
            if before_split and row_id in before_split:
                continue
            yield record


@dataclass
class KommoKeysetPagination(PaginationStrategy):
    """Pages through one time window by cursor value instead of page number (leads, contacts, companies, notes).

    Kommo pages by position (``page``/``limit``). When a record on an already-read page is
    updated mid-sync, it leaves the window (its ``updated_at`` becomes "now") and every later row
    moves up one place: page 2 then starts one row late, and that row is never read, not even by
    the next sync, whose state is already past it. For streams ordered by ``updated_at``, the next
    request instead restarts at the last row's second with ``page=1``: it starts at a value, which
    doesn't move. That second's rows come back; the token carries their ids (``skip``: memory of
    one second) and KommoWindowFilter drops them, so each row is emitted once. A row past the
    window's end (the window is requested one second wider) means the window is done.

    When most of a page shares its last second (a CSV import stamps hundreds of rows alike),
    restarting there would re-read the whole page forever, so paging goes on by position: a
    *stretch* of pages 1, 2, ... from one ``from``. A stretch can lose rows to the shift above, and
    ties inside one second have no guaranteed order, so when one of two pages or more ends, it is
    read again from its page 1 until two readings in a row return the same set of ids before the
    point where paging moves on (a reshuffle that skips one row and repeats another changes the
    set, not only the count). Rows emitted by an earlier reading are kept in ``_REREADING`` and
    dropped from later ones. Readings are capped (``max_passes``): Kommo restricts an IP that keeps
    asking for the same data.

    A 204 after a full page is not trusted as the end (the production amoCRM log shows windows
    ending on a 204 after 19 full pages) unless the server already answered a page that deep with
    rows in this sync: the rest of the window is asked for again from the last row's second, with
    ``page=1``. Only if every row read so far shares one second, which paging by value can't get
    past, does the stream fail with one sentence.

    The rows are counted and read from the response itself: the record filter may have dropped
    the widened seconds' rows from ``last_record``.

    Token: ``{"from": <first second to read>, "page": <n>, "skip": [ids of second `from` already
    emitted]}``; the requester sends ``filter[updated_at][from]=from-1`` (the window's start when
    there is no token) and ``page``. A stretch carries the ``[id, second]`` pairs it read so far
    (``seen``); one being read again carries ``"check": [<boundary second or null>, <sorted ids
    before it>]`` and ``"passes"``.
    Example: rows 1..250 end at second 1767312250, rows 249 and 250 on it ->
    ``{"from": 1767312250, "page": 1, "skip": [249, 250]}``.
    """

    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 250
    cursor_field: str = "updated_at"
    id_field: str = "id"
    max_passes: int = 5

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = str(parameters.get("name") or "a stream")
        self._served = _ServedDepth()

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
        token = self._next(response, last_page_token_value, page_size_override, stream_slice)
        _publish(stream_slice, token)
        return token

    def _next(
        self,
        response: requests.Response,
        last_page_token_value: Any | None,
        page_size_override: int | None,
        stream_slice: StreamSlice | None,
    ) -> Any | None:
        limit = page_size_override or self.page_size
        token = dict(last_page_token_value or {})
        page = int(token.get("page", 1))
        echoed, rows = _read_page(response)
        _check_echoed_page(echoed, page, self._stream)
        self._served.saw(page, bool(rows))
        start = token.get("from")
        if start is None and stream_slice is not None and stream_slice.get("start_time") is not None:
            start = int(stream_slice["start_time"])
        key, id_key = self.cursor_field, self.id_field
        read = [*token.get("seen", []), *([row.get(id_key), row.get(key)] for row in rows)]
        if "check" in token:  # reading a stretch again: what it reads is emitted at most once
            self._remember(stream_slice, [row.get(id_key) for row in rows])
        if start is None:  # no window (not incremental): plain paging by number
            return {"page": page + 1} if len(rows) >= limit else None
        if not rows:
            if page == 1 or self._served.reached(page):
                return self._stretch_end(token, start, read, page, None, None, stream_slice)
            # A 204 after a full page: not proof of the end; go on from the last row's second.
            last = max(second for _, second in read if isinstance(second, int))
            if last <= start:
                raise AirbyteTracedException(
                    message=(
                        f"Kommo stopped answering {self._stream} after {len(read)} rows all updated in second "
                        f"{start}, which can't be paged past by value; the sync stopped rather than risk "
                        "missing rows of that second."
                    ),
                    failure_type=FailureType.transient_error,
                )
            then = {"from": last, "page": 1, "skip": [i for i, second in read if second == last]}
            return self._stretch_end(token, start, read, page, last, then, stream_slice)
        if len(rows) < limit:
            return self._stretch_end(token, start, read, page, None, None, stream_slice)
        last = rows[-1].get(key)
        end = stream_slice.get("end_time") if stream_slice is not None else None
        if isinstance(last, int) and end is not None and last > int(end):
            return self._stretch_end(token, start, read, page, int(end) + 1, None, stream_slice)
        if isinstance(last, int) and last > start:
            same_second = [row.get(id_key) for row in rows if row.get(key) == last]
            if len(same_second) <= limit // 10:
                then = {"from": last, "page": 1, "skip": same_second}
                return self._stretch_end(token, start, read, page, last, then, stream_slice)
        following: dict[str, Any] = {"from": start, "page": page + 1, "seen": read}
        for name in ("skip", "check", "passes"):
            if name in token:
                following[name] = token[name]
        return following

    def _stretch_end(
        self,
        token: Mapping[str, Any],
        start: int,
        read: list[list[Any]],
        page: int,
        boundary: int | None,
        then: Mapping[str, Any] | None,
        stream_slice: StreamSlice | None,
    ) -> Mapping[str, Any] | None:
        """``then`` once this stretch's reading is known to be complete; else read it again from page 1.

        ``boundary`` is the second paging moves on from (None: the window's end); the ids read
        before it must equal the previous reading's, with no id read twice.
        """
        rereading = "check" in token
        if page < 2:
            if rereading:
                self._forget(stream_slice)
            return then  # one page is one answer: nothing could shift under it
        ids = [i for i, second in read if boundary is None or (isinstance(second, int) and second < boundary)]
        check = [boundary, sorted(ids, key=str)]
        if token.get("check") == check and len(set(ids)) == len(ids):
            self._forget(stream_slice)
            return then
        passes = int(token.get("passes", 0)) + 1
        if passes > self.max_passes:
            self._forget(stream_slice)
            raise AirbyteTracedException(
                message=(
                    f"Kommo's {self._stream} kept changing while {len(ids)} rows sharing their update "
                    f"seconds were read by position ({self.max_passes} readings); the sync stopped rather "
                    "than risk missing rows, and the next attempt resumes from the last saved window."
                ),
                failure_type=FailureType.transient_error,
            )
        self._remember(stream_slice, [i for i, _ in read])
        again: dict[str, Any] = {"from": start, "page": 1, "check": check, "passes": passes}
        if "skip" in token:
            again["skip"] = token["skip"]
        return again

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
    leads costs no second parse.

    It also catches a redirect to another host: legacy ``{sub}.amocrm.com`` accounts can be moved
    to ``{sub}.kommo.com``, and requests drops ``Authorization`` on a cross-host redirect, so the
    user would see "token invalid" for a token that is fine. The sync fails with one sentence that
    names the domain to configure. Every other response goes through the manifest's rules, and a
    401 they call a config error stops the whole sync (``CredentialsRejected``).
    """

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._stream = str(parameters.get("name") or "a stream")

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None
    ) -> ErrorResolution:
        moved = _redirected_host(response_or_exception)
        if moved is not None:
            return ErrorResolution(
                response_action=ResponseAction.FAIL,
                failure_type=FailureType.config_error,
                error_message=moved,
            )
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 200:
            body = response_or_exception.content.strip()
            if body[:1] != b"{" or body[-1:] != b"}":
                return ErrorResolution(
                    response_action=ResponseAction.RETRY,
                    failure_type=FailureType.transient_error,
                    error_message=f"Kommo answered {self._stream} with an empty or unreadable body; retrying.",
                )
        resolution = super().interpret_response(response_or_exception)
        return _raise_if_credentials_rejected(resolution, response_or_exception, self.config)


@dataclass
class KommoCustomFieldValuesExtractor(RecordExtractor):
    """One row per custom field value of each lead, contact or company: the flat form of ``custom_fields_values``.

    Kommo nests custom field values two levels deep inside each record, and every warehouse user
    flattens them by hand (the review's first user request). A response of ``/leads`` (or
    ``/contacts``, ``/companies``) becomes one row per (entity, field, value)::

        {"id": 7, "updated_at": 1767312000, "custom_fields_values": [{"field_id": 921001,
         "field_name": "stack", "field_code": null, "field_type": "select",
         "values": [{"value": "frontend", "enum_id": 497443, "enum_code": null}]}]}
        -> {"entity_type": "leads", "entity_id": 7, "field_id": 921001, "value_index": 0,
            "value": "frontend", "enum_id": 497443, "updated_at": 1767312000, ...}

    ``value`` is text (numbers and booleans as JSON text, objects as JSON), so one column holds
    every field type. Records whose ``custom_fields_values`` is ``null`` give no row. The entity
    type is the request path's last segment (``entity_types``), which the partition router sets.
    """

    parameters: InitVar[Mapping[str, Any]]
    entity_types: list[str] = field(default_factory=lambda: ["leads", "contacts", "companies"])

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[str, Any]]:
        _, rows = _read_page(response)
        path = urlsplit(response.request.url).path.rstrip("/") if response.request is not None else ""
        entity_type = path.rsplit("/", 1)[-1]
        if entity_type not in self.entity_types:
            entity_type = None
        for row in rows:
            for custom in row.get("custom_fields_values") or []:
                for index, item in enumerate(custom.get("values") or []):
                    value = item.get("value") if isinstance(item, Mapping) else item
                    yield {
                        "entity_type": entity_type,
                        "entity_id": row.get("id"),
                        "updated_at": row.get("updated_at"),
                        "field_id": custom.get("field_id"),
                        "field_name": custom.get("field_name"),
                        "field_code": custom.get("field_code"),
                        "field_type": custom.get("field_type"),
                        "value_index": index,
                        "value": value
                        if isinstance(value, str) or value is None
                        else orjson.dumps(value).decode(),
                        "enum_id": item.get("enum_id") if isinstance(item, Mapping) else None,
                        "enum_code": item.get("enum_code") if isinstance(item, Mapping) else None,
                    }


KOMMO_DOMAINS = ("kommo.com", "amocrm.com", "amocrm.ru")


def _redirected_host(response: requests.Response | Exception | None) -> str | None:
    """The sentence to fail with when the request was redirected to another host, else None."""
    if not isinstance(response, requests.Response) or not response.history:
        return None
    first = urlsplit(response.history[0].url).hostname or ""
    final = urlsplit(response.url).hostname or ""
    if first == final:
        return None
    domain = next((d for d in KOMMO_DOMAINS if final == d or final.endswith("." + d)), None)
    advice = f"set Domain to {domain}" if domain else "set the API base URL to the account's current address"
    return f"Kommo moved this account from {first} to {final}; {advice} (a token is not sent on to another host)."


# --- config errors: one sentence, no traceback ----------------------------------------------------
class ConfigError(AirbyteTracedException):
    """A setting the user must fix: one sentence that names it, and no traceback.

    The CDK logs every uncaught exception (and every failed partition) with its traceback: for a
    wrong setting that was ~40 lines of the CDK's own frames around the one sentence that matters.
    Python reads ``__traceback__`` as an attribute when it formats an exception (logging, the
    CDK's trace message), so this class reports none; raising and catching are unaffected.
    """

    def __init__(self, sentence: str) -> None:
        super().__init__(message=sentence, internal_message=sentence, failure_type=FailureType.config_error)
        self.__suppress_context__ = True

    @property  # type: ignore[override]
    def __traceback__(self) -> None:  # noqa: PLW3201
        return None

    @__traceback__.setter
    def __traceback__(self, _value: Any) -> None:  # noqa: PLW3201
        pass

    def __repr__(self) -> str:
        return self.message or ""


DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*")
# https anywhere; plain http only to this machine. No userinfo, query or fragment: the token goes there.
API_BASE_URL = re.compile(
    r"https://[^\s/?#@]+(/[^\s?#@]*)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/[^\s?#@]*)?"
)


@dataclass
class StartDateValidation(ValidationStrategy):
    """``start_date`` must be a real calendar day (YYYY-MM-DD) that is not in the future.

    The spec keeps no ``pattern``: the CDK answers a pattern mismatch with the raw regex
    (``'2024/01/01' does not match '^[0-9]{4}-...'``). ``2024-13-45`` would pass a pattern and
    surface later as a failed sync; a day in the future passes everything and every incremental
    stream then silently reads nothing. All three fail here with one sentence instead.
    Example: ``{"start_date": "2999-01-01"}`` -> "Start date 2999-01-01 is in the future ...".
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or value == "":
            return
        try:
            if not DATE.fullmatch(str(value)):
                raise ValueError
            day = datetime.strptime(str(value), "%Y-%m-%d").date()
        except ValueError:
            raise ConfigError(
                f"Start date {value} is not a calendar date: set Start date as YYYY-MM-DD, e.g. 2024-01-31."
            ) from None
        if day > datetime.now(UTC).date():
            raise ConfigError(
                f"Start date {value} is in the future, so nothing would be read: set Start date to today or an earlier day."
            )


@dataclass
class SubdomainValidation(ValidationStrategy):
    """``subdomain`` is the first label of the account's address, nothing else.

    It becomes the host the token is sent to (``https://{subdomain}.{domain}``), so ``x@evil.com/``
    or ``evil.com/`` must never reach a request. Users often paste the whole address: the sentence
    says which part to keep. Example: ``mycompany.kommo.com`` -> "... set Subdomain to mycompany".
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if isinstance(value, str) and SUBDOMAIN.fullmatch(value):
            return
        text = str(value or "").strip()
        host = (urlsplit(text if "//" in text else "//" + text).hostname or "") if "@" not in text else ""
        first = host.split(".")[0]
        known = any(host == d or host.endswith("." + d) for d in KOMMO_DOMAINS)
        advice = (
            f": set Subdomain to {first}."
            if known and SUBDOMAIN.fullmatch(first)
            else ", e.g. mycompany for https://mycompany.kommo.com."
        )
        raise ConfigError(
            f"Subdomain must be only your account's name in lowercase letters, digits and hyphens{advice}"
        )


@dataclass
class ApiBaseUrlValidation(ValidationStrategy):
    """``api_base_url`` (advanced) receives the token: https only, plain http only to this machine.

    No user name, query or fragment either (``https://user@host``, ``https://host?x``), which
    could send the token somewhere the user did not mean. The value is not repeated in the
    sentence: it may hold a password.
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or value == "" or (isinstance(value, str) and API_BASE_URL.fullmatch(value)):
            return
        raise ConfigError(
            "API base URL must be an https:// address without user name, query or fragment (plain http only "
            "for 127.0.0.1 or localhost), e.g. https://kommo-proxy.example.com; or leave it empty."
        )


# --- a rejected credential ends the sync ---------------------------------------------------------
# One source instance's config (every component of a source shares that one dict) -> the
# fingerprints of the credentials the API refused, each with the sentence that says so. The
# config is held so its id can't be reused by another source while the entry lives; only a
# refused credential makes an entry, and another source (a fixed config) starts clean.
_REJECTED: dict[int, tuple[Config, dict[str, str]]] = {}
_REJECTED_LOCK = threading.Lock()
_REFRESH_LOCK = threading.Lock()


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _reject(config: Config, secret: str, sentence: str) -> None:
    with _REJECTED_LOCK:
        _REJECTED.setdefault(id(config), (config, {}))[1][_fingerprint(secret)] = sentence


def _first_report(config: Config) -> bool:
    """True once per source: the first refusal of the sync, the one reported in full."""
    with _REJECTED_LOCK:
        entry = _REJECTED.get(id(config))
        if entry is None or entry[0] is not config:
            return True
        first = "reported" not in entry[1]
        entry[1]["reported"] = ""
        return first


def _rejection(config: Config, secret: str) -> str | None:
    with _REJECTED_LOCK:
        entry = _REJECTED.get(id(config))
    if entry is None or entry[0] is not config or not secret:
        return None
    return entry[1].get(_fingerprint(secret))


class CredentialsRejected(ConfigError):
    """Kommo refused the credential (HTTP 401, or a refused OAuth refresh): the whole sync stops.

    The CDK's concurrent read fails only the stream that raised, goes on with every other stream
    (each sending the same refused token: Kommo blocks IPs that keep calling) and ends with a
    summary of every failure. A bad token gave ~50 requests, 51 traces and a 31,000-character
    summary.
    Now the first 401 (or refused refresh) marks the credential as refused for this source, so no
    request carries it again (``RefuseRejectedCredentials``): every other partition fails at once,
    without a request, and the sync ends in seconds. The first refusal is the sync's one trace,
    with the sentence; every later one is short (the CDK logs each failed partition and lists it
    in its closing summary trace) and is reported as one INFO line instead of a trace. Ending the
    read at the first refusal instead would skip the stream-end state of partitioned streams
    (their cursors emit state at most every 600 s), so a sync whose token was revoked midway
    would start over.
    """

    REPEAT = "Kommo refused the credentials (see the first error)"

    def __init__(self, sentence: str, config: Config) -> None:
        self._first = _first_report(config)
        super().__init__(sentence if self._first else self.REPEAT)

    def as_airbyte_message(self, stream_descriptor: Any = None) -> Any:
        if stream_descriptor is not None and not self._first:
            return AirbyteMessage(
                type=Type.LOG,
                log=AirbyteLogMessage(
                    level=Level.INFO, message=f"Stream {stream_descriptor.name} stopped: {self.message}"
                ),
            )
        return super().as_airbyte_message()


def _raise_if_credentials_rejected(
    resolution: ErrorResolution, response_or_exception: requests.Response | Exception | None, config: Config
) -> ErrorResolution:
    """A 401 the manifest's rules call a config error: remember the token and stop the sync."""
    if (
        isinstance(response_or_exception, requests.Response)
        and response_or_exception.status_code == 401
        and resolution.response_action == ResponseAction.FAIL
        and resolution.failure_type == FailureType.config_error
    ):
        sentence = resolution.error_message or "Kommo rejected the token (HTTP 401)."
        request = response_or_exception.request
        _reject(config, (request.headers.get("Authorization") or "") if request is not None else "", sentence)
        raise CredentialsRejected(sentence, config)
    return resolution


@dataclass
class RefuseRejectedCredentials(DeclarativeAuthenticator):
    """Wraps the manifest's authenticator: a credential Kommo refused is never sent again.

    Kommo blocks IPs that keep calling with a bad token. Once a 401 (``KommoErrorHandler``) or
    a refused OAuth refresh marked a credential as refused, every request of the sync that would
    carry it (other streams, other windows, retries) fails here before it is sent, and an OAuth
    refresh token the token endpoint refused is not offered again by another stream's
    authenticator. Everything else (headers, the OAuth refresh and its config update) is the
    wrapped authenticator's.
    Example: ``Authorization: Bearer bad`` answered 401 on /leads -> /contacts is never asked.
    """

    authenticator: DeclarativeAuthenticator
    config: Config
    parameters: InitVar[Mapping[str, Any]]

    REFRESH_REFUSED = (
        "Kommo refused to refresh the OAuth token (the refresh token is revoked, expired or already "
        "used): reconnect the integration and put its new refresh token in the source's Authentication "
        "settings."
    )

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self._refreshing(lambda: self.authenticator(request))
        refused = _rejection(self.config, request.headers.get("Authorization") or "")
        if refused:
            raise CredentialsRejected(refused, self.config)
        return request

    def get_auth_header(self) -> Mapping[str, Any]:
        # The requester asks for the header before preparing the request: the OAuth refresh
        # happens here first.
        return self._refreshing(self.authenticator.get_auth_header)

    def _refreshing(self, call: Callable[[], Any]) -> Any:
        """Run a call that may refresh the OAuth token; a refused refresh token is never offered twice.

        Each stream has its own authenticator, so refreshes are taken one at a time: the second
        stream sees the first one's refusal (or its new token, written to the shared config)."""
        get_refresh_token = getattr(self.authenticator, "get_refresh_token", None)
        if not callable(get_refresh_token):
            return call()
        with _REFRESH_LOCK:
            refresh_token = str(get_refresh_token() or "")
            refused = _rejection(self.config, "refresh:" + refresh_token)
            if refused:
                raise CredentialsRejected(refused, self.config)
            try:
                return call()
            except AirbyteTracedException as error:
                if error.failure_type != FailureType.config_error:
                    raise
                _reject(self.config, "refresh:" + refresh_token, self.REFRESH_REFUSED)
                raise CredentialsRejected(self.REFRESH_REFUSED, self.config) from None

    @property
    def auth_header(self) -> str:
        return self.authenticator.auth_header

    @property
    def token(self) -> str:
        return self.authenticator.token

    def __getattr__(self, name: str) -> Any:
        # The HTTP client looks for the OAuth authenticator's refresh_and_set_access_token.
        if name == "authenticator":
            raise AttributeError(name)
        return getattr(self.authenticator, name)
