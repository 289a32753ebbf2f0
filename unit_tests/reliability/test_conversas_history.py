"""Conversas message history that can't be decrypted: rows are kept (ciphertext) and counted.

Three ways a page becomes unreadable: its JWE is corrupted in transit, the configured key is the
wrong one, or the customer regenerates the key while the sync pages through the history. In all
three the sync must succeed, keep every page (the JWE as received in ``data``, ``encrypted``
true, a ``decrypt_error`` reason), decrypt every page it can, and log no message content.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from typing import Any

import pytest
from jwcrypto import jwk

from sandbox.http import Request, Response
from unit_tests.reliability.harness import (
    BACKGROUND,
    TARGETS,
    config_for,
    make_app,
    measure,
    rewrite_responses,
    run_read,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e

TARGET = TARGETS["rd-station-conversas:messages_history"]
SCENARIOS = ["corrupt_jwe", "wrong_key", "key_rotated_mid_history"]
ROTATE_AFTER = 60  # history responses served before the customer regenerates the key


def _kid(token: str) -> str | None:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))).get("kid")


def _corrupt(token: str) -> str:
    """Flip one character of the ciphertext segment: the header still parses, decryption fails."""
    parts = token.split(".")
    cipher = parts[3]
    parts[3] = ("A" if cipher[0] != "A" else "B") + cipher[1:]
    return ".".join(parts)


def run_scenario(scenario: str) -> dict[str, Any]:
    app = make_app(TARGET.connector)
    served: dict[tuple[str, int], dict[str, Any]] = {}  # (customer_id, page) -> token, corrupted
    lock = threading.Lock()
    counter = {"n": 0}

    def rewrite(request: Request, response: Response) -> Response:
        if "/v2/messages/history" not in request.path or response.status != 200:
            return response
        body = json.loads(response.body)
        with lock:
            counter["n"] += 1
            n = counter["n"]
            if scenario == "key_rotated_mid_history" and n == ROTATE_AFTER:
                # Gerar Chave: a new key pair replaces the current one for every page from now on.
                # (this page was encrypted before the change; the next ones are under the new key)
                app.keys.current = jwk.JWK.generate(kty="RSA", size=2048, kid=f"rdsc-{app.seed}-3")
        token = body["messages"]
        corrupted = scenario == "corrupt_jwe" and n % 4 == 0
        if corrupted:
            token = _corrupt(token)
        body["messages"] = token
        key = (request.arg("customer_id") or "", int(request.arg("page") or 1))
        with lock:
            served[key] = {"token": token, "corrupted": corrupted, "kid": _kid(token)}
        return Response.json(body)

    rewrite_responses(app, rewrite)
    with serve(app) as server:
        config = config_for(server, TARGET.connector)
        configured_kid = json.loads(config["private_key_jwk"]).get("kid")
        if scenario == "wrong_key":
            # A real RSA private key, same kid, not the account's: decryption is tried and fails.
            config["private_key_jwk"] = jwk.JWK.generate(
                kty="RSA", size=2048, kid=configured_kid
            ).export_private()
        run = run_read(TARGET.connector, config, [TARGET.stream])
    outcome = measure(run, TARGET, TARGET.truth(app))
    rows = {TARGET.key(r): r for r in run.output.records_of(TARGET.stream)}

    def undecryptable(key: tuple[str, int]) -> bool:
        page = served.get(key)
        if page is None:
            return False
        return scenario == "wrong_key" or page["corrupted"] or page["kid"] != configured_kid

    expected_encrypted = {k for k in rows if undecryptable(k)}
    kept_encrypted = {k for k, r in rows.items() if r.get("encrypted")}
    ciphertext_kept = all(rows[k].get("data") == served[k]["token"] for k in kept_encrypted if k in served)
    plaintexts = [
        m["content"]
        for messages in app.history_plaintext().values()
        for m in messages
        if isinstance(m.get("content"), str) and len(m["content"]) >= 12
    ]
    logs = "\n".join(run.output.logs()) + run.output.stderr
    return {
        "scenario": scenario,
        "outcome": outcome.outcome,
        "returncode": outcome.returncode,
        "error": outcome.error,
        "pages_expected": outcome.expected,
        "pages_delivered": outcome.delivered,
        "missing": outcome.missing,
        "duplicates": outcome.duplicates,
        "encrypted_expected": len(expected_encrypted),
        "encrypted_kept": len(kept_encrypted),
        "decrypted": sum(1 for r in rows.values() if not r.get("encrypted")),
        "encrypted_match": kept_encrypted == expected_encrypted,
        "ciphertext_kept": ciphertext_kept,
        "reasons": dict(Counter(r.get("decrypt_error") for r in rows.values() if r.get("encrypted"))),
        "warnings": [line for line in run.output.logs("WARN")],
        "content_in_logs": any(text in logs for text in plaintexts),
    }


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    return [(s, lambda s=s: run_scenario(s)) for (s,) in selected_params(items, __name__, "scenario")]


@pytest.fixture(scope="module")
def scenarios(request: pytest.FixtureRequest, soak: bool) -> dict[str, dict[str, Any]]:
    return BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_given_undecryptable_history_when_read_then_rows_kept_counted_and_sync_succeeds(
    scenario: str, scenarios, record
) -> None:
    result = scenarios[scenario]
    record("history", result)

    assert result["outcome"] == "complete", result
    assert result["pages_delivered"] == result["pages_expected"] and result["missing"] == 0
    assert result["encrypted_expected"] > 0, "the scenario made no page undecryptable"
    assert result["encrypted_match"], result
    assert result["ciphertext_kept"]
    assert scenario == "wrong_key" or result["decrypted"] > 0, "pages under the right key must decrypt"
    assert result["warnings"], "undecryptable pages must be reported"
    assert not result["content_in_logs"]
