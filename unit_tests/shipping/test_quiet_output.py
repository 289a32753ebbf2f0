"""A healthy run says nothing the user has to wonder about (issue #13, item 5).

The CDK reports every deprecated manifest field twice: a Python ``DeprecationWarning`` when the
component is built, and a WARN log that the Connector Builder's Test panel shows for each stream
(``source.deprecation_warnings()``, which the Builder's test reader appends to every answer).
"""

from __future__ import annotations

import warnings


def test_given_manifest_when_streams_built_then_no_deprecated_field_is_used(connector, sandbox):
    config = sandbox.config(connector.name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = connector.source(config)
        streams = source.streams(config)

    assert streams
    assert [log.message for log in source.deprecation_warnings()] == []
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []
