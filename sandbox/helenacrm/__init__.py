"""HelenaCRM API emulation (mounted at /helenacrm)."""

from sandbox.helenacrm.app import App

__all__ = ["App"]
