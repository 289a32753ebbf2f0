"""Connector configs for the mocked-HTTP tests."""

from __future__ import annotations

from typing import Any

SUBDOMAIN = "acme"
TOKEN = "test-token"
BASE_URL = f"https://{SUBDOMAIN}.kommo.com/api/v4"


class ConfigBuilder:
    """A valid long-lived-token config; one window covers start_date..now unless told otherwise."""

    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "subdomain": SUBDOMAIN,
            "domain": "kommo.com",
            "credentials": {"auth_type": "api_token", "api_token": TOKEN},
            "start_date": "2026-01-01",
            "requests_per_second": 100,
            "num_workers": 2,
            "window_days": 365,
            "events_window_days": 365,
        }

    def with_start_date(self, date: str | None) -> ConfigBuilder:
        if date is None:
            self._config.pop("start_date", None)
        else:
            self._config["start_date"] = date
        return self

    def with_window_days(self, days: int | None) -> ConfigBuilder:
        """``None``: leave the setting out, so the manifest's own default applies."""
        if days is None:
            self._config.pop("window_days", None)
        else:
            self._config["window_days"] = days
        return self

    def with_events_window_days(self, days: int | None) -> ConfigBuilder:
        """``None``: leave the setting out, so the manifest's own default applies."""
        if days is None:
            self._config.pop("events_window_days", None)
        else:
            self._config["events_window_days"] = days
        return self

    def with_lookback_minutes(self, minutes: int) -> ConfigBuilder:
        self._config["lookback_minutes"] = minutes
        return self

    def with_domain(self, domain: str) -> ConfigBuilder:
        self._config["domain"] = domain
        return self

    def with_api_base_url(self, url: str) -> ConfigBuilder:
        self._config["api_base_url"] = url
        return self

    def with_oauth(self, **credentials: str) -> ConfigBuilder:
        self._config["credentials"] = {"auth_type": "oauth2.0", **credentials}
        return self

    def build(self) -> dict[str, Any]:
        return dict(self._config)
