"""metadata.yaml in Airbyte's manifest-only form, consistent with the manifest and the pinned CDK."""

from __future__ import annotations

import re
import tomllib
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from airbyte_cdk.models.connector_metadata import MetadataFile

from unit_tests.helpers.connector import REPO_ROOT

CONNECTOR_FOLDERS = sorted(p for p in REPO_ROOT.glob("source-*") if (p / "metadata.yaml").exists())
PINNED_CDK = next(
    dep.split("==")[1]
    for dep in tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    if dep.startswith("airbyte-cdk==")
)


def metadata(folder: Path) -> dict:
    return yaml.safe_load((folder / "metadata.yaml").read_text())["data"]


@pytest.mark.parametrize("folder", CONNECTOR_FOLDERS, ids=[p.name for p in CONNECTOR_FOLDERS])
def test_metadata_is_manifest_only_on_the_pinned_cdk(folder: Path):
    data = metadata(folder)
    parsed = MetadataFile.from_file(folder / "metadata.yaml")
    assert parsed.data.language.value == "manifest-only"
    assert data["connectorType"] == "source"
    assert data["dockerRepository"] == f"airbyte/{folder.name}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["dockerImageTag"])
    assert set(data["tags"]) >= {"language:manifest-only", "cdk:low-code"}
    assert (
        data["connectorBuildOptions"]["baseImage"]
        == f"docker.io/airbyte/source-declarative-manifest:{PINNED_CDK}"
    )
    uuid.UUID(data["definitionId"])
    for key in (
        "documentationUrl",
        "releaseStage",
        "supportLevel",
        "license",
        "connectorTestSuitesOptions",
        "name",
    ):
        assert data[key], key
    assert (folder / data["icon"]).exists()


@pytest.mark.parametrize("folder", CONNECTOR_FOLDERS, ids=[p.name for p in CONNECTOR_FOLDERS])
def test_given_unpublished_docs_when_spec_read_then_no_link_and_registry_url_names_our_page(folder: Path):
    """The UI shows the spec's documentation_url as the setup guide's link; the docs page is in
    this repo until the connector is published, so a docs.airbyte.com link led to a 404 (#13)."""
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    assert "documentation_url" not in manifest["spec"]
    assert "documentationUrl" not in manifest["spec"]
    # metadata's documentationUrl is the registry's: where Airbyte publishes our page's path.
    url = metadata(folder)["documentationUrl"]
    slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    assert url == f"https://docs.airbyte.com/integrations/sources/{slug}"
    assert (REPO_ROOT / "docs" / "integrations" / "sources" / f"{slug}.md").exists()
    assert folder.name == f"source-{slug}"


def test_definition_ids_are_unique():
    ids = [metadata(folder)["definitionId"] for folder in CONNECTOR_FOLDERS]
    assert len(ids) == len(set(ids)) == 3


def api_hosts(folder: Path) -> list[str]:
    """The hosts the connector talks to by default: the api_base_url default, or one per domain choice."""
    properties = yaml.safe_load((folder / "manifest.yaml").read_text())["spec"]["connection_specification"][
        "properties"
    ]
    if "default" in properties.get("api_base_url", {}):
        return [urlsplit(properties["api_base_url"]["default"]).hostname]
    return [f"account.{domain}" for domain in properties["domain"]["enum"]]


@pytest.mark.parametrize("folder", CONNECTOR_FOLDERS, ids=[p.name for p in CONNECTOR_FOLDERS])
def test_allowed_hosts_cover_the_default_api_hosts(folder: Path):
    patterns = metadata(folder)["allowedHosts"]["hosts"]
    for host in api_hosts(folder):
        assert any(re.fullmatch(p.replace(".", r"\.").replace("*", r"[^.]+"), host) for p in patterns), (
            host,
            patterns,
        )
