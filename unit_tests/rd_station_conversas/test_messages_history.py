"""messages_history: per contact (child of contacts), one JWE per page, decrypted with the customer's key."""

from __future__ import annotations

import json
from typing import Any
from unittest import TestCase

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.config import START_DATE, ConfigBuilder
from unit_tests.rd_station_conversas.jwe_helper import encrypt, key_pair, private_jwk
from unit_tests.rd_station_conversas.request_builder import ConversasRequestBuilder
from unit_tests.rd_station_conversas.utils import (
    NOW,
    TODAY,
    error_logs,
    history_state,
    last_state,
    logs_at,
    read,
    records_of,
)

STREAM = "messages_history"
CONTACT_A, CONTACT_B = "65f0a1b2c3d4e5f601234567", "65f0a1b2c3d4e5f601234568"
PLAINTEXT: list[dict[str, Any]] = rb.template("history_plaintext")


def mock_contacts(http_mocker: HttpMocker, *ids: str) -> None:
    contacts = [rb.record("contacts", _id=contact_id) for contact_id in ids]
    http_mocker.get(ConversasRequestBuilder.contacts().build(), rb.array(contacts))


def history(contact_id: str, start_date: str = START_DATE, page: int = 1) -> Any:
    builder = ConversasRequestBuilder.messages_history(contact_id, start_date)
    return (builder.with_page(page) if page > 1 else builder).build()


def config_with_key() -> dict[str, Any]:
    return ConfigBuilder().with_private_key(private_jwk()).build()


def without_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "message_id"} for m in messages]


