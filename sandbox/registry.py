"""Which emulated APIs exist. Each module exposes ``App``, an :class:`sandbox.app.ApiApp` subclass."""

from __future__ import annotations

import importlib
from typing import Any

from sandbox.app import ApiApp

# connector name (the mount prefix) -> module
API_MODULES = {
    "kommo": "sandbox.kommo",
    "helenacrm": "sandbox.helenacrm",
    "rd-station-conversas": "sandbox.conversas",
}


def available() -> list[str]:
    names = []
    for name, module in API_MODULES.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        names.append(name)
    return names


def create_app(name: str, **options: Any) -> ApiApp:
    app_class = importlib.import_module(API_MODULES[name]).App
    return app_class(**options)


def create_apps(names: list[str] | None = None, **options: Any) -> list[ApiApp]:
    return [create_app(name, **options) for name in (names or available())]
