"""Where the token goes and how: host from subdomain+domain (or the explicit base URL), Bearer
token, and OAuth2 with single-use refresh tokens written back to the config."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from unittest import TestCase
from urllib.parse import parse_qs

import requests_mock
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helpers.connector import catalog_for
from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import record, response
from unit_tests.kommo.utils import CONNECTOR, frozen_now, read


def _pipelines_response():
    return response("pipelines").with_record(record("pipelines", cursor=None)).build()


class TestHost(TestCase):
    @HttpMocker()
    def test_given_amocrm_ru_domain_when_read_then_requests_go_to_subdomain_on_that_domain(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            KommoRequestBuilder("leads/pipelines", "https://acme.amocrm.ru/api/v4").build(),
            _pipelines_response(),
        )

        output = read(ConfigBuilder().with_domain("amocrm.ru").build(), "pipelines")

        assert len(output.records) == 1

    @HttpMocker()
    def test_given_api_base_url_when_read_then_it_replaces_the_host_and_api_v4_is_appended(
        self, http_mocker: HttpMocker
    ) -> None:
        base = "https://kommo-proxy.example.com/acme"
        http_mocker.get(
            KommoRequestBuilder("leads/pipelines", f"{base}/api/v4").build(), _pipelines_response()
        )

        output = read(ConfigBuilder().with_api_base_url(base + "/").build(), "pipelines")

        assert len(output.records) == 1


TOKEN_URL = "https://acme.kommo.com/oauth2/access_token"
PIPELINES_URL = "https://acme.kommo.com/api/v4/leads/pipelines"
OAUTH = {
    "client_id": "integration-id",
    "client_secret": "integration-secret",
    "refresh_token": "refresh-1",
    "redirect_uri": "https://example.com/oauth/kommo",
}


class TestOAuth(TestCase):
    def test_given_refresh_token_when_read_then_new_tokens_emitted_as_config_update(self) -> None:
        with requests_mock.Mocker() as mocker:
            token = mocker.post(
                TOKEN_URL,
                json={
                    "token_type": "Bearer",
                    "expires_in": 86400,
                    "access_token": "access-2",
                    "refresh_token": "refresh-2",
                },
            )
            pipelines = mocker.get(
                PIPELINES_URL,
                text=_pipelines_response().body,
                request_headers={"Authorization": "Bearer access-2"},
            )

            with redirect_stdout(io.StringIO()) as stdout:  # the CDK prints the control message directly
                output = read(ConfigBuilder().with_oauth(**OAUTH).build(), "pipelines")

        assert len(output.records) == 1 and pipelines.call_count == 1
        sent = {k: v[0] for k, v in parse_qs(token.last_request.text).items()}
        assert sent == {
            "grant_type": "refresh_token",
            "client_id": "integration-id",
            "client_secret": "integration-secret",
            "refresh_token": "refresh-1",
            "redirect_uri": "https://example.com/oauth/kommo",
        }
        printed = [json.loads(line) for line in stdout.getvalue().splitlines() if line.startswith("{")]
        controls = [m for m in printed if m.get("type") == "CONTROL"]
        assert controls, "the single-use refresh token must be persisted through a config control message"
        credentials = controls[-1]["control"]["connectorConfig"]["config"]["credentials"]
        assert (credentials["refresh_token"], credentials["access_token"]) == ("refresh-2", "access-2")
        assert all("refresh-2" not in m.log.message and "access-2" not in m.log.message for m in output.logs)

    def test_given_valid_access_token_in_config_when_read_then_no_refresh(self) -> None:
        config = (
            ConfigBuilder()
            .with_oauth(**OAUTH, access_token="access-1", token_expiry_date="2099-01-01T00:00:00+00:00")
            .build()
        )
        with requests_mock.Mocker() as mocker:
            token = mocker.post(TOKEN_URL, status_code=500)
            mocker.get(
                PIPELINES_URL,
                text=_pipelines_response().body,
                request_headers={"Authorization": "Bearer access-1"},
            )

            output = read(config, "pipelines")

        assert len(output.records) == 1 and token.call_count == 0

    def test_given_revoked_refresh_token_when_read_then_config_error(self) -> None:
        with requests_mock.Mocker() as mocker:
            mocker.post(
                TOKEN_URL,
                status_code=400,
                json={
                    "title": "Bad Request",
                    "status": 400,
                    "detail": "Incorrect data",
                    "hint": "Token has been revoked",
                },
            )
            output = read(ConfigBuilder().with_oauth(**OAUTH).build(), "pipelines", expecting_exception=True)

        assert output.records == []
        assert output.errors and output.errors[-1].trace.error.failure_type == FailureType.config_error

    def test_given_revoked_refresh_token_when_read_many_streams_then_refused_once_and_one_error(self) -> None:
        """Every stream has its own authenticator: each used to offer the refused token again."""
        streams = ["pipelines", "pipeline_statuses", "users", "loss_reasons", "leads", "contacts"]
        with requests_mock.Mocker() as mocker:
            token = mocker.post(
                TOKEN_URL, status_code=400, json={"title": "Bad Request", "hint": "Token has been revoked"}
            )
            api = mocker.get(requests_mock.ANY, status_code=500)
            with frozen_now():
                output = CONNECTOR.read(
                    ConfigBuilder().with_oauth(**OAUTH).build(),
                    catalog_for(streams),
                    expecting_exception=True,
                )

        assert token.call_count == 1
        assert api.call_count == 0
        # The sentence, then the CDK's end-of-sync summary (one line per failed stream).
        assert len(output.errors) == 2
        first = output.errors[0].trace.error
        assert first.message.startswith("Kommo refused to refresh the OAuth token"), first.message
        assert all(e.trace.error.failure_type == FailureType.config_error for e in output.errors)
