"""A wrong setting reads as one sentence that names it, with no traceback (issue #13, item 4).

Through the entry point the image runs, on ``read`` (what a scheduled sync runs) and ``check``:
the CDK answers a spec ``pattern`` mismatch with the raw regex and prints the traceback of every
uncaught exception, so the manifests keep shapes out of the spec and each connector's
``ConfigError`` carries one sentence and no traceback.

Left to the CDK (see docs/architecture.md): on ``check``, ``CheckStream`` wraps the sentence
("Encountered an error while discovering streams. Error: ...") and logs the traceback itself; a
config file that is not JSON gets the CDK's "Please contact Support" before any connector code.
"""

from __future__ import annotations

import pytest

from unit_tests.helpers.cli import configured_catalog, run_cli

# (setting, bad value, the spec title the sentence must name), per connector.
BAD_SETTINGS = {
    "kommo": [
        ("subdomain", "mycompany/evil", "Subdomain"),
        ("start_date", "2999-01-01", "Start date"),
        ("api_base_url", "http://kommo-proxy.example.com", "API base URL"),
    ],
    "helenacrm": [
        ("start_date", "01/01/2024", "Start Date"),
        ("api_base_url", "https://user@api.helena.run", "API Base URL"),
    ],
    "rd-station-conversas": [
        ("start_date", "2999-01-01", "Start Date"),
        ("analytics_start_date", "2026-13-01", "Analytics Start Date"),
        ("api_base_url", "http://api.tallos.com.br/v2", "API Base URL (advanced)"),
    ],
}


def _cases(connector_name: str) -> list[tuple[str, str, str]]:
    return BAD_SETTINGS[connector_name]


def test_given_bad_setting_when_read_then_one_sentence_naming_it_and_no_traceback(connector, sandbox) -> None:
    good = sandbox.config(connector.name)
    catalog = configured_catalog(run_cli(connector, "discover", config=good).catalog)

    for setting, value, title in _cases(connector.name):
        output = run_cli(connector, "read", config={**good, setting: value}, catalog=catalog, timeout=120)

        assert output.returncode != 0, setting
        assert len(output.errors) == 1, (setting, [e["message"][:120] for e in output.errors])
        (error,) = output.errors
        assert error["failure_type"] == "config_error", setting
        assert error["message"].startswith(title + " "), error["message"]
        assert "\n" not in error["message"] and "does not match" not in error["message"]
        assert "Traceback" not in error["stack_trace"], setting
        assert not [m for m in output.logs("FATAL") + output.logs("ERROR") if "Traceback" in m], setting
        assert output.records == []


def test_given_bad_setting_when_check_then_status_names_the_setting(connector, sandbox) -> None:
    good = sandbox.config(connector.name)

    for setting, value, title in _cases(connector.name):
        output = run_cli(connector, "check", config={**good, setting: value}, timeout=120)

        status = output.connection_status
        assert status["status"] == "FAILED", setting
        assert f"Error: {title} " in status["message"] and "does not match" not in status["message"]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        pytest.param("https://proxy.example.com", True, id="https-host"),
        pytest.param("https://proxy.example.com/api/v2/", True, id="https-path"),
        pytest.param("http://127.0.0.1:8765/sandbox", True, id="http-loopback"),
        pytest.param("http://localhost/v2", True, id="http-localhost"),
        pytest.param("http://proxy.example.com", False, id="clear-text-remote"),
        pytest.param("http://127.0.0.1.evil.com", False, id="loopback-lookalike"),
        pytest.param("https://user@evil.example", False, id="userinfo"),
        pytest.param("https://proxy.example.com?x=1", False, id="query"),
        pytest.param("https://proxy.example.com#x", False, id="fragment"),
        pytest.param("ftp://proxy.example.com", False, id="other-scheme"),
        pytest.param("host-without-scheme.test", False, id="no-scheme"),
    ],
)
def test_given_api_base_url_when_validated_then_token_goes_only_to_https_or_this_machine(
    connector, url: str, accepted: bool
) -> None:
    components = connector.components()
    if accepted:
        components.ApiBaseUrlValidation().validate(url)
        return
    with pytest.raises(components.ConfigError) as raised:
        components.ApiBaseUrlValidation().validate(url)
    assert raised.value.message.lower().startswith("api base url")
    assert url not in raised.value.message  # it may hold a password
