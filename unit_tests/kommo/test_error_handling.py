"""How the connector answers Kommo's errors: 401/402/403 end as config errors, 429/5xx retry."""

from __future__ import annotations

from unittest import TestCase
from unittest.mock import MagicMock, patch

from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import problem, record, response, too_many_requests
from unit_tests.kommo.utils import error_logs, read

# The CDK waits with rate_limiting's time.sleep between retries; the tests don't wait.
NO_WAIT = "airbyte_cdk.sources.streams.http.rate_limiting.time"


def _pipelines_response() -> HttpResponse:
    return response("pipelines").with_record(record("pipelines", cursor=None)).build()


def _blocked_account() -> HttpResponse:
    """What every call gets once Kommo blocked an account for rate-limit violations: a 403 HTML page."""
    return HttpResponse("<html><body>Account blocked</body></html>", 403, {"Content-Type": "text/html"})


class TestErrorHandling(TestCase):
    @HttpMocker()
    def test_given_401_when_read_then_config_error_in_one_sentence_without_retry(
        self, http_mocker: HttpMocker
    ) -> None:
        request = KommoRequestBuilder.pipelines_endpoint().build()
        http_mocker.get(request, problem(401, "Unauthorized"))

        output = read(ConfigBuilder().build(), "pipelines", expecting_exception=True)

        errors = [e.trace.error for e in output.errors]
        assert errors and all(e.failure_type == FailureType.config_error for e in errors)
        assert (
            errors[0].message
            == "Kommo rejected the credentials while reading pipelines: the token is invalid or expired; put a new "
            "long-lived token (or reconnect OAuth) in the source's Authentication setting."
        )
        http_mocker.assert_number_of_calls(request, 1)

    @HttpMocker()
    def test_given_402_when_read_then_config_error_about_payment(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(KommoRequestBuilder.pipelines_endpoint().build(), problem(402, "Payment Required"))

        output = read(ConfigBuilder().build(), "pipelines", expecting_exception=True)

        assert output.errors[0].trace.error.failure_type == FailureType.config_error
        assert "subscription is unpaid" in output.errors[0].trace.error.message

    @HttpMocker()
    def test_given_403_outside_users_when_read_then_config_error_mentions_blocking(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(KommoRequestBuilder.pipelines_endpoint().build(), _blocked_account())

        output = read(ConfigBuilder().build(), "pipelines", expecting_exception=True)

        assert output.errors[0].trace.error.failure_type == FailureType.config_error
        assert "blocked for exceeding the rate limit" in output.errors[0].trace.error.message

    @HttpMocker()
    def test_given_429_html_without_retry_after_when_read_then_backs_off_and_retries(
        self, http_mocker: HttpMocker
    ) -> None:
        request = KommoRequestBuilder.pipelines_endpoint().build()
        http_mocker.get(request, [too_many_requests(), _pipelines_response()])

        with patch(NO_WAIT, new_callable=MagicMock) as mocked_time:
            output = read(ConfigBuilder().build(), "pipelines")

        assert len(output.records) == 1 and output.errors == [] and error_logs(output) == []
        assert (
            mocked_time.sleep.call_count == 1 and mocked_time.sleep.call_args.args[0] >= 2
        )  # waited on its own
        http_mocker.assert_number_of_calls(request, 2)

    @HttpMocker()
    def test_given_5xx_when_read_then_retried_until_success(self, http_mocker: HttpMocker) -> None:
        request = KommoRequestBuilder.pipelines_endpoint().build()
        http_mocker.get(
            request, [problem(502, "Bad Gateway"), problem(503, "Unavailable"), _pipelines_response()]
        )

        with patch(NO_WAIT, new_callable=MagicMock):
            output = read(ConfigBuilder().build(), "pipelines")

        assert len(output.records) == 1 and output.errors == []
        http_mocker.assert_number_of_calls(request, 3)

    @HttpMocker()
    def test_given_persistent_5xx_when_read_then_gives_up_after_max_retries(
        self, http_mocker: HttpMocker
    ) -> None:
        request = KommoRequestBuilder.pipelines_endpoint().build()
        http_mocker.get(request, problem(500, "Internal Server Error"))

        with patch(NO_WAIT, new_callable=MagicMock):
            output = read(ConfigBuilder().build(), "pipelines", expecting_exception=True)

        assert output.errors and output.records == []
        http_mocker.assert_number_of_calls(request, 7)  # the first call and 6 retries
