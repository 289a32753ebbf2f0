"""A rejected token stops the whole sync at once (issue #13, item 1), through the real entry point.

The CDK's concurrent read fails only the stream that got the 401 and goes on with the others, each
sending the same refused token (Kommo blocks IPs that keep doing that), then ends with a summary of
every failure. Here the sandbox counts what reached it: no more requests than were already in
flight when the first 401 came back; the first trace is one config-error sentence.
"""

from __future__ import annotations

import copy
from typing import Any

from unit_tests.helpers.cli import configured_catalog, run_cli
from unit_tests.reliability.harness import clear_message

# The spec title of the setting the sentence must name, so the user knows what to fix.
SETTING_TITLE = {
    "kommo": "Authentication",
    "helenacrm": "API Key",
    "rd-station-conversas": "Access Token (JWT)",
}
TOKEN_SETTING = {
    "kommo": ("credentials", "api_token"),
    "helenacrm": ("api_key",),
    "rd-station-conversas": ("access_token",),
}


def with_wrong_token(connector_name: str, config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    *parents, key = TOKEN_SETTING[connector_name]
    target = config
    for parent in parents:
        target = target[parent]
    target[key] = "wrong-token"
    return config


def test_given_wrong_token_when_read_every_stream_then_one_config_error_and_no_further_requests(
    connector, fresh_sandbox
) -> None:
    good = fresh_sandbox.config(connector.name)
    catalog = configured_catalog(run_cli(connector, "discover", config=good).catalog)
    app = fresh_sandbox.app(connector.name)
    app.stats.reset()

    output = run_cli(
        connector, "read", config=with_wrong_token(connector.name, good), catalog=catalog, timeout=300
    )

    statuses = [status for _, status in app.stats.timeline]
    workers = good["num_workers"]
    assert output.returncode != 0
    assert set(statuses) == {401}
    # Only what was already in flight when the first 401 came back (one per worker thread).
    assert 1 <= len(statuses) <= workers, f"{len(statuses)} requests with a token already refused"
    # The sentence; then the CDK's end-of-sync summary, one line per failed partition (ending the
    # read at the first failure would skip partitioned streams' state: components.CredentialsRejected).
    assert len(output.errors) == 2, [e["message"][:120] for e in output.errors]
    first, summary = output.errors
    assert clear_message(first["message"]), first["message"]
    assert SETTING_TITLE[connector.name] in first["message"]
    assert {first["failure_type"], summary["failure_type"]} == {"config_error"}
    assert "Traceback" not in summary["message"]
    assert output.records == []
    # The CDK logs every failed partition at ERROR with its exception: one line each, and only the
    # first carries the sentence (a bad Kommo token printed 77 tracebacks, 298 KB).
    partition_errors = output.logs("ERROR")
    assert partition_errors, "the CDK's per-partition ERROR logs are what this checks"
    assert not [m for m in partition_errors if "Traceback" in m], partition_errors[0][:300]
    assert sum(first["message"] in m for m in partition_errors) <= 1
    assert all(len(m) <= 400 for m in partition_errors), max(partition_errors, key=len)
