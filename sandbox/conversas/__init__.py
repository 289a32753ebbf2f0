"""RD Station Conversas (formerly Tallos) emulation: v2 lists, v4 reports, JWE-encrypted history."""

from sandbox.conversas.app import App

__all__ = ["App"]
