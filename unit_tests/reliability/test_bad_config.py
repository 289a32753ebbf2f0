"""Configs wrong in every way a user can make them, through ``check`` of the real entry point.

Each must fail at spec validation or at check with one clear sentence, and before any request
carries the token to a host the user did not mean. Where a crafted value could redirect the
token (a Kommo subdomain with ``@``, ``#``, ``/`` or ``:``, a plain-http or userinfo base URL),
the would-be host is a local listener that records every connection: it must see none.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from jwcrypto import jwk

from unit_tests.reliability.harness import (
    BACKGROUND,
    SECRET_TOKEN,
    SECRETS,
    check_in_process,
    clear_message,
    make_app,
    run_command,
    selected_params,
    serve,
)

pytestmark = pytest.mark.e2e


class Listener:
    """A TCP listener that accepts and records every connection (the token's would-be new home)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            self.connections.append(data)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.setblocking(False)
        while True:  # connections still waiting in the backlog count too
            try:
                conn, _ = self.sock.accept()
            except OSError:
                break
            self.connections.append(b"")
            conn.close()
        self.sock.close()


@dataclass(frozen=True)
class Case:
    connector: str
    name: str
    build: Callable[[dict[str, Any], dict[str, Listener]], dict[str, Any]]  # (good config, listeners)
    soak: bool = False
    cli: bool = False  # through the CLI (a process per row); others through the same entry point in-process


def _without(config: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in keys}


def _kommo_subdomain(value: str) -> Callable[[dict[str, Any], dict[str, Listener]], dict[str, Any]]:
    """A subdomain with no api_base_url: the host comes from the subdomain alone."""

    def build(good: dict[str, Any], listeners: dict[str, Listener]) -> dict[str, Any]:
        port = listeners["local"].port
        return {**_without(good, "api_base_url"), "subdomain": value.format(port=port)}

    return build


def _base_url(value: str) -> Callable[[dict[str, Any], dict[str, Listener]], dict[str, Any]]:
    def build(good: dict[str, Any], listeners: dict[str, Listener]) -> dict[str, Any]:
        return {
            **good,
            "api_base_url": value.format(port=listeners["local"].port, other=listeners["other"].port),
        }

    return build


def _set(**values: Any) -> Callable[[dict[str, Any], dict[str, Listener]], dict[str, Any]]:
    return lambda good, _: {**good, **values}


def _drop(*keys: str) -> Callable[[dict[str, Any], dict[str, Listener]], dict[str, Any]]:
    return lambda good, _: _without(good, *keys)


def _jwk(kind: str) -> Callable[[dict[str, Any], dict[str, Listener]], dict[str, Any]]:
    def build(good: dict[str, Any], _: dict[str, Listener]) -> dict[str, Any]:
        key = good["private_key_jwk"]
        value: Any
        if kind == "malformed":
            value = key[: len(key) // 2]  # a truncated paste
        elif kind == "public":
            value = jwk.JWK.from_json(key).export_public()
        elif kind == "not_rsa":
            value = jwk.JWK.generate(kty="EC", crv="P-256").export_private()
        else:  # the JSON pasted as an object instead of a string
            value = json.loads(key)
        return {**good, "private_key_jwk": value}

    return build


FUTURE = "2999-01-01"
CASES = [
    # --- Kommo ----------------------------------------------------------------------------------
    Case("kommo", "missing subdomain", _drop("subdomain")),
    Case("kommo", "missing credentials", _drop("credentials")),
    Case(
        "kommo",
        "wrong token",
        _set(credentials={"auth_type": "api_token", "api_token": "wrong-" + SECRET_TOKEN}),
    ),
    Case("kommo", "token credentials without the token", _set(credentials={"auth_type": "api_token"})),
    Case("kommo", "subdomain with a dot", _kommo_subdomain("127.0.0.1")),
    Case("kommo", "subdomain with a slash", _kommo_subdomain("127.0.0.1:{port}/")),
    Case("kommo", "subdomain with @", _kommo_subdomain("x@127.0.0.1:{port}/"), cli=True),
    Case("kommo", "subdomain with #", _kommo_subdomain("127.0.0.1:{port}#"), cli=True),
    Case("kommo", "subdomain with :", _kommo_subdomain("localhost:{port}")),
    Case("kommo", "subdomain with spaces", _kommo_subdomain("my company")),
    Case("kommo", "subdomain in upper case", _kommo_subdomain("MyCompany"), soak=True),
    Case("kommo", "unknown domain", _set(domain="evil.example"), soak=True),
    Case("kommo", "api_base_url plain http, not localhost", _base_url("http://127.0.0.2:{other}")),
    Case("kommo", "api_base_url with userinfo", _base_url("https://user@127.0.0.1:{port}")),
    Case("kommo", "malformed start_date", _set(start_date="2024/01/01")),
    Case("kommo", "impossible start_date", _set(start_date="2024-13-45")),
    Case("kommo", "future start_date", _set(start_date=FUTURE)),
    Case("kommo", "requests_per_second out of range", _set(requests_per_second=0), soak=True),
    # --- HelenaCRM ------------------------------------------------------------------------------
    Case("helenacrm", "missing api_key", _drop("api_key")),
    Case("helenacrm", "wrong api_key", _set(api_key="wrong-" + SECRET_TOKEN)),
    Case("helenacrm", "empty api_key", _set(api_key=""), soak=True),
    Case(
        "helenacrm", "api_base_url plain http, not localhost", _base_url("http://127.0.0.2:{other}"), cli=True
    ),
    Case("helenacrm", "api_base_url with userinfo", _base_url("https://user@127.0.0.1:{port}")),
    Case("helenacrm", "api_base_url not a URL", _base_url("api.helena.run"), soak=True),
    Case("helenacrm", "malformed start_date", _set(start_date="01/01/2024")),
    Case("helenacrm", "impossible start_date", _set(start_date="2024-02-30")),
    Case("helenacrm", "future start_date", _set(start_date=FUTURE)),
    Case("helenacrm", "window_in_days zero", _set(window_in_days=0), soak=True),
    # --- RD Station Conversas -------------------------------------------------------------------
    Case("rd-station-conversas", "missing access_token", _drop("access_token")),
    Case("rd-station-conversas", "wrong access_token", _set(access_token="wrong-" + SECRET_TOKEN)),
    Case("rd-station-conversas", "malformed JWK (truncated paste)", _jwk("malformed")),
    Case("rd-station-conversas", "public JWK instead of the private key", _jwk("public")),
    Case("rd-station-conversas", "JWK of a non-RSA key", _jwk("not_rsa")),
    Case("rd-station-conversas", "JWK pasted as a JSON object", _jwk("object"), cli=True),
    Case(
        "rd-station-conversas",
        "api_base_url plain http, not localhost",
        _base_url("http://127.0.0.2:{other}/v2"),
    ),
    Case(
        "rd-station-conversas",
        "api_base_url with userinfo",
        _base_url("https://user@127.0.0.1:{port}/v2"),
        cli=True,
    ),
    Case("rd-station-conversas", "malformed start_date", _set(start_date="2024-1-1")),
    Case("rd-station-conversas", "impossible start_date", _set(start_date="2024-13-01")),
    Case("rd-station-conversas", "future start_date", _set(start_date=FUTURE)),
    Case("rd-station-conversas", "num_workers below minimum", _set(num_workers=1), soak=True),
]

# Known connector defects (none left: each would be a strict xfail naming the connector's fault).
DEFECTS: dict[tuple[str, str], str] = {}


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks: list[Any] = [pytest.mark.soak] if case.soak else []
        defect = DEFECTS.get((case.connector, case.name))
        if defect:
            marks.append(pytest.mark.xfail(strict=True, reason=defect))
        params.append(pytest.param(case, marks=marks, id=f"{case.connector}-{case.name.replace(' ', '_')}"))
    return params


def run_case(case: Case) -> dict[str, Any]:
    """One config through check, with listeners of its own standing in for the would-be hosts."""
    listeners = {"local": Listener("127.0.0.1"), "other": Listener("127.0.0.2")}
    app = make_app(case.connector)
    try:
        with serve(app) as server:
            config = case.build(server.config(case.connector), listeners)
            if case.cli:
                output = run_command(case.connector, "check", config)
            else:
                output = check_in_process(case.connector, config)
            sandbox_requests = app.stats.requests
    finally:
        for listener in listeners.values():
            listener.close()
    hits = sum(len(listener.connections) for listener in listeners.values())
    status = output.of_type("CONNECTION_STATUS")
    connection = status[0]["connectionStatus"] if status else {}
    trace = output.errors[0] if output.errors else {}
    message = connection.get("message") or trace.get("message")
    stage = "spec" if message and message.startswith("Config validation error") else "check"
    text = output.stdout + output.stderr
    return {
        "connector": case.connector,
        "case": case.name,
        "runner": "cli" if case.cli else "in-process entry point",
        "status": connection.get("status") or ("ERROR" if output.errors else "NONE"),
        "stage": stage,
        "message": message,
        "returncode": output.returncode,
        "listener_connections": hits,
        "sandbox_requests": sandbox_requests,
        "secret_in_output": any(secret in text for secret in SECRETS if secret),
    }


def plan(items: list[Any], soak: bool) -> list[tuple[Any, Any]]:
    """Only the CLI rows run in the background: an in-process check swaps the process-wide
    ``source_declarative_manifest.components`` module, which other modules' tests rely on."""
    cases = [c for (c,) in selected_params(items, __name__, "case") if c.cli]
    return [(c, lambda c=c: run_case(c)) for c in cases]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, soak: bool) -> dict[str, dict[str, Any]]:
    results = BACKGROUND.results(__name__, lambda: plan(request.session.items, soak))
    for (case,) in selected_params(request.session.items, __name__, "case"):
        if not case.cli:  # in the foreground, one at a time
            results[case] = run_case(case)
    return {f"{c.connector}:{c.name}": r for c, r in results.items()}


@pytest.mark.parametrize("case", _params())
def test_given_bad_config_when_check_then_one_clear_sentence_and_no_request_elsewhere(
    case: Case, outcomes, record
) -> None:
    result = outcomes[f"{case.connector}:{case.name}"]
    record("bad_config", {**result, "defect": DEFECTS.get((case.connector, case.name))})

    assert result["listener_connections"] == 0, "a request went to the crafted host"
    assert not result["secret_in_output"], "a secret reached the output"
    assert result["status"] == "FAILED", result
    assert clear_message(result["message"]), result["message"]
    # A spec `pattern` mismatch reads as the raw regex: shapes are config validations with a sentence.
    assert "does not match '" not in result["message"], result["message"]
