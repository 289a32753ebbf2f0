"""The Kommo (amoCRM) API v4 emulation, mounted at /kommo: ``/kommo/api/v4/leads`` etc."""

from sandbox.kommo.app import App

__all__ = ["App"]
