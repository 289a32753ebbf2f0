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
