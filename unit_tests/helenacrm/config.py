"""Connector configs for the mocked-HTTP tests."""

from __future__ import annotations

from typing import Any

API_KEY = "test-helena-token"
BASE_URL = "https://api.helena.run"
START_DATE = "2026-01-01"  # with the frozen NOW (conftest) every incremental stream reads one window


class ConfigBuilder:
    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "api_key": API_KEY,
            "start_date": START_DATE,
            "requests_per_5_minutes": 100000,
            "requests_per_5_seconds": 100000,
            "num_workers": 2,
        }

    def with_start_date(self, start_date: str) -> ConfigBuilder:
        self._config["start_date"] = start_date
        return self

    def with_api_base_url(self, url: str) -> ConfigBuilder:
        self._config["api_base_url"] = url
        return self

    def build(self) -> dict[str, Any]:
        return dict(self._config)
