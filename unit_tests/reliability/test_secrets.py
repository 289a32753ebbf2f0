"""No secret ever reaches any output, and no decrypted message content reaches a log.

Every run of the reliability suite uses a recognisable token (``SECRET_TOKEN``) and each
Conversas sandbox's own private key; the harness keeps everything every run printed (stdout
with its records, states, logs and traces, and stderr). These tests add the noisiest scenarios
(debug logging, retries, a revoked token, undecryptable history, a secret of the wrong type in
the config) and then scan the whole session's output. This module runs last in the suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from unit_tests.reliability.harness import (
    BACKGROUND,
    CAPTURED,
    SECRET_TOKEN,
    SECRETS,
    TargetedFaults,
    check_in_process,
    config_for,
    make_app,
    run_command,
    run_read,
    serve,
)

pytestmark = pytest.mark.e2e

NOISY: dict[str, dict[str, Any]] = {
    "kommo": {
        "streams": ["leads", "users"],
        "config": {"window_days": 120, "num_workers": 1},
        "faults": [
            {"kind": "status", "status": 429, "path": "/api/v4/leads", "after": 1},
            {"kind": "status", "status": 502, "path": "/api/v4/leads", "after": 2},
            {"kind": "reset", "path": "/api/v4/leads", "after": 3},
            {"kind": "expire_token", "path": "/api/v4/leads", "after": 6},
        ],
    },
    "helenacrm": {
        "streams": ["contacts", "tags"],
        "config": {"window_in_days": 365, "num_workers": 1},
        "faults": [
            {"kind": "status", "status": 429, "path": "/core/v1/contact", "after": 1},
            {"kind": "truncate", "path": "/core/v1/contact", "after": 2},
            {"kind": "expire_token", "path": "/core/v1/contact", "after": 5},
        ],
    },
    "rd-station-conversas": {
        "streams": ["contacts", "messages_history"],
        "config": {},
        "faults": [
            {"kind": "status", "status": 500, "path": "/v2/messages/history", "after": 10},
            {"kind": "reset", "path": "/v2/messages/history", "after": 20},
            {"kind": "expire_token", "path": "/v2/messages/history", "after": 60},
        ],
    },
}


def noisy_run(connector: str) -> dict[str, Any]:
    plan = NOISY[connector]
    app = make_app(connector)
    TargetedFaults(app, plan["faults"])
    with serve(app) as server:
        config = config_for(server, connector, **plan["config"])
        read = run_read(connector, config, plan["streams"], extra_args=["--debug"])
        wrong = {**config}
        for key in ("api_key", "access_token"):
            if key in wrong:
                wrong[key] = "wrong-" + SECRET_TOKEN
        if "credentials" in wrong:
            wrong["credentials"] = {"auth_type": "api_token", "api_token": "wrong-" + SECRET_TOKEN}
        check = run_command(connector, "check", wrong)
    return {
        "connector": connector,
        "debug_read_lines": len(read.output.stdout.splitlines()),
        "debug_read_returncode": read.output.returncode,
        "wrong_token_check": check.connection_status.get("status")
        if check.of_type("CONNECTION_STATUS")
        else None,
    }


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    return [(n, lambda n=n: noisy_run(n)) for n in NOISY]


@pytest.fixture(scope="module")
def noisy(request: pytest.FixtureRequest, soak: bool) -> dict[str, dict[str, Any]]:
    return BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))


def _is_record(line: str) -> bool:
    if '"RECORD"' not in line[:60]:
        return False
    try:
        return json.loads(line).get("type") == "RECORD"
    except json.JSONDecodeError:
        return False


def _leaks(text: str) -> list[str]:
    return sorted({f"{secret[:6]}… ({len(secret)} chars)" for secret in SECRETS if secret and secret in text})


@pytest.mark.parametrize("connector", list(NOISY))
def test_given_debug_logs_retries_and_a_revoked_token_when_read_then_no_secret_in_the_output(
    connector: str, noisy
) -> None:
    result = noisy[connector]
    assert result["debug_read_lines"] > 0
    assert result["wrong_token_check"] == "FAILED"
    own = [(label, out, err) for label, out, err in CAPTURED if label.startswith(connector)]
    assert own
    for label, stdout, stderr in own:
        assert not _leaks(stdout + stderr), label


@pytest.mark.parametrize(
    ("connector", "config_change"),
    [
        pytest.param("helenacrm", {"api_key": 424242424242424242}, id="helenacrm-token-as-a-number"),
        pytest.param(
            "kommo",
            {"credentials": {"auth_type": "api_token", "api_token": 4242424242}},
            id="kommo-token-as-a-number",
        ),
        pytest.param(
            "rd-station-conversas",
            {"access_token": ["RELIABILITY", "SECRET"]},
            id="conversas-token-as-a-list",
        ),
    ],
)
def test_given_a_secret_of_the_wrong_type_when_check_then_it_is_not_echoed(
    connector: str, config_change: dict[str, Any]
) -> None:
    app = make_app(connector)
    with serve(app) as server:
        config = {**server.config(connector), **config_change}
        output = check_in_process(connector, config)
    secret = config_change.get("api_key") or config_change.get("access_token")
    if secret is None:
        secret = config_change["credentials"]["api_token"]
    rendered = json.dumps(secret) if not isinstance(secret, str) else secret
    assert output.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "FAILED"
    assert str(secret) not in output.stdout and rendered not in output.stdout


def test_no_secret_and_no_message_content_in_any_output_of_the_session(noisy, record) -> None:
    BACKGROUND.wait_all()  # every other module's syncs have printed everything they will
    contents = sorted(
        {
            m["content"]
            for messages in make_app("rd-station-conversas").history_plaintext().values()
            for m in messages
            if isinstance(m.get("content"), str) and len(m["content"]) >= 12
        }
    )
    secret_leaks: list[str] = []
    content_leaks: list[str] = []
    scanned_bytes = 0
    for label, stdout, stderr in CAPTURED:
        scanned_bytes += len(stdout) + len(stderr)
        if _leaks(stdout + stderr):
            secret_leaks.append(label)
        # Records may carry decrypted messages; logs, traces and stderr may not.
        non_records = [line for line in stdout.splitlines() if not _is_record(line)]
        text = "\n".join(non_records) + stderr
        if label.startswith("rd-station-conversas") and any(c in text for c in contents):
            content_leaks.append(label)
    record(
        "secrets",
        {
            "outputs_scanned": len(CAPTURED),
            "bytes_scanned": scanned_bytes,
            "secrets_looked_for": len(SECRETS),
            "message_contents_looked_for": len(contents),
            "outputs_with_a_secret": len(secret_leaks),
            "outputs_with_message_content_outside_records": len(content_leaks),
        },
    )

    assert len(CAPTURED) > 5
    assert not secret_leaks, secret_leaks
    assert not content_leaks, content_leaks
