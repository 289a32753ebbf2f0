"""The real image definition, built with podman and run as `docker run IMAGE spec|check|discover|read`.

Marked `image`: `make image-test` runs it (it builds the stand-in base image on first use, which
takes minutes); `make test` deselects it. No AIRBYTE_ENABLE_UNSAFE_CODE is passed: components
bundled in the image are trusted, as in Airbyte's real base image. Each image is built from a copy
of the connector folder with planted secrets and caches, which must not reach the image.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from unit_tests.helpers.cli import CliOutput, parse_messages
from unit_tests.helpers.connector import REPO_ROOT
from unit_tests.helpers.image import WORKDIR
from unit_tests.shipping.expectations import assert_read_matches_truth, full_refresh_catalog
from unit_tests.shipping.test_image_context import ALLOWED, PLANTED, SECRET
from unit_tests.shipping.test_metadata import PINNED_CDK

pytestmark = pytest.mark.image

BASE_IMAGE = f"docker.io/airbyte/source-declarative-manifest:{PINNED_CDK}"
DOCKERFILE = REPO_ROOT / "docker-images" / "Dockerfile.manifest-only-connector"
IGNOREFILE = DOCKERFILE.with_name(DOCKERFILE.name + ".dockerignore")
STANDIN = REPO_ROOT / "tools" / "standin-base-image.sh"  # in the repo: a clean checkout is enough


def podman(*args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="session")
def base_image() -> str:
    if shutil.which("podman") is None and not STANDIN.exists():
        pytest.fail("podman is not installed and the stand-in base image script is missing")
    if shutil.which("podman") is None or podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        subprocess.run(["bash", str(STANDIN), PINNED_CDK], check=True, timeout=1800)
    return BASE_IMAGE


@pytest.fixture()
def image(base_image: str, connector, tmp_path: Path) -> str:
    context = tmp_path / "context"
    shutil.copytree(connector.folder, context)
    for name in PLANTED:
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(f'{{"api_token": "{SECRET}"}}')
    tag = f"localhost/airbyte/source-{connector.name}:dev"
    podman(
        "build",
        "--isolation",
        "chroot",
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        "-f",
        str(DOCKERFILE),
        "--ignorefile",
        str(IGNOREFILE),
        "-t",
        tag,
        str(context),
    )
    return tag


def docker_run(image: str, command: str, folder: Path, **inputs) -> CliOutput:
    mounts, args = [], [command]
    for name, payload in inputs.items():
        (folder / f"{name}.json").write_text(json.dumps(payload))
        mounts += ["-v", f"{folder / f'{name}.json'}:/secrets/{name}.json:ro,Z"]
        args += [f"--{name}", f"/secrets/{name}.json"]
    proc = podman("run", "--rm", "--network", "host", *mounts, image, *args, check=False)
    return CliOutput(proc.returncode, proc.stdout, proc.stderr, parse_messages(proc.stdout))


def test_given_image_when_spec_check_discover_read_then_all_sandbox_records(
    image, connector, sandbox, tmp_path
):
    spec = docker_run(image, "spec", tmp_path)
    assert spec.spec["connectionSpecification"]["properties"].keys() == (
        connector.manifest["spec"]["connection_specification"]["properties"].keys()
    )
    config = sandbox.config(connector.name)
    check = docker_run(image, "check", tmp_path, config=config)
    assert check.connection_status["status"] == "SUCCEEDED", check.stdout[-2000:]
    discovered = docker_run(image, "discover", tmp_path, config=config)
    read = docker_run(image, "read", tmp_path, config=config, catalog=full_refresh_catalog(discovered))
    assert_read_matches_truth(read, sandbox.app(connector.name).truth())


LIST_FILES = (
    "import os; print('\\n'.join(os.path.join(r, f) for r, _, fs in os.walk('/airbyte') for f in fs))"
)


def test_given_secrets_in_the_build_folder_when_built_then_the_image_holds_only_the_allow_list(image):
    listing = podman("run", "--rm", "--entrypoint", "python", image, "-c", LIST_FILES).stdout.split()
    files = {PurePosixPath(line) for line in listing}

    assert ALLOWED <= files
    assert not {WORKDIR / name for name in PLANTED} & files, sorted(files)
