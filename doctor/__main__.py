"""``python -m doctor --source kommo --config secrets/kommo.json``: diagnose a connector on your account.

Exit code: 0 when the report lists no problem, 1 when it lists problems, 2 when nothing was
written (a bad argument, or the leak scan found a secret or a value in the report).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from doctor.report import write
from doctor.run import Connector, Limits, run
from doctor.secrets import LeakFound, secret_values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="kommo, helenacrm or rd-station-conversas")
    parser.add_argument("--config", required=True, type=Path, help="the connector's config JSON")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the reports (default: .)")
    parser.add_argument(
        "--pages",
        type=int,
        default=Limits.pages_per_slice,
        help="pages per slice (0: no limit; default %(default)s)",
    )
    parser.add_argument(
        "--stream-seconds",
        type=float,
        default=Limits.stream_seconds,
        help="seconds each stream may read (0: no limit; default %(default)s)",
    )
    parser.add_argument(
        "--total-seconds",
        type=float,
        default=Limits.total_seconds,
        help="seconds the whole read may take (0: no limit; default %(default)s)",
    )
    args = parser.parse_args(argv)

    def progress(text: str) -> None:
        print(f"doctor: {text}", file=sys.stderr, flush=True)

    connector = Connector.named(args.source)
    try:
        config = json.loads(args.config.read_text())
    except (OSError, ValueError) as exc:
        print(f"doctor: can't read the config file ({type(exc).__name__}).", file=sys.stderr)
        return 2
    limits = Limits(args.pages, args.stream_seconds, args.total_seconds)
    result = run(connector.name, args.config, limits, progress)
    if result.config_problem:
        progress(result.config_problem)
    elif result.check and result.check.get("status") != "SUCCEEDED":
        progress(f"check failed: {result.check.get('reason')}")
    try:
        report, md_path, json_path = write(result, args.out, secret_values(config, connector.spec()))
    except LeakFound as exc:
        progress(f"nothing written: the report would have contained {exc}. Please file an issue without it.")
        return 2
    problems = report["problems"]
    progress(f"{len(problems)} problem(s); report: {md_path} and {json_path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
