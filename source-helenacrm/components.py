"""Custom components for source-helenacrm: only what the declarative language cannot say.

Everything HelenaCRM's API does is said with built-in declarative components in manifest.yaml:
the ``hasMorePages`` envelope (CursorPagination), plain arrays and the single office-hours object
(DpathExtractor with an empty path), the ACTIVE-only ``Status`` default (ListPartitionRouter),
repeated ``IncludeDetails`` keys (list-valued request parameters), messages and cards that need
a parent id (SubstreamPartitionRouter) and the two rate windows (HTTPAPIBudget). Two classes
remain: ``HelenaWindowPagination`` keeps paging by PageNumber sound while rows leave the window
mid-sync, and ``StartDateValidation`` checks the configured start date, which no built-in
validation can parse.
"""

from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

# How the manifest formats instants in UpdatedAt.After/Before (stream_interval's own format).
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass
class HelenaWindowPagination(PaginationStrategy):
    """Pages one ``UpdatedAt`` window by PageNumber and recovers when rows leave it mid-sync.

    Helena pages by position (``PageNumber``/``PageSize``) inside an ``UpdatedAt.After``/``Before``
    window. A row updated while the sync pages through the window gets ``updatedAt`` = now, past the
    window's end, so it leaves the window and every later row moves up one place: the next page
    starts one row late and the row at the boundary is never read, not even by the next sync, whose
    state is already past it. Rows never join a window from the middle (an update moves a row to
    now), so the envelope's ``totalItems`` shrinking between two pages of the same window is the
    sign that the page just read may have started late. Paging then restarts at ``PageNumber=1``:

    - with ``ordered_by_cursor`` (the request asks ``OrderBy=UpdatedAt``, ``ASCENDING``, and every
      page so far came back in that order), from the ``updatedAt`` of the last row read before the
      shift (keyset): it starts at a value, which doesn't move, so only that page is read again;
    - otherwise from the window's start (the order is unknown, so no position is safe).

    Re-read rows are duplicates, never gaps. Each restart needs rows to have left, so it ends.

    Token: ``{"after": <instant to restart from>, "page": n, "total": <previous totalItems>,
    "last": <previous page's last updatedAt>, "ordered": bool}``; the requester sends
    ``UpdatedAt.After`` = ``after`` (the window's start when absent) minus 1 ms and ``PageNumber``.
    Example: page 1 said ``totalItems: 230`` and ended at ``2026-01-10T08:00:00.000Z``; page 2 says
    ``totalItems: 227`` -> ``{"after": "2026-01-10T08:00:00.000000Z", "page": 1}``.
    """

    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 100
    cursor_field: str = "updatedAt"
    ordered_by_cursor: bool = False

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
        token = dict(last_page_token_value or {})
        body = _json_object(response)
        rows = body.get("items")
        rows = rows if isinstance(rows, list) else []
        total, previous_total = body.get("totalItems"), token.get("total")
        if isinstance(total, int) and isinstance(previous_total, int) and total < previous_total:
            return self._restart(token)
        if not body.get("hasMorePages") or not rows:
            return None
        instants = [_instant(row.get(self.cursor_field)) if isinstance(row, dict) else None for row in rows]
        previous_last = _instant(token.get("last"))
        known = [i for i in instants if i is not None]
        ordered = (
            bool(token.get("ordered", True))
            and len(known) == len(instants)
            and all(a <= b for a, b in zip(known, known[1:], strict=False))
            and (previous_last is None or previous_last <= known[0])
        )
        following: dict[str, Any] = {"page": int(token.get("page", 1)) + 1, "ordered": ordered}
        if isinstance(total, int):
            following["total"] = total
        if known and ordered:
            following["last"] = known[-1].strftime(INSTANT_FORMAT)
        if token.get("after"):
            following["after"] = token["after"]
        return following

    def _restart(self, token: Mapping[str, Any]) -> dict[str, Any]:
        if self.ordered_by_cursor and token.get("ordered") and token.get("last"):
            return {"after": token["last"], "page": 1}
        restart: dict[str, Any] = {"page": 1, "ordered": False}  # once out of order, never keyset again
        if token.get("after"):
            restart["after"] = token["after"]
        return restart

    def get_page_size(self) -> int | None:
        return self.page_size


def _json_object(response: requests.Response) -> dict[str, Any]:
    """The page envelope, or ``{}`` when the body is not a JSON object (the error handler retries those)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _instant(value: Any) -> datetime | None:
    """An ``updatedAt`` as an aware UTC datetime (``2026-01-10T08:00:00.000Z``); None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


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