class TestMessagesHistoryFullRefresh(TestCase):
    @HttpMocker()
    def test_given_key_when_read_then_history_decrypted_per_contact(self, http_mocker: HttpMocker) -> None:
        mock_contacts(http_mocker, CONTACT_A)
        token = encrypt(PLAINTEXT)
        http_mocker.get(history(CONTACT_A), rb.history_page(token))

        output = read(config_with_key(), STREAM)

        [record] = records_of(output, STREAM)
        assert record["customer_id"] == CONTACT_A
        assert (record["window_start"], record["window_end"], record["page"]) == (START_DATE, NOW, 1)
        # The CDK's serializer omits null values: a missing decrypt_error is a null one.
        assert (record["encrypted"], record["kid"], record.get("decrypt_error")) == (
            False,
            "conversas-key-1",
            None,
        )
        assert json.loads(record["data"]) == PLAINTEXT
        assert without_ids(record["messages"]) == PLAINTEXT
        assert len({m["message_id"] for m in record["messages"]}) == len(PLAINTEXT)
        assert error_logs(output) == [] and logs_at(output, "WARN") == []

    @HttpMocker()
    def test_given_two_pages_when_read_then_follows_page_and_pages(self, http_mocker: HttpMocker) -> None:
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT[:1]), page=1, pages=2))
        http_mocker.get(history(CONTACT_A, page=2), rb.history_page(encrypt(PLAINTEXT[1:]), page=2, pages=2))

        output = read(config_with_key(), STREAM)

        records = records_of(output, STREAM)
        assert [r["page"] for r in records] == [1, 2]
        assert [m["content"] for r in records for m in r["messages"]] == [m["content"] for m in PLAINTEXT]

    @HttpMocker()
    def test_given_page_two_answered_with_page_one_when_read_then_fails_instead_of_asking_forever(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A)
        first_page = rb.history_page(encrypt(PLAINTEXT[:1]), page=1, pages=3)
        http_mocker.get(history(CONTACT_A), first_page)
        http_mocker.get(history(CONTACT_A, page=2), first_page)  # `page` ignored: page 1 again

        output = read(config_with_key(), STREAM, expecting_exception=True)

        error = output.errors[0].trace.error
        assert "answered page 2 of messages_history with a page it had already sent" in error.message
        assert "\n" not in error.message and PLAINTEXT[0]["content"] not in error.message

    @HttpMocker()
    def test_given_empty_window_when_read_then_no_record(self, http_mocker: HttpMocker) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt([]), total=0))
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT)))

        output = read(config_with_key(), STREAM)

        assert [r["customer_id"] for r in records_of(output, STREAM)] == [CONTACT_B]

    @HttpMocker()
    def test_given_no_key_when_read_then_jwe_kept_as_received_with_one_warning(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        tokens = {CONTACT_A: encrypt(PLAINTEXT), CONTACT_B: encrypt(PLAINTEXT)}
        for contact_id, token in tokens.items():
            http_mocker.get(history(contact_id), rb.history_page(token))

        output = read(ConfigBuilder().build(), STREAM)

        records = records_of(output, STREAM)
        assert {r["customer_id"]: r["data"] for r in records} == tokens
        assert all(
            r["encrypted"] and r.get("messages") is None and r["decrypt_error"] == "no_key" for r in records
        )
        assert all(r["kid"] == "conversas-key-1" for r in records)
        assert len([w for w in logs_at(output, "WARN") if "no private key" in w]) == 1
        assert output.errors == [] and error_logs(output) == []

    @HttpMocker()
    def test_given_403_plan_without_history_when_read_with_contacts_then_skipped_and_contacts_synced(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.error(403))
        http_mocker.get(history(CONTACT_B), rb.error(403))

        output = read(config_with_key(), ["contacts", STREAM])

        assert len(records_of(output, "contacts")) == 2
        assert records_of(output, STREAM) == []
        warnings = [w for w in logs_at(output, "WARN") if "messages_history is not available" in w]
        assert len(warnings) == 1
        assert output.errors == [] and error_logs(output) == []


@pytest.mark.parametrize(
    ("token", "expected_error"),
    [
        pytest.param(lambda: encrypt(PLAINTEXT, kid="conversas-key-old"), "kid_mismatch", id="older-kid"),
        pytest.param(lambda: encrypt(PLAINTEXT)[:-12] + "A" * 12, "invalid_token", id="corrupt-tag"),
        pytest.param(lambda: "not-a-jwe", "invalid_token", id="not-a-jwe"),
    ],
)
def test_given_undecryptable_pages_when_read_then_ciphertext_kept_counted_and_warned_once(
    token, expected_error
) -> None:
    with HttpMocker() as http_mocker:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        tokens = {CONTACT_A: token(), CONTACT_B: token()}
        for contact_id, value in tokens.items():
            http_mocker.get(history(contact_id), rb.history_page(value))
        output = read(config_with_key(), STREAM)

    records = records_of(output, STREAM)
    assert {r["customer_id"]: r["data"] for r in records} == tokens  # never dropped, never altered
    assert [r["decrypt_error"] for r in records] == [expected_error] * 2
    assert len([w for w in logs_at(output, "WARN") if "kept encrypted" in w]) == 1
    assert output.errors == [] and error_logs(output) == []


@pytest.mark.parametrize(
    ("plaintext", "alg", "enc"),
    [
        pytest.param(
            json.dumps(PLAINTEXT, ensure_ascii=False).encode("latin-1"),
            "RSA-OAEP-256",
            "A256GCM",
            id="latin-1",
        ),
        pytest.param(
            json.dumps(json.dumps(PLAINTEXT, ensure_ascii=False)).encode(),
            "RSA-OAEP-256",
            "A256GCM",
            id="double-encoded",
        ),
        pytest.param(json.dumps(PLAINTEXT).encode(), "RSA-OAEP", "A256GCM", id="rsa-oaep-sha1"),
        pytest.param(json.dumps(PLAINTEXT).encode(), "RSA-OAEP-256", "A128CBC-HS256", id="enc-from-header"),
    ],
)
def test_given_live_payload_quirk_when_read_then_messages_decoded(
    plaintext: bytes, alg: str, enc: str
) -> None:
    with HttpMocker() as http_mocker:
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(plaintext, alg=alg, enc=enc)))
        output = read(config_with_key(), STREAM)

    [record] = records_of(output, STREAM)
    assert without_ids(record["messages"]) == PLAINTEXT
    assert record["encrypted"] is False


