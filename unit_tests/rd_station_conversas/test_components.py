"""components.py, one quirk at a time, with the response shapes the API notes describe."""

from __future__ import annotations

import copy
import json
import logging
import types
from typing import Any

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.paginators.strategies import PageIncrement
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from unit_tests.rd_station_conversas import response_builder as rb
from unit_tests.rd_station_conversas.jwe_helper import encrypt, private_jwk
from unit_tests.rd_station_conversas.utils import CONNECTOR

components = CONNECTOR.components()
PLAINTEXT: list[dict[str, Any]] = rb.template("history_plaintext")


def response(body: Any, status: int = 200) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    resp.headers["Content-Type"] = "application/json"
    return resp


@pytest.mark.parametrize(
    ("body", "keys", "wrap_as", "expected"),
    [
        pytest.param([{"id": 1}, {"id": 2}], ["employees"], None, [{"id": 1}, {"id": 2}], id="bare-array"),
        pytest.param({"employees": [{"id": 1}]}, ["employees"], None, [{"id": 1}], id="wrapped"),
        pytest.param(
            {"reports": [{"id": 3}], "total": 1},
            ["docs", "reports"],
            None,
            [{"id": 3}],
            id="second-envelope-key",
        ),
        pytest.param({"docs": [], "pages": 0}, ["docs", "reports"], None, [], id="empty-wrapped"),
        pytest.param([], ["employees"], None, [], id="empty-array"),
        pytest.param({}, ["employees"], None, [], id="empty-object"),
        pytest.param(
            {"wallets": ["Sul", "Norte"]},
            ["wallets"],
            "name",
            [{"name": "Sul"}, {"name": "Norte"}],
            id="strings-wrapped-as-records",
        ),
        pytest.param(
            [{"_id": "a", "x": 1}], [], "data", [{"data": {"_id": "a", "x": 1}}], id="whole-item-kept"
        ),
    ],
)
def test_envelope_extractor(body: Any, keys: list[str], wrap_as: str | None, expected: list[Any]) -> None:
    extractor = components.EnvelopeExtractor(config={}, parameters={}, envelope_keys=keys, wrap_as=wrap_as)
    assert list(extractor.extract_records(response(body))) == expected


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(json.dumps(PLAINTEXT, ensure_ascii=False).encode(), id="utf-8"),
        pytest.param(json.dumps(PLAINTEXT, ensure_ascii=False).encode("latin-1"), id="latin-1"),
        pytest.param(json.dumps(json.dumps(PLAINTEXT)).encode(), id="double-encoded"),
        pytest.param(json.dumps({"messages": PLAINTEXT}).encode(), id="wrapped-in-object"),
    ],
)
def test_parse_plaintext_quirks(payload: bytes) -> None:
    assert components._parse_plaintext(payload) == PLAINTEXT


def test_parse_plaintext_given_a_scalar_then_raises() -> None:
    with pytest.raises(ValueError):
        components._parse_plaintext(b"42")


