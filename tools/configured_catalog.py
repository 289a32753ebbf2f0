"""Turn a connector's `discover` output into the configured catalog `read` needs.

`read` takes a configured catalog (which streams, in which sync mode), and `discover` prints the
catalog a connector offers; this makes one from the other, the way the platform does when every
stream is selected:

    source-declarative-manifest discover --config secrets/kommo.json --manifest-path … \\
        | python -m tools.configured_catalog > secrets/catalog.json
    docker run --rm -v $PWD/secrets:/secrets airbyte/source-kommo:dev discover --config /secrets/config.json \\
        | python -m tools.configured_catalog --streams leads,contacts > secrets/catalog.json

Every stream is configured incremental where it supports it (on its default cursor), full
refresh otherwise; ``--full-refresh`` configures all of them for full refresh and ``--streams``
keeps only the named ones. Standard library only: it runs wherever Python 3 does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any


def discovered_catalog(lines: Iterable[str]) -> dict[str, Any]:
    """The CATALOG message among a connector's output lines (logs and other messages skipped)."""
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("type") == "CATALOG":
            return message["catalog"]
    raise ValueError(
        "no CATALOG message in the input: pipe a connector's `discover` output into this command"
    )


def configure(
    catalog: dict[str, Any], streams: list[str] | None = None, full_refresh: bool = False
) -> dict[str, Any]:
    """A configured catalog selecting ``streams`` (default: all) of a discovered catalog."""
    offered = {stream["name"]: stream for stream in catalog["streams"]}
    unknown = sorted(set(streams or []) - set(offered))
    if unknown:
        raise ValueError(
            f"no stream named {', '.join(unknown)}; the connector offers {', '.join(sorted(offered))}"
        )
    configured = []
    for name, stream in offered.items():
        if streams is not None and name not in streams:
            continue
        incremental = not full_refresh and "incremental" in stream["supported_sync_modes"]
        primary_key = stream.get("source_defined_primary_key") or []
        configured.append(
            {
                "stream": stream,
                "sync_mode": "incremental" if incremental else "full_refresh",
                "cursor_field": stream.get("default_cursor_field", []) if incremental else [],
                "destination_sync_mode": "append_dedup" if incremental and primary_key else "overwrite",
                "primary_key": primary_key,
            }
        )
    return {"streams": configured}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Read a connector's `discover` output on stdin, print a configured catalog for `read`."
    )
    parser.add_argument("--streams", help="comma-separated stream names (default: every stream)")
    parser.add_argument("--full-refresh", action="store_true", help="full refresh for every stream")
    args = parser.parse_args(argv)
    streams = [s.strip() for s in args.streams.split(",") if s.strip()] if args.streams else None
    try:
        catalog = configure(discovered_catalog(sys.stdin), streams, args.full_refresh)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    json.dump(catalog, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
