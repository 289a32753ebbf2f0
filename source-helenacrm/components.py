"""Custom components for source-helenacrm: only what the declarative language cannot say.

Everything HelenaCRM's API does is said with built-in declarative components in manifest.yaml:
the ``hasMorePages`` envelope (CursorPagination), plain arrays and the single office-hours object
(DpathExtractor with an empty path), the ACTIVE-only ``Status`` default (ListPartitionRouter),
repeated ``IncludeDetails`` keys (list-valued request parameters), messages and cards that need
a parent id (SubstreamPartitionRouter) and the two rate windows (HTTPAPIBudget). The one class
here checks the configured start date, which no built-in validation can parse.
"""

from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from datetime import UTC, datetime
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


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
