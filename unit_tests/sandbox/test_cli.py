"""`python -m sandbox` as a user starts it."""

from __future__ import annotations

import socket
import subprocess
import sys

from unit_tests.helpers.connector import REPO_ROOT


def test_given_the_port_is_taken_when_a_second_sandbox_starts_then_one_sentence_and_no_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        run = subprocess.run(
            [sys.executable, "-m", "sandbox", "--port", str(port), "--apis", "kommo"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"Port {port} is already in use (another sandbox running?): stop it, "
        "or pick another port with --port (0 picks a free one)."
    ]
