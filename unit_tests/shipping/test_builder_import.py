"""The Connector Builder path: a manifest imported with custom components, run as the platform does.

The platform runs Builder connectors on the source-declarative-manifest image with the manifest
and components injected into the config (`__injected_declarative_manifest`,
`__injected_components_py` and its checksum); custom code runs only where the operator set
AIRBYTE_ENABLE_UNSAFE_CODE=true on the builder server and workload launcher.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import (
    ManifestComponentTransformer,
)
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

from unit_tests.helpers.cli import ENTRY_POINT, CliOutput, run_process, write_inputs
from unit_tests.helpers.connector import Connector
from unit_tests.shipping.expectations import assert_read_matches_truth, full_refresh_catalog

SCHEMA_PATH = (
    Path(__import__("airbyte_cdk").__file__).parent / "sources/declarative/declarative_component_schema.yaml"
)


def injected_config(connector: Connector, config: dict, checksum: str | None = None) -> dict:
    components = connector.components_path.read_text()
    return {
        **config,
        "__injected_declarative_manifest": connector.manifest,
        "__injected_components_py": components,
        "__injected_components_py_checksums": {
            "md5": checksum or hashlib.md5(components.encode()).hexdigest()
        },
    }


def run_as_platform(command: str, unsafe: bool = True, **inputs) -> CliOutput:
    env = {k: v for k, v in os.environ.items() if k != "AIRBYTE_ENABLE_UNSAFE_CODE"}
    if unsafe:
        env["AIRBYTE_ENABLE_UNSAFE_CODE"] = "true"
    with tempfile.TemporaryDirectory() as tmp:
        return run_process([ENTRY_POINT, command, *write_inputs(Path(tmp), **inputs)], env=env)


def test_given_manifest_when_validated_against_cdk_schema_then_valid(connector):
    resolved = ManifestReferenceResolver().preprocess_manifest(connector.manifest)
    propagated = ManifestComponentTransformer().propagate_types_and_parameters("", resolved, {})
    jsonschema.validate(propagated, yaml.safe_load(SCHEMA_PATH.read_text()))


def test_given_builder_import_when_read_then_all_sandbox_records(connector, sandbox):
    config = injected_config(connector, sandbox.config(connector.name))
    discovered = run_as_platform("discover", config=config)
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    read = run_as_platform("read", config=config, catalog=full_refresh_catalog(discovered))
    assert_read_matches_truth(read, sandbox.app(connector.name).truth())


@pytest.mark.parametrize(
    ("unsafe", "checksum", "expected"),
    [
        pytest.param(False, None, "AIRBYTE_ENABLE_UNSAFE_CODE", id="custom-code-not-enabled"),
        pytest.param(True, "0" * 32, "checksum", id="checksum-mismatch"),
    ],
)
def test_given_builder_import_when_code_not_permitted_then_refused(
    connector, sandbox, unsafe, checksum, expected
):
    config = injected_config(connector, sandbox.config(connector.name), checksum=checksum)
    output = run_as_platform("check", unsafe=unsafe, config=config)
    assert output.returncode != 0 or output.errors
    assert expected.lower() in (output.stdout + output.stderr).lower()