def decrypt(record: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    config = {"private_key_jwk": key} if key else {}
    components.DecryptHistory(config=config, parameters={}).transform(record)
    return record


@pytest.mark.parametrize(
    ("messages", "key", "expected"),
    [
        pytest.param(
            lambda: encrypt(PLAINTEXT),
            private_jwk,
            {"encrypted": False, "decrypt_error": None},
            id="round-trip",
        ),
        pytest.param(
            lambda: encrypt(PLAINTEXT),
            lambda: None,
            {"encrypted": True, "decrypt_error": "no_key"},
            id="no-key",
        ),
        pytest.param(
            lambda: encrypt(PLAINTEXT, kid="old"),
            private_jwk,
            {"encrypted": True, "decrypt_error": "kid_mismatch"},
            id="older-kid",
        ),
        pytest.param(
            lambda: "a.b.c.d.e",
            private_jwk,
            {"encrypted": True, "decrypt_error": "invalid_token"},
            id="garbage",
        ),
        pytest.param(
            lambda: PLAINTEXT,
            private_jwk,
            {"encrypted": False, "decrypt_error": None},
            id="already-plaintext",
        ),
    ],
)
def test_decrypt_history(messages, key, expected: dict[str, Any]) -> None:
    token = messages()
    record = decrypt({"customer_id": "c1", "messages": token}, key())
    assert {k: record[k] for k in expected} == expected
    if expected["encrypted"]:
        assert record["data"] == token and record["messages"] is None
    else:
        assert json.loads(record["data"]) == PLAINTEXT
        assert [{k: v for k, v in m.items() if k != "message_id"} for m in record["messages"]] == PLAINTEXT


def test_decrypt_history_message_ids_are_stable_and_per_contact() -> None:
    first = decrypt({"customer_id": "c1", "messages": encrypt(PLAINTEXT)}, private_jwk())
    again = decrypt({"customer_id": "c1", "messages": encrypt(PLAINTEXT)}, private_jwk())
    other = decrypt({"customer_id": "c2", "messages": encrypt(PLAINTEXT)}, private_jwk())
    ids = [m["message_id"] for m in first["messages"]]
    assert ids == [m["message_id"] for m in again["messages"]]  # a fresh JWE of the same messages
    assert set(ids).isdisjoint(m["message_id"] for m in other["messages"])


def test_decrypt_history_warns_once_per_reason(caplog: pytest.LogCaptureFixture) -> None:
    transformation = components.DecryptHistory(config={"private_key_jwk": private_jwk()}, parameters={})
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        for _ in range(3):
            transformation.transform({"customer_id": "c1", "messages": encrypt(PLAINTEXT, kid="old")})
    assert len(caplog.records) == 1 and "kid_mismatch" in caplog.records[0].getMessage()
    assert transformation._failures["kid_mismatch"] == 3


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        pytest.param(None, True, id="absent"),
        pytest.param("", True, id="empty"),
        pytest.param(private_jwk, True, id="rsa-private-jwk"),
        pytest.param(lambda: json.loads(private_jwk()), True, id="jwk-as-object"),
        pytest.param("{not json", False, id="not-json"),
        pytest.param(
            json.dumps({"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}),
            False,
            id="inconsistent-numbers",
        ),
    ],
)
def test_private_key_jwk_validation(value: Any, valid: bool) -> None:
    value = value() if callable(value) else value
    validation = components.PrivateKeyJwkValidation()
    if valid:
        validation.validate(value)
        return
    with pytest.raises(AirbyteTracedException) as raised:
        validation.validate(value)
    assert raised.value.failure_type == FailureType.config_error
    assert str(value)[:12] not in raised.value.message


@pytest.mark.parametrize(
    ("status", "action"),
    [
        pytest.param(403, ResponseAction.IGNORE, id="403-plan"),
        pytest.param(404, ResponseAction.IGNORE, id="404-feature"),
        pytest.param(500, ResponseAction.RETRY, id="500-still-retried"),
        pytest.param(429, ResponseAction.RATE_LIMITED, id="429-still-rate-limited"),
        pytest.param(200, ResponseAction.SUCCESS, id="200"),
    ],
)
def test_optional_stream_error_handler(status: int, action: ResponseAction) -> None:
    handler = components.OptionalStreamErrorHandler(config={}, parameters={"name": "custom_fields"})
    assert handler.interpret_response(response({}, status)).response_action == action


def test_optional_stream_error_handler_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    handler = components.OptionalStreamErrorHandler(config={}, parameters={"name": "messages_history"})
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        for _ in range(5):
            handler.interpret_response(response({}, 403))
    assert [r.getMessage()[:40] for r in caplog.records] == ["Stream messages_history is not available"]


def test_given_history_answered_403_when_parent_contacts_flow_then_no_more_partitions() -> None:
    handler = components.OptionalStreamErrorHandler(config={}, parameters={"name": "messages_history"})
    gate = components.UntilStreamUnavailable(config={}, parameters={}, stream_name="messages_history")
    contacts = iter([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}])

    passed = gate.filter_records(contacts, stream_state={})
    first = next(passed)
    handler.interpret_response(response({}, 403))

    assert first == {"_id": "a"} and list(passed) == []


def test_given_a_new_sync_when_handler_built_then_stream_available_again() -> None:
    handler = components.OptionalStreamErrorHandler(config={}, parameters={"name": "messages_history"})
    handler.interpret_response(response({}, 403))
    components.OptionalStreamErrorHandler(
        config={}, parameters={"name": "messages_history"}
    )  # the next sync's source
    gate = components.UntilStreamUnavailable(config={}, parameters={}, stream_name="messages_history")

    assert list(gate.filter_records(iter([{"_id": "a"}]), stream_state={})) == [{"_id": "a"}]


def page_guard() -> Any:
    strategy = PageIncrement(
        config={}, page_size=2, parameters={}, start_from_page=1, inject_on_first_request=True
    )
    return components.RepeatedPageGuard(
        config={}, parameters={"name": "contacts"}, strategy=strategy, primary_key="_id"
    )


def contacts_page(*ids: str) -> requests.Response:
    return response([{"_id": i} for i in ids])


@pytest.mark.parametrize(
    ("second_page", "repeated"),
    [
        pytest.param(("a", "b"), True, id="same-ids-again"),
        pytest.param(("b", "c"), False, id="shifted-by-one"),
        pytest.param(("c", "d"), False, id="next-page"),
        pytest.param(("c",), False, id="short-last-page"),
    ],
)
def test_given_second_page_when_next_token_then_only_a_repeated_page_fails(
    second_page: tuple[str, ...], repeated: bool
) -> None:
    guard = page_guard()
    token = guard.next_page_token(contacts_page("a", "b"), 2, None, guard.initial_token)
    assert token == 2

    if repeated:
        with pytest.raises(
            AirbyteTracedException, match="answered page 2 of contacts with a page it had already sent"
        ):
            guard.next_page_token(contacts_page(*second_page), 2, None, token)
    else:
        guard.next_page_token(contacts_page(*second_page), len(second_page), None, token)


def test_given_a_page_token_when_copied_then_it_keeps_the_page_fingerprint() -> None:
    guard = page_guard()
    token = guard.next_page_token(contacts_page("a", "b"), 2, None, 1)

    assert copy.deepcopy(token) == 2 and copy.deepcopy(token).previous_page == token.previous_page
    assert str(token) == "2"  # what goes into ?page=


def test_components_load_as_injected_code() -> None:
    """PyAirbyte and the Builder exec components.py as a module missing from sys.modules; with
    ``from __future__ import annotations`` its dataclasses would fail there ('NoneType' ... '__dict__')."""
    module = types.ModuleType("injected_components")
    code = compile(CONNECTOR.components_path.read_text(), "components.py", "exec", dont_inherit=True)
    exec(code, module.__dict__)
    assert module.DecryptHistory(config={}, parameters={}).transform({"messages": []}) is None
