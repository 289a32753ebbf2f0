"""messages: the decrypted history at one row per message, keyed by a derived message_id."""

from __future__ import annotations

from typing import Any
from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import START_DATE, ConfigBuilder
from unit_tests.rd_station_conversas.jwe_helper import encrypt, private_jwk
from unit_tests.rd_station_conversas.test_messages_history import (
    CONTACT_A,
    CONTACT_B,
    PLAINTEXT,
    history,
    messages,
    mock_contacts,
)
from unit_tests.rd_station_conversas.utils import (
    NOW,
    error_logs,
    history_state,
    last_state,
    logs_at,
    read,
    records_of,
)

STREAM = "messages"


def config_with_key() -> dict[str, Any]:
    return ConfigBuilder().with_private_key(private_jwk()).build()


def content(records: list[dict[str, Any]]) -> list[str]:
    return [r["content"] for r in records]


class TestMessagesFullRefresh(TestCase):
    @HttpMocker()
    def test_given_history_pages_when_read_then_one_keyed_row_per_message(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT)))
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT[:1])))

        output = read(config_with_key(), STREAM)

        records = records_of(output, STREAM)
        assert sorted((r["customer_id"], r["content"]) for r in records) == sorted(
            [(CONTACT_A, m["content"]) for m in PLAINTEXT] + [(CONTACT_B, PLAINTEXT[0]["content"])]
        )
        assert len({r["message_id"] for r in records}) == 3  # the same message of two contacts: two keys
        a_first = next(
            r for r in records if r["customer_id"] == CONTACT_A and r["content"] == PLAINTEXT[0]["content"]
        )
        assert {k: a_first[k] for k in PLAINTEXT[0]} == PLAINTEXT[0]
        assert (a_first["kid"], a_first["window_start"], a_first["window_end"]) == (
            "conversas-key-1",
            START_DATE,
            NOW,
        )
        assert error_logs(output) == [] and logs_at(output, "WARN") == []

    @HttpMocker()
    def test_given_same_messages_read_twice_when_keys_compared_then_equal_to_messages_history_ids(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT)))

        output = read(config_with_key(), [STREAM, "messages_history"])

        [page] = records_of(output, "messages_history")
        assert sorted(r["message_id"] for r in records_of(output, STREAM)) == sorted(
            m["message_id"] for m in page["messages"]
        )

    @HttpMocker()
    def test_given_bare_envelope_when_read_then_pages_until_a_short_page(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A)
        everything = messages(150)
        http_mocker.get(history(CONTACT_A), rb.history_bare(encrypt(everything[:100])))
        http_mocker.get(history(CONTACT_A, page=2), rb.history_bare(encrypt(everything[100:])))

        output = read(config_with_key(), STREAM)

        assert content(records_of(output, STREAM)) == [m["content"] for m in everything]

    @HttpMocker()
    def test_given_no_key_when_read_then_no_rows_and_one_warning_pointing_to_messages_history(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT)))
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT)))

        output = read(ConfigBuilder().build(), STREAM)

        assert records_of(output, STREAM) == []
        warnings = [w for w in logs_at(output, "WARN") if "no private key" in w]
        assert len(warnings) == 1 and "messages_history keeps such pages whole" in warnings[0]
        assert output.errors == [] and error_logs(output) == []

    @HttpMocker()
    def test_given_plan_without_history_when_read_then_skipped_once(self, http_mocker: HttpMocker) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.error(403))
        http_mocker.get(history(CONTACT_B), rb.error(403))

        output = read(config_with_key(), STREAM)

        assert records_of(output, STREAM) == []
        assert len([w for w in logs_at(output, "WARN") if "Stream messages is not available" in w]) == 1
        assert output.errors == []


class TestMessagesIncremental(TestCase):
    @HttpMocker()
    def test_given_state_for_a_contact_when_read_then_asked_from_its_day_and_state_per_contact(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(
            history(CONTACT_A, start_date="2026-01-10"), rb.history_page(encrypt(PLAINTEXT[1:]), total=1)
        )
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT)))
        state = history_state(STREAM, {CONTACT_A: "2026-01-10"})

        output = read(config_with_key(), STREAM, SyncMode.incremental, state)

        assert sorted((r["customer_id"], r["window_start"]) for r in records_of(output, STREAM)) == sorted(
            [(CONTACT_A, "2026-01-10"), (CONTACT_B, START_DATE), (CONTACT_B, START_DATE)]
        )
        states = {
            s["partition"]["customer_id"]: s["cursor"]["window_end"] for s in last_state(output)["states"]
        }
        assert states == {CONTACT_A: NOW, CONTACT_B: NOW}