def test_given_raw_control_characters_when_read_then_message_kept() -> None:
    system = [{**PLAINTEXT[0], "sent_by": "bot", "content": "Transferência\x0bautomática"}]
    raw = json.dumps(system, ensure_ascii=False).replace("\\u000b", "\x0b").encode()
    with HttpMocker() as http_mocker:
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(raw)))
        output = read(config_with_key(), STREAM)

    [record] = records_of(output, STREAM)
    assert record["messages"][0]["content"] == "Transferência\x0bautomática"


def test_given_history_read_when_logs_inspected_then_no_content_or_key_material() -> None:
    with HttpMocker() as http_mocker:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT)))
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT, kid="conversas-key-old")))
        output = read(config_with_key(), STREAM)

    logged = "\n".join(log.log.message for log in output.logs)
    private_d = key_pair().export(private_key=True, as_dict=True)["d"]
    assert private_d not in logged
    assert all(m["content"] not in logged for m in PLAINTEXT)


class TestMessagesHistoryIncremental(TestCase):
    @HttpMocker()
    def test_given_no_state_when_read_then_state_per_contact_up_to_today(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT)))
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT)))

        output = read(config_with_key(), STREAM, SyncMode.incremental)

        states = {s["partition"]["customer_id"]: s["cursor"] for s in last_state(output)["states"]}
        assert states == {CONTACT_A: {"window_end": NOW}, CONTACT_B: {"window_end": NOW}}

    @HttpMocker()
    def test_given_state_for_one_contact_when_read_then_it_is_asked_only_since_its_state(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(
            history(CONTACT_A, start_date="2026-01-10"), rb.history_page(encrypt(PLAINTEXT[1:]), total=1)
        )
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(PLAINTEXT)))
        state = history_state(STREAM, {CONTACT_A: "2026-01-10"})

        output = read(config_with_key(), STREAM, SyncMode.incremental, state)

        windows = {r["customer_id"]: r["window_start"] for r in records_of(output, STREAM)}
        assert windows == {CONTACT_A: "2026-01-10", CONTACT_B: START_DATE}
        states = {
            s["partition"]["customer_id"]: s["cursor"]["window_end"] for s in last_state(output)["states"]
        }
        assert states == {CONTACT_A: NOW, CONTACT_B: NOW}

    @HttpMocker()
    def test_given_state_from_earlier_today_when_read_then_today_is_asked_again(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(
            history(CONTACT_A, start_date=TODAY), rb.history_page(encrypt(PLAINTEXT[1:]), total=1)
        )
        state = history_state(STREAM, {CONTACT_A: f"{TODAY}T09:00:00Z"})

        output = read(config_with_key(), STREAM, SyncMode.incremental, state)

        [record] = records_of(output, STREAM)
        assert (record["window_start"], record["window_end"]) == (TODAY, NOW)


def messages(count: int, day: str = "2025-07-01") -> list[dict[str, Any]]:
    """``count`` distinct messages on ``day``, one second apart."""
    return [
        {**PLAINTEXT[n % 2], "created_at": f"{day}T10:{n // 60:02d}:{n % 60:02d}.000Z", "content": f"msg {n}"}
        for n in range(count)
    ]


class TestMessagesHistoryRequest(TestCase):
    @HttpMocker()
    def test_given_any_contact_when_read_then_every_channel_sender_and_type_is_asked_explicitly(
        self, http_mocker: HttpMocker
    ) -> None:
        # The official node defaults channel to whatsapp and sent_by to customer+operator. Fails before
        # 0.2.0: neither was sent, so the request below (with both) was never made.
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(PLAINTEXT)))

        output = read(config_with_key(), STREAM)

        assert len(records_of(output, STREAM)) == 1


