"""A local emulation of the Kommo, HelenaCRM and RD Station Conversas APIs.

One HTTP server on 127.0.0.1 mounts each API under its own path prefix (``/kommo``,
``/helenacrm``, ``/rd-station-conversas``). Each API is an :class:`sandbox.app.ApiApp` that
owns its seeded data, its token, its rate limit and its fault plan, so tests and benchmarks
know exactly which records exist and what every request cost.
"""

from sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
