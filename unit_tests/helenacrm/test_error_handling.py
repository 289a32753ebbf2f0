"""The shared error handler: 401 fails fast as a config error, 429 and 5xx back off and retry."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import TestCase, mock

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import array, error, record
from unit_tests.helenacrm.utils import CONNECTOR, error_logs, read


@pytest.fixture(autouse=True)
def no_backoff_wait(request: pytest.FixtureRequest) -> Iterator[mock.MagicMock]:
    """Backoff sleeps (6 s and up) happen in the CDK's rate_limiting module: skip the wait, keep the retry.

    The fake clock records every wait asked for, so a test can add them up without sleeping.
    """
    with mock.patch("airbyte_cdk.sources.streams.http.rate_limiting.time") as fake_time:
        if request.instance is not None:
            request.instance.fake_time = fake_time
        yield fake_time


def waited(fake_time: mock.MagicMock) -> float:
    """Seconds the backoff slept in all."""
    return sum(call.args[0] for call in fake_time.sleep.call_args_list)


class TestUnauthorized(TestCase):
    @HttpMocker()
    def test_given_invalid_token_when_read_then_config_error_in_one_sentence_without_retry(
        self, http_mocker: HttpMocker
    ) -> None:
        request = HelenaRequestBuilder.tags().build()
        http_mocker.get(request, error(401))

        output = read(ConfigBuilder().build(), "tags", expecting_exception=True)

        trace = output.errors[0].trace.error  # the stream's own error; the last one is the CDK's summary
        assert trace.failure_type == FailureType.config_error
        assert "API key was rejected" in trace.message
        http_mocker.assert_number_of_calls(request, 1)

    @HttpMocker()
    def test_given_invalid_token_when_check_then_connection_fails_naming_the_api_key(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.tags().build(), error(401))

        status = CONNECTOR.check(ConfigBuilder().build()).connection_status_messages[-1].connectionStatus

        assert status.status == Status.FAILED
        assert "API key was rejected" in status.message

    @HttpMocker()
    def test_given_valid_token_when_check_then_one_cheap_call_succeeds(self, http_mocker: HttpMocker) -> None:
        request = HelenaRequestBuilder.tags().build()
        http_mocker.get(request, array([record("tags")]))

        status = CONNECTOR.check(ConfigBuilder().build()).connection_status_messages[-1].connectionStatus

        assert status.status == Status.SUCCEEDED
        http_mocker.assert_number_of_calls(request, 1)


class TestRetries(TestCase):
    @HttpMocker()
    def test_given_429_without_retry_after_when_read_then_back_off_and_retry(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.tags().build(), [error(429), array([record("tags")])])

        output = read(ConfigBuilder().build(), "tags")

        assert len(output.records) == 1
        assert not error_logs(output)

    @HttpMocker()
    def test_given_429_for_longer_than_a_5_minute_window_when_read_then_it_waits_the_window_out_and_succeeds(
        self, http_mocker: HttpMocker
    ) -> None:
        """Another integration's burst on the same account can hold the 5-minute window for its whole length."""
        request = HelenaRequestBuilder.tags().build()
        http_mocker.get(request, [error(429)] * 6 + [array([record("tags")])])

        output = read(ConfigBuilder().build(), "tags")

        assert len(output.records) == 1
        http_mocker.assert_number_of_calls(request, 7)
        assert 300 < waited(self.fake_time) < 600  # past one window before the last try, never more than two

    @HttpMocker()
    def test_given_429_that_never_ends_when_read_then_it_fails_only_after_waiting_out_a_whole_window(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(HelenaRequestBuilder.tags().build(), error(429))

        output = read(ConfigBuilder().build(), "tags", expecting_exception=True)

        assert output.errors
        assert waited(self.fake_time) > 300

    @HttpMocker()
    def test_given_429_with_retry_after_when_read_then_it_waits_what_the_api_says(
        self, http_mocker: HttpMocker
    ) -> None:
        limited = HttpResponse(error(429).body, 429, {"Retry-After": "120"})
        http_mocker.get(HelenaRequestBuilder.tags().build(), [limited, array([record("tags")])])

        output = read(ConfigBuilder().build(), "tags")

        assert len(output.records) == 1
        assert [c.args[0] for c in self.fake_time.sleep.call_args_list] == [121]  # the CDK adds 1 s

    @HttpMocker()
    def test_given_server_error_when_read_then_retry_until_success(self, http_mocker: HttpMocker) -> None:
        request = HelenaRequestBuilder.tags().build()
        http_mocker.get(request, [error(500), error(503), array([record("tags")])])

        output = read(ConfigBuilder().build(), "tags")

        assert len(output.records) == 1
        http_mocker.assert_number_of_calls(request, 3)


@pytest.mark.parametrize(
    ("status", "response"),
    [
        pytest.param(500, error(500), id="500-helena-error-body"),
        pytest.param(
            502, HttpResponse("<html><body>502 Bad Gateway</body></html>", 502), id="502-gateway-html"
        ),
        pytest.param(503, error(503), id="503-helena-error-body"),
        pytest.param(504, HttpResponse("", 504), id="504-empty-body"),
    ],
)
def test_given_server_error_on_every_attempt_when_read_then_the_failure_names_the_status_and_stream(
    status: int, response: HttpResponse
) -> None:
    """The message context has the decoded body, not the response: the status must be written out."""
    with HttpMocker() as http_mocker:
        http_mocker.get(HelenaRequestBuilder.tags().build(), response)

        output = read(ConfigBuilder().build(), "tags", expecting_exception=True)

    message = output.errors[0].trace.error.message
    assert f"HelenaCRM answered {status} while reading tags; retrying." in message
