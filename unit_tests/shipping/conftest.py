"""Shipping tests run once per connector that has both a manifest and a sandbox emulation."""

from __future__ import annotations

import pytest

from unit_tests.helpers.connector import Connector, connectors_with_sandbox


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "connector" in metafunc.fixturenames:
        names = connectors_with_sandbox()
        metafunc.parametrize("connector", [Connector(name) for name in names], ids=names)