class TestMessagesHistoryBareEnvelope(TestCase):
    """Envelopes with only ``messages``: no public client reads ``page``/``pages``."""

    @HttpMocker()
    def test_given_full_page_without_pages_when_read_then_pages_until_a_short_page(
        self, http_mocker: HttpMocker
    ) -> None:
        # Fails before 0.2.0: without `pages` the first page was taken as the only one (100 of 130 read).
        mock_contacts(http_mocker, CONTACT_A)
        everything = messages(130)
        http_mocker.get(history(CONTACT_A), rb.history_bare(encrypt(everything[:100])))
        http_mocker.get(history(CONTACT_A, page=2), rb.history_bare(encrypt(everything[100:])))

        output = read(config_with_key(), STREAM)

        records = records_of(output, STREAM)
        assert [r["page"] for r in records] == [1, 2]
        assert without_ids([m for r in records for m in r["messages"]]) == everything

    @HttpMocker()
    def test_given_exactly_full_pages_without_pages_when_read_then_stops_on_the_empty_page(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_bare(encrypt(messages(100))))
        http_mocker.get(history(CONTACT_A, page=2), rb.history_bare(encrypt([])))
        http_mocker.get(history(CONTACT_B), rb.history_bare(encrypt([])))  # a contact without messages

        output = read(config_with_key(), STREAM)

        records = records_of(output, STREAM)
        assert [(r["customer_id"], len(r["messages"])) for r in records] == [(CONTACT_A, 100)]

    @HttpMocker()
    def test_given_no_key_and_no_pages_when_read_then_pages_until_the_empty_page_kept_encrypted(
        self, http_mocker: HttpMocker
    ) -> None:
        # An encrypted page can't be counted: read on until the empty one (told by the JWE's length).
        mock_contacts(http_mocker, CONTACT_A)
        first, second = encrypt(messages(3)), encrypt([])
        http_mocker.get(history(CONTACT_A), rb.history_bare(first))
        http_mocker.get(history(CONTACT_A, page=2), rb.history_bare(second))

        output = read(ConfigBuilder().build(), STREAM)

        assert [r["data"] for r in records_of(output, STREAM)] == [first]


@pytest.mark.parametrize(
    ("content",),
    [
        pytest.param('Use o cupom "BEMVINDO10" na sua compra', id="quoted-word"),
        pytest.param('Olá {{nome}}, o pedido "#4821" saiu para "entrega expressa" hoje', id="several-quotes"),
    ],
)
def test_given_template_with_unescaped_quotes_when_read_then_repaired(content: str) -> None:
    # rd-conversas-etl needs escapeContentQuotes: "templates usam aspas retas de conteúdo não escapadas".
    # Fails before 0.2.0: the page stayed ciphertext with decrypt_error invalid_token.
    sent = [{**PLAINTEXT[0], "content": content, "is_template_message": True}, PLAINTEXT[1]]
    raw = json.dumps(sent, ensure_ascii=False).replace('\\"', '"').encode("latin-1")
    with HttpMocker() as http_mocker:
        mock_contacts(http_mocker, CONTACT_A)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(raw)))
        output = read(config_with_key(), STREAM)

    [record] = records_of(output, STREAM)
    assert without_ids(record["messages"]) == sent
    assert record.get("decrypt_error") is None and logs_at(output, "WARN") == []


def test_given_plaintext_no_repair_parses_when_read_then_kept_whole_under_its_own_reason() -> None:
    # Fails before 0.2.0: counted as invalid_token, the ciphertext kept, and the log blamed the key.
    broken = '[{"sent_by":"bot","content":"diga "oi", tchau","created_at":"2025-06-01T12:00:00Z"'
    with HttpMocker() as http_mocker:
        mock_contacts(http_mocker, CONTACT_A, CONTACT_B)
        http_mocker.get(history(CONTACT_A), rb.history_page(encrypt(broken)))
        http_mocker.get(history(CONTACT_B), rb.history_page(encrypt(broken)))
        output = read(config_with_key(), STREAM)

    records = records_of(output, STREAM)
    assert [r["data"] for r in records] == [broken, broken]  # lossless: the decrypted text as is
    assert all(
        r["decrypt_error"] == "unparseable_plaintext"
        and r["encrypted"] is False
        and r.get("messages") is None
        for r in records
    )
    warnings = logs_at(output, "WARN")
    assert len(warnings) == 1 and "not valid JSON" in warnings[0] and "key" in warnings[0]
    assert "could not be decrypted" not in warnings[0] and "tchau" not in warnings[0]
    assert output.errors == [] and error_logs(output) == []
