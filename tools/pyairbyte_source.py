"""A PyAirbyte source for one of this repo's connectors that keeps its incremental state.

PyAirbyte 0.71.3 runs a local manifest in-process and builds the CDK's declarative source without
the saved state, so every ``read()`` silently starts over from ``start_date`` (the CDK takes the
state when the source is built, not when ``read`` is called; upstream fix pending in
https://github.com/airbytehq/PyAirbyte/pull/1164). ``get_source`` builds the same source with the
``--state`` and ``--catalog`` PyAirbyte hands to the connector, exactly as the Docker image does.

    from tools.pyairbyte_source import get_source
    source = get_source("kommo", config={...})  # then source.select_all_streams(); source.read()

Drop it once PyAirbyte ships the fix: unit_tests/shipping/test_pyairbyte.py says when.
"""

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Not ours: importing PyAirbyte imports google-api-core and three google-cloud packages (for its
# BigQuery cache and Google Secret Manager), and each warns once that Google will stop supporting
# Python 3.11 in 2027 (4 FutureWarnings per run). Nothing a user of these connectors can act on:
# 3.11 is the Python of Airbyte's base image. Only that message is silenced, before the import.
warnings.filterwarnings(
    "ignore",
    message=r"You are using a Python version .* which Google will stop supporting",
    category=FutureWarning,
)

from airbyte import Source  # noqa: E402
from airbyte._executors.declarative import DeclarativeExecutor  # noqa: E402
from airbyte_cdk.entrypoint import AirbyteEntrypoint  # noqa: E402
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class StatefulDeclarativeExecutor(DeclarativeExecutor):
    """PyAirbyte's in-process executor, with the state and catalog of each ``read`` passed to the source."""

    def execute(
        self, args: list[str], *, stdin: IO[str] | None = None, suppress_stderr: bool = False
    ) -> Iterator[str]:
        parsed = AirbyteEntrypoint.parse_args(self.map_cli_args(args))
        catalog_path, state_path = getattr(parsed, "catalog", None), getattr(parsed, "state", None)
        source = ConcurrentDeclarativeSource(
            config={**self._config_dict, **self._config_from_args(args)},
            source_config=self._manifest_dict,
            catalog=ConcurrentDeclarativeSource.read_catalog(catalog_path) if catalog_path else None,
            state=ConcurrentDeclarativeSource.read_state(state_path) if state_path else [],
        )
        yield from AirbyteEntrypoint(source).run(parsed)


def get_source(name: str, config: dict[str, Any], **kwargs: Any) -> Source:
    """``name``: kommo, helenacrm or rd-station-conversas. Loads the connector's components.py,
    which PyAirbyte only allows with ``AIRBYTE_ENABLE_UNSAFE_CODE=true`` (set here if unset)."""
    folder = REPO / f"source-{name}"
    os.environ.setdefault("AIRBYTE_ENABLE_UNSAFE_CODE", "true")
    executor = StatefulDeclarativeExecutor(
        name=f"source-{name}",
        manifest=folder / "manifest.yaml",
        components_py=folder / "components.py",
    )
    return Source(executor=executor, name=f"source-{name}", config=config, **kwargs)
