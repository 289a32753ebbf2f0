"""Run the sandbox from the command line.

python -m sandbox --port 8765 [--scale 10] [--latency-ms 200]      # serve until Ctrl-C
python -m sandbox --port 0 --write-configs DIR -- CMD ARGS...       # serve while CMD runs, exit with its code
"""

from __future__ import annotations

import argparse
import errno
import json
import subprocess
import sys
from pathlib import Path

from sandbox import registry
from sandbox.server import SandboxServer


def _replace(value: object, old: str, new: str) -> object:
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    return new if value == old else value


def write_connector_configs(server: SandboxServer, name: str) -> None:
    """integration_tests/config.json (valid) and invalid_config.json (wrong token) for this sandbox.

    Both are written at start because the port and the Conversas key pair are made at start;
    both are git-ignored."""
    folder = Path(__file__).resolve().parents[1] / f"source-{name}" / "integration_tests"
    folder.mkdir(exist_ok=True)
    config = server.config(name)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    invalid = _replace(config, server.app(name).token, "invalid-token-for-acceptance-tests")
    (folder / "invalid_config.json").write_text(json.dumps(invalid, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0, help="data size multiplier (1 = test size)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument("--no-rate-limit", action="store_true", help="disable the APIs' rate limits")
    parser.add_argument("--apis", nargs="*", default=None, help=f"subset of {list(registry.API_MODULES)}")
    parser.add_argument(
        "--write-configs", type=Path, help="write <api>.json connector configs into this folder"
    )
    parser.add_argument(
        "--write-connector-configs",
        action="store_true",
        help="write each connector's source-<name>/integration_tests/config.json (git-ignored) for this sandbox",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, help="after --: run this while the sandbox serves"
    )
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    options = {"seed": args.seed, "scale": args.scale, "latency_ms": args.latency_ms}
    if args.no_rate_limit:
        options["windows"] = []
    try:
        server = SandboxServer(
            registry.create_apps(args.apis, **options), port=args.port, verbose=args.verbose
        )
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        sys.exit(
            f"Port {args.port} is already in use (another sandbox running?): stop it, "
            "or pick another port with --port (0 picks a free one)."
        )
    for name in server.apps:
        print(f"{name:22s} {server.url(name)}   truth: {json.dumps(server.app(name).truth())}", flush=True)
        if args.write_configs:
            args.write_configs.mkdir(parents=True, exist_ok=True)
            (args.write_configs / f"{name}.json").write_text(json.dumps(server.config(name), indent=2))
        if args.write_connector_configs:
            write_connector_configs(server, name)
    if command:
        with server:
            sys.exit(subprocess.run(command, check=False).returncode)
    print(f"sandbox listening on {server.root_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
