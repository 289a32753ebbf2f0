"""`make image-base` says what it changes on the machine, and the image tooling lives in the repo."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from unit_tests.helpers.connector import REPO_ROOT
from unit_tests.shipping import test_container
from unit_tests.shipping.test_metadata import PINNED_CDK

SCRIPT = REPO_ROOT / "tools" / "standin-base-image.sh"
CONF = Path("/etc/containers/containers.conf")
WANTED_CONF = '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'


def test_given_the_plan_flag_when_the_base_image_script_runs_then_it_lists_each_machine_change_and_changes_nothing() -> (
    None
):
    # never run a script that doesn't know --plan: it would install packages and build an image
    assert 'if [ "${1:-}" = "--plan" ]' in SCRIPT.read_text()
    conf_before = CONF.stat().st_mtime if CONF.exists() else None

    run = subprocess.run(
        ["bash", str(SCRIPT), "--plan", PINNED_CDK], capture_output=True, text=True, timeout=60, check=False
    )

    assert run.returncode == 0, run.stderr
    assert "This changes the machine" in run.stdout
    assert f"docker.io/airbyte/source-declarative-manifest:{PINNED_CDK}" in run.stdout
    if shutil.which("podman") is None:
        assert "apt-get: podman runc debootstrap" in run.stdout
    if not CONF.exists() or CONF.read_text() != WANTED_CONF:
        assert f"writes {CONF}" in run.stdout
    assert (CONF.stat().st_mtime if CONF.exists() else None) == conf_before  # nothing was changed


def test_given_the_base_image_script_when_it_changes_the_machine_then_its_plan_is_printed_before_any_change() -> (
    None
):
    lines = SCRIPT.read_text().splitlines()
    plan_end = next(i for i, line in enumerate(lines) if "PLAN_ONLY" in line and "exit 0" in line)
    changes = [
        i
        for i, line in enumerate(lines)
        if re.search(r"apt-get (update|install)|> \"\$CONF\"|debootstrap --|podman import", line)
        and not line.lstrip().startswith(("#", "echo"))
        and "echo" not in line.split("apt-get")[0]
    ]
    assert changes and min(changes) > plan_end
    # the Makefile changes nothing by itself: every change goes through the script and its plan
    image_base = REPO_ROOT.joinpath("Makefile").read_text().split("\nimage-base:")[1].split("\n\n")[0]
    assert "apt-get" not in image_base and "containers.conf" not in image_base


def test_the_container_test_finds_the_base_image_script_inside_the_repo() -> None:
    assert test_container.STANDIN == SCRIPT and SCRIPT.exists()
    for path in (
        REPO_ROOT / "Makefile",
        REPO_ROOT / ".ci" / "run",
        REPO_ROOT / "unit_tests" / "shipping" / "test_container.py",
    ):
        assert "shared/" not in path.read_text(), path
