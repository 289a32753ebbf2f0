"""Fixtures every connector's tests share: the sandbox, started in-process on a free port."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sandbox import registry
from sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """All emulated APIs at test size, without rate limits (tests that need them make their own)."""
    with SandboxServer(registry.create_apps(windows=[])) as server:
        yield server


@pytest.fixture()
def fresh_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of its own, for tests that mutate data, set faults or need the real rate limits."""
    with SandboxServer(registry.create_apps(windows=[])) as server:
        yield server


@pytest.fixture(autouse=True)
def airbyte_logger_as_found() -> Iterator[None]:
    """Each test starts with the ``airbyte`` logger as the process found it.

    PyAirbyte's package is also named ``airbyte``: its first read sets that logger to not
    propagate (``airbyte.logs.get_global_file_logger``). The CDK and our components log there, and
    the CDK's test entry point captures logs at the root logger, so every later test in the
    process saw no connector log: a test that expects one failed, and one that expects none
    passed without looking.
    """
    logger = logging.getLogger("airbyte")
    propagate, level, disabled, handlers = (
        logger.propagate,
        logger.level,
        logger.disabled,
        list(logger.handlers),
    )
    yield
    logger.propagate, logger.disabled = propagate, disabled
    logger.setLevel(level)
    logger.handlers[:] = handlers
