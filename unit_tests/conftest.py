"""Fixtures every connector's tests share: the sandbox, started in-process on a free port."""

from __future__ import annotations

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
