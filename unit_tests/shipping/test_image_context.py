"""Only the allow-listed files reach an image, whatever else sits in the connector folder.

Computed from the real Dockerfile and its .dockerignore (unit_tests/helpers/image.py), so it runs
in ``make test`` without a container engine; ``make image-test`` checks a podman-built image too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from unit_tests.helpers.connector import Connector
from unit_tests.helpers.image import DOCKERFILE, IGNOREFILE, WORKDIR, build_context, image_files

SECRET = "tok-planted-3f9a"
# What a working connector folder may hold besides the connector: Airbyte's usual secrets layout,
# acceptance-test configs, tool caches, scratch files.
PLANTED = [
    "secrets/config.json",
    "integration_tests/config.json",
    "integration_tests/secrets/config.json",
    ".pytest_cache/v/cache/lastfailed",
    ".tmp/state.json",
    ".env",
    "__pycache__/components.cpython-311.pyc",
    "build/config.json",
    "notes/config.json",
]
ALLOWED = {
    WORKDIR / "manifest.yaml",
    WORKDIR / "source_declarative_manifest" / "manifest.yaml",
    WORKDIR / "source_declarative_manifest" / "components.py",
}


@pytest.fixture()
def cluttered(tmp_path: Path, connector: Connector) -> Path:
    folder = tmp_path / connector.folder.name
    shutil.copytree(connector.folder, folder)
    for name in PLANTED:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f'{{"api_token": "{SECRET}"}}')
    return folder


def test_given_secrets_and_caches_in_the_connector_folder_when_the_image_is_built_then_only_the_allow_list_is_copied(
    cluttered: Path,
) -> None:
    placed = image_files(cluttered)

    assert set(placed) == ALLOWED
    assert all(SECRET not in source.read_text() for source in placed.values())


def test_given_secrets_in_the_connector_folder_when_the_build_context_is_sent_then_the_ignore_file_keeps_them_out(
    cluttered: Path,
) -> None:
    # Even if the Dockerfile went back to `COPY . ./`, the builder would never receive these.
    assert build_context(cluttered) == ["components.py", "manifest.yaml"]
    assert set(image_files(cluttered, ignorefile=Path("/nonexistent"))) == ALLOWED


def test_given_the_old_copy_everything_definition_when_computed_then_the_planted_secret_lands_in_the_image(
    cluttered: Path, tmp_path: Path
) -> None:
    """The check itself can fail: the definition this replaced shipped secrets/config.json."""
    old = tmp_path / "Dockerfile.old"
    old.write_text(DOCKERFILE.read_text().replace("COPY manifest.yaml ./", "COPY . ./"))

    placed = image_files(cluttered, dockerfile=old, ignorefile=Path("/nonexistent"))

    assert WORKDIR / "secrets" / "config.json" in placed


@pytest.mark.parametrize(
    "instruction", ["RUN cp -r . /tmp", "ADD https://example.com/x.tar.gz ./"], ids=["run", "add"]
)
def test_given_an_instruction_with_unknowable_files_when_computed_then_refused(
    tmp_path: Path, connector: Connector, instruction: str
) -> None:
    changed = tmp_path / "Dockerfile"
    changed.write_text(DOCKERFILE.read_text() + f"\n{instruction}\n")
    with pytest.raises(ValueError, match="can't tell"):
        image_files(connector.folder, dockerfile=changed)


def test_the_ignore_file_sits_where_docker_looks_for_it() -> None:
    # BuildKit reads <Dockerfile name>.dockerignore next to the Dockerfile; podman gets --ignorefile.
    assert IGNOREFILE.exists() and IGNOREFILE.name == DOCKERFILE.name + ".dockerignore"
