"""Connector configs for the mocked-HTTP tests."""

from __future__ import annotations

from typing import Any

ACCESS_TOKEN = "test-conversas-jwt"
BASE_URL = "https://api.tallos.com.br/v2"
V4_URL = "https://api.tallos.com.br/v4"
START_DATE = "2025-06-01"  # with the frozen NOW (conftest) reports read three windows


class ConfigBuilder:
    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "access_token": ACCESS_TOKEN,
            "start_date": START_DATE,
            "requests_per_minute": 6000,
            "num_workers": 2,
        }

    def with_start_date(self, start_date: str) -> ConfigBuilder:
        self._config["start_date"] = start_date
        return self

    def with_private_key(self, jwk_json: str) -> ConfigBuilder:
        self._config["private_key_jwk"] = jwk_json
        return self

    def with_api_base_url(self, url: str) -> ConfigBuilder:
        self._config["api_base_url"] = url
        return self

    def with_setting(self, key: str, value: Any) -> ConfigBuilder:
        self._config[key] = value
        return self

    def without(self, key: str) -> ConfigBuilder:
        self._config.pop(key, None)
        return self

    def build(self) -> dict[str, Any]:
        return dict(self._config)
