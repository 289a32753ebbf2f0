"""contacts: /v2/customers, bare JSON arrays with no total, page/limit paging."""

from __future__ import annotations

from unittest import TestCase, mock

import pytest
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import ConfigBuilder
from unit_tests.rd_station_conversas.request_builder import CONTACTS_PAGE_SIZE, ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import error_logs, read, records_of

STREAM = "contacts"


def contacts(count: int, offset: int = 0) -> list[dict]:
    return [rb.record(STREAM, _id=f"{offset + i:024x}") for i in range(count)]


class TestContactsFullRefresh(TestCase):
    @HttpMocker()
    def test_given_one_short_page_when_read_then_records_with_nested_fields_and_no_errors(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array(contacts(2)))

        output = read(ConfigBuilder().build(), STREAM)

        records = records_of(output, STREAM)
        assert [r["_id"] for r in records] == [f"{i:024x}" for i in range(2)]
        assert records[0]["address"]["city"] and records[0]["job"]["company"]
        assert isinstance(records[0]["customizable_field"], list)
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_full_page_then_short_page_when_read_then_follows_pages_and_stops(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array(contacts(CONTACTS_PAGE_SIZE)))
        http_mocker.get(
            ConversasRequestBuilder.contacts().with_page(2).build(),
            rb.array(contacts(3, offset=CONTACTS_PAGE_SIZE)),
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert len(records_of(output, STREAM)) == CONTACTS_PAGE_SIZE + 3

    @HttpMocker()
    def test_given_full_page_then_empty_page_when_read_then_stops_on_empty_page(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array(contacts(CONTACTS_PAGE_SIZE)))
        http_mocker.get(ConversasRequestBuilder.contacts().with_page(2).build(), rb.array([]))

        output = read(ConfigBuilder().build(), STREAM)

        assert len(records_of(output, STREAM)) == CONTACTS_PAGE_SIZE
        assert error_logs(output) == []


class TestContactsRepeatedPages(TestCase):
    """Paging ends only on a short page: a server repeating a full page must be caught, not followed."""

    @HttpMocker()
    def test_given_every_page_answers_the_first_page_when_read_then_fails_in_one_sentence_after_page_two(
        self, http_mocker: HttpMocker
    ) -> None:
        first_page = contacts(CONTACTS_PAGE_SIZE)
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array(first_page))
        http_mocker.get(ConversasRequestBuilder.contacts().with_page(2).build(), rb.array(first_page))

        output = read(ConfigBuilder().build(), STREAM, expecting_exception=True)

        # page 3 is never asked for: the mocker has no answer for it and would fail the test
        assert len(records_of(output, STREAM)) == 2 * CONTACTS_PAGE_SIZE
        error = output.errors[0].trace.error
        assert error.failure_type.value == "system_error"
        assert "answered page 2 of contacts with a page it had already sent" in error.message
        assert "\n" not in error.message

    @HttpMocker()
    def test_given_three_distinct_full_pages_when_read_then_all_read_without_errors(
        self, http_mocker: HttpMocker
    ) -> None:
        for page in (1, 2, 3):
            http_mocker.get(
                ConversasRequestBuilder.contacts().with_page(page).build(),
                rb.array(contacts(CONTACTS_PAGE_SIZE, offset=(page - 1) * CONTACTS_PAGE_SIZE)),
            )
        http_mocker.get(
            ConversasRequestBuilder.contacts().with_page(4).build(), rb.array(contacts(1, offset=999))
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert len({r["_id"] for r in records_of(output, STREAM)}) == 3 * CONTACTS_PAGE_SIZE + 1
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_page_shifted_by_one_new_contact_when_read_then_not_taken_for_a_repeat(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array(contacts(CONTACTS_PAGE_SIZE)))
        # a contact added at the top between the two requests: page 2 starts with page 1's last one
        http_mocker.get(
            ConversasRequestBuilder.contacts().with_page(2).build(),
            rb.array(contacts(CONTACTS_PAGE_SIZE, offset=CONTACTS_PAGE_SIZE - 1)),
        )
        http_mocker.get(ConversasRequestBuilder.contacts().with_page(3).build(), rb.array([]))

        output = read(ConfigBuilder().build(), STREAM)

        assert len(records_of(output, STREAM)) == 2 * CONTACTS_PAGE_SIZE
        assert error_logs(output) == []


# The shared budget answers a 429 by pausing every worker for the rest of its window (a real
# minute); these tests stub that pause so only the request's own back-off is exercised.
@pytest.mark.usefixtures("no_budget_pause")
class TestContactsErrors(TestCase):
    @HttpMocker()
    def test_given_401_when_read_then_config_error_in_one_sentence(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.error(401))

        output = read(ConfigBuilder().build(), STREAM, expecting_exception=True)

        assert records_of(output, STREAM) == []
        error = output.errors[0].trace.error
        assert error.failure_type.value == "config_error"
        assert "rejected the access token (HTTP 401)" in error.message

    @HttpMocker()
    @mock.patch("time.sleep")
    def test_given_429_without_retry_after_when_read_then_backs_off_and_succeeds(
        self, sleep: mock.Mock, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), [rb.error(429), rb.array(contacts(2))])

        output = read(ConfigBuilder().build(), STREAM)

        assert len(records_of(output, STREAM)) == 2
        assert sleep.call_args_list and sleep.call_args_list[0].args[0] >= 1  # a real wait, not a hot loop
        assert error_logs(output) == []

    @HttpMocker()
    @mock.patch("time.sleep")
    def test_given_429_with_retry_after_when_read_then_waits_that_long(
        self, sleep: mock.Mock, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            ConversasRequestBuilder.contacts().build(),
            [rb.error(429, {"Retry-After": "7"}), rb.array(contacts(1))],
        )

        output = read(ConfigBuilder().build(), STREAM)

        assert len(records_of(output, STREAM)) == 1
        assert any(call.args and call.args[0] >= 7 for call in sleep.call_args_list)

    @HttpMocker()
    @mock.patch("time.sleep")
    def test_given_500_once_when_read_then_retries_and_succeeds(
        self, sleep: mock.Mock, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(ConversasRequestBuilder.contacts().build(), [rb.error(500), rb.array(contacts(1))])

        output = read(ConfigBuilder().build(), STREAM)

        assert len(records_of(output, STREAM)) == 1
