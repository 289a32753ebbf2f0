"""A healthy run says nothing the user has to wonder about (issue #13, item 5).

The CDK reports every deprecated manifest field twice: a Python ``DeprecationWarning`` when the
component is built, and a WARN log that the Connector Builder's Test panel shows for each stream
(``source.deprecation_warnings()``, which the Builder's test reader appends to every answer).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings

from unit_tests.helpers.connector import REPO_ROOT


def test_given_manifest_when_streams_built_then_no_deprecated_field_is_used(connector, sandbox):
    config = sandbox.config(connector.name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = connector.source(config)
        streams = source.streams(config)

    assert streams
    assert [log.message for log in source.deprecation_warnings()] == []
    # The CDK's own warning for a deprecated manifest field ("Component type: `HttpRequester`.
    # Field 'url_base' is deprecated. ..."); other libraries' DeprecationWarnings are not ours.
    assert [str(w.message) for w in caught if str(w.message).startswith("Component type:")] == []


def test_given_manifest_when_streams_built_then_the_cdk_logs_no_warning(connector, sandbox):
    """The CDK's component factory warns at build time, i.e. on every spec/check/discover/read. Kommo
    printed "Stream tasks defines `request_window_splitting` but no response filter with the
    SPLIT_REQUEST_WINDOW action ..." for tasks, events and deleted_entities on every healthy sync,
    although their windows do split (KommoPageIncrement raises the split itself)."""
    logger = logging.getLogger("airbyte.model_to_component_factory")
    seen: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        config = sandbox.config(connector.name)
        connector.source(config).streams(config)
    finally:
        logger.removeHandler(handler)

    assert seen == []


def test_given_discovered_schemas_when_pyairbyte_types_the_columns_then_every_column_has_a_type(
    connector, sandbox, capsys
):
    """PyAirbyte prints "Could not determine airbyte type" for each column whose schema allows two
    non-null types (``[array, object]``, ``[string, integer]``), on every table it creates, and falls
    back to text: the README's Kommo snippet printed 75 of those notes. Conversas' reports, campaigns
    and analytics accept several shapes per field and give each field one type (no xfail since 0.5.0)."""
    from airbyte.types import SQLTypeConverter

    catalog = connector.discover(sandbox.config(connector.name)).catalog.catalog
    converter = SQLTypeConverter()
    for stream in catalog.streams:
        for column in stream.json_schema["properties"].values():
            converter.to_sql_type(column)

    assert "Could not determine airbyte type" not in capsys.readouterr().out


def test_given_the_pyairbyte_helper_when_imported_then_no_warning_is_printed():
    """The helper the README and the demo use imports PyAirbyte, which imports Google's cloud
    libraries; their Python-version FutureWarnings are not ours and are silenced, nothing else."""
    result = subprocess.run(
        [sys.executable, "-c", "import tools.pyairbyte_source"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "Warning" not in result.stderr, result.stderr
