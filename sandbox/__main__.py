"""Run the sandbox from the command line: python -m sandbox --port 8765 [--scale 10] [--latency-ms 200]."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sandbox import registry
from sandbox.server import SandboxServer


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
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()

    options = {"seed": args.seed, "scale": args.scale, "latency_ms": args.latency_ms}
    if args.no_rate_limit:
        options["windows"] = []
    server = SandboxServer(registry.create_apps(args.apis, **options), port=args.port, verbose=args.verbose)
    for name in server.apps:
        print(f"{name:22s} {server.url(name)}   truth: {json.dumps(server.app(name).truth())}", flush=True)
        if args.write_configs:
            args.write_configs.mkdir(parents=True, exist_ok=True)
            (args.write_configs / f"{name}.json").write_text(json.dumps(server.config(name), indent=2))
    print(f"sandbox listening on {server.root_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
