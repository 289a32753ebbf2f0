"""The README's connector table names every stream each connector offers, and only those: it is
where a new user looks first (the Conversas row had lost six streams added since)."""

from __future__ import annotations

from unit_tests.helpers.connector import REPO_ROOT


def readme_streams(connector_name: str) -> list[str]:
    prefix = f"| [`source-{connector_name}/`]"
    (row,) = [line for line in (REPO_ROOT / "README.md").read_text().splitlines() if line.startswith(prefix)]
    return [name.strip().removesuffix(" (decrypted)") for name in row.split("|")[3].split(",")]


def test_given_readme_table_when_compared_with_discover_then_same_streams(connector, sandbox) -> None:
    catalog = connector.discover(sandbox.config(connector.name)).catalog.catalog

    assert sorted(readme_streams(connector.name)) == sorted(stream.name for stream in catalog.streams)
