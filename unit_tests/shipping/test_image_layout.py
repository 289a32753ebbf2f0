"""The manifest-only image's layout and entry point, without a container.

A temporary directory holds exactly what docker-images/Dockerfile.manifest-only-connector copies
into /airbyte/integration_code (computed from the Dockerfile and its .dockerignore by
unit_tests/helpers/image.py: the allow-list, nothing else), and the base image's main.py is run from it with no
AIRBYTE_ENABLE_UNSAFE_CODE: the trusted-components path of the real image. The one liberty: the
CDK recognises the image by an absolute path (/airbyte/integration_code/...), so the shim points
that check at the temporary directory instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from unit_tests.helpers.cli import CliOutput, run_process, write_inputs
from unit_tests.helpers.connector import Connector
from unit_tests.helpers.image import lay_out
from unit_tests.shipping.expectations import assert_read_matches_truth, full_refresh_catalog

# The base image's /airbyte/integration_code/main.py, with the image-detection check redirected.
MAIN_PY = """\
from pathlib import Path
import airbyte_cdk.cli.source_declarative_manifest._run as sdm
sdm._is_local_manifest_command = lambda args: Path("source_declarative_manifest/manifest.yaml").exists()
from airbyte_cdk.cli.source_declarative_manifest._run import run
if __name__ == "__main__":
    run()
"""


@pytest.fixture()
def image_dir(tmp_path: Path, connector: Connector) -> Path:
    workdir = lay_out(connector.folder, tmp_path / "integration_code")
    (workdir / "main.py").write_text(MAIN_PY)
    return workdir


def run_in_image_dir(workdir: Path, command: str, **inputs) -> CliOutput:
    env = {k: v for k, v in os.environ.items() if k != "AIRBYTE_ENABLE_UNSAFE_CODE"}
    args = [sys.executable, "main.py", command, *write_inputs(workdir.parent, **inputs)]
    return run_process(args, env=env, cwd=workdir)


def test_given_image_layout_when_spec_then_connector_spec(image_dir, connector):
    output = run_in_image_dir(image_dir, "spec")
    assert output.returncode == 0, output.stderr[-2000:]
    expected = connector.manifest["spec"]["connection_specification"]
    assert output.spec["connectionSpecification"]["properties"].keys() == expected["properties"].keys()


def test_given_image_layout_when_check_discover_read_then_all_sandbox_records(image_dir, connector, sandbox):
    config = sandbox.config(connector.name)
    check = run_in_image_dir(image_dir, "check", config=config)
    assert check.connection_status["status"] == "SUCCEEDED", check.connection_status

    discovered = run_in_image_dir(image_dir, "discover", config=config)
    assert {s["name"] for s in discovered.catalog["streams"]} >= set(sandbox.app(connector.name).truth())

    read = run_in_image_dir(image_dir, "read", config=config, catalog=full_refresh_catalog(discovered))
    assert_read_matches_truth(read, sandbox.app(connector.name).truth())
