"""Custom components for source-helenacrm: only what the declarative language cannot say.

Everything HelenaCRM's API does is said with built-in declarative components in manifest.yaml:
the ``hasMorePages`` envelope (CursorPagination), plain arrays and the single office-hours object
(DpathExtractor with an empty path), the ACTIVE-only ``Status`` default (ListPartitionRouter),
repeated ``IncludeDetails`` keys (list-valued request parameters), messages and cards that need
a parent id (SubstreamPartitionRouter) and the two rate windows (HTTPAPIBudget). Three classes
remain: ``HelenaWindowPagination`` keeps paging by PageNumber sound while rows leave the window
mid-sync, ``StartDateValidation`` checks the configured start date, which no built-in
validation can parse, and ``CursorFieldRename`` carries a saved position over to a cursor
that now reads another field.
``StopOnRejectedCredentials`` and ``RefuseRejectedCredentials`` end the whole sync's use of a
token at the first 401 (the CDK would fail only that stream and go on with the others).
``ProgressLog`` logs each stream's record count so far on long reads (the CDK logs only a
stream's start and end).
"""

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
import requests
from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, FailureType, Level, Type
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.interpolation import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
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
class HelenaWindowPagination(PaginationStrategy):
    """Pages one ``UpdatedAt`` window by PageNumber and steps back when rows leave it mid-sync.

    Helena pages by position (``PageNumber``/``PageSize``) inside an ``UpdatedAt.After``/``Before``
    window. A row updated while the sync pages through the window gets ``updatedAt`` = now, past the
    window's end, so it leaves the window and every later row moves up one place: the next page
    starts one row late and the row at the boundary is never read, not even by the next sync, whose
    state is already past it. Rows never join a window from the middle (an update moves a row to
    now, past ``Before``), so the envelope's ``totalItems`` falling by ``k`` between two responses
    says that at most ``k`` rows left and that every other row moved up by at most ``k`` places.

    The token remembers which positions are known to be read, as ``[first, last]`` ranges of the
    list as the latest response saw it. A response reporting ``k`` fewer rows pulls the end of each
    range ``k`` places up (its rows sit somewhere within ``k`` places above where they were, so
    only ``[first, last - k]`` surely holds them), then adds the positions the page just covered.
    The next request is the page holding the first position not known to be read. With one shrink
    reported by page ``n`` that is page ``max(1, n - ceil(k / PageSize))``, the step back; once it
    is read (no new shrink), it joins the ranges and paging jumps to page ``n + 1``, so a shrink
    costs ``ceil(k / PageSize)`` extra requests. Because the page just read is kept as a range,
    a busy stream where every response reports a shrink still moves forward (about one page per
    two requests while fewer than ``PageSize`` rows leave between two requests) instead of stepping
    back page after page; and each step back needs rows to have left, so paging ends. Re-read rows
    are duplicates, never gaps. Nothing depends on the order the API sorts by, only on rows that
    stay keeping their relative order, which is why this one mechanism serves every stream; it
    replaces the keyset restart contacts used (``UpdatedAt.After`` = last row read), which relied
    on ``OrderBy=UpdatedAt`` being honoured and fell back to restarting the whole window.

    Paging stops when the page just read leaves no unread position below its end and the envelope
    says ``hasMorePages: false`` or the page is empty (a server that keeps saying ``hasMorePages``
    would otherwise be paged forever). Without ``totalItems`` it pages like the built-in strategy.

    Token: ``{"page": n, "total": <totalItems of the latest response>, "read": [[1, 200]]}``; the
    requester sends ``PageNumber`` = ``page`` (1 when there is no token yet).
    Example (PageSize 100): page 2 was answered with ``totalItems: 230`` (``read`` [[1, 200]]);
    page 3 says ``totalItems: 227`` -> ``read`` becomes [[1, 197], [201, 300]] and the next token is
    ``{"page": 2, "total": 227, "read": [[1, 197], [201, 300]]}``: positions 198..200 are read again.
    """

    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 100

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

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
        token = last_page_token_value if isinstance(last_page_token_value, Mapping) else {}
        body = _json_object(response)
        rows = body.get("items")
        page = int(token.get("page", 1))
        size = self.page_size
        total, previous_total = body.get("totalItems"), token.get("total")
        left = previous_total - total if _count(total) and _count(previous_total) else 0
        ranges = [(first, last - max(left, 0)) for first, last in token.get("read", [])]
        ranges.append(((page - 1) * size + 1, page * size))
        read = _merge(ranges)
        unread = read[0][1] + 1 if read[0][0] == 1 else 1  # the first position not known to be read
        following: dict[str, Any] = {"page": (unread - 1) // size + 1, "read": [list(r) for r in read]}
        if _count(total):
            following["total"] = total
        if unread <= page * size:  # a gap below the end of this page: step back, even from the last page
            return following
        if not body.get("hasMorePages") or not rows or not isinstance(rows, list):
            return None
        if _count(total) and unread > total and following["page"] > page + 1:
            return None  # the ranges read after a step back already reach the end
        return following

    def get_page_size(self) -> int | None:
        return self.page_size


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-empty ``[first, last]`` position ranges, sorted, with touching or overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted((f, t) for f, t in ranges if f <= t):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _json_object(response: requests.Response) -> dict[str, Any]:
    """The page envelope, or ``{}`` when the body is not a JSON object (the error handler retries those)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


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
    def __traceback__(self) -> None:
        return None

    @__traceback__.setter
    def __traceback__(self, _value: Any) -> None:
        pass

    def __repr__(self) -> str:
        return self.message or ""


# https anywhere; plain http only to this machine. No userinfo, query or fragment: the token goes there.
API_BASE_URL = re.compile(
    r"https://[^\s/?#@]+(/[^\s?#@]*)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/[^\s?#@]*)?"
)


@dataclass
class ApiBaseUrlValidation(ValidationStrategy):
    """``api_base_url`` receives the token: https only, plain http only to this machine.

    No user name, query or fragment either (``https://user@host``, ``https://host?x``), which
    could send the token somewhere the user did not mean. The spec keeps no ``pattern``: the CDK
    answers a mismatch with the raw regex. The value is not repeated: it may hold a password.
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or value == "" or (isinstance(value, str) and API_BASE_URL.fullmatch(value)):
            return
        raise ConfigError(
            "API Base URL must be an https:// address without user name, query or fragment (plain http only "
            "for 127.0.0.1 or localhost), e.g. https://api.helena.run."
        )


DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class StartDateValidation(ValidationStrategy):
    """``start_date`` must be a real calendar day (YYYY-MM-DD) that is not in the future.

    The spec keeps no ``pattern``: the CDK answers a pattern mismatch with the raw regex
    (``'2024/01/01' does not match '^[0-9]{4}-...'``). ``2024-02-30`` would pass a pattern and
    surface later as a failed sync; a day in the future passes everything and every incremental
    stream then silently reads nothing. All three fail here with one sentence instead.
    Example: ``{"start_date": "2999-01-01"}`` -> "Start Date 2999-01-01 is in the future ...".
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
                f"Start Date {value} is not a calendar date: set Start Date as YYYY-MM-DD, e.g. 2024-01-31."
            ) from None
        if day > datetime.now(UTC).date():
            raise ConfigError(
                f"Start Date {value} is in the future, so nothing would be read: set Start Date to today or an earlier day."
            )


@dataclass
class CursorFieldRename(StateMigration):
    """A state saved under ``from_field`` becomes the same position under ``to_field``.

    Messages are read for the sessions whose ``lastInteractionDate`` moved since the last sync (a
    new message is an interaction; whether it also moves the session's ``updatedAt`` is nowhere
    documented). Until 0.3.0 that parent was read by ``updatedAt``, and its saved position
    (``parent_state``, or the messages' own position when there is none) reads
    ``{"updatedAt": "2026-01-07T09:00:00.000000Z"}``. Without this, the parent's cursor finds no
    ``lastInteractionDate`` in it and starts over from the start date: one request per session
    of the account's whole history. With it the parent resumes from the same instant:
    ``{"lastInteractionDate": "2026-01-07T09:00:00.000000Z"}``.
    """

    parameters: InitVar[Mapping[str, Any]]
    from_field: str = "updatedAt"
    to_field: str = "lastInteractionDate"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.from_field = parameters.get("from_field", self.from_field)
        self.to_field = parameters.get("to_field", self.to_field)

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        return bool(stream_state) and self.to_field not in stream_state and self.from_field in stream_state

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        migrated = {k: v for k, v in stream_state.items() if k != self.from_field}
        migrated[self.to_field] = stream_state[self.from_field]
        return migrated


# --- a rejected credential ends the sync ---------------------------------------------------------
# One source instance's config (every component of a source shares that one dict) -> the
# fingerprints of the credentials the API refused, each with the sentence that says so. The
# config is held so its id can't be reused by another source while the entry lives; only a
# refused credential makes an entry, and another source (a fixed config) starts clean.
_REJECTED: dict[int, tuple[Config, dict[str, str]]] = {}
_REJECTED_LOCK = threading.Lock()


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
    """HelenaCRM refused the credential (HTTP 401): the whole sync stops.

    The CDK's concurrent read fails only the stream that raised, goes on with every other stream
    (each sending the same refused key) and ends with a summary of every failure. A bad key gave
    28 requests, 29 traces and a 20,000-character summary.
    Now the first 401 marks the credential as refused for this source, so no
    request carries it again (``RefuseRejectedCredentials``): every other partition fails at once,
    without a request, and the sync ends in seconds. The first refusal is the sync's one trace,
    with the sentence; every later one is short (the CDK logs each failed partition and lists it
    in its closing summary trace) and is reported as one INFO line instead of a trace. Ending the read at the first refusal instead would skip the
    stream-end state of partitioned streams (their cursors emit state at most every 600 s), so a
    sync whose token was revoked midway would start over.
    """

    REPEAT = "HelenaCRM refused the API key (see the first error)"

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
        sentence = resolution.error_message or "HelenaCRM rejected the token (HTTP 401)."
        request = response_or_exception.request
        _reject(config, (request.headers.get("Authorization") or "") if request is not None else "", sentence)
        raise CredentialsRejected(sentence, config)
    return resolution


@dataclass
class RefuseRejectedCredentials(DeclarativeAuthenticator):
    """Wraps the manifest's authenticator: a credential HelenaCRM refused is never sent again.

    Once a 401 (``StopOnRejectedCredentials``) marked the token as refused, every request of the
    sync that would carry it (other streams, other pages, retries) fails here before it is sent.
    Adding the header is the wrapped authenticator's job.
    Example: ``Authorization: Bearer bad`` answered 401 on /core/v1/tag -> /core/v1/contact is never asked.
    """

    authenticator: DeclarativeAuthenticator
    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.authenticator(request)
        refused = _rejection(self.config, request.headers.get("Authorization") or "")
        if refused:
            raise CredentialsRejected(refused, self.config)
        return request

    def get_auth_header(self) -> Mapping[str, Any]:
        return self.authenticator.get_auth_header()

    @property
    def auth_header(self) -> str:
        return self.authenticator.auth_header

    @property
    def token(self) -> str:
        return self.authenticator.token


@dataclass
class StopOnRejectedCredentials(DefaultErrorHandler):
    """The manifest's error handler, except that a 401 ends the whole sync (``CredentialsRejected``).

    A 401 is never about one stream: the token is wrong for all of them. The manifest's rules
    still decide (their 401 rule is a config error with the sentence users see); this class only
    turns that config error into the one that stops the sync instead of failing one stream.
    """

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None
    ) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        return _raise_if_credentials_rejected(resolution, response_or_exception, self.config)
